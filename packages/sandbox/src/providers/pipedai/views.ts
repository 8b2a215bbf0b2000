/** Records as the spec's response schemas show them, and cursor paging. */
import type { SandboxResponse } from "../../framework/types.js";
import type {
  AuditRecord,
  Ctx,
  EnvironmentRecord,
  KeyRecord,
  RunRecord,
  TriggerRecord,
  UserRecord,
  WorkerRecord,
  WorkspaceRecord,
} from "./state.js";
import { iso, isoOrNull, own } from "./state.js";

/** A worker is online while it was seen (registered, polled, drove a run) this recently. */
export const WORKER_ONLINE_MS = 60_000;

export const userView = (user: UserRecord) => ({
  id: user.id,
  email: user.email,
  name: user.name,
  createdAt: iso(user.createdAt),
});

export const workspaceView = (ws: WorkspaceRecord) => ({
  id: ws.id,
  name: ws.name,
  createdAt: iso(ws.createdAt),
});

export const environmentView = (env: EnvironmentRecord) => ({
  id: env.id,
  workspaceId: env.workspaceId,
  name: env.name,
  createdAt: iso(env.createdAt),
  updatedAt: iso(env.updatedAt),
});

export function memberView(ctx: Ctx, env: EnvironmentRecord, userId: string) {
  const membership = own(env.members, userId);
  const user = own(ctx.state.users, userId);
  if (!membership || !user) throw new Error(`pipedai: no member ${userId}`);
  return {
    userId,
    email: user.email,
    name: user.name,
    role: membership.role,
    createdAt: iso(membership.createdAt),
  };
}

export const apiKeyView = (key: KeyRecord) => ({
  id: key.id,
  name: key.name,
  prefix: key.prefix,
  last4: key.last4,
  createdAt: iso(key.createdAt),
  lastUsedAt: isoOrNull(key.lastUsedAt),
});

export const auditView = (entry: AuditRecord) => ({
  id: entry.id,
  action: entry.action,
  actorId: entry.actorId,
  targetId: entry.targetId,
  metadata: entry.metadata,
  createdAt: iso(entry.createdAt),
});

export const triggerView = (trigger: TriggerRecord) => ({
  id: trigger.id,
  environmentId: trigger.environmentId,
  name: trigger.name,
  description: trigger.description,
  type: trigger.type,
  status: trigger.status,
  workerId: trigger.workerId,
  schedule: trigger.schedule,
  config: trigger.config,
  createdAt: iso(trigger.createdAt),
  updatedAt: iso(trigger.updatedAt),
  deletedAt: isoOrNull(trigger.deletedAt),
});

/** Micro-USD (raw units) as the USD number the API shows. */
export const usd = (micro: bigint): number => Number(micro) / 1e6;

export const runView = (run: RunRecord) => ({
  id: run.id,
  triggerId: run.triggerId,
  environmentId: run.environmentId,
  workerId: run.workerId,
  status: run.status,
  input: run.input,
  output: run.output,
  error: run.error,
  tokenSpendUsd: run.tokenSpendMicroUsd === null ? null : usd(run.tokenSpendMicroUsd),
  createdAt: iso(run.createdAt),
  startedAt: isoOrNull(run.startedAt),
  lastHeartbeatAt: isoOrNull(run.lastHeartbeatAt),
  finishedAt: isoOrNull(run.finishedAt),
});

export const isOnline = (worker: WorkerRecord, now: number): boolean =>
  worker.lastSeenAt !== null && now - worker.lastSeenAt < WORKER_ONLINE_MS;

export const workerView = (worker: WorkerRecord, now: number) => ({
  id: worker.id,
  environmentId: worker.environmentId,
  name: worker.name,
  status: isOnline(worker, now) ? ("online" as const) : ("offline" as const),
  lastSeenAt: isoOrNull(worker.lastSeenAt),
  createdAt: iso(worker.createdAt),
});

/** A 400 in PipedAI's Zod shape for one field. */
export const fieldError = (ctx: Ctx, field: string, message: string): SandboxResponse =>
  ctx.error(400, "Invalid request body", { fieldErrors: { [field]: [message] }, formErrors: [] });

const encodeCursor = (seq: number) => Buffer.from(`seq:${seq}`).toString("base64url");

function decodeCursor(cursor: string): number | undefined {
  const match = /^seq:(\d{1,15})$/.exec(Buffer.from(cursor, "base64url").toString("utf8"));
  return match ? Number(match[1]) : undefined;
}

/**
 * One page of `items` (already in list order) after `query.cursor`, of `query.limit` (default 20):
 * `{items, nextCursor}`, or a 400 for a cursor this server did not issue.
 */
export function page<T extends { seq: number }, V>(
  ctx: Ctx,
  items: T[],
  query: Record<string, unknown>,
  view: (item: T) => V,
  newestFirst: boolean,
): SandboxResponse {
  const limit = typeof query.limit === "number" ? query.limit : 20;
  let rest = items;
  if (typeof query.cursor === "string") {
    const after = decodeCursor(query.cursor);
    if (after === undefined)
      return ctx.error(400, "Invalid cursor", {
        fieldErrors: { cursor: ["Invalid cursor"] },
        formErrors: [],
      });
    rest = items.filter((item) => (newestFirst ? item.seq < after : item.seq > after));
  }
  const chosen = rest.slice(0, limit);
  const last = chosen[chosen.length - 1];
  return {
    status: 200,
    body: {
      items: chosen.map(view),
      nextCursor: rest.length > limit && last ? encodeCursor(last.seq) : null,
    },
  };
}

/** `from` / `to` query instants as epoch ms (validated as date-time by the framework). */
export function timeWindow(query: Record<string, unknown>): { from: number; to: number } {
  const at = (value: unknown, otherwise: number) =>
    typeof value === "string" ? Date.parse(value) : otherwise;
  return { from: at(query.from, -Infinity), to: at(query.to, Infinity) };
}
