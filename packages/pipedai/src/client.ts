import {
  type AuthStrategy,
  authorizationHeader,
  type BaseClientOptions,
  type Credential,
  cookieCredential,
  createHttpClient,
  credentialsFrom,
  type HttpClient,
  inBrowser,
  isGiven,
  readEnv,
} from "@specyard/http";
import type { components, paths } from "./generated/schema.js";
import { operationSecurity } from "./generated/security.js";

export {
  AbortError,
  ApiError,
  AuthenticationError,
  BadRequestError,
  type CallOptions,
  ConflictError,
  ConnectionError,
  type Credential,
  cursorPages,
  fetchTransport,
  InternalServerError,
  LocalRateLimitError,
  type Logger,
  MissingCredentialError,
  NotFoundError,
  type Paginator,
  PayloadTooLargeError,
  PaymentRequiredError,
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

/** PipedAI's production host; every path starts with `/api/v1/`. */
export const PIPEDAI_BASE_URL = "https://api-beta.pipedai.app";

/** Name of the dashboard's JWT session cookie. */
export const PIPEDAI_AUTH_COOKIE = "auth_token";

export interface PipedAIClientOptions extends BaseClientOptions {
  /**
   * `pwk_…` environment API key, sent as `Authorization: Bearer pwk_…` on every route except the
   * worker routes. For external systems, webhooks and scripts.
   */
  apiKey?: Credential;
  /**
   * `wkt_…` worker token (from `POST /api/v1/workers/register`), sent as `Authorization: Bearer wkt_…`
   * only on the worker routes: `/api/v1/workers/{id}/poll` and `/api/v1/workers/{id}/runs/{runId}/…`.
   */
  workerToken?: Credential;
  /**
   * The `auth_token` session cookie (server-side only: browsers send it themselves), sent on every
   * route except the worker routes.
   */
  authToken?: Credential;
}

/** A typed openapi-fetch client (`Client<paths>`) for the PipedAI API, on specyard's runtime. */
export type PipedAIClient = HttpClient<paths>;

/** Routes that take the `wkt_` worker token instead of a user credential. */
const WORKER_ROUTE =
  /\/api\/v1\/workers\/[^/]+\/(?:poll|runs\/[^/]+\/(?:claim|start|heartbeat|complete))\/?$/;

/** True for the worker routes, which authenticate with the `wkt_` token. */
export function isWorkerRoute(url: string): boolean {
  return WORKER_ROUTE.test(new URL(url).pathname);
}

function checkPrefix(option: string, credential: Credential | undefined, prefix: string): void {
  if (typeof credential === "string" && credential !== "" && !credential.startsWith(prefix)) {
    // The value itself never goes into the message.
    throw new TypeError(`PipedAI: \`${option}\` must start with "${prefix}"`);
  }
}

/** Chooses the credential by route: `wkt_` on worker routes, `pwk_` and the cookie elsewhere. */
function pipedAIAuth(options: PipedAIClientOptions): AuthStrategy {
  const worker = options.workerToken === undefined ? undefined : authorizationHeader(options.workerToken);
  const apiKey = options.apiKey === undefined ? undefined : authorizationHeader(options.apiKey);
  const cookie =
    options.authToken === undefined ? undefined : cookieCredential(PIPEDAI_AUTH_COOKIE, options.authToken);
  return async (request) => {
    if (isWorkerRoute(request.url)) return worker?.(request);
    await cookie?.(request);
    await apiKey?.(request);
  };
}

/** Set by the build (tsup `define`); absent when the sources run directly (tests). */
declare const __PACKAGE_VERSION__: string | undefined;
const VERSION = typeof __PACKAGE_VERSION__ === "string" ? __PACKAGE_VERSION__ : "0.0.0-dev";

/**
 * Creates a PipedAI client. Pass `apiKey` (`pwk_`), `workerToken` (`wkt_`) and/or `authToken`
 * (the `auth_token` cookie); each is sent only where the API takes it. Options left out come from
 * `PIPEDAI_BASE_URL`, `PIPEDAI_API_KEY`, `PIPEDAI_WORKER_TOKEN` and `PIPEDAI_AUTH_TOKEN`.
 */
export function createPipedAIClient(options: PipedAIClientOptions = {}): PipedAIClient {
  const { apiKey: _k, workerToken: _w, authToken: _t, baseUrl, ...rest } = options;
  const { apiKey, workerToken, authToken } = credentialsFrom(
    { apiKey: options.apiKey, workerToken: options.workerToken, authToken: options.authToken },
    { apiKey: "PIPEDAI_API_KEY", workerToken: "PIPEDAI_WORKER_TOKEN", authToken: "PIPEDAI_AUTH_TOKEN" },
  );
  checkPrefix("apiKey", apiKey, "pwk_");
  checkPrefix("workerToken", workerToken, "wkt_");
  return createHttpClient<paths>({
    userAgent: `specyard-pipedai/${VERSION}`,
    ...rest,
    baseUrl: baseUrl ?? readEnv("PIPEDAI_BASE_URL") ?? PIPEDAI_BASE_URL,
    auth: [pipedAIAuth({ apiKey, workerToken, authToken })],
    security: {
      operations: operationSecurity,
      schemes: {
        pwkApiKey: { option: "apiKey", variable: "PIPEDAI_API_KEY", given: isGiven(apiKey) },
        wktWorkerToken: {
          option: "workerToken",
          variable: "PIPEDAI_WORKER_TOKEN",
          given: isGiven(workerToken),
        },
        // A browser sends the session cookie itself.
        authTokenCookie: {
          option: "authToken",
          variable: "PIPEDAI_AUTH_TOKEN",
          given: isGiven(authToken) || inBrowser(),
        },
      },
    },
  });
}

type Schemas = components["schemas"];

/** PipedAI's error body: `{ error }`, plus `details` on validation failures. */
export type ErrorBody = Schemas["Error"];
export type ValidationErrorDetails = Schemas["ValidationErrorDetails"];
export type Role = Schemas["Role"];
export type User = Schemas["User"];
export type AuthSession = Schemas["AuthSession"];
export type RegisterRequest = Schemas["RegisterRequest"];
export type LoginRequest = Schemas["LoginRequest"];
export type UserSummary = Schemas["UserSummary"];
export type UserLookup = Schemas["UserLookup"];
export type Workspace = Schemas["Workspace"];
export type WorkspaceList = Schemas["WorkspaceList"];
export type CreateWorkspaceRequest = Schemas["CreateWorkspaceRequest"];
export type Environment = Schemas["Environment"];
export type EnvironmentList = Schemas["EnvironmentList"];
export type CreateEnvironmentRequest = Schemas["CreateEnvironmentRequest"];
export type UpdateEnvironmentRequest = Schemas["UpdateEnvironmentRequest"];
export type Member = Schemas["Member"];
export type MemberList = Schemas["MemberList"];
export type AddMemberRequest = Schemas["AddMemberRequest"];
export type UpdateMemberRequest = Schemas["UpdateMemberRequest"];
export type ApiKey = Schemas["ApiKey"];
export type ApiKeyPrefix = Schemas["ApiKeyPrefix"];
export type ApiKeyList = Schemas["ApiKeyList"];
export type CreateApiKeyRequest = Schemas["CreateApiKeyRequest"];
export type CreatedApiKey = Schemas["CreatedApiKey"];
export type AuditLogEntry = Schemas["AuditLogEntry"];
export type AuditLogPage = Schemas["AuditLogPage"];
export type Trigger = Schemas["Trigger"];
export type TriggerType = Schemas["TriggerType"];
export type TriggerStatus = Schemas["TriggerStatus"];
export type TriggerPage = Schemas["TriggerPage"];
export type CreateTriggerRequest = Schemas["CreateTriggerRequest"];
export type UpdateTriggerRequest = Schemas["UpdateTriggerRequest"];
export type CreatedTrigger = Schemas["CreatedTrigger"];
export type McpToken = Schemas["McpToken"];
export type Run = Schemas["Run"];
export type RunStatus = Schemas["RunStatus"];
export type RunPage = Schemas["RunPage"];
export type RunTriggerRequest = Schemas["RunTriggerRequest"];
export type Worker = Schemas["Worker"];
export type WorkerStatus = Schemas["WorkerStatus"];
export type WorkerPage = Schemas["WorkerPage"];
export type RegisterWorkerRequest = Schemas["RegisterWorkerRequest"];
export type WorkerRegistration = Schemas["WorkerRegistration"];
export type PollResponse = Schemas["PollResponse"];
export type HeartbeatRequest = Schemas["HeartbeatRequest"];
export type CompleteRunRequest = Schemas["CompleteRunRequest"];
export type DashboardOverview = Schemas["DashboardOverview"];
