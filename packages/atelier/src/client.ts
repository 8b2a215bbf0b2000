/**
 * Typed client for the Atelier agent marketplace API: agents, services, uploads, orders,
 * order messages and token launches. Built on openapi-fetch through `@specyard/http`.
 */
import {
  type AuthRequest,
  type AuthStrategy,
  authorizationHeader,
  type BaseClientOptions,
  type Credential,
  createHttpClient,
  credentialsFrom,
  type HttpClient,
  isGiven,
  readEnv,
} from "@specyard/http";
import type { Middleware } from "openapi-fetch";
import type { components, paths } from "./generated/schema.js";
import { operationSecurity } from "./generated/security.js";

export {
  AbortError,
  ApiError,
  ATELIER_RATE_LIMITS,
  AuthenticationError,
  BadRequestError,
  type CallOptions,
  ConflictError,
  ConnectionError,
  type Credential,
  fetchTransport,
  InternalServerError,
  LocalRateLimitError,
  type Logger,
  MissingCredentialError,
  NotFoundError,
  type Paginator,
  PayloadTooLargeError,
  PermissionDeniedError,
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

/** The current API host (default). */
export const ATELIER_BASE_URL = "https://api.useatelier.ai/api";
/** The host named in Atelier's integration document; it now redirects to {@link ATELIER_BASE_URL}. */
export const ATELIER_LEGACY_BASE_URL = "https://atelierai.xyz/api";

export interface AtelierClientOptions extends BaseClientOptions {
  /**
   * The agent's API key (`atelier_<hex>`, issued once by `POST /agents/register`), sent as
   * `Authorization: Bearer <apiKey>` on every request except registration. A string, or a
   * function returning the current key.
   */
  apiKey?: Credential;
}

export type AtelierClient = HttpClient<paths>;

/** Set by the build (tsup `define`); absent when the sources run directly (tests). */
declare const __PACKAGE_VERSION__: string | undefined;
const VERSION = typeof __PACKAGE_VERSION__ === "string" ? __PACKAGE_VERSION__ : "0.0.0-dev";

/**
 * Creates an Atelier client. Without `apiKey` only `POST /agents/register` succeeds. Options left
 * out come from `ATELIER_BASE_URL` and `ATELIER_API_KEY`.
 */
export function createAtelierClient(options: AtelierClientOptions = {}): AtelierClient {
  const { apiKey: _k, baseUrl, ...rest } = options;
  const { apiKey } = credentialsFrom({ apiKey: options.apiKey }, { apiKey: "ATELIER_API_KEY" });
  const client = createHttpClient<paths>({
    userAgent: `specyard-atelier/${VERSION}`,
    ...rest,
    baseUrl: baseUrl ?? readEnv("ATELIER_BASE_URL") ?? ATELIER_BASE_URL,
    auth: apiKey === undefined ? [] : [apiKeyAuth(apiKey)],
    security: {
      operations: operationSecurity,
      schemes: { bearerAuth: { option: "apiKey", variable: "ATELIER_API_KEY", given: isGiven(apiKey) } },
    },
  });
  client.use(commaSeparatedArrays);
  return client;
}

/** Bearer API key on every route but the public registration. */
function apiKeyAuth(apiKey: Credential): AuthStrategy {
  const bearer = authorizationHeader(apiKey, "Bearer");
  return (request) => (isRegistration(request) ? undefined : bearer(request));
}

function isRegistration(request: AuthRequest): boolean {
  return request.method === "POST" && new URL(request.url).pathname.endsWith("/agents/register");
}

/**
 * Atelier reads list filters as one comma-separated value (`?status=paid,in_progress`), while
 * openapi-fetch repeats the key for arrays; this joins repeated keys.
 */
const commaSeparatedArrays: Middleware = {
  onRequest({ request }) {
    const url = new URL(request.url);
    const keys = [...new Set(url.searchParams.keys())];
    if (keys.every((key) => url.searchParams.getAll(key).length < 2)) return undefined;
    url.search = keys
      .map(
        (key) =>
          `${encodeURIComponent(key)}=${url.searchParams.getAll(key).map(encodeURIComponent).join(",")}`,
      )
      .join("&");
    return new Request(url, request);
  },
};

/**
 * `POST /upload`: sends `file` as the multipart part `file` (image/jpeg, png, webp, gif,
 * video/mp4, webm, quicktime; at most 50MB) and returns the CDN `url` and `media_type`.
 */
export function uploadFile(client: AtelierClient, file: Blob, filename?: string) {
  const form = new FormData();
  form.append("file", file, filename ?? (file instanceof File ? file.name : "upload"));
  return client.POST("/upload", {
    // The spec types the binary part as a string; the real body is the FormData above.
    body: { file: "" },
    bodySerializer: () => form,
  });
}

type Schemas = components["schemas"];

export type SuccessEnvelope = Schemas["SuccessEnvelope"];
export type ErrorEnvelope = Schemas["ErrorEnvelope"];
export type Capability = Schemas["Capability"];
export type ServiceCategory = Schemas["ServiceCategory"];
export type PriceType = Schemas["PriceType"];
export type PriceUsd = Schemas["PriceUsd"];
export type SolanaAddress = Schemas["SolanaAddress"];
export type OrderStatus = Schemas["OrderStatus"];
export type DeliverableMediaType = Schemas["DeliverableMediaType"];

export type RegisterAgentRequest = Schemas["RegisterAgentRequest"];
export type AgentCredentials = Schemas["AgentCredentials"];
export type RegisterAgentResponse = Schemas["RegisterAgentResponse"];
export type AgentProfile = Schemas["AgentProfile"];
export type AgentProfileResponse = Schemas["AgentProfileResponse"];
export type UpdateAgentRequest = Schemas["UpdateAgentRequest"];

export type Service = Schemas["Service"];
export type CreateServiceRequest = Schemas["CreateServiceRequest"];
export type UpdateServiceRequest = Schemas["UpdateServiceRequest"];
export type ServiceResponse = Schemas["ServiceResponse"];
export type ServiceListResponse = Schemas["ServiceListResponse"];

export type UploadResult = Schemas["UploadResult"];
export type UploadResponse = Schemas["UploadResponse"];

export type Order = Schemas["Order"];
export type OrderResponse = Schemas["OrderResponse"];
export type OrderListResponse = Schemas["OrderListResponse"];
export type DeliverOrderRequest = Schemas["DeliverOrderRequest"];
export type QuoteOrderRequest = Schemas["QuoteOrderRequest"];

export type Message = Schemas["Message"];
export type SendMessageRequest = Schemas["SendMessageRequest"];
export type MessageResponse = Schemas["MessageResponse"];
export type MessageListResponse = Schemas["MessageListResponse"];

export type LaunchTokenRequest = Schemas["LaunchTokenRequest"];
export type LaunchedToken = Schemas["LaunchedToken"];
export type LaunchTokenResponse = Schemas["LaunchTokenResponse"];
