/**
 * @specyard/sandbox: stateful local servers of the five APIs. `startSandbox("pipeagent")` listens on
 * 127.0.0.1 on a free port and returns its URL, an admin surface and `close()`.
 */
export { SandboxClock } from "./framework/clock.js";
export { type FaultRule, type FaultSpec, parseFaults } from "./framework/faults.js";
export type { RateDecision, RateRule } from "./framework/ratelimit.js";
export { runSandbox, type Sandbox, type SandboxAdmin } from "./framework/server.js";
export type {
  Handler,
  ProviderContext,
  ProviderDefinition,
  ProviderRuntime,
  SandboxOptions,
  SandboxRequest,
  SandboxResponse,
} from "./framework/types.js";
export { ACTION_DESCRIPTIONS, type ActionArgument, type ActionDescription } from "./onboarding/actions.js";
export type {
  AtelierCredentials,
  PinataCredentials,
  PipeAgentCredentials,
  PipeCredentials,
  PipedAICredentials,
} from "./onboarding/credentials.js";
export {
  DEFAULT_PORT_BASE,
  PORT_OFFSETS,
  readKeypairFile,
  type UpCredentials,
  type UpOptions,
  type UpResult,
  type UpSandbox,
  up,
} from "./onboarding/up.js";
export {
  availableProviders,
  PROVIDERS,
  type ProviderName,
  startSandbox,
  UnknownProviderError,
} from "./registry.js";
