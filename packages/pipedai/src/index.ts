/** The package entry: the client (`client.ts`) and the helpers built on it, which import it but never this file. */
export * from "./client.js";
export {
  type RunContext,
  type RunWorkerOptions,
  runWorker,
  type WorkerCredentials,
  type WorkerEvent,
} from "./worker.js";
