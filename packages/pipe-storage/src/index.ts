/** The package entry: the client (`client.ts`) and the helpers built on it, which import it but never this file. */
export * from "./client.js";
export {
  type AgentBundle,
  agentBundleEnv,
  bootstrap,
  createS3Key,
  type PipeConfig,
  type WaitForActivityOptions,
  type WaitOptions,
  waitForActivity,
  waitForIntent,
  waitForUpload,
} from "./flows.js";
