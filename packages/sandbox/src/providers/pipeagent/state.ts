/**
 * The PipeAgent sandbox's state: accounts, hashed API keys and feeds with their data. Everything
 * here is plain JSON (bigints for money) so the framework can persist it as it is.
 */
import { createHash } from "node:crypto";
import type { ProviderContext, SandboxRequest, SandboxResponse } from "../../framework/types.js";

export type Permission = "read" | "write";
export type ConsumerType = "singleton" | "collection" | "stream";
export type PriceType = "free" | "metered" | "one_time";
export type FeedStatus = "draft" | "inactive" | "active";
export type Row = Record<string, unknown>;

export interface Account {
  id: string;
  name: string;
  kind: "provider" | "consumer";
  /** Feed rows this account may own, drafts included (default 3 during early access). */
  max_feeds_allowed: number;
  created_at: string;
}

/** A key as the server keeps it: only its SHA-256 is stored (the key itself is shown once). */
export interface KeyRecord {
  id: string;
  account_id: string;
  permissions: Permission[];
  /** The first characters, to tell keys apart in the admin view. */
  prefix: string;
  created_at: string;
}

/** A row of the `feeds` table, as create and edit return it. */
export interface FeedRow {
  id: string;
  name: string;
  description?: string;
  readme_md?: string;
  endpoint_path: string;
  feed_type: ConsumerType;
  schema_definition?: Row;
  schema_version: number;
  schema_locked: boolean;
  sample_response?: unknown;
  sync_interval_mins: number;
  status: FeedStatus;
  draft_step: number | null;
  price_type: PriceType;
  /** USD per 1,000 reads (a decimal in the spec, so a number here). */
  price_per_1k: number;
  /** USD cents, raw units. */
  one_time_price_cents: bigint | null;
  is_public: boolean;
  last_sync_at: string | null;
  created_at: string;
  updated_at: string;
}

/** A collection batch: `id` is the client's `batch_id` (null for rows pushed without one). */
export interface Batch {
  id: string | null;
  rows: Row[];
  /** Order of opening, so completing a batch retires only the older ones. */
  opened: number;
}

/** A stream event with the time `start_time` / `end_time` compare against (epoch ms). */
export interface StreamEvent {
  row: Row;
  at: number;
}

/** Every feed type's storage; only the part of the feed's type is used. */
export interface FeedData {
  /** Singleton: the latest document. */
  document: Row | null;
  /** Collection: the last complete batch, the one readers see. */
  live: Batch;
  /** Bumped whenever `live` is replaced, so cursors of an older batch are refused. */
  serial: number;
  /** Collection: batches still being uploaded (a list: `batch_id`s are client text). */
  open: Batch[];
  /** Stream: events in the order they were appended. */
  events: StreamEvent[];
}

export interface FeedRecord {
  owner: string;
  row: FeedRow;
  data: FeedData;
}

export interface PipeAgentState {
  /** Seed of the deterministic sandbox keys (the `keys` admin action derives them again). */
  seed: string;
  /** Draws taken from `ctx.random`, replayed on restart so ids never repeat. */
  draws: number;
  /** Counter for batch opening order. */
  sequence: number;
  accounts: Record<string, Account>;
  /** By SHA-256 of the key. */
  keys: Record<string, KeyRecord>;
  feeds: Record<string, FeedRecord>;
}

type Ctx = ProviderContext<PipeAgentState>;

export const SEED_ACCOUNT_ID = "acct_sandbox_provider";
export const DEFAULT_MAX_FEEDS = 3;

/** `record[key]` for own keys only: ids from requests may be `toString` or `__proto__`. */
export const own = <T>(record: Record<string, T>, key: string): T | undefined =>
  Object.hasOwn(record, key) ? record[key] : undefined;

export const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

/** The seeded provider's keys: derived from the seed, clearly marked as sandbox keys. */
export function seededKeys(seed: string): { writeKey: string; readKey: string } {
  const derive = (label: string) => sha256(`specyard-sandbox:pipeagent:${seed}:${label}`).slice(0, 40);
  return { writeKey: `pa_sandbox_write_${derive("write")}`, readKey: `pa_sandbox_read_${derive("read")}` };
}

export function initialState(seed: string): PipeAgentState {
  const state: PipeAgentState = { seed, draws: 0, sequence: 0, accounts: {}, keys: {}, feeds: {} };
  const created_at = new Date().toISOString();
  state.accounts[SEED_ACCOUNT_ID] = {
    id: SEED_ACCOUNT_ID,
    name: "Sandbox provider",
    kind: "provider",
    max_feeds_allowed: DEFAULT_MAX_FEEDS,
    created_at,
  };
  const { writeKey, readKey } = seededKeys(seed);
  addKey(state, writeKey, {
    id: "key_sandbox_write",
    account_id: SEED_ACCOUNT_ID,
    permissions: ["write"],
    created_at,
  });
  addKey(state, readKey, {
    id: "key_sandbox_read",
    account_id: SEED_ACCOUNT_ID,
    permissions: ["read"],
    created_at,
  });
  return state;
}

export function addKey(state: PipeAgentState, key: string, record: Omit<KeyRecord, "prefix">): KeyRecord {
  const full = { ...record, prefix: key.slice(0, 20) };
  state.keys[sha256(key)] = full;
  return full;
}

/** One draw of the seeded randomness, counted so a restart can replay it. */
export function draw(ctx: Ctx): number {
  ctx.state.draws++;
  return ctx.random();
}

export function randomHex(ctx: Ctx, bytes: number): string {
  let out = "";
  for (let i = 0; i < bytes; i++)
    out += Math.floor(draw(ctx) * 256)
      .toString(16)
      .padStart(2, "0");
  return out;
}

/** A v4 UUID from the seeded randomness. */
export function newUuid(ctx: Ctx): string {
  for (;;) {
    const hex = randomHex(ctx, 16).split("");
    hex[12] = "4";
    hex[16] = ((Number.parseInt(hex[16] ?? "0", 16) & 0x3) | 0x8).toString(16);
    const s = hex.join("");
    const id = `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
    if (!own(ctx.state.feeds, id)) return id;
  }
}

export const isoNow = (ctx: Ctx): string => new Date(ctx.clock.now()).toISOString();

export function emptyData(): FeedData {
  return { document: null, live: { id: null, rows: [], opened: 0 }, serial: 0, open: [], events: [] };
}

// --- authentication -------------------------------------------------------------------------

export interface Caller {
  account: Account;
  key: KeyRecord;
}

const bearer = (request: SandboxRequest): string | undefined =>
  /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? "")?.[1];

/**
 * The caller behind a request's key. Provider routes take `Authorization: Bearer` with a write key;
 * consumer routes take `x-api-key` or Bearer with a read key. No key or an unknown key is 401, a key
 * without the permission 403. Messages never echo the key.
 */
export function authenticate(ctx: Ctx, request: SandboxRequest, need: Permission): Caller | SandboxResponse {
  const key = need === "write" ? bearer(request) : request.headers["x-api-key"]?.trim() || bearer(request);
  const record = key ? own(ctx.state.keys, sha256(key)) : undefined;
  const account = record ? own(ctx.state.accounts, record.account_id) : undefined;
  if (!record || !account) return ctx.error(401, "Missing or invalid API key");
  if (!record.permissions.includes(need)) return ctx.error(403, `API key does not have ${need} permission`);
  return { account, key: record };
}

export const isResponse = (value: unknown): value is SandboxResponse =>
  typeof value === "object" &&
  value !== null &&
  "status" in value &&
  typeof (value as { status: unknown }).status === "number";

/** A feed the caller owns, by UUID; an unknown id and someone else's feed are both 403. */
export function ownedFeed(ctx: Ctx, caller: Caller, feedId: string): FeedRecord | SandboxResponse {
  const feed = own(ctx.state.feeds, feedId);
  if (!feed || feed.owner !== caller.account.id)
    return ctx.error(403, "Feed not found or not owned by this key");
  return feed;
}

/** A feed by UUID or `endpoint_path`, for consumers. */
export function findFeed(state: PipeAgentState, ref: string): FeedRecord | undefined {
  return own(state.feeds, ref) ?? Object.values(state.feeds).find((feed) => feed.row.endpoint_path === ref);
}
