/**
 * Feed management: `POST /api/v1/provider/feed/create` and `PATCH /api/v1/provider/feed/{id}/edit`
 * with the document's rules (required fields, unique `endpoint_path`, feed-type aliases, pricing
 * derivation and consistency, the per-account quota, `is_public` reserved to operators, `active`
 * only after the first push).
 */
import type { ProviderContext, SandboxRequest, SandboxResponse } from "../../framework/types.js";
import { schemaProblem } from "./schema.js";
import {
  authenticate,
  type Caller,
  type ConsumerType,
  emptyData,
  type FeedRecord,
  type FeedRow,
  isoNow,
  isResponse,
  newUuid,
  own,
  ownedFeed,
  type PipeAgentState,
  type PriceType,
  type Row,
} from "./state.js";

type Ctx = ProviderContext<PipeAgentState>;

export const FEED_TYPE_ALIASES: Record<string, ConsumerType> = {
  singleton: "singleton",
  collection: "collection",
  stream: "stream",
  snapshot: "singleton",
  version_collection: "collection",
  time_stream: "stream",
};

/** Fields a provider may set; anything else in the body (`created_at`, …) is ignored. */
const EDITABLE = [
  "name",
  "description",
  "readme_md",
  "endpoint_path",
  "schema_definition",
  "schema_version",
  "schema_locked",
  "sample_response",
  "sync_interval_mins",
  "draft_step",
  "status",
  "price_per_1k",
] as const;
const PRICING = ["price_type", "price_per_1k", "one_time_price_cents"] as const;

/** The row a create starts from: the documented defaults. */
function defaults(ctx: Ctx, id: string): FeedRow {
  const now = isoNow(ctx);
  return {
    id,
    name: "",
    endpoint_path: "",
    feed_type: "collection",
    schema_version: 1,
    schema_locked: false,
    sync_interval_mins: 60,
    status: "inactive",
    draft_step: null,
    price_type: "free",
    price_per_1k: 0,
    one_time_price_cents: null,
    is_public: false,
    last_sync_at: null,
    created_at: now,
    updated_at: now,
  };
}

/** `body` applied to `current`, or the message of the rule it breaks (a 400). */
function applyBody(current: FeedRow, body: Row): FeedRow | string {
  if ("is_public" in body && body.is_public !== current.is_public) {
    return "is_public cannot be set by providers; operators enable public discovery after review";
  }
  const next: FeedRow = { ...current };
  for (const field of EDITABLE) {
    if (field in body) (next as unknown as Row)[field] = body[field];
  }
  if (typeof body.feed_type === "string") {
    const type = FEED_TYPE_ALIASES[body.feed_type];
    if (!type) return `feed_type must be one of ${Object.keys(FEED_TYPE_ALIASES).join(", ")}`;
    if (type !== current.feed_type && current.last_sync_at !== null) {
      return "feed_type cannot change after the feed has data";
    }
    next.feed_type = type;
  }
  if ("one_time_price_cents" in body) {
    const cents = body.one_time_price_cents;
    next.one_time_price_cents = typeof cents === "number" ? BigInt(cents) : null;
  }
  if (PRICING.some((field) => field in body)) {
    next.price_type = (body.price_type as PriceType | undefined) ?? derivePriceType(next);
    const problem = pricingProblem(next);
    if (problem) return problem;
  }
  if (next.status === "active" && current.last_sync_at === null) {
    return "status can become active only after the feed's first successful push";
  }
  if (next.status !== "draft" && next.schema_definition === undefined) {
    return 'schema_definition is required unless status is "draft"';
  }
  if (next.schema_locked && next.schema_definition) {
    const problem = schemaProblem(next.schema_definition);
    if (problem) return `schema_definition is not a usable JSON Schema: ${problem}`;
  }
  return next;
}

/** The documented derivation when `price_type` is omitted. */
function derivePriceType(row: FeedRow): PriceType {
  if (row.one_time_price_cents !== null) return "one_time";
  return row.price_per_1k > 0 ? "metered" : "free";
}

function pricingProblem(row: FeedRow): string | undefined {
  const cents = row.one_time_price_cents;
  switch (row.price_type) {
    case "free":
      return row.price_per_1k === 0 && cents === null
        ? undefined
        : "price_type free requires price_per_1k = 0 and one_time_price_cents = null";
    case "metered":
      if (!(row.price_per_1k > 0)) return "price_type metered requires price_per_1k > 0";
      return cents === null ? undefined : "price_type metered requires one_time_price_cents = null";
    case "one_time":
      if (cents === null || cents < 100n) return "price_type one_time requires one_time_price_cents >= 100";
      return row.price_per_1k === 0 ? undefined : "price_type one_time requires price_per_1k = 0";
  }
}

const pathTaken = (state: PipeAgentState, row: FeedRow): boolean =>
  Object.values(state.feeds).some(
    (feed) => feed.row.id !== row.id && feed.row.endpoint_path === row.endpoint_path,
  );

const jsonBody = (ctx: Ctx, request: SandboxRequest): Row | SandboxResponse =>
  request.body && typeof request.body === "object" && !Array.isArray(request.body)
    ? (request.body as Row)
    : ctx.error(400, "Invalid request: send a JSON object with Content-Type: application/json");

export function createFeed(request: SandboxRequest, ctx: Ctx): SandboxResponse {
  const caller = authenticate(ctx, request, "write");
  if (isResponse(caller)) return caller;
  const body = jsonBody(ctx, request);
  if (isResponse(body)) return body;

  // Creating with the id of a feed you own is an UPDATE and takes no quota slot.
  const existing = typeof body.id === "string" ? own(ctx.state.feeds, body.id) : undefined;
  if (existing && existing.owner !== caller.account.id)
    return ctx.error(403, "Feed not found or not owned by this key");
  const start = existing?.row ?? defaults(ctx, typeof body.id === "string" ? body.id : newUuid(ctx));
  const next = applyBody(start, body);
  if (typeof next === "string") return ctx.error(400, next);
  if (pathTaken(ctx.state, next)) return ctx.error(409, "endpoint_path already exists");
  if (!existing) {
    const quota = quotaProblem(ctx, caller);
    if (quota) return quota;
  }
  return save(ctx, existing ?? { owner: caller.account.id, row: next, data: emptyData() }, next);
}

export function editFeed(request: SandboxRequest, ctx: Ctx): SandboxResponse {
  const caller = authenticate(ctx, request, "write");
  if (isResponse(caller)) return caller;
  const feed = ownedFeed(ctx, caller, String(request.params.feed_id));
  if (isResponse(feed)) return feed;
  const body = jsonBody(ctx, request);
  if (isResponse(body)) return body;
  const next = applyBody(feed.row, body);
  if (typeof next === "string") return ctx.error(400, next);
  if (pathTaken(ctx.state, next)) return ctx.error(400, "endpoint_path already exists");
  return save(ctx, feed, next);
}

function quotaProblem(ctx: Ctx, caller: Caller): SandboxResponse | undefined {
  const owned = Object.values(ctx.state.feeds).filter((feed) => feed.owner === caller.account.id).length;
  const max = caller.account.max_feeds_allowed;
  if (owned < max) return undefined;
  return ctx.error(403, `Feed quota exceeded: this account may create at most ${max} feeds`, {
    code: "FEED_QUOTA_EXCEEDED",
  });
}

function save(ctx: Ctx, feed: FeedRecord, row: FeedRow): SandboxResponse {
  feed.row = { ...row, updated_at: isoNow(ctx) };
  ctx.state.feeds[row.id] = feed;
  return { status: 200, body: feed.row };
}
