import {
  type AuthStrategy,
  authorizationHeader,
  type BaseClientOptions,
  type Credential,
  createHttpClient,
  credentialsFrom,
  type HttpClient,
  headerCredential,
  isGiven,
  readEnv,
} from "@specyard/http";
import type { Middleware } from "openapi-fetch";
import type { components, paths } from "./generated/schema.js";
import { operationSecurity } from "./generated/security.js";

export type { AuthStrategy, BaseClientOptions, Credential } from "@specyard/http";
export {
  AbortError,
  ApiError,
  AuthenticationError,
  BadRequestError,
  type CallOptions,
  ConflictError,
  ConnectionError,
  fetchTransport,
  InternalServerError,
  LocalRateLimitError,
  type Logger,
  MissingCredentialError,
  NotFoundError,
  offsetPages,
  type Paginator,
  PayloadTooLargeError,
  PaymentRequiredError,
  PermissionDeniedError,
  PIPEAGENT_RATE_LIMITS,
  RateLimitError,
  requestTransport,
  SpecyardError,
  TimeoutError,
  type Transport,
  type TransportRequest,
  UnprocessableEntityError,
  unwrap,
  unwrapWithResponse,
  type WithResponse,
} from "@specyard/http";
export type { components, operations, paths } from "./generated/schema.js";

/** The production JSON API host (https://pipeagent.dev is the web app, not the API). */
export const PIPEAGENT_BASE_URL = "https://api.pipeagent.dev";

type Schemas = components["schemas"];
/** PipeAgent's error body: `error` plus `code`, `limit`, `details` or `retry_after_ms` where documented. */
export type PipeAgentError = Schemas["Error"];
export type FieldError = Schemas["FieldError"];
export type FeedType = Schemas["FeedType"];
export type ConsumerType = Schemas["ConsumerType"];
export type PriceType = Schemas["PriceType"];
export type FeedStatus = Schemas["FeedStatus"];
export type Feed = Schemas["Feed"];
export type FeedCreateRequest = Schemas["FeedCreateRequest"];
export type FeedEditRequest = Schemas["FeedEditRequest"];
export type PushRequest = Schemas["PushRequest"];
export type PushEnvelope = Schemas["PushEnvelope"];
export type PushPayload = Schemas["PushPayload"];
export type PushRow = Schemas["PushRow"];
export type PushResponse = Schemas["PushResponse"];
export type FeedSummary = Schemas["FeedSummary"];
export type CatalogResponse = Schemas["CatalogResponse"];
export type SearchResponse = Schemas["SearchResponse"];
export type FeedMetadata = Schemas["FeedMetadata"];
export type FeedPricing = Schemas["FeedPricing"];
export type FeedData = Schemas["FeedData"];
export type FeedRowsPage = Schemas["FeedRowsPage"];

export interface PipeAgentClientOptions extends BaseClientOptions {
  /**
   * Provider write key, sent as `Authorization: Bearer` on feed management and push
   * (`/api/v1/provider/...`) and every other non-consumer route.
   */
  writeKey?: Credential;
  /** Consumer read key, sent on `/v1/catalog`, `/v1/search` and `/v1/feed/...` only. */
  readKey?: Credential;
  /** Where the read key goes: `x-api-key` (default) or `Authorization: Bearer`. */
  readKeyIn?: "x-api-key" | "bearer";
}

export type PipeAgentClient = HttpClient<paths>;

/** Set by the build (tsup `define`); absent when the sources run directly (tests). */
declare const __PACKAGE_VERSION__: string | undefined;
const VERSION = typeof __PACKAGE_VERSION__ === "string" ? __PACKAGE_VERSION__ : "0.0.0-dev";

const CONSUMER_ROUTE = /^\/v1\/(?:catalog|search|feed)(?:\/|$)/;

/** Whether a request goes to a consumer (read-key) route, relative to the base URL's own path. */
export function isConsumerRoute(requestUrl: string, baseUrl: string): boolean {
  const basePath = new URL(baseUrl).pathname.replace(/\/+$/, "");
  let path = new URL(requestUrl).pathname;
  if (basePath && path.startsWith(basePath)) path = path.slice(basePath.length);
  return CONSUMER_ROUTE.test(path);
}

/** Picks the read key for consumer routes and the write key for the rest; never sends both. */
function routedAuth(options: PipeAgentClientOptions, baseUrl: string): AuthStrategy {
  const { writeKey, readKey } = options;
  const write = writeKey === undefined ? undefined : authorizationHeader(writeKey);
  const read =
    readKey === undefined
      ? undefined
      : options.readKeyIn === "bearer"
        ? authorizationHeader(readKey)
        : headerCredential("x-api-key", readKey);
  return (request) => {
    const strategy = isConsumerRoute(request.url, baseUrl) ? read : write;
    return strategy?.(request);
  };
}

/**
 * openapi-fetch writes the `filters` object of `GET /v1/feed/{id}` as `filters[field]=eq.value`;
 * PipeAgent expects `field=eq.value`.
 */
const flattenFilters: Middleware = {
  onRequest({ request }) {
    const url = new URL(request.url);
    const params = new URLSearchParams();
    let changed = false;
    for (const [key, value] of url.searchParams) {
      const field = /^filters\[(.+)\]$/.exec(key)?.[1];
      if (field !== undefined) changed = true;
      params.append(field ?? key, value);
    }
    if (!changed) return undefined;
    url.search = params.toString();
    return new Request(url, request);
  },
};

/**
 * A typed PipeAgent client: feed management and push with the write key, reads with the read key.
 * Options left out come from `PIPEAGENT_BASE_URL`, `PIPEAGENT_WRITE_KEY` and `PIPEAGENT_READ_KEY`.
 */
export function createPipeAgentClient(options: PipeAgentClientOptions = {}): PipeAgentClient {
  const { writeKey: _write, readKey: _read, readKeyIn: _in, ...base } = options;
  const baseUrl = options.baseUrl ?? readEnv("PIPEAGENT_BASE_URL") ?? PIPEAGENT_BASE_URL;
  const { writeKey, readKey } = credentialsFrom(
    { writeKey: options.writeKey, readKey: options.readKey },
    { writeKey: "PIPEAGENT_WRITE_KEY", readKey: "PIPEAGENT_READ_KEY" },
  );
  const write = { option: "writeKey", variable: "PIPEAGENT_WRITE_KEY", given: isGiven(writeKey) };
  const read = { option: "readKey", variable: "PIPEAGENT_READ_KEY", given: isGiven(readKey) };
  const client = createHttpClient<paths>({
    userAgent: `specyard-pipeagent/${VERSION}`,
    ...base,
    baseUrl,
    auth: [routedAuth({ ...options, writeKey, readKey }, baseUrl)],
    security: {
      operations: operationSecurity,
      schemes: { WriteKey: write, ReadKeyHeader: read, ReadKeyBearer: read },
    },
  });
  client.use(flattenFilters);
  return client;
}
