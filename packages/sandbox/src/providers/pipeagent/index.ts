/**
 * The PipeAgent sandbox: a stateful local PipeAgent API (feed management, push, consumer reads) on
 * specyard's sandbox framework.
 *
 * One provider account is seeded with a write key and a read key derived from the seed; the `keys`
 * admin action shows them. Other admin actions play the operator and the dashboard: more accounts
 * and keys, a raised feed quota, a feed made public.
 */

import type {
  ProviderContext,
  ProviderDefinition,
  SandboxRequest,
  SandboxResponse,
} from "../../framework/types.js";
import spec from "../../generated/specs/pipeagent.js";
import { createFeed, editFeed } from "./feeds.js";
import { PUSH_RATE, pushFeedData, pushLimitProblem } from "./push.js";
import { getFeedData, getFeedMetadata, listCatalog, searchFeeds } from "./read.js";
import {
  type Account,
  addKey,
  authenticate,
  DEFAULT_MAX_FEEDS,
  findFeed,
  initialState,
  isoNow,
  isResponse,
  own,
  ownedFeed,
  type Permission,
  type PipeAgentState,
  randomHex,
  SEED_ACCOUNT_ID,
  seededKeys,
} from "./state.js";

export { PUSH_LIMITS, PUSH_RATE } from "./push.js";
export type { PipeAgentState } from "./state.js";

type Ctx = ProviderContext<PipeAgentState>;

/** The spec's routes with the permission they need (a captured id is a feed id or ref). */
const GATED: Array<{ method: string; pattern: RegExp; need: Permission; push?: boolean }> = [
  { method: "POST", pattern: /^\/api\/v1\/provider\/feed\/create\/?$/, need: "write" },
  { method: "PATCH", pattern: /^\/api\/v1\/provider\/feed\/([^/]+)\/edit\/?$/, need: "write" },
  { method: "POST", pattern: /^\/api\/v1\/provider\/feed\/([^/]+)\/push\/?$/, need: "write", push: true },
  { method: "GET", pattern: /^\/v1\/(?:catalog|search)\/?$/, need: "read" },
  { method: "GET", pattern: /^\/v1\/feed\/([^/]+)(?:\/metadata)?\/?$/, need: "read" },
];

/**
 * Runs before the framework's spec validation: authentication first (401/403), then ownership of
 * the feed, then the push size guardrails, so a 501-row push gets the documented 413 `row_count`
 * instead of the 400 the spec's `maxItems: 500` would give, and unauthorised pushes never use up a
 * feed's rate-limit window.
 */
function gate(ctx: Ctx, request: SandboxRequest): SandboxResponse | undefined {
  const route = GATED.find((r) => r.method === request.method && r.pattern.test(request.path));
  if (!route) return undefined;
  const caller = authenticate(ctx, request, route.need);
  if (isResponse(caller)) return caller;
  const raw = route.pattern.exec(request.path)?.[1];
  if (raw === undefined) return undefined;
  let id: string | undefined;
  try {
    id = decodeURIComponent(raw);
  } catch {
    // A malformed escape would make the framework's router throw: no such feed.
  }
  if (route.need === "read") return id === undefined ? ctx.error(404, "Feed not found") : undefined;
  const feed = ownedFeed(ctx, caller, id ?? "");
  if (isResponse(feed)) return feed;
  return route.push ? pushLimitProblem(ctx, feed, request.rawBody) : undefined;
}

function accountOf(ctx: Ctx, input: Record<string, unknown>): Account {
  const account = own(ctx.state.accounts, String(input.account_id ?? SEED_ACCOUNT_ID));
  if (!account) throw new Error(`no account ${String(input.account_id)}`);
  return account;
}

/** Mints a key for an account; the key is returned once, the state keeps its hash. */
function mintKey(ctx: Ctx, account: Account, permissions: Permission[]): string {
  const key = `pa_sandbox_${permissions.join("_")}_${randomHex(ctx, 20)}`;
  addKey(ctx.state, key, {
    id: `key_${randomHex(ctx, 8)}`,
    account_id: account.id,
    permissions,
    created_at: isoNow(ctx),
  });
  return key;
}

const SANDBOX_ONLY = "Sandbox-only test keys: they work against this local sandbox and nowhere else.";

export const pipeagent: ProviderDefinition<PipeAgentState> = {
  name: "pipeagent",
  spec,
  initialState,
  errorBody: (_status, message, details) => ({
    error: message,
    ...(details && typeof details === "object" && !Array.isArray(details) ? details : {}),
  }),
  handlers: { createFeed, editFeed, pushFeedData, listCatalog, searchFeeds, getFeedMetadata, getFeedData },
  rateLimits: [
    {
      operations: ["pushFeedData"],
      limit: PUSH_RATE.limit,
      windowMs: PUSH_RATE.windowMs,
      key: (request) => String(request.params.feed_id),
    },
  ],
  rateLimitBody: (decision) => ({
    error: `Rate limit exceeded: ${decision.limit} pushes per minute per feed`,
    retry_after_ms: decision.retryAfterMs,
  }),
  async start(ctx) {
    return { route: (request) => gate(ctx, request) };
  },
  actions: {
    /** The seeded provider's keys (deterministic from the seed). */
    keys: (ctx) => ({ note: SANDBOX_ONLY, account_id: SEED_ACCOUNT_ID, ...seededKeys(ctx.state.seed) }),
    /** A new provider (write + read key) or consumer (read key) account. */
    createAccount: (ctx, input) => {
      const kind = input.kind === "consumer" ? "consumer" : "provider";
      const id = `acct_${randomHex(ctx, 8)}`;
      const account: Account = {
        id,
        name: typeof input.name === "string" ? input.name : `Sandbox ${kind}`,
        kind,
        max_feeds_allowed:
          typeof input.max_feeds_allowed === "number" ? input.max_feeds_allowed : DEFAULT_MAX_FEEDS,
        created_at: isoNow(ctx),
      };
      ctx.state.accounts[id] = account;
      return {
        note: SANDBOX_ONLY,
        account,
        ...(kind === "provider" ? { writeKey: mintKey(ctx, account, ["write"]) } : {}),
        readKey: mintKey(ctx, account, ["read"]),
      };
    },
    /** Another key for an account: `permissions` is a list of "read" / "write". */
    createKey: (ctx, input) => {
      const account = accountOf(ctx, input);
      const asked = Array.isArray(input.permissions) ? input.permissions : ["read"];
      const permissions = (["read", "write"] as const).filter((p) => asked.includes(p));
      if (!permissions.length) throw new Error('permissions must list "read" and/or "write"');
      return {
        note: SANDBOX_ONLY,
        account_id: account.id,
        permissions,
        key: mintKey(ctx, account, [...permissions]),
      };
    },
    /** What operations do on request: raise (or lower) an account's `max_feeds_allowed`. */
    setFeedQuota: (ctx, input) => {
      const account = accountOf(ctx, input);
      const max = Number(input.max_feeds_allowed);
      if (!Number.isSafeInteger(max) || max < 0) throw new Error("max_feeds_allowed must be an integer >= 0");
      account.max_feeds_allowed = max;
      return account;
    },
    /** The operator's review: lists (or unlists) a feed in catalog and search. */
    setFeedPublic: (ctx, input) => {
      const feed = findFeed(ctx.state, String(input.feed_id ?? ""));
      if (!feed) throw new Error(`no feed ${String(input.feed_id)}`);
      feed.row.is_public = input.is_public !== false;
      feed.row.updated_at = isoNow(ctx);
      return feed.row;
    },
  },
  redactState: ({ seed: _seed, ...state }) => state,
};
