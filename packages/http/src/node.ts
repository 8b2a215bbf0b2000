/**
 * The entry Node resolves (the `node` export condition): everything in `index.ts`, with clients
 * and runtimes that send through undici's `request()` unless given a `fetch` or a `transport`.
 */
import {
  type CreateHttpClientOptions,
  createHttpClient as createFetchClient,
  type HttpClient,
} from "./client.js";
import { createRuntime as createFetchRuntime, type Runtime, type RuntimeOptions } from "./fetch.js";
import { undiciTransport } from "./transport-node.js";

export * from "./index.js";
export { type UndiciTransportOptions, undiciTransport } from "./transport-node.js";

/**
 * Bun and Deno resolve the `node` export condition too, but replace undici with their own: there
 * the default stays the runtime's global `fetch`.
 */
const onNode =
  typeof (globalThis as { Bun?: unknown }).Bun === "undefined" &&
  typeof (globalThis as { Deno?: unknown }).Deno === "undefined";
const shared = onNode ? undiciTransport() : undefined;

function onUndici<T extends Pick<RuntimeOptions, "fetch" | "transport">>(options: T): T {
  return options.transport || options.fetch || !shared ? options : { ...options, transport: shared };
}

/** An openapi-fetch client for `Paths` with retries, timeouts, auth, rate limits and typed errors. */
export function createHttpClient<Paths extends {}>(options: CreateHttpClientOptions): HttpClient<Paths> {
  return createFetchClient<Paths>(onUndici(options));
}

/** The request loop on its own, for code that does not use openapi-fetch. */
export function createRuntime(options: RuntimeOptions = {}): Runtime {
  return createFetchRuntime(onUndici(options));
}
