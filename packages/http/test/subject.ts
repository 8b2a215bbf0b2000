/**
 * The runtime under test. Every suite runs twice (see vitest.config.ts): over undici, the default
 * Node resolves, and over the global fetch, the default everywhere else.
 */
import {
  type CreateHttpClientOptions,
  createHttpClient as createBaseClient,
  fetchTransport,
  type HttpClient,
} from "../src/index.js";
import { createHttpClient as createNodeClient } from "../src/node.js";

export * from "../src/index.js";

export const transportName = process.env.SPECYARD_TEST_TRANSPORT === "fetch" ? "fetch" : "undici";

export function createHttpClient<Paths extends {}>(options: CreateHttpClientOptions): HttpClient<Paths> {
  return transportName === "fetch"
    ? createBaseClient<Paths>({ transport: fetchTransport(), ...options })
    : createNodeClient<Paths>(options);
}
