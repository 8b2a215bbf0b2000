/**
 * Who is calling and what they may see: scrypt passwords, the `auth_token` JWT cookie, `pwk_` API
 * keys, `wkt_` worker tokens, the role each operation needs, and credentialed CORS.
 */
import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from "node:crypto";
import { jwtVerify, SignJWT } from "jose";
import type { SandboxRequest, SandboxResponse } from "../../framework/types.js";
import {
  atLeast,
  type Ctx,
  type EnvironmentRecord,
  type KeyRecord,
  newId,
  own,
  type Role,
  sha256,
  type TriggerRecord,
  type UserRecord,
  type WorkerRecord,
  type WorkspaceRecord,
} from "./state.js";

export const AUTH_COOKIE = "auth_token";
export const SESSION_TTL_MS = 7 * 24 * 3600_000;
/** What a `pwk_` key may do in its own environment: read and run, not administer. */
export const API_KEY_ROLE: Role = "operator";

// --- passwords ---------------------------------------------------------------------------------

const SCRYPT: ScryptOptions = { N: 16384, r: 8, p: 1 };
const KEY_LENGTH = 32;

function derive(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, KEY_LENGTH, options, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

/** `scrypt$N$r$p$salt$key` with a fresh 16-byte salt. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, SCRYPT);
  return ["scrypt", SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString("base64url"), key.toString("base64url")].join(
    "$",
  );
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, key] = stored.split("$");
  if (kind !== "scrypt" || !salt || !key) return false;
  const expected = Buffer.from(key, "base64url");
  const actual = await derive(password, Buffer.from(salt, "base64url"), {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** A stored hash nobody's password matches: unknown emails cost the same scrypt as known ones. */
export const DUMMY_HASH = `scrypt$16384$8$1$${Buffer.alloc(16).toString("base64url")}$${Buffer.alloc(32).toString("base64url")}`;

// --- sessions ----------------------------------------------------------------------------------

const jwtKey = (ctx: Ctx) => Buffer.from(ctx.state.jwtSecret, "hex");

/** Opens a session and signs its `auth_token` JWT. */
export async function openSession(ctx: Ctx, user: UserRecord): Promise<string> {
  const now = ctx.clock.now();
  const sid = newId(ctx);
  ctx.state.sessions[sid] = {
    userId: user.id,
    createdAt: now,
    expiresAt: now + SESSION_TTL_MS,
    revoked: false,
  };
  return new SignJWT({ sid })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(user.id)
    .setIssuedAt(Math.floor(now / 1000))
    .setExpirationTime(Math.floor((now + SESSION_TTL_MS) / 1000))
    .sign(jwtKey(ctx));
}

export const setCookie = (token: string): string =>
  `${AUTH_COOKIE}=${token}; Path=/; Max-Age=${SESSION_TTL_MS / 1000}; HttpOnly; Secure; SameSite=Lax`;
export const CLEAR_COOKIE = `${AUTH_COOKIE}=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Lax`;

/** The session behind a cookie value, if it is signed by us, unexpired and not logged out. */
async function sessionOf(ctx: Ctx, token: string): Promise<{ sid: string; user: UserRecord } | undefined> {
  try {
    const { payload } = await jwtVerify(token, jwtKey(ctx), {
      algorithms: ["HS256"],
      currentDate: new Date(ctx.clock.now()),
    });
    const sid = typeof payload.sid === "string" ? payload.sid : "";
    const session = own(ctx.state.sessions, sid);
    if (!session || session.revoked || session.expiresAt <= ctx.clock.now()) return undefined;
    const user = own(ctx.state.users, session.userId);
    return user ? { sid, user } : undefined;
  } catch {
    return undefined;
  }
}

// --- callers -----------------------------------------------------------------------------------

export type Caller =
  | { kind: "user"; user: UserRecord; sid: string }
  | { kind: "key"; key: KeyRecord }
  | { kind: "worker"; worker: WorkerRecord };

/** The id the audit log records for an actor. */
export const actorOf = (caller: Caller): string =>
  caller.kind === "user" ? caller.user.id : caller.kind === "key" ? caller.key.id : caller.worker.id;

const bearer = (request: SandboxRequest): string | undefined =>
  /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? "")?.[1];

const liveEnvironment = (ctx: Ctx, id: string): EnvironmentRecord | undefined => {
  const env = own(ctx.state.environments, id);
  return env && env.deletedAt === null ? env : undefined;
};

/** A live `pwk_` key by its secret (revoked keys and keys of deleted environments are unknown). */
function apiKeyOf(ctx: Ctx, token: string): KeyRecord | undefined {
  if (!token.startsWith("pwk_")) return undefined;
  const hash = sha256(token);
  const key = Object.values(ctx.state.apiKeys).find((k) => k.hash === hash);
  return key && key.prefix === "pwk" && key.revokedAt === null && liveEnvironment(ctx, key.environmentId)
    ? key
    : undefined;
}

/** A worker by its `wkt_` token (workers of deleted environments are unknown). */
export function workerOf(ctx: Ctx, token: string | undefined): WorkerRecord | undefined {
  if (!token?.startsWith("wkt_")) return undefined;
  const hash = sha256(token);
  const worker = Object.values(ctx.state.workers).find((w) => w.tokenHash === hash);
  return worker && liveEnvironment(ctx, worker.environmentId) ? worker : undefined;
}

/** The user behind the cookie, or the `pwk_` key behind the bearer header (the cookie wins). */
async function userOrKey(ctx: Ctx, request: SandboxRequest, keys: boolean): Promise<Caller | undefined> {
  const cookie = request.cookies[AUTH_COOKIE];
  if (cookie) {
    const session = await sessionOf(ctx, cookie);
    if (session) return { kind: "user", user: session.user, sid: session.sid };
  }
  const token = bearer(request);
  if (!keys || !token) return undefined;
  const key = apiKeyOf(ctx, token);
  if (!key) return undefined;
  key.lastUsedAt = ctx.clock.now();
  return { kind: "key", key };
}

// --- access ------------------------------------------------------------------------------------

/** How an operation finds the environment (or workspace) it acts in. */
type Scope = "workspace" | "env" | "envPath" | "trigger";

interface Rule {
  /** `cookie`: the JWT only; `user`: the JWT or a `pwk_` key; `worker`: a `wkt_` token. */
  auth: "public" | "cookie" | "user" | "worker";
  scope?: Scope;
  need?: Role;
  /** False: a `pwk_` key is not a credential for this operation. */
  keys?: boolean;
}

/** Every operation of the spec, with the credential and the role it needs. */
export const ACCESS: Record<string, Rule> = {
  register: { auth: "public" },
  login: { auth: "public" },
  logout: { auth: "cookie" },
  getMe: { auth: "cookie" },
  createWorkspace: { auth: "user", keys: false },
  listWorkspaces: { auth: "user" },
  lookupUser: { auth: "user" },
  createEnvironment: { auth: "user", scope: "workspace", need: "admin" },
  listEnvironments: { auth: "user", scope: "workspace", need: "viewer" },
  updateEnvironment: { auth: "user", scope: "envPath", need: "admin" },
  deleteEnvironment: { auth: "user", scope: "envPath", need: "admin" },
  listMembers: { auth: "user", scope: "env", need: "viewer" },
  addMember: { auth: "user", scope: "env", need: "admin" },
  updateMember: { auth: "user", scope: "env", need: "admin" },
  removeMember: { auth: "user", scope: "env", need: "admin" },
  listApiKeys: { auth: "user", scope: "env", need: "viewer" },
  createApiKey: { auth: "user", scope: "env", need: "admin" },
  deleteApiKey: { auth: "user", scope: "env", need: "admin" },
  listAuditLog: { auth: "user", scope: "env", need: "admin" },
  listTriggers: { auth: "user", scope: "env", need: "viewer" },
  createTrigger: { auth: "user", scope: "env", need: "admin" },
  getTrigger: { auth: "user", scope: "trigger", need: "viewer" },
  updateTrigger: { auth: "user", scope: "trigger", need: "admin" },
  deleteTrigger: { auth: "user", scope: "trigger", need: "admin" },
  rotateTriggerMcpToken: { auth: "user", scope: "trigger", need: "admin" },
  runTrigger: { auth: "user", scope: "trigger", need: "operator" },
  listTriggerRuns: { auth: "user", scope: "trigger", need: "viewer" },
  listEnvironmentRuns: { auth: "user", scope: "env", need: "viewer" },
  listWorkers: { auth: "user", scope: "env", need: "viewer" },
  getDashboardOverview: { auth: "user", scope: "env", need: "viewer" },
  registerWorker: { auth: "public" },
  pollWorker: { auth: "worker" },
  claimRun: { auth: "worker" },
  startRun: { auth: "worker" },
  heartbeatRun: { auth: "worker" },
  completeRun: { auth: "worker" },
};

/** What the guard found out, for the handler. */
export interface Access {
  caller?: Caller;
  role?: Role;
  environmentId?: string;
  workspaceId?: string;
  triggerId?: string;
}

const granted = new WeakMap<SandboxRequest, Access>();

/** The access the guard granted this request (handlers run only after a successful guard). */
export function accessOf(request: SandboxRequest): Access {
  const found = granted.get(request);
  if (!found) throw new Error(`pipedai: ${request.operationId} ran without its guard`);
  return found;
}

/** The caller's role in an environment: its membership, or the fixed role of its own API key. */
export function roleIn(caller: Caller, env: EnvironmentRecord): Role | undefined {
  if (caller.kind === "user") return own(env.members, caller.user.id)?.role;
  if (caller.kind === "key") return caller.key.environmentId === env.id ? API_KEY_ROLE : undefined;
  return undefined;
}

/** The caller's role in a workspace: owner for its creator, else its highest environment role. */
export function workspaceRole(ctx: Ctx, caller: Caller, ws: WorkspaceRecord): Role | undefined {
  if (caller.kind === "user" && ws.ownerId === caller.user.id) return "owner";
  let best: Role | undefined;
  for (const env of Object.values(ctx.state.environments)) {
    if (env.workspaceId !== ws.id || env.deletedAt !== null) continue;
    const role = roleIn(caller, env);
    if (role && (!best || atLeast(role, best))) best = role;
  }
  return best;
}

/** Raw path parameter: the framework decoded it; ids are compared as they are. */
const param = (request: SandboxRequest, name: string): string => String(request.params[name] ?? "");

/**
 * Authenticates, then checks visibility and role, before the framework validates the request: no
 * credential is 401, a resource the caller cannot see 404, a role too low 403.
 */
export async function authorize(ctx: Ctx, request: SandboxRequest): Promise<SandboxResponse | undefined> {
  const rule = ACCESS[request.operationId];
  if (!rule) return ctx.error(404, "Not found");
  const access: Access = {};
  granted.set(request, access);
  if (rule.auth === "public") return undefined;

  if (rule.auth === "worker") {
    const worker = workerOf(ctx, bearer(request));
    if (!worker) return ctx.error(401, "Unauthorized");
    access.caller = { kind: "worker", worker };
    access.environmentId = worker.environmentId;
    // A worker sees only itself: another worker's id is not found.
    return param(request, "id") === worker.id ? undefined : ctx.error(404, "Worker not found");
  }

  const caller = await userOrKey(ctx, request, rule.auth === "user" && rule.keys !== false);
  if (!caller) return ctx.error(401, "Unauthorized");
  access.caller = caller;
  if (!rule.scope || !rule.need) return undefined;

  if (rule.scope === "workspace") {
    const ws = own(ctx.state.workspaces, param(request, "wsId"));
    const role = ws ? workspaceRole(ctx, caller, ws) : undefined;
    if (!ws || !role) return ctx.error(404, "Workspace not found");
    access.workspaceId = ws.id;
    access.role = role;
    return atLeast(role, rule.need) ? undefined : ctx.error(403, `Requires ${rule.need} role`);
  }

  let env: EnvironmentRecord | undefined;
  let trigger: TriggerRecord | undefined;
  if (rule.scope === "trigger") {
    trigger = own(ctx.state.triggers, param(request, "id"));
    if (trigger && trigger.deletedAt === null) env = liveEnvironment(ctx, trigger.environmentId);
  } else {
    env = liveEnvironment(ctx, param(request, rule.scope === "env" ? "envId" : "id"));
  }
  const role = env ? roleIn(caller, env) : undefined;
  if (!env || !role) return ctx.error(404, trigger ? "Trigger not found" : "Environment not found");
  access.environmentId = env.id;
  access.triggerId = trigger?.id;
  access.role = role;
  return atLeast(role, rule.need) ? undefined : ctx.error(403, `Requires ${rule.need} role`);
}

// --- CORS --------------------------------------------------------------------------------------

const ALLOWED_HEADERS = "Content-Type, Authorization";
const ALLOWED_METHODS = "GET, POST, PATCH, DELETE, OPTIONS";

/** Credentialed CORS headers for an allowed `Origin`, none for any other. */
export function corsHeaders(ctx: Ctx, request: SandboxRequest): Record<string, string> {
  const origin = request.headers.origin;
  if (!origin || !ctx.state.allowedOrigins.includes(origin)) return { Vary: "Origin" };
  return {
    "Access-Control-Allow-Origin": origin,
    "Access-Control-Allow-Credentials": "true",
    Vary: "Origin",
  };
}

/** Answers `OPTIONS` preflights under `/api/v1/`: 204 for an allowed origin, 403 otherwise. */
export function preflight(ctx: Ctx, request: SandboxRequest): SandboxResponse | undefined {
  if (request.method !== "OPTIONS" || !request.path.startsWith("/api/v1/")) return undefined;
  const headers = corsHeaders(ctx, request);
  if (!headers["Access-Control-Allow-Origin"]) {
    return { ...ctx.error(403, "Origin not allowed"), headers };
  }
  return {
    status: 204,
    headers: {
      ...headers,
      "Access-Control-Allow-Methods": ALLOWED_METHODS,
      "Access-Control-Allow-Headers": ALLOWED_HEADERS,
      "Access-Control-Max-Age": "600",
    },
  };
}

/** A fresh random secret with its prefix (`pwk_…`, `wrk_…`, `wkt_…`, `mcp_…`). */
export const secret = (prefix: string): string => `${prefix}_${randomBytes(20).toString("hex")}`;
