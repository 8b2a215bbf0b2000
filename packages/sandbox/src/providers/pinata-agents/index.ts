/**
 * The Pinata Agents sandbox: a stateful local Pinata Agents API on specyard's sandbox framework.
 *
 * One workspace (account) is seeded; the `jwt` admin action mints its Pinata JWT. Agent routes
 * answer on the management host with the JWT and on the per-agent host (`Host: {agentId}.agents.…`)
 * with the gateway token (Bearer, `?token=` or the `gw_token` cookie). Git Smart HTTP is served by
 * the real `git http-backend`; the log WebSocket is served on the same port
 * (`info.logStream.url`). Other admin actions play the other parties: the agent's own process
 * (log lines, crashes), devices asking to pair, DNS, public git repositories, the template reviewer.
 *
 * Rate limits (the document gives none; these are the sandbox's): `RATE_LIMITS`.
 */
import type { IncomingMessage } from "node:http";
import type { RateRule } from "../../framework/ratelimit.js";
import type { ProviderDefinition, SandboxRequest, SandboxResponse } from "../../framework/types.js";
import spec from "../../generated/specs/pinata-agents.js";
import * as agents from "./agents.js";
import { agentByToken, agentHost, agentOf, guard as authGuard, mintJwt, tokenMatches } from "./auth.js";
import { GitRepos } from "./git.js";
import * as library from "./library.js";
import { log, setLiveHooks, settleAgent } from "./lifecycle.js";
import { LogStream } from "./logstream.js";
import * as routes from "./routes.js";
import {
  type AgentRecord,
  type Ctx,
  DEFAULT_AGENT_LIMIT,
  initialState,
  iso,
  isResponse,
  type LogLevel,
  newId,
  own,
  type PinataState,
  redact,
  SEED_ACCOUNT_ID,
} from "./state.js";
import * as workspace from "./workspace.js";

export { sandboxFetch } from "./fetch.js";
export type { PinataState } from "./state.js";
export { MAX_FILE_BYTES } from "./workspace.js";

/** Per-window limits of the costly routes (per agent, or per IP where no agent is in the path). */
export const RATE_LIMITS = {
  execCommand: { limit: 60, windowMs: 60_000 },
  syncSnapshot: { limit: 10, windowMs: 60_000 },
  platformToken: { limit: 30, windowMs: 60_000 },
} as const;

interface Live {
  git: GitRepos;
  stream: LogStream;
}
const lives = new WeakMap<object, Live>();
const live = (ctx: Ctx): Live => {
  const found = lives.get(ctx);
  if (!found) throw new Error("pinata-agents sandbox is not started");
  return found;
};

type H = ProviderDefinition<PinataState>["handlers"][string];

/** The three Git Smart HTTP routes: the workspace goes in before, a pushed `main` comes out after. */
const git: H = async (request, ctx) => {
  const agent = agentOf(request);
  const repos = live(ctx).git;
  return repos.serial(agent.agentId, async () => {
    try {
      if (await repos.prepare(agent, ctx.clock.now())) ctx.save();
      const response = await repos.backend(agent.agentId, request);
      if (
        request.operationId === "gitReceivePack" &&
        response.status === 200 &&
        (await repos.importMain(agent))
      )
        log(ctx, agent, "INFO", "git", "workspace updated by git push");
      return response;
    } catch (error) {
      process.stderr.write(
        `[sandbox pinata-agents] git: ${error instanceof Error ? error.message : String(error)}\n`,
      );
      return ctx.error(503, "The git backend is unavailable");
    }
  });
};

const handlers: ProviderDefinition<PinataState>["handlers"] = {
  listAgents: agents.listAgents,
  createAgent: agents.createAgent,
  listEngines: agents.listEngines,
  getAgent: agents.getAgent,
  deleteAgent: agents.deleteAgent,
  restartAgent: agents.restartAgent,
  getAgentLogs: agents.getAgentLogs,
  listAvailableAgentVersions: agents.listAvailableAgentVersions,
  retryAgentScripts: agents.retryAgentScripts,
  checkAgentUpdate: agents.checkAgentUpdate,
  applyAgentUpdate: agents.applyAgentUpdate,
  getGatewayToken: agents.getGatewayToken,
  rotateGatewayToken: agents.rotateGatewayToken,
  createPlatformToken: agents.createPlatformToken,
  createPlatformTokenOnAgentHost: agents.createPlatformTokenOnAgentHost,
  getPlatformIdentity: agents.getPlatformIdentity,
  listSecrets: library.listSecrets,
  createSecret: library.createSecret,
  updateSecret: library.updateSecret,
  deleteSecret: library.deleteSecret,
  attachAgentSecrets: agents.attachAgentSecrets,
  detachAgentSecret: agents.detachAgentSecret,
  listSkills: library.listSkills,
  createSkill: library.createSkill,
  listSkillVersions: library.listSkillVersions,
  publishSkillVersion: library.publishSkillVersion,
  deleteSkill: library.deleteSkill,
  listClawhubSkills: library.listClawhubSkills,
  getClawhubSkill: library.getClawhubSkill,
  installClawhubSkill: library.installClawhubSkill,
  listAgentSkills: agents.listAgentSkills,
  attachAgentSkills: agents.attachAgentSkills,
  detachAgentSkill: agents.detachAgentSkill,
  checkAgentSkillUpdates: agents.checkAgentSkillUpdates,
  updateAgentSkill: agents.updateAgentSkill,
  listAgentChannels: agents.listAgentChannels,
  configureAgentChannel: agents.configureAgentChannel,
  removeAgentChannel: agents.removeAgentChannel,
  getPortForwarding: routes.getPortForwarding,
  replacePortForwarding: routes.replacePortForwarding,
  listDomains: routes.listDomains,
  registerDomain: routes.registerDomain,
  createDomainChallenge: routes.createDomainChallenge,
  updateDomain: routes.updateDomain,
  deleteDomain: routes.deleteDomain,
  verifyDomain: routes.verifyDomain,
  listTasks: routes.listTasks,
  createTask: routes.createTask,
  getTask: routes.getTask,
  updateTask: routes.updateTask,
  deleteTask: routes.deleteTask,
  runTask: routes.runTask,
  toggleTask: routes.toggleTask,
  listTaskRuns: routes.listTaskRuns,
  readFile: workspace.readFile,
  uploadFile: workspace.uploadFile,
  listSnapshots: workspace.listSnapshots,
  getSnapshotSyncStatus: workspace.getSnapshotSyncStatus,
  syncSnapshot: workspace.syncSnapshot,
  resetToSnapshot: workspace.resetToSnapshot,
  execCommand: workspace.execCommand,
  listDevices: agents.listDevices,
  approveDevice: agents.approveDevice,
  approveAllDevices: agents.approveAllDevices,
  getRuntimeConfig: workspace.getRuntimeConfig,
  updateRuntimeConfig: workspace.updateRuntimeConfig,
  validateRuntimeConfig: workspace.validateRuntimeConfig,
  listTemplates: library.listTemplates,
  createTemplate: library.createTemplate,
  getTemplateBySlug: library.getTemplateBySlug,
  updateTemplate: library.updateTemplate,
  archiveTemplate: library.archiveTemplate,
  getTemplateById: library.getTemplateById,
  validateTemplate: library.validateTemplate,
  listTemplateBranches: library.listTemplateBranches,
  listTemplateRefs: library.listTemplateRefs,
  listPublicTemplates: library.listPublicTemplates,
  gitInfoRefs: git,
  gitUploadPack: git,
  gitReceivePack: git,
};

const byAgent = (request: { params: Record<string, unknown> }) => `agent:${String(request.params.agentId)}`;

const rateLimits: RateRule[] = [
  { operations: ["execCommand"], ...RATE_LIMITS.execCommand, key: byAgent },
  { operations: ["syncSnapshot"], ...RATE_LIMITS.syncSnapshot, key: byAgent },
  { operations: ["createPlatformToken"], ...RATE_LIMITS.platformToken, key: byAgent },
  { operations: ["createPlatformTokenOnAgentHost"], ...RATE_LIMITS.platformToken },
];

/** Pinata's error shape: one `error` field; validation failures read "Validation failed: …". */
function errorBody(_status: number, message: string, details?: unknown): { error: string } {
  const problems = (details as { problems?: Array<{ field: string; message: string }> } | undefined)
    ?.problems;
  if (!Array.isArray(problems)) return { error: message };
  if (problems.some((p) => p.field === "body.skillCids" && /more than 10/.test(p.message)))
    return { error: "Validation failed: skills exceeds maximum of 10" };
  return { error: `Validation failed: ${problems.map((p) => `${p.field} ${p.message}`).join("; ")}` };
}

/** Who may open a log stream: the gateway token names the agent (a Host or path agent must match). */
function authorizeStream(ctx: Ctx, request: IncomingMessage) {
  const url = new URL(request.url ?? "/", "http://stream.invalid");
  const pathAgent = /^\/v0\/agents\/([^/]+)\/logs\/?$/.exec(url.pathname)?.[1];
  if (!pathAgent && !/^\/v0\/logs\/?$/.test(url.pathname))
    return { status: 404, message: `no WebSocket at ${url.pathname}` };
  const cookie = /(?:^|;\s*)gw_token=([^;]+)/.exec(request.headers.cookie ?? "")?.[1];
  const token =
    url.searchParams.get("token") ??
    /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? "")?.[1] ??
    (cookie ? decodeURIComponent(cookie) : undefined);
  const agent = token ? agentByToken(ctx.state, token) : undefined;
  if (!agent) return { status: 401, message: "Unauthorized" };
  const hostAgent = agentHost(request.headers.host ?? "");
  if ((hostAgent && hostAgent !== agent.agentId) || (pathAgent && pathAgent !== agent.agentId))
    return { status: 403, message: "This gateway token belongs to another agent" };
  return { agentId: agent.agentId, backlog: agent.logs.slice(-100) };
}

/** The gateway token of a request in any of its transports, if it is this agent's. */
function hasToken(request: SandboxRequest, agent: AgentRecord): boolean {
  const token =
    /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? "")?.[1] ??
    request.rawQuery.get("token") ??
    request.cookies.gw_token;
  return typeof token === "string" && tokenMatches(agent, token);
}

/**
 * Requests outside the API: the per-agent host's path routes and the hostnames of registered
 * domains. The sandbox runs no container, so a reachable route answers 502 (nothing listens).
 */
function outsideApi(ctx: Ctx, request: SandboxRequest, streamUrl: string): SandboxResponse | undefined {
  const hostAgent = agentHost(request.host);
  if (hostAgent) {
    if (/^\/v0\/logs\/?$/.test(request.path))
      return {
        ...ctx.error(426, `The log stream is a WebSocket: ${streamUrl}?token=<GATEWAY_TOKEN>`),
        headers: { upgrade: "websocket" },
      };
    if (request.path.startsWith("/v0/")) return undefined;
    const agent = own(ctx.state.agents, hostAgent);
    if (!agent) return ctx.error(404, "Agent not found");
    const route = agent.portForwarding
      .filter((r) => r.path === "/" || request.path === r.path || request.path.startsWith(`${r.path}/`))
      .sort((a, b) => b.path.length - a.path.length)[0];
    if (!route) return ctx.error(404, "No route for this path");
    if (route.protected && !hasToken(request, agent)) return ctx.error(401, "Unauthorized");
    return ctx.error(502, `Nothing is listening on port ${route.port} (the sandbox runs no container)`);
  }
  const hostname = request.host.replace(/:\d+$/, "").toLowerCase();
  for (const agent of Object.values(ctx.state.agents)) {
    const domain = agent.domains.find((d) => d.hostname === hostname && d.verified);
    if (!domain) continue;
    if (domain.protected && !hasToken(request, agent)) return ctx.error(401, "Unauthorized");
    return ctx.error(502, `Nothing is listening on port ${domain.port} (the sandbox runs no container)`);
  }
  return undefined;
}

function agentFor(ctx: Ctx, input: Record<string, unknown>): AgentRecord {
  const agent = own(ctx.state.agents, String(input.agentId ?? ""));
  if (!agent) throw new Error(`no agent ${String(input.agentId)}`);
  return agent;
}

function accountFor(ctx: Ctx, input: Record<string, unknown>) {
  const account = own(ctx.state.accounts, String(input.accountId ?? SEED_ACCOUNT_ID));
  if (!account) throw new Error(`no account ${String(input.accountId)}`);
  return account;
}

const CHANNELS = ["telegram", "slack", "discord", "whatsapp"];
const LEVELS: LogLevel[] = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"];
const SANDBOX_ONLY = "Sandbox-only credentials: they work against this local sandbox and nowhere else.";

export const pinataAgents: ProviderDefinition<PinataState> = {
  name: "pinata-agents",
  spec,
  initialState,
  errorBody,
  handlers,
  rateLimits,
  rateLimitBody: (decision) => ({
    error: `Too many requests: ${decision.limit} per minute; retry in ${Math.ceil(decision.retryAfterMs / 1000)} s`,
  }),
  redactState: redact,

  async guard(request, ctx) {
    const denied = await authGuard(request, ctx);
    if (denied) return denied;
    if (request.operationId === "uploadFile") return workspace.uploadTooLarge(ctx, request.rawBody);
    // The spec gives removing a channel no 400: a channel that cannot exist is not found.
    if (request.operationId === "removeAgentChannel" && !CHANNELS.includes(String(request.params.channel)))
      return ctx.error(404, "Channel not found");
    return undefined;
  },

  onClock(ctx, now) {
    for (const agent of Object.values(ctx.state.agents)) settleAgent(ctx, agent, now);
  },

  async start(ctx) {
    const gitRepos = new GitRepos(ctx.dataDir);
    const stream = new LogStream((request) => authorizeStream(ctx, request));
    const streamUrl = `${ctx.baseUrl.replace(/^http/, "ws")}/v0/logs`;
    lives.set(ctx, { git: gitRepos, stream });
    setLiveHooks(ctx, {
      publish: (agentId, line) => stream.publish(agentId, line),
      disconnect: (agentId, reason) => stream.disconnect(agentId, reason),
      forget: (agentId) => {
        stream.disconnect(agentId, "agent deleted");
        void gitRepos.serial(agentId, async () => gitRepos.remove(agentId));
      },
    });
    return {
      info: {
        logStream: {
          url: streamUrl,
          note: "wss://{agentId}.agents.pinata.cloud/v0/logs?token=… in production",
        },
      },
      route: (request) => outsideApi(ctx, request, streamUrl),
      // authorizeStream answers 404 for any path but the two log-stream ones.
      upgrade: (request, socket, head) => {
        const refusal = stream.handleUpgrade(request, socket, head);
        return refusal && ctx.error(refusal.status, refusal.message);
      },
      close: async () => {
        stream.close();
        await gitRepos.close();
      },
    };
  },

  actions: {
    /** A Pinata JWT for the seeded workspace (or `accountId`), optionally expiring. */
    jwt: async (ctx, input) => {
      const account = accountFor(ctx, input);
      const expires = input.expiresInSeconds === undefined ? undefined : Number(input.expiresInSeconds);
      return {
        note: SANDBOX_ONLY,
        accountId: account.accountId,
        jwt: await mintJwt(ctx, account.accountId, expires),
      };
    },
    /** Another workspace with its own plan limit. */
    createAccount: async (ctx, input) => {
      const accountId = newId(ctx, "acct");
      ctx.state.accounts[accountId] = {
        accountId,
        name: typeof input.name === "string" ? input.name : "Sandbox workspace",
        agentLimit: typeof input.agentLimit === "number" ? input.agentLimit : DEFAULT_AGENT_LIMIT,
        createdAt: ctx.clock.now(),
      };
      return { note: SANDBOX_ONLY, accountId, jwt: await mintJwt(ctx, accountId) };
    },
    /** The plan changes: a workspace's agent limit. */
    setAgentLimit: (ctx, input) => {
      const account = accountFor(ctx, input);
      const limit = Number(input.agentLimit);
      if (!Number.isSafeInteger(limit) || limit < 0) throw new Error("agentLimit must be an integer >= 0");
      account.agentLimit = limit;
      return account;
    },
    /** The agent's own process writes a log line (streamed to subscribers). */
    emitLog: (ctx, input) => {
      const agent = agentFor(ctx, input);
      const level = LEVELS.includes(input.level as LogLevel) ? (input.level as LogLevel) : "INFO";
      log(
        ctx,
        agent,
        level,
        typeof input.source === "string" ? input.source : "agent",
        String(input.message ?? ""),
      );
      return agent.logs[agent.logs.length - 1];
    },
    /** The container's state changes by itself (a crash: `not_running`). */
    setAgentStatus: (ctx, input) => {
      const agent = agentFor(ctx, input);
      const status = String(input.status);
      if (!["starting", "running", "not_running"].includes(status))
        throw new Error(`unknown status ${status}`);
      agent.status = status as AgentRecord["status"];
      agent.readyAt = null;
      agent.startedAt = status === "running" ? ctx.clock.now() : null;
      log(
        ctx,
        agent,
        status === "not_running" ? "FATAL" : "INFO",
        "gateway",
        `gateway is ${status.replace("_", " ")}`,
      );
      return { agentId: agent.agentId, status: agent.status };
    },
    /** A device asks to pair with the agent. */
    requestDevicePairing: (ctx, input) => {
      const agent = agentFor(ctx, input);
      const device = {
        requestId: newId(ctx, "req"),
        deviceId: newId(ctx, "dev"),
        name: typeof input.name === "string" ? input.name : "Sandbox phone",
        platform: typeof input.platform === "string" ? input.platform : "ios",
        requestedAt: ctx.clock.now(),
      };
      agent.devices.pending.push(device);
      log(ctx, agent, "INFO", "devices", `pairing requested by ${device.name}`);
      return { ...device, requestedAt: iso(device.requestedAt) };
    },
    /** The domain owner publishes a TXT record (`{name, value}`, or `{domain}` for the right challenge). */
    setDnsTxt: (ctx, input) => {
      const record =
        typeof input.domain === "string"
          ? routes.challengeFor(ctx, input.domain)
          : { name: String(input.name).toLowerCase(), value: String(input.value) };
      const values = ctx.state.dnsTxt[record.name] ?? [];
      if (!values.includes(record.value)) values.push(record.value);
      ctx.state.dnsTxt[record.name] = values;
      return record;
    },
    /** A public git repository appears on the git host (for template routes). */
    addRepo: (ctx, input) => {
      const url = library.repoKey(String(input.repoUrl ?? ""));
      if (!/^https?:\/\//.test(url)) throw new Error("repoUrl must be an http(s) URL");
      const branches = Array.isArray(input.branches) ? input.branches.map(String) : ["main"];
      const manifest =
        input.manifest === undefined
          ? undefined
          : typeof input.manifest === "string"
            ? input.manifest
            : JSON.stringify(input.manifest);
      ctx.state.repos[url] = {
        branches,
        tags: Array.isArray(input.tags) ? input.tags.map(String) : [],
        defaultBranch:
          typeof input.defaultBranch === "string" ? input.defaultBranch : (branches[0] ?? "main"),
        manifests: manifest === undefined ? {} : Object.fromEntries(branches.map((b) => [b, manifest])),
      };
      return { repoUrl: url, ...ctx.state.repos[url] };
    },
    /** The marketplace reviewer lists (or unlists) a submitted template. */
    publishTemplate: (ctx, input) => {
      const template = own(ctx.state.templates, String(input.templateId ?? ""));
      if (!template || template.archived) throw new Error(`no template ${String(input.templateId)}`);
      template.published = input.published !== false;
      return library.templateView(template);
    },
    /**
     * Credentials per security scheme, for the contract suite: a JWT and an agent of the seeded
     * workspace (created on first use) with its gateway token.
     */
    credentials: async (ctx) => {
      const jwt = await mintJwt(ctx, SEED_ACCOUNT_ID);
      const existing = Object.values(ctx.state.agents).find((a) => a.accountId === SEED_ACCOUNT_ID);
      const agent = existing ?? agents.makeAgent(ctx, SEED_ACCOUNT_ID, { name: "Contract agent" });
      if (isResponse(agent)) throw new Error(`could not create an agent: ${JSON.stringify(agent.body)}`);
      const token = agent.gatewayToken;
      return {
        note: SANDBOX_ONLY,
        agentId: agent.agentId,
        bearerAuth: jwt,
        gatewayToken: token,
        gatewayTokenQuery: token,
        gatewayTokenCookie: token,
        gitBasic: `git:${token}`,
      };
    },
  },
};
