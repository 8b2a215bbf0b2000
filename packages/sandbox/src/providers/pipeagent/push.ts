/**
 * `POST /api/v1/provider/feed/{feed_id}/push`: the size guardrails (checked on the raw body, before
 * the spec's own validation, so the documented 413 wins over `maxItems: 500`), schema lock, and the
 * storage semantics of each feed type.
 *
 * Collections: rows pushed without `batch_id` go straight into the live batch (readers see them at
 * once). Rows with a `batch_id` go into that open batch, invisible to readers until a push with
 * `batch_complete: true` makes it the live batch and retires the previous live batch and every
 * batch opened before it. While a batch is open, readers keep seeing the last complete batch. A push
 * with `batch_complete: true` and no `batch_id` is a one-request snapshot that replaces the live
 * batch. Within a batch, rows are keyed by `id`: a repeated id replaces the row (chunk retries are
 * safe). Streams append; a row whose `id` is already stored is skipped (an idempotent retry).
 */
import type { ProviderContext, SandboxRequest, SandboxResponse } from "../../framework/types.js";
import { type FieldError, validateAgainst } from "./schema.js";
import {
  authenticate,
  type Batch,
  type FeedRecord,
  isoNow,
  isResponse,
  ownedFeed,
  type PipeAgentState,
  type Row,
  type StreamEvent,
} from "./state.js";

type Ctx = ProviderContext<PipeAgentState>;

const MB = 1024 * 1024;
export const PUSH_LIMITS = {
  singletonBody: 4 * MB,
  requestBody: 2 * MB,
  rowBytes: 50 * 1024,
  rows: 500,
} as const;
export const PUSH_RATE = { limit: 20, windowMs: 60_000 } as const;

interface Push {
  payload: unknown;
  batchId: string | undefined;
  batchComplete: boolean | undefined;
  /** JSON Pointer of the payload in the body: `/payload`, or `` for the legacy form. */
  at: string;
}

/** The wrapper `{ payload, batch_id, batch_complete }`, or the legacy body that is the payload. */
function readPush(body: unknown): Push {
  if (body && typeof body === "object" && !Array.isArray(body) && "payload" in body) {
    const envelope = body as { payload: unknown; batch_id?: unknown; batch_complete?: unknown };
    return {
      payload: envelope.payload,
      batchId: typeof envelope.batch_id === "string" ? envelope.batch_id : undefined,
      batchComplete: typeof envelope.batch_complete === "boolean" ? envelope.batch_complete : undefined,
      at: "/payload",
    };
  }
  return { payload: body, batchId: undefined, batchComplete: undefined, at: "" };
}

const rowsOf = (payload: unknown): unknown[] => (Array.isArray(payload) ? payload : [payload]);

function tooLarge(ctx: Ctx, message: string, limit: string): SandboxResponse {
  return ctx.error(413, message, { limit });
}

/** The 413 a push body earns under the documented guardrails, if any (raw body, any content). */
export function pushLimitProblem(ctx: Ctx, feed: FeedRecord, raw: Buffer): SandboxResponse | undefined {
  if (feed.row.feed_type === "singleton") {
    return raw.length > PUSH_LIMITS.singletonBody
      ? tooLarge(
          ctx,
          `Request body over 4 MB (${PUSH_LIMITS.singletonBody} bytes) for a singleton feed`,
          "singleton_body",
        )
      : undefined;
  }
  if (raw.length > PUSH_LIMITS.requestBody) {
    return tooLarge(ctx, `Request body over 2 MB (${PUSH_LIMITS.requestBody} bytes)`, "request_body");
  }
  let body: unknown;
  try {
    body = JSON.parse(raw.toString("utf8"));
  } catch {
    return undefined; // not JSON: the spec validation answers 400
  }
  const rows = rowsOf(readPush(body).payload);
  if (rows.length > PUSH_LIMITS.rows) {
    return tooLarge(ctx, `Too many rows in one request (max ${PUSH_LIMITS.rows})`, "row_count");
  }
  const index = rows.findIndex(
    (row) => Buffer.byteLength(JSON.stringify(row) ?? "", "utf8") > PUSH_LIMITS.rowBytes,
  );
  if (index >= 0) {
    return tooLarge(
      ctx,
      `Row ${index} is over 50 KB (${PUSH_LIMITS.rowBytes} bytes of serialized JSON)`,
      "row_payload",
    );
  }
  return undefined;
}

/** Row id as a map key; `1` and `"1"` stay distinct. */
const idKey = (row: Row): string => `${typeof row.id}:${String(row.id)}`;

export function pushFeedData(request: SandboxRequest, ctx: Ctx): SandboxResponse {
  const caller = authenticate(ctx, request, "write");
  if (isResponse(caller)) return caller;
  const feed = ownedFeed(ctx, caller, String(request.params.feed_id));
  if (isResponse(feed)) return feed;
  if (feed.row.status === "draft") {
    return ctx.error(400, 'Feed is a draft: set status "inactive" (with a schema_definition) before pushing');
  }
  if (request.body === undefined)
    return ctx.error(400, "Invalid request: send JSON with Content-Type: application/json");
  const push = readPush(request.body);
  const type = feed.row.feed_type;
  const batched = push.batchId !== undefined || push.batchComplete !== undefined;
  if (type !== "collection" && batched)
    return ctx.error(400, "batch_id and batch_complete are for collection feeds only");

  if (type === "singleton" && Array.isArray(push.payload)) {
    return ctx.error(400, "A singleton feed takes a single object as payload");
  }
  const documents = rowsOf(push.payload);
  /** JSON Pointer of document `i` in the request body. */
  const at = (i: number) => (Array.isArray(push.payload) ? `${push.at}/${i}` : push.at);
  const problems: FieldError[] = [];
  documents.forEach((doc, i) => {
    if (!doc || typeof doc !== "object" || Array.isArray(doc))
      problems.push({ path: at(i), message: "must be an object" });
    else if (type !== "singleton" && !["string", "number"].includes(typeof (doc as Row).id)) {
      problems.push({ path: `${at(i)}/id`, message: "each row needs an id (string or number)" });
    }
  });
  if (problems.length) {
    const summary = problems.map((p) => `${p.path || "/"} ${p.message}`).join("; ");
    return ctx.error(400, `Invalid rows: ${summary}`, { details: problems });
  }
  const schema = feed.row.schema_definition;
  if (feed.row.schema_locked && schema) {
    const failures = documents.flatMap((doc, i) => validateAgainst(schema, doc, at(i)));
    if (failures.length)
      return ctx.error(422, "Payload does not match the feed schema", { details: failures });
  }

  const rows = documents as Row[];
  let stored = rows.length;
  if (type === "singleton") feed.data.document = rows[0] ?? {};
  else if (type === "stream") stored = appendEvents(feed, rows, ctx.clock.now());
  else storeCollection(ctx, feed, rows, push);

  const now = isoNow(ctx);
  if (feed.row.last_sync_at === null && feed.row.status === "inactive") feed.row.status = "active";
  feed.row.last_sync_at = now;
  return {
    status: 200,
    body: {
      success: true,
      feed_id: feed.row.id,
      feed_type: type,
      rows: stored,
      ...(type === "collection"
        ? { batch_id: push.batchId ?? null, batch_complete: push.batchComplete ?? false }
        : {}),
    },
  };
}

/** Row positions by id, per rows array (rebuilt lazily after a restart or a reset). */
const positions = new WeakMap<Row[], Map<string, number>>();

function upsert(batch: Batch, rows: Row[]): void {
  let index = positions.get(batch.rows);
  if (!index) {
    index = new Map(batch.rows.map((row, i) => [idKey(row), i]));
    positions.set(batch.rows, index);
  }
  for (const row of rows) {
    const at = index.get(idKey(row));
    if (at === undefined) {
      index.set(idKey(row), batch.rows.length);
      batch.rows.push(row);
    } else batch.rows[at] = row;
  }
}

function storeCollection(ctx: Ctx, feed: FeedRecord, rows: Row[], push: Push): void {
  const data = feed.data;
  const { batchId, batchComplete } = push;
  if (batchId === undefined || batchId === data.live.id) {
    if (batchComplete && batchId === undefined) {
      // A one-request snapshot: replaces the live batch and retires every open one.
      data.live = { id: null, rows: [], opened: ++ctx.state.sequence };
      data.serial++;
      data.open = [];
    }
    upsert(data.live, rows);
    return;
  }
  let batch = data.open.find((open) => open.id === batchId);
  if (!batch) {
    batch = { id: batchId, rows: [], opened: ++ctx.state.sequence };
    data.open.push(batch);
  }
  upsert(batch, rows);
  if (!batchComplete) return;
  const completed = batch;
  data.open = data.open.filter((open) => open.opened > completed.opened);
  data.live = completed;
  data.serial++;
}

/** Ids already in a stream, per events array. */
const streamIds = new WeakMap<StreamEvent[], Set<string>>();

function appendEvents(feed: FeedRecord, rows: Row[], now: number): number {
  const events = feed.data.events;
  let ids = streamIds.get(events);
  if (!ids) {
    ids = new Set(events.map((event) => idKey(event.row)));
    streamIds.set(events, ids);
  }
  let stored = 0;
  for (const row of rows) {
    if (ids.has(idKey(row))) continue;
    ids.add(idKey(row));
    events.push({ row, at: eventTime(row, now) });
    stored++;
  }
  return stored;
}

/** A row's `event_timestamp` (a date-time string) in epoch ms, else the time it arrived. */
function eventTime(row: Row, now: number): number {
  const parsed = typeof row.event_timestamp === "string" ? Date.parse(row.event_timestamp) : Number.NaN;
  return Number.isFinite(parsed) ? parsed : now;
}
