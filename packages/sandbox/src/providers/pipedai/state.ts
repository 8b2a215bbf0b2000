/**
 * The PipedAI sandbox's state: plain JSON (bigints for money), persisted whole by the framework.
 * Times are epoch milliseconds on the sandbox clock; secrets are kept only as hashes.
 */
import { createHash } from "node:crypto";
import type { ProviderContext } from "../../framework/types.js";

export const ROLES = ["viewer", "operator", "admin", "owner"] as const;
export type Role = (typeof ROLES)[number];
export type RunStatus = "queued" | "assigned" | "claimed" | "running" | "succeeded" | "failed" | "timed_out";
export type TriggerType = "manual" | "webhook" | "schedule" | "mcp";

export interface UserRecord {
  id: string;
  email: string;
  name: string | null;
  /** `scrypt$N$r$p$salt$key`, both base64url. */
  passwordHash: string;
  createdAt: number;
}

export interface Session {
  userId: string;
  createdAt: number;
  expiresAt: number;
  revoked: boolean;
}

export interface WorkspaceRecord {
  id: string;
  name: string;
  ownerId: string;
  createdAt: number;
  seq: number;
}

export interface Membership {
  role: Role;
  createdAt: number;
}

export interface EnvironmentRecord {
  id: string;
  workspaceId: string;
  name: string;
  createdAt: number;
  updatedAt: number;
  deletedAt: number | null;
  members: Record<string, Membership>;
  seq: number;
}

/** A `pwk_` API key or a `wrk_` registration token; only the SHA-256 of the secret is kept. */
export interface KeyRecord {
  id: string;
  environmentId: string;
  name: string;
  prefix: "pwk" | "wrk";
  last4: string;
  hash: string;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
  /** A `wrk_` token is single-use: set once exchanged for a worker token. */
  consumedAt: number | null;
  seq: number;
}

export interface TriggerRecord {
  id: string;
  environmentId: string;
  name: string;
  description: string | null;
  type: TriggerType;
  status: "active" | "paused";
  workerId: string | null;
  schedule: string | null;
  config: Record<string, unknown>;
  mcpTokenHash: string;
  createdAt: number;
  updatedAt: number;
  deletedAt: number | null;
  seq: number;
}

export interface RunRecord {
  id: string;
  triggerId: string;
  environmentId: string;
  workerId: string | null;
  status: RunStatus;
  input: Record<string, unknown>;
  output: Record<string, unknown> | null;
  error: string | null;
  /** Micro-USD (raw units). */
  tokenSpendMicroUsd: bigint | null;
  createdAt: number;
  claimedAt: number | null;
  startedAt: number | null;
  lastHeartbeatAt: number | null;
  finishedAt: number | null;
  /** Times the run was handed back to the queue after its worker went silent. */
  requeues: number;
  progress: { progressPct?: number; message?: string } | null;
  seq: number;
}

export interface WorkerRecord {
  id: string;
  environmentId: string;
  name: string;
  tokenHash: string;
  registrationKeyId: string;
  lastSeenAt: number | null;
  createdAt: number;
  seq: number;
}

export interface AuditRecord {
  id: string;
  /** Null for actions outside any environment (a new workspace). */
  environmentId: string | null;
  action: string;
  actorId: string | null;
  targetId: string | null;
  metadata: Record<string, unknown>;
  createdAt: number;
  seq: number;
}

export interface PipedAIState {
  /** HMAC key of the `auth_token` JWTs (never shown by the admin surface). */
  jwtSecret: string;
  /** Origins credentialed CORS answers for (the dashboard's). */
  allowedOrigins: string[];
  /** Creation order of every record: orders lists and backs the cursors. */
  seq: number;
  users: Record<string, UserRecord>;
  sessions: Record<string, Session>;
  workspaces: Record<string, WorkspaceRecord>;
  environments: Record<string, EnvironmentRecord>;
  apiKeys: Record<string, KeyRecord>;
  triggers: Record<string, TriggerRecord>;
  runs: Record<string, RunRecord>;
  workers: Record<string, WorkerRecord>;
  audit: AuditRecord[];
}

export type Ctx = ProviderContext<PipedAIState>;

export const DEFAULT_ALLOWED_ORIGINS = ["http://localhost:3000", "http://127.0.0.1:3000"];

export function initialState(_seed: string, jwtSecret: string): PipedAIState {
  return {
    jwtSecret,
    allowedOrigins: [...DEFAULT_ALLOWED_ORIGINS],
    seq: 0,
    users: {},
    sessions: {},
    workspaces: {},
    environments: {},
    apiKeys: {},
    triggers: {},
    runs: {},
    workers: {},
    audit: [],
  };
}

/** `record[key]` for own keys only: ids from requests may be `__proto__` or `toString`. */
export const own = <T>(record: Record<string, T>, key: unknown): T | undefined =>
  typeof key === "string" && Object.hasOwn(record, key) ? record[key] : undefined;

export const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");
export const iso = (ms: number): string => new Date(ms).toISOString();
export const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));
export const nextSeq = (ctx: Ctx): number => ++ctx.state.seq;

/** A v4 UUID from the seeded randomness (reproducible for a seed, continued across restarts). */
export function newId(ctx: Ctx): string {
  let hex = "";
  for (let i = 0; i < 16; i++)
    hex += Math.floor(ctx.random() * 256)
      .toString(16)
      .padStart(2, "0");
  const variant = ((Number.parseInt(hex[16] ?? "0", 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export const roleRank = (role: Role | undefined): number => (role ? ROLES.indexOf(role) : -1);
export const atLeast = (role: Role | undefined, need: Role): boolean => roleRank(role) >= roleRank(need);

/** Records an audited mutation. */
export function audit(
  ctx: Ctx,
  entry: {
    environmentId: string | null;
    action: string;
    actorId: string | null;
    targetId: string | null;
    metadata?: Record<string, unknown>;
  },
): void {
  ctx.state.audit.push({
    id: newId(ctx),
    metadata: {},
    ...entry,
    createdAt: ctx.clock.now(),
    seq: nextSeq(ctx),
  });
}

/** State as the admin surface shows it: no JWT key, password hashes, token hashes or sessions. */
export function redact(state: PipedAIState): unknown {
  const strip = <T extends object, K extends keyof T>(record: Record<string, T>, key: K) =>
    Object.fromEntries(Object.entries(record).map(([id, item]) => [id, { ...item, [key]: "[redacted]" }]));
  return {
    ...state,
    jwtSecret: "[redacted]",
    sessions: `${Object.keys(state.sessions).length} sessions`,
    users: strip(state.users, "passwordHash"),
    apiKeys: strip(state.apiKeys, "hash"),
    triggers: strip(state.triggers, "mcpTokenHash"),
    workers: strip(state.workers, "tokenHash"),
  };
}
