export { repoRoot, specPath } from "./paths.js";
export { type PrismServer, type StartPrismOptions, startPrism } from "./prism.js";
export { loadSpec, type OpenApiDocument, responseValidator } from "./spec.js";
