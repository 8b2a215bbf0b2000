/** The package entry: the client (`client.ts`) and the helpers built on it, which import it but never this file. */
export * from "./client.js";
export {
  LogStreamError,
  type StreamLogsOptions,
  streamLogs,
  type WebSocketConstructor,
  type WebSocketLike,
} from "./logs.js";
