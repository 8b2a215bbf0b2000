export type { S3Backend } from "./backend.js";
export { startFauxqsBackend } from "./backend.js";
export type { S3GatewayOptions, S3KeyInfo, S3ObjectEvent } from "./gateway.js";
export { S3Gateway } from "./gateway.js";
export type { S3KeyScope } from "./scope.js";
