/**
 * Who is calling, decided before the request is validated (the framework's `guard`): the Pinata
 * JWT on the management host, the agent's gateway token (Bearer, `?token=` or the `gw_token`
 * cookie) on either host, HTTP Basic with the token as password on the Git routes, and the 1-hour
 * platform JWT an agent gets for its gateway token. No message ever echoes a credential.
 */
import { timingSafeEqual } from "node:crypto";
import { jwtVerify, SignJWT } from "jose";
import type { SandboxRequest, SandboxResponse } from "../../framework/types.js";
import spec from "../../generated/specs/pinata-agents.js";
import { settleAgent } from "./lifecycle.js";
import { type AgentRecord, type Ctx, own, type PinataState, sha256 } from "./state.js";

export const PLATFORM_TTL_S = 3600;

/** Who a request acts for. `agentId` is set for gateway tokens and platform JWTs. */
export interface Caller {
  kind: "user" | "platform" | "gateway";
  accountId: string;
  agentId?: string;
}

type Kind = "public" | "jwt" | "agent" | "gateway" | "git";

/** Each operation's kind of credential, read from the spec's security requirements. */
const KINDS: Record<string, Kind> = {};
for (const item of Object.values(spec.paths as Record<string, Record<string, Record<string, unknown>>>)) {
  for (const op of Object.values(item)) {
    if (typeof op !== "object" || !op || typeof op.operationId !== "string") continue;
    const schemes = new Set(
      ((op.security ?? []) as Array<Record<string, unknown>>).flatMap((requirement) =>
        Object.keys(requirement),
      ),
    );
    KINDS[op.operationId] = schemes.has("gitBasic")
      ? "git"
      : schemes.has("bearerAuth") && schemes.has("gatewayToken")
        ? "agent"
        : schemes.has("bearerAuth")
          ? "jwt"
          : schemes.has("gatewayToken")
            ? "gateway"
            : "public";
  }
}

/** What a platform JWT (the agent acting on its own behalf) may not do. */
const PLATFORM_DENIED = new Set(["createAgent", "deleteAgent", "rotateGatewayToken"]);

const resolved = new WeakMap<SandboxRequest, { caller: Caller; agent?: AgentRecord }>();

export function callerOf(request: SandboxRequest): Caller {
  const found = resolved.get(request);
  if (!found) throw new Error(`no caller resolved for ${request.operationId}`);
  return found.caller;
}

/** The agent of an agent route, resolved (and its access checked) by the guard. */
export function agentOf(request: SandboxRequest): AgentRecord {
  const agent = resolved.get(request)?.agent;
  if (!agent) throw new Error(`no agent resolved for ${request.operationId}`);
  return agent;
}

/** `{agentId}.agents.<anything>` → the agent id of a per-agent host. */
export function agentHost(host: string): string | undefined {
  const name = host.replace(/:\d+$/, "").toLowerCase();
  return /^([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)\.agents\.[a-z0-9.-]+$/.exec(name)?.[1];
}

const key = (state: PinataState) => Buffer.from(state.jwtSecret, "hex");
const looksLikeJwt = (value: string) => /^[\w-]+\.[\w-]+\.[\w-]+$/.test(value);

/** A Pinata JWT for an account (the admin surface mints them). */
export async function mintJwt(ctx: Ctx, accountId: string, expiresInSeconds?: number): Promise<string> {
  const now = Math.floor(ctx.clock.now() / 1000);
  const jwt = new SignJWT({ typ: "pinata" })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(accountId)
    .setIssuedAt(now);
  if (expiresInSeconds !== undefined) jwt.setExpirationTime(now + expiresInSeconds);
  return jwt.sign(key(ctx.state));
}

/** The 1-hour platform JWT an agent gets for its gateway token. */
export async function mintPlatformJwt(
  ctx: Ctx,
  agent: AgentRecord,
): Promise<{ token: string; expiresAt: number }> {
  const now = Math.floor(ctx.clock.now() / 1000);
  const token = await new SignJWT({ typ: "platform", agentId: agent.agentId, gen: agent.tokenGeneration })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(agent.accountId)
    .setIssuedAt(now)
    .setExpirationTime(now + PLATFORM_TTL_S)
    .sign(key(ctx.state));
  return { token, expiresAt: (now + PLATFORM_TTL_S) * 1000 };
}

async function jwtCaller(ctx: Ctx, jwt: string): Promise<Caller | undefined> {
  try {
    const { payload } = await jwtVerify(jwt, key(ctx.state), {
      algorithms: ["HS256"],
      currentDate: new Date(ctx.clock.now()),
    });
    const accountId = String(payload.sub ?? "");
    if (!own(ctx.state.accounts, accountId)) return undefined;
    if (payload.typ === "platform") {
      const agent = own(ctx.state.agents, String(payload.agentId ?? ""));
      if (!agent || agent.accountId !== accountId || agent.tokenGeneration !== payload.gen) return undefined;
      return { kind: "platform", accountId, agentId: agent.agentId };
    }
    return payload.typ === "pinata" ? { kind: "user", accountId } : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a presented token is the agent's gateway token (compared by hash, in constant time). */
export const tokenMatches = (agent: AgentRecord, token: string): boolean =>
  timingSafeEqual(Buffer.from(sha256(agent.gatewayToken), "hex"), Buffer.from(sha256(token), "hex"));

/** The agent whose gateway token this is. */
export function agentByToken(state: PinataState, token: string): AgentRecord | undefined {
  return Object.values(state.agents).find((agent) => tokenMatches(agent, token));
}

/** The credential a request presents: the Authorization header wins, then `?token=`, then the cookie. */
function presented(
  request: SandboxRequest,
): { via: "bearer" | "other" | "query" | "cookie"; value: string } | undefined {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
    return bearer ? { via: "bearer", value: bearer } : { via: "other", value: "" };
  }
  const query = request.rawQuery.get("token");
  if (query) return { via: "query", value: query };
  const cookie = request.cookies.gw_token;
  return cookie ? { via: "cookie", value: cookie } : undefined;
}

/** The gateway token of a Git request: HTTP Basic, username ignored. */
function basicPassword(request: SandboxRequest): string | undefined {
  const encoded = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(request.headers.authorization ?? "")?.[1];
  if (!encoded) return undefined;
  const text = Buffer.from(encoded, "base64").toString("utf8");
  const at = text.indexOf(":");
  return at >= 0 && at < text.length - 1 ? text.slice(at + 1) : undefined;
}

const unauthorized = (ctx: Ctx, message = "Unauthorized"): SandboxResponse => ({
  ...ctx.error(401, message),
  headers: { "WWW-Authenticate": 'Bearer realm="agents.pinata.cloud"' },
});

/**
 * Runs after routing, before validation: authenticates, resolves the agent of an agent route and
 * checks the caller may touch it, so handlers only ever see an allowed caller.
 */
export async function guard(request: SandboxRequest, ctx: Ctx): Promise<SandboxResponse | undefined> {
  const kind = KINDS[request.operationId] ?? "public";
  if (kind === "public") return undefined;
  const hostAgent = agentHost(request.host);
  const pathAgent = typeof request.params.agentId === "string" ? request.params.agentId : undefined;
  if (hostAgent && pathAgent && hostAgent !== pathAgent) return ctx.error(404, "Agent not found");

  let caller: Caller | undefined;
  if (kind === "git") {
    const token = basicPassword(request);
    const agent = token ? agentByToken(ctx.state, token) : undefined;
    if (!agent || agent.agentId !== pathAgent) {
      return {
        ...ctx.error(401, "Unauthorized"),
        headers: { "WWW-Authenticate": 'Basic realm="Pinata Agents Git", charset="UTF-8"' },
      };
    }
    caller = { kind: "gateway", accountId: agent.accountId, agentId: agent.agentId };
  } else {
    const credential = presented(request);
    if (!credential || credential.via === "other") return unauthorized(ctx);
    const jwt = credential.via === "bearer" && looksLikeJwt(credential.value);
    if (kind === "jwt") {
      if (hostAgent)
        return unauthorized(ctx, "Unauthorized: management routes take a Pinata JWT on the management host");
      caller = jwt ? await jwtCaller(ctx, credential.value) : undefined;
      if (!caller) return unauthorized(ctx, "Unauthorized: this route takes a Pinata JWT");
      if (caller.kind === "platform" && PLATFORM_DENIED.has(request.operationId))
        return ctx.error(403, "A platform token cannot do this: use the Pinata JWT");
    } else if (jwt && kind === "agent" && !hostAgent) {
      caller = await jwtCaller(ctx, credential.value);
      if (!caller) return unauthorized(ctx);
    } else {
      if (jwt) return unauthorized(ctx, "Unauthorized: this route takes the agent's gateway token");
      const agent = agentByToken(ctx.state, credential.value);
      if (!agent) return unauthorized(ctx);
      caller = { kind: "gateway", accountId: agent.accountId, agentId: agent.agentId };
      if (hostAgent && hostAgent !== agent.agentId)
        return ctx.error(403, "This gateway token belongs to another agent");
    }
  }

  let agent: AgentRecord | undefined;
  const target =
    pathAgent ?? (request.operationId === "createPlatformTokenOnAgentHost" ? caller.agentId : undefined);
  if (target !== undefined) {
    agent = own(ctx.state.agents, target);
    if (caller.agentId !== undefined && caller.agentId !== target)
      return agent
        ? ctx.error(403, "This token belongs to another agent")
        : ctx.error(404, "Agent not found");
    if (!agent || agent.accountId !== caller.accountId) return ctx.error(404, "Agent not found");
    if (settleAgent(ctx, agent, ctx.clock.now())) ctx.save();
  }
  resolved.set(request, { caller, ...(agent ? { agent } : {}) });
  return undefined;
}
