/**
 * Typed client for the Pinata Agents HTTP API (`https://agents.pinata.cloud`), generated from
 * specyard's curated spec and built on openapi-fetch and `@specyard/http`.
 */
import {
  type AuthStrategy,
  authorizationHeader,
  type BaseClientOptions,
  type Credential,
  cookieCredential,
  createHttpClient,
  credentialsFrom,
  type HttpClient,
  isGiven,
  queryCredential,
  readEnv,
  resolveCredential,
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

/** The management host: Pinata JWT. */
export const PINATA_AGENTS_BASE_URL = "https://agents.pinata.cloud";

/** Name of the cookie that can carry the gateway token. */
export const GATEWAY_TOKEN_COOKIE = "gw_token";

const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;

function checkAgentId(agentId: string): string {
  if (!DNS_LABEL.test(agentId))
    throw new TypeError("agentId must be a single DNS label (letters, digits, '-')");
  return agentId.toLowerCase();
}

/** The per-agent host, `https://{agentId}.agents.pinata.cloud`, where the gateway token is the credential. */
export function agentBaseUrl(agentId: string): string {
  return `https://${checkAgentId(agentId)}.agents.pinata.cloud`;
}

/**
 * URL of the agent's live log WebSocket, `wss://{agentId}.agents.pinata.cloud/v0/logs`, with the
 * gateway token in `?token=` when given. Open it with the runtime's `WebSocket`; every message is a
 * JSON {@link LogMessage}. The URL holds the token: do not log it.
 */
export function agentLogStreamUrl(agentId: string, gatewayToken?: string): string {
  const url = new URL(`wss://${checkAgentId(agentId)}.agents.pinata.cloud/v0/logs`);
  if (gatewayToken) url.searchParams.set("token", gatewayToken);
  return url.toString();
}

/** Level of a streamed log message (`TRACE` … `FATAL`). */
export type LogLevel = "TRACE" | "DEBUG" | "INFO" | "WARN" | "ERROR" | "FATAL";

/**
 * One message of the log WebSocket. The spec carries this shape in the `x-websocket` extension of
 * `getAgentLogs` (OpenAPI 3.0.3 has no place for WebSocket messages), so it is typed here.
 */
export interface LogMessage {
  timestamp: string;
  level: LogLevel;
  source: string;
  message: string;
}

/** How the gateway token travels: `Authorization: Bearer`, `?token=`, or the `gw_token` cookie. */
export type GatewayTokenTransport = "bearer" | "query" | "cookie";

export interface PinataAgentsClientOptions extends BaseClientOptions {
  /**
   * Pinata JWT (Account → API Keys), sent as `Authorization: Bearer` to the management routes
   * (`/v0/agents`, `/v0/secrets`, `/v0/skills`, `/v0/templates`, …) and to agent sub-routes on the
   * management host.
   */
  jwt?: Credential;
  /**
   * The agent's gateway token. Used on the per-agent host, on the gateway-only routes
   * (`/platform/token`, `/platform/whoami`), on every route when no `jwt` is given, and as the HTTP
   * Basic password of the Git Smart HTTP routes (`/v0/agents/{agentId}/git/...`).
   */
  gatewayToken?: Credential;
  /** How the gateway token is sent (Git routes always use Basic auth). Default `bearer`. */
  gatewayTokenAs?: GatewayTokenTransport;
  /** Target this agent's own host (`agentBaseUrl(agentId)`) instead of the management host. `baseUrl` wins. */
  agentId?: string;
}

export type PinataAgentsClient = HttpClient<paths>;

const GIT_ROUTE = /\/v0\/agents\/[^/]+\/git\//;
const GATEWAY_ONLY_ROUTE = /\/v0\/(?:platform\/token$|agents\/[^/]+\/platform\/(?:token|whoami)$)/;
const AGENT_HOST = /^[a-z0-9-]+\.agents\.pinata\.cloud$/i;

function gatewayStrategy(token: Credential, transport: GatewayTokenTransport): AuthStrategy {
  if (transport === "query") return queryCredential("token", token);
  if (transport === "cookie") return cookieCredential(GATEWAY_TOKEN_COOKIE, token);
  return authorizationHeader(token);
}

/** Picks the credential for each request: Git → Basic, gateway routes/host → gateway token, else JWT. */
function pinataAuth(options: PinataAgentsClientOptions): AuthStrategy {
  const { jwt, gatewayToken } = options;
  const bearerJwt = jwt === undefined ? undefined : authorizationHeader(jwt);
  const gateway =
    gatewayToken === undefined
      ? undefined
      : gatewayStrategy(gatewayToken, options.gatewayTokenAs ?? "bearer");
  const gitBasic =
    gatewayToken === undefined
      ? undefined
      : authorizationHeader(async () => {
          const token = await resolveCredential(gatewayToken);
          // The username is ignored by the server; the gateway token is the password.
          return token ? btoa(`git:${token}`) : undefined;
        }, "Basic");

  return (request) => {
    const url = new URL(request.url);
    if (GIT_ROUTE.test(url.pathname)) return gitBasic?.(request);
    const preferGateway =
      !bearerJwt || GATEWAY_ONLY_ROUTE.test(url.pathname) || AGENT_HOST.test(url.hostname);
    if (preferGateway && gateway) return gateway(request);
    return bearerJwt?.(request);
  };
}

/** Set by the build (tsup `define`); absent when the sources run directly (tests). */
declare const __PACKAGE_VERSION__: string | undefined;
const VERSION = typeof __PACKAGE_VERSION__ === "string" ? __PACKAGE_VERSION__ : "0.0.0-dev";

/**
 * Creates a typed Pinata Agents client. Options left out come from `PINATA_BASE_URL`, `PINATA_JWT`
 * and `PINATA_GATEWAY_TOKEN`. Calls return `{data, error, response}` (openapi-fetch);
 * wrap them in `unwrap()` to get `data` or a thrown `ApiError` subclass.
 */
export function createPinataAgentsClient(options: PinataAgentsClientOptions = {}): PinataAgentsClient {
  const { jwt: _jwt, gatewayToken: _gatewayToken, gatewayTokenAs: _as, agentId, baseUrl, ...rest } = options;
  const { jwt, gatewayToken } = credentialsFrom(
    { jwt: options.jwt, gatewayToken: options.gatewayToken },
    { jwt: "PINATA_JWT", gatewayToken: "PINATA_GATEWAY_TOKEN" },
  );
  const gateway = { option: "gatewayToken", variable: "PINATA_GATEWAY_TOKEN", given: isGiven(gatewayToken) };
  return createHttpClient<paths>({
    userAgent: `specyard-pinata-agents/${VERSION}`,
    ...rest,
    baseUrl:
      baseUrl ??
      (agentId === undefined
        ? (readEnv("PINATA_BASE_URL") ?? PINATA_AGENTS_BASE_URL)
        : agentBaseUrl(agentId)),
    auth: [pinataAuth({ ...options, jwt, gatewayToken })],
    security: {
      operations: operationSecurity,
      schemes: {
        bearerAuth: { option: "jwt", variable: "PINATA_JWT", given: isGiven(jwt) },
        gatewayToken: gateway,
        gatewayTokenQuery: gateway,
        gatewayTokenCookie: gateway,
        gitBasic: gateway,
      },
    },
  });
}

type Schemas = components["schemas"];

/** The error body of every failed call: `{ error }`. */
export type PinataError = Schemas["Error"];
export type Ok = Schemas["Ok"];
// Agents
export type Agent = Schemas["Agent"];
export type AgentStatus = Schemas["AgentStatus"];
export type AgentList = Schemas["AgentList"];
export type AgentCreated = Schemas["AgentCreated"];
export type AgentDetail = Schemas["AgentDetail"];
export type CreateAgentRequest = Schemas["CreateAgentRequest"];
export type CreateAgentChannels = Schemas["CreateAgentChannels"];
export type EngineId = Schemas["EngineId"];
export type Engine = Schemas["Engine"];
export type EngineList = Schemas["EngineList"];
export type ProcessStatus = Schemas["ProcessStatus"];
export type AgentLogs = Schemas["AgentLogs"];
export type AgentVersions = Schemas["AgentVersions"];
export type UpdateCheck = Schemas["UpdateCheck"];
export type ApplyUpdateRequest = Schemas["ApplyUpdateRequest"];
// Auth
export type GatewayToken = Schemas["GatewayToken"];
export type PlatformToken = Schemas["PlatformToken"];
export type AgentIdentity = Schemas["AgentIdentity"];
// Secrets
export type SecretSummary = Schemas["SecretSummary"];
export type SecretList = Schemas["SecretList"];
export type CreateSecretRequest = Schemas["CreateSecretRequest"];
export type UpdateSecretRequest = Schemas["UpdateSecretRequest"];
export type AttachSecretsRequest = Schemas["AttachSecretsRequest"];
// Skills
export type Skill = Schemas["Skill"];
export type SkillList = Schemas["SkillList"];
export type CreateSkillRequest = Schemas["CreateSkillRequest"];
export type SkillVersion = Schemas["SkillVersion"];
export type SkillVersionList = Schemas["SkillVersionList"];
export type PublishSkillVersionRequest = Schemas["PublishSkillVersionRequest"];
export type HubSkill = Schemas["HubSkill"];
export type HubSkillPage = Schemas["HubSkillPage"];
export type HubSkillDetail = Schemas["HubSkillDetail"];
export type InstalledSkill = Schemas["InstalledSkill"];
export type AgentSkill = Schemas["AgentSkill"];
export type AgentSkillList = Schemas["AgentSkillList"];
export type AttachSkillsRequest = Schemas["AttachSkillsRequest"];
export type SkillUpdate = Schemas["SkillUpdate"];
export type SkillUpdateList = Schemas["SkillUpdateList"];
// Channels
export type ChannelName = Schemas["ChannelName"];
export type ChannelConfig = Schemas["ChannelConfig"];
export type SlackChannelConfig = Schemas["SlackChannelConfig"];
export type DmPolicy = Schemas["DmPolicy"];
export type ChannelStatus = Schemas["ChannelStatus"];
export type ChannelStatusList = Schemas["ChannelStatusList"];
// Routes & domains
export type PortForwardRoute = Schemas["PortForwardRoute"];
export type PortForwarding = Schemas["PortForwarding"];
export type Domain = Schemas["Domain"];
export type DomainList = Schemas["DomainList"];
export type RegisterDomainRequest = Schemas["RegisterDomainRequest"];
export type DomainChallengeRequest = Schemas["DomainChallengeRequest"];
export type DomainChallenge = Schemas["DomainChallenge"];
export type UpdateDomainRequest = Schemas["UpdateDomainRequest"];
// Tasks
export type Task = Schemas["Task"];
export type TaskList = Schemas["TaskList"];
export type CreateTaskRequest = Schemas["CreateTaskRequest"];
export type UpdateTaskRequest = Schemas["UpdateTaskRequest"];
export type ToggleTaskRequest = Schemas["ToggleTaskRequest"];
export type TaskRun = Schemas["TaskRun"];
export type TaskRunStatus = Schemas["TaskRunStatus"];
export type TaskRunList = Schemas["TaskRunList"];
// Files & snapshots
export type FileContent = Schemas["FileContent"];
export type UploadFileRequest = Schemas["UploadFileRequest"];
export type UploadedFile = Schemas["UploadedFile"];
export type Snapshot = Schemas["Snapshot"];
export type SnapshotList = Schemas["SnapshotList"];
export type SnapshotSyncStatus = Schemas["SnapshotSyncStatus"];
export type ResetSnapshotRequest = Schemas["ResetSnapshotRequest"];
// Console, devices, config
export type ExecRequest = Schemas["ExecRequest"];
export type ExecResult = Schemas["ExecResult"];
export type Device = Schemas["Device"];
export type DeviceList = Schemas["DeviceList"];
export type ApprovedDevices = Schemas["ApprovedDevices"];
export type RuntimeConfig = Schemas["RuntimeConfig"];
export type ConfigValidation = Schemas["ConfigValidation"];
// Templates
export type Template = Schemas["Template"];
export type TemplateList = Schemas["TemplateList"];
export type TemplateEnvelope = Schemas["TemplateEnvelope"];
export type TemplateSubmission = Schemas["TemplateSubmission"];
export type TemplateValidation = Schemas["TemplateValidation"];
export type RepoRequest = Schemas["RepoRequest"];
export type BranchList = Schemas["BranchList"];
export type RefList = Schemas["RefList"];
