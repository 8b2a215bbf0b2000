/** Auth, workspaces, environments, members, API keys, the audit log and the user lookup. */
import type { Handler, SandboxRequest } from "../../framework/types.js";
import {
  accessOf,
  actorOf,
  type Caller,
  CLEAR_COOKIE,
  DUMMY_HASH,
  hashPassword,
  openSession,
  roleIn,
  secret,
  setCookie,
  verifyPassword,
  workspaceRole,
} from "./auth.js";
import {
  audit,
  type Ctx,
  type EnvironmentRecord,
  type KeyRecord,
  newId,
  nextSeq,
  own,
  type PipedAIState,
  type Role,
  sha256,
  type UserRecord,
} from "./state.js";
import {
  apiKeyView,
  auditView,
  environmentView,
  memberView,
  page,
  userView,
  workspaceView,
} from "./views.js";

type H = Handler<PipedAIState>;

const normalEmail = (email: string) => email.trim().toLowerCase();
const byEmail = (ctx: Ctx, email: string) =>
  Object.values(ctx.state.users).find((user) => user.email === normalEmail(email));

/** The environment and caller the guard resolved (the environment is live and visible). */
function scope(ctx: Ctx, request: SandboxRequest): { env: EnvironmentRecord; caller: Caller; actor: string } {
  const access = accessOf(request);
  const env = own(ctx.state.environments, access.environmentId);
  if (!env || !access.caller) throw new Error(`pipedai: ${request.operationId} has no environment`);
  return { env, caller: access.caller, actor: actorOf(access.caller) };
}

/** Creates a user with a scrypt-hashed password (the caller checked the email is free). */
export async function createUser(
  ctx: Ctx,
  input: { email: string; password: string; name?: string | null },
): Promise<UserRecord | undefined> {
  const passwordHash = await hashPassword(input.password);
  // Another registration may have taken the email while scrypt ran.
  if (byEmail(ctx, input.email)) return undefined;
  const user: UserRecord = {
    id: newId(ctx),
    email: normalEmail(input.email),
    name: input.name ?? null,
    passwordHash,
    createdAt: ctx.clock.now(),
  };
  ctx.state.users[user.id] = user;
  audit(ctx, { environmentId: null, action: "user.register", actorId: user.id, targetId: user.id });
  return user;
}

/** Creates an environment with its creator as owner. */
export function createEnvironmentRecord(
  ctx: Ctx,
  workspaceId: string,
  name: string,
  owner: UserRecord,
): EnvironmentRecord {
  const now = ctx.clock.now();
  const env: EnvironmentRecord = {
    id: newId(ctx),
    workspaceId,
    name,
    createdAt: now,
    updatedAt: now,
    deletedAt: null,
    members: { [owner.id]: { role: "owner", createdAt: now } },
    seq: nextSeq(ctx),
  };
  ctx.state.environments[env.id] = env;
  audit(ctx, {
    environmentId: env.id,
    action: "environment.create",
    actorId: owner.id,
    targetId: env.id,
    metadata: { name },
  });
  return env;
}

/** Mints a `pwk_` key or `wrk_` registration token; the secret is returned once. */
export function mintKey(
  ctx: Ctx,
  env: EnvironmentRecord,
  input: { name: string; prefix: "pwk" | "wrk" },
  actorId: string | null,
): { key: KeyRecord; token: string } {
  const token = secret(input.prefix);
  const key: KeyRecord = {
    id: newId(ctx),
    environmentId: env.id,
    name: input.name,
    prefix: input.prefix,
    last4: token.slice(-4),
    hash: sha256(token),
    createdAt: ctx.clock.now(),
    lastUsedAt: null,
    revokedAt: null,
    consumedAt: null,
    seq: nextSeq(ctx),
  };
  ctx.state.apiKeys[key.id] = key;
  audit(ctx, {
    environmentId: env.id,
    action: "api_key.create",
    actorId,
    targetId: key.id,
    metadata: { name: key.name, prefix: key.prefix },
  });
  return { key, token };
}

const owners = (env: EnvironmentRecord) =>
  Object.values(env.members).filter((m) => m.role === "owner").length;

export const accountHandlers: Record<string, H> = {
  register: async (request, ctx) => {
    const body = request.body as { email: string; password: string; name?: string };
    if (byEmail(ctx, body.email)) return ctx.error(409, "Email already registered");
    const user = await createUser(ctx, body);
    if (!user) return ctx.error(409, "Email already registered");
    const token = await openSession(ctx, user);
    return { status: 201, body: { user: userView(user) }, headers: { "Set-Cookie": setCookie(token) } };
  },

  login: async (request, ctx) => {
    const body = request.body as { email: string; password: string };
    const user = byEmail(ctx, body.email);
    const ok = await verifyPassword(body.password, user?.passwordHash ?? DUMMY_HASH);
    if (!user || !ok) return ctx.error(401, "Invalid email or password");
    const token = await openSession(ctx, user);
    return { status: 200, body: { user: userView(user) }, headers: { "Set-Cookie": setCookie(token) } };
  },

  logout: (request, ctx) => {
    const caller = accessOf(request).caller;
    const session = caller?.kind === "user" ? own(ctx.state.sessions, caller.sid) : undefined;
    if (session) session.revoked = true;
    return { status: 204, headers: { "Set-Cookie": CLEAR_COOKIE } };
  },

  getMe: (request) => {
    const caller = accessOf(request).caller;
    if (caller?.kind !== "user") throw new Error("pipedai: getMe without a user");
    return { status: 200, body: { user: userView(caller.user) } };
  },

  createWorkspace: (request, ctx) => {
    const caller = accessOf(request).caller;
    if (caller?.kind !== "user") throw new Error("pipedai: createWorkspace without a user");
    const ws = {
      id: newId(ctx),
      name: (request.body as { name: string }).name,
      ownerId: caller.user.id,
      createdAt: ctx.clock.now(),
      seq: nextSeq(ctx),
    };
    ctx.state.workspaces[ws.id] = ws;
    audit(ctx, {
      environmentId: null,
      action: "workspace.create",
      actorId: caller.user.id,
      targetId: ws.id,
      metadata: { name: ws.name },
    });
    return { status: 201, body: workspaceView(ws) };
  },

  listWorkspaces: (request, ctx) => {
    const caller = accessOf(request).caller as Caller;
    const items = Object.values(ctx.state.workspaces)
      .filter((ws) => workspaceRole(ctx, caller, ws))
      .sort((a, b) => a.seq - b.seq);
    return { status: 200, body: { items: items.map(workspaceView) } };
  },

  lookupUser: (request, ctx) => {
    const user = byEmail(ctx, String(request.query.email));
    if (!user) return ctx.error(404, "User not found");
    return { status: 200, body: { user: { id: user.id, email: user.email, name: user.name } } };
  },

  createEnvironment: (request, ctx) => {
    const { caller, workspaceId } = accessOf(request);
    // Only users reach admin+ on a workspace (keys are operators).
    if (caller?.kind !== "user" || !workspaceId) throw new Error("pipedai: createEnvironment without a user");
    const env = createEnvironmentRecord(
      ctx,
      workspaceId,
      (request.body as { name: string }).name,
      caller.user,
    );
    return { status: 201, body: environmentView(env) };
  },

  listEnvironments: (request, ctx) => {
    const { caller, workspaceId } = accessOf(request);
    const items = Object.values(ctx.state.environments)
      .filter((env) => env.workspaceId === workspaceId && env.deletedAt === null)
      .filter((env) => caller && roleIn(caller, env))
      .sort((a, b) => a.seq - b.seq);
    return { status: 200, body: { items: items.map(environmentView) } };
  },

  updateEnvironment: (request, ctx) => {
    const { env, actor } = scope(ctx, request);
    const { name } = request.body as { name?: string };
    if (name !== undefined) env.name = name;
    env.updatedAt = ctx.clock.now();
    audit(ctx, {
      environmentId: env.id,
      action: "environment.update",
      actorId: actor,
      targetId: env.id,
      metadata: { name: env.name },
    });
    return { status: 200, body: environmentView(env) };
  },

  deleteEnvironment: (request, ctx) => {
    const { env, actor } = scope(ctx, request);
    const active = Object.values(ctx.state.triggers).filter(
      (t) => t.environmentId === env.id && t.deletedAt === null,
    ).length;
    if (active) return ctx.error(409, `Environment still has ${active} active trigger(s); delete them first`);
    env.deletedAt = ctx.clock.now();
    audit(ctx, { environmentId: env.id, action: "environment.delete", actorId: actor, targetId: env.id });
    return { status: 204 };
  },

  listMembers: (request, ctx) => {
    const { env } = scope(ctx, request);
    const ids = Object.keys(env.members).sort(
      (a, b) => (env.members[a]?.createdAt ?? 0) - (env.members[b]?.createdAt ?? 0),
    );
    return { status: 200, body: { items: ids.map((id) => memberView(ctx, env, id)) } };
  },

  addMember: (request, ctx) => {
    const { env, caller, actor } = scope(ctx, request);
    const { userId, role } = request.body as { userId: string; role: Role };
    if (!own(ctx.state.users, userId)) return ctx.error(404, "User not found");
    if (own(env.members, userId)) return ctx.error(409, "User is already a member");
    if (role === "owner" && roleIn(caller, env) !== "owner") return ctx.error(403, "Requires owner role");
    env.members[userId] = { role, createdAt: ctx.clock.now() };
    audit(ctx, {
      environmentId: env.id,
      action: "member.add",
      actorId: actor,
      targetId: userId,
      metadata: { role },
    });
    return { status: 201, body: memberView(ctx, env, userId) };
  },

  updateMember: (request, ctx) => {
    const { env, caller, actor } = scope(ctx, request);
    const userId = String(request.params.userId);
    const member = own(env.members, userId);
    if (!member) return ctx.error(404, "Member not found");
    const { role } = request.body as { role: Role };
    if ((member.role === "owner" || role === "owner") && roleIn(caller, env) !== "owner")
      return ctx.error(403, "Requires owner role");
    if (member.role === "owner" && role !== "owner" && owners(env) === 1)
      return ctx.error(409, "Cannot demote the last owner");
    const from = member.role;
    member.role = role;
    audit(ctx, {
      environmentId: env.id,
      action: "member.update",
      actorId: actor,
      targetId: userId,
      metadata: { from, role },
    });
    return { status: 200, body: memberView(ctx, env, userId) };
  },

  removeMember: (request, ctx) => {
    const { env, caller, actor } = scope(ctx, request);
    const userId = String(request.params.userId);
    const member = own(env.members, userId);
    if (!member) return ctx.error(404, "Member not found");
    if (member.role === "owner" && roleIn(caller, env) !== "owner")
      return ctx.error(403, "Requires owner role");
    if (member.role === "owner" && owners(env) === 1) return ctx.error(409, "Cannot remove the last owner");
    delete env.members[userId];
    audit(ctx, {
      environmentId: env.id,
      action: "member.remove",
      actorId: actor,
      targetId: userId,
      metadata: { role: member.role },
    });
    return { status: 204 };
  },

  listApiKeys: (request, ctx) => {
    const { env } = scope(ctx, request);
    const items = Object.values(ctx.state.apiKeys)
      .filter((key) => key.environmentId === env.id && key.revokedAt === null)
      .sort((a, b) => a.seq - b.seq);
    return { status: 200, body: { items: items.map(apiKeyView) } };
  },

  createApiKey: (request, ctx) => {
    const { env, actor } = scope(ctx, request);
    const { key, token } = mintKey(ctx, env, request.body as { name: string; prefix: "pwk" | "wrk" }, actor);
    return { status: 201, body: { apiKey: apiKeyView(key), token } };
  },

  deleteApiKey: (request, ctx) => {
    const { env, actor } = scope(ctx, request);
    const key = own(ctx.state.apiKeys, request.params.keyId);
    if (!key || key.environmentId !== env.id || key.revokedAt !== null)
      return ctx.error(404, "API key not found");
    key.revokedAt = ctx.clock.now();
    audit(ctx, {
      environmentId: env.id,
      action: "api_key.revoke",
      actorId: actor,
      targetId: key.id,
      metadata: { name: key.name, prefix: key.prefix },
    });
    return { status: 204 };
  },

  listAuditLog: (request, ctx) => {
    const { env } = scope(ctx, request);
    const { action, actions, targetId } = request.query as {
      action?: string;
      actions?: string;
      targetId?: string;
    };
    const wanted = actions?.split(",").map((a) => a.trim());
    const items = ctx.state.audit
      .filter(
        (entry) =>
          entry.environmentId === env.id &&
          (action === undefined || entry.action === action) &&
          (wanted === undefined || wanted.includes(entry.action)) &&
          (targetId === undefined || entry.targetId === targetId),
      )
      .sort((a, b) => b.seq - a.seq);
    return page(ctx, items, request.query, auditView, true);
  },
};
