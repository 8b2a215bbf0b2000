/**
 * Consumer reads: catalog, search, metadata and data. Reads are free: neither the document nor the
 * spec says how credits are counted, so the sandbox never answers 402.
 */
import type { ProviderContext, SandboxRequest, SandboxResponse } from "../../framework/types.js";
import {
  authenticate,
  type FeedRecord,
  findFeed,
  isResponse,
  type PipeAgentState,
  type Row,
} from "./state.js";

type Ctx = ProviderContext<PipeAgentState>;

const DEFAULT_LIMIT = 20;
/** Query parameters of `GET /v1/feed/{id}` that are not filters. */
const RESERVED = new Set(["limit", "offset", "cursor", "start_time", "end_time"]);

function page(request: SandboxRequest): { limit: number; offset: number } {
  return {
    limit: typeof request.query.limit === "number" ? request.query.limit : DEFAULT_LIMIT,
    offset: typeof request.query.offset === "number" ? request.query.offset : 0,
  };
}

function summary(feed: FeedRecord) {
  const row = feed.row;
  return {
    id: row.id,
    name: row.name,
    description: row.description ?? null,
    endpoint_path: row.endpoint_path,
    consumer_type: row.feed_type,
    price_type: row.price_type,
    price_per_1k: row.price_per_1k,
    one_time_price_cents: row.one_time_price_cents,
    last_sync_at: row.last_sync_at,
  };
}

/** Active feeds an operator made public, in creation order. */
const listed = (state: PipeAgentState): FeedRecord[] =>
  Object.values(state.feeds).filter((feed) => feed.row.is_public && feed.row.status === "active");

function listing(request: SandboxRequest, feeds: FeedRecord[]) {
  const { limit, offset } = page(request);
  return {
    feeds: feeds.slice(offset, offset + limit).map(summary),
    total: feeds.length,
    limit,
    offset,
    has_more: offset + limit < feeds.length,
  };
}

export function listCatalog(request: SandboxRequest, ctx: Ctx): SandboxResponse {
  const caller = authenticate(ctx, request, "read");
  if (isResponse(caller)) return caller;
  return { status: 200, body: listing(request, listed(ctx.state)) };
}

/** Every keyword must appear (case-insensitively) in the name, description or endpoint_path. */
export function searchFeeds(request: SandboxRequest, ctx: Ctx): SandboxResponse {
  const caller = authenticate(ctx, request, "read");
  if (isResponse(caller)) return caller;
  const q = String(request.query.q ?? "").trim();
  const terms = q.toLowerCase().split(/\s+/).filter(Boolean);
  if (!terms.length) return ctx.error(400, "Invalid request: q must contain a keyword");
  const matches = listed(ctx.state).filter((feed) => {
    const text = `${feed.row.name} ${feed.row.description ?? ""} ${feed.row.endpoint_path}`.toLowerCase();
    return terms.every((term) => text.includes(term));
  });
  return { status: 200, body: { q, ...listing(request, matches) } };
}

export function getFeedMetadata(request: SandboxRequest, ctx: Ctx): SandboxResponse {
  const caller = authenticate(ctx, request, "read");
  if (isResponse(caller)) return caller;
  const feed = findFeed(ctx.state, String(request.params.id));
  if (!feed) return ctx.error(404, "Feed not found");
  const row = feed.row;
  return {
    status: 200,
    body: {
      id: row.id,
      name: row.name,
      description: row.description ?? null,
      endpoint_path: row.endpoint_path,
      consumer_type: row.feed_type,
      ...(row.schema_definition ? { schema: row.schema_definition } : {}),
      ...(row.sample_response !== undefined ? { sample: row.sample_response } : {}),
      pricing: {
        price_type: row.price_type,
        price_per_1k: row.price_per_1k,
        one_time_price_cents: row.one_time_price_cents,
      },
      last_sync_at: row.last_sync_at,
    },
  };
}

/** `?field=eq.value` filters; any other operator is refused (range and pattern filters are disabled). */
function filtersOf(request: SandboxRequest): Array<[string, string]> | string {
  const filters: Array<[string, string]> = [];
  for (const [field, value] of request.rawQuery) {
    if (RESERVED.has(field)) continue;
    if (!value.startsWith("eq."))
      return `Invalid filter ${field}: only equality filters (field=eq.value) are supported`;
    filters.push([field, value.slice(3)]);
  }
  return filters;
}

const matches = (row: Row, filters: Array<[string, string]>): boolean =>
  filters.every(([field, value]) => {
    const actual = row[field];
    return (
      (actual === null || ["string", "number", "boolean"].includes(typeof actual)) && String(actual) === value
    );
  });

/** Cursors are opaque: base64url JSON of the next offset and the collection batch they belong to. */
const encodeCursor = (offset: number, serial: number): string =>
  Buffer.from(JSON.stringify({ o: offset, b: serial })).toString("base64url");

function decodeCursor(cursor: string, serial: number): number | string {
  try {
    const { o, b } = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as {
      o: unknown;
      b: unknown;
    };
    if (!Number.isSafeInteger(o) || (o as number) < 0 || typeof b !== "number") return "Invalid cursor";
    if (b !== serial) return "Cursor expired: the collection has a newer batch; start again without a cursor";
    return o as number;
  } catch {
    return "Invalid cursor";
  }
}

export function getFeedData(request: SandboxRequest, ctx: Ctx): SandboxResponse {
  const caller = authenticate(ctx, request, "read");
  if (isResponse(caller)) return caller;
  const feed = findFeed(ctx.state, String(request.params.id));
  if (!feed) return ctx.error(404, "Feed not found");
  const filters = filtersOf(request);
  if (typeof filters === "string") return ctx.error(400, filters);
  const { cursor, start_time: start, end_time: end } = request.query as Record<string, string | undefined>;
  const type = feed.row.feed_type;
  if (type !== "stream" && (start !== undefined || end !== undefined)) {
    return ctx.error(400, "start_time and end_time apply to stream feeds only");
  }
  if (type === "singleton") {
    if (cursor !== undefined) return ctx.error(400, "cursor applies to collection and stream feeds only");
    const document = feed.data.document;
    // Before the first push, or when a filter does not match, the document is empty.
    return { status: 200, body: document && matches(document, filters) ? document : {} };
  }

  const serial = type === "collection" ? feed.data.serial : 0;
  let rows: Row[];
  if (type === "collection") rows = feed.data.live.rows;
  else {
    const from = start === undefined ? Number.NEGATIVE_INFINITY : Date.parse(start);
    const to = end === undefined ? Number.POSITIVE_INFINITY : Date.parse(end);
    rows = feed.data.events.filter((event) => event.at >= from && event.at <= to).map((event) => event.row);
  }
  if (filters.length) rows = rows.filter((row) => matches(row, filters));
  const { limit } = page(request);
  let { offset } = page(request);
  if (cursor !== undefined) {
    const decoded = decodeCursor(cursor, serial);
    if (typeof decoded === "string") return ctx.error(400, decoded);
    offset = decoded;
  }
  const hasMore = offset + limit < rows.length;
  return {
    status: 200,
    body: {
      data: rows.slice(offset, offset + limit),
      limit,
      offset,
      has_more: hasMore,
      next_cursor: hasMore ? encodeCursor(offset + limit, serial) : null,
    },
  };
}
