export {
  type Fault,
  type FaultServer,
  type FaultServerOptions,
  type NormalAnswer,
  type RecordedRequest,
  startFaultServer,
} from "./fault-server.js";
export { repoRoot, specPath } from "./paths.js";
export { type PrismServer, type StartPrismOptions, startPrism } from "./prism.js";
export { loadSpec, type OpenApiDocument, responseValidator } from "./spec.js";
