/**
 * The entry Node resolves (the `node` export condition): everything of `index.ts`, plus undici's
 * transport, which only Node has (`transport: undiciTransport({ dispatcher })` for a proxy or an
 * agent of your own; it is already the default there).
 */
export { type UndiciTransportOptions, undiciTransport } from "@specyard/http";
export * from "./index.js";
