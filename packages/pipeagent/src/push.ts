/**
 * Bulk push that respects every documented limit: rows are streamed into requests packed as full as
 * the limits allow, collections share one `batch_id` with `batch_complete: true` only on the last
 * request, a 413 splits the request, 429s wait what the server asks, and memory stays flat in the
 * number of rows (one request being packed, one waiting to be sent).
 */
import { PayloadTooLargeError, unwrap } from "@specyard/http";
import type { PipeAgentClient } from "./client.js";

const KiB = 1024;
const MiB = 1024 * KiB;

/** The documented guardrails (deployments may override them). */
export const PUSH_LIMITS = {
  rows: 500,
  requestBytes: 2 * MiB,
  singletonBytes: 4 * MiB,
  rowBytes: 50 * KiB,
} as const;
export type PushLimits = { -readonly [K in keyof typeof PUSH_LIMITS]: number };

/** A row over the per-row limit; raised before any request holding it is sent. */
export class RowTooLargeError extends Error {
  override name = "RowTooLargeError";
  readonly rowId: string | number;
  readonly bytes: number;
  readonly limit: number;
  constructor(rowId: string | number, bytes: number, limit: number) {
    super(`row ${JSON.stringify(rowId)} is ${bytes} bytes of JSON, over the ${limit}-byte row limit`);
    this.rowId = rowId;
    this.bytes = bytes;
    this.limit = limit;
  }
}

/** A collection or stream row without a string or number `id` (retries rely on it). */
export class RowIdError extends Error {
  override name = "RowIdError";
  readonly index: number;
  constructor(index: number) {
    super(`row ${index} has no string or number id`);
    this.index = index;
  }
}

export type Row = { id: string | number } & Record<string, unknown>;

/**
 * The feed to push to: its UUID (`id` in the answer of `feed/create`), or that answer itself. The
 * endpoint path (`github-ai-repos`) names a feed only on the consumer routes.
 */
export type FeedRef = string | { id: string };

/** A feed given by something other than its UUID; raised before any request is sent. */
export class FeedIdError extends TypeError {
  override name = "FeedIdError";
  readonly value: string;
  constructor(value: string) {
    super(
      `feed: push takes the feed's UUID (the id feed/create returned), not ${JSON.stringify(value.slice(0, 80))}` +
        (/^[a-z0-9][a-z0-9_-]*$/i.test(value) ? " (that looks like an endpoint path)" : ""),
    );
    this.value = value;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The UUID of a feed reference, or a `FeedIdError`. */
export function feedIdOf(feed: FeedRef): string {
  const id = typeof feed === "string" ? feed : feed.id;
  if (typeof id !== "string" || !UUID.test(id)) throw new FeedIdError(String(id));
  return id;
}

export interface PushRowsOptions {
  type: "collection" | "stream";
  /** For collections: the batch the rows form (default: a new UUID). */
  batchId?: string;
  limits?: Partial<PushLimits>;
  signal?: AbortSignal;
  /** Called after each accepted request. */
  onRequest?: (sent: { rows: number; bytes: number; last: boolean }) => void;
}

export interface PushReport {
  requests: number;
  rows: number;
  /** Body bytes sent in accepted requests. */
  bytes: number;
  /** Requests split after a 413. */
  splits: number;
  batchId: string | undefined;
}

interface Chunk {
  rows: string[];
  bytes: number;
}

const encoder = new TextEncoder();
const utf8Length = (text: string) => encoder.encode(text).length;

/** Pushes every row of a collection or stream feed. */
export async function pushRows(
  client: PipeAgentClient,
  feed: FeedRef,
  rows: Iterable<Row> | AsyncIterable<Row>,
  options: PushRowsOptions,
): Promise<PushReport> {
  const feedId = feedIdOf(feed);
  const limits: PushLimits = { ...PUSH_LIMITS, ...options.limits };
  const batchId = options.type === "collection" ? (options.batchId ?? crypto.randomUUID()) : undefined;
  const report: PushReport = { requests: 0, rows: 0, bytes: 0, splits: 0, batchId };
  // Rows carry ids, so a request sent twice stores each row once: retries are safe.
  const sender = client.withOptions({
    idempotent: true,
    maxRetries: 6,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const envelope = (last: boolean) =>
    batchId ? `,"batch_id":${JSON.stringify(batchId)},"batch_complete":${last}` : "";
  const baseBytes = utf8Length(`{"payload":[]${envelope(false)}}`) + 1; // +1: "true" is shorter than "false"

  const send = async (chunk: Chunk, last: boolean): Promise<void> => {
    const body = `{"payload":[${chunk.rows.join(",")}]${envelope(last)}}`;
    try {
      await unwrap(
        sender.POST("/api/v1/provider/feed/{feed_id}/push", {
          params: { path: { feed_id: feedId } },
          body: {} as never,
          bodySerializer: () => body,
        }),
      );
    } catch (error) {
      if (!(error instanceof PayloadTooLargeError) || chunk.rows.length < 2) throw error;
      // The server's limits are tighter than ours: halve and go on.
      report.splits++;
      const half = Math.ceil(chunk.rows.length / 2);
      const [a, b] = [chunk.rows.slice(0, half), chunk.rows.slice(half)];
      await send({ rows: a, bytes: a.reduce((s, r) => s + utf8Length(r) + 1, 0) }, false);
      await send({ rows: b, bytes: b.reduce((s, r) => s + utf8Length(r) + 1, 0) }, last);
      return;
    }
    report.requests++;
    report.rows += chunk.rows.length;
    report.bytes += utf8Length(body);
    options.onRequest?.({ rows: chunk.rows.length, bytes: utf8Length(body), last });
  };

  let pending: Chunk | undefined;
  let current: Chunk = { rows: [], bytes: 0 };
  let index = 0;
  for await (const row of rows) {
    options.signal?.throwIfAborted();
    const id = (row as { id?: unknown }).id;
    if (typeof id !== "string" && typeof id !== "number") throw new RowIdError(index);
    const text = JSON.stringify(row);
    const size = utf8Length(text);
    if (size > limits.rowBytes) throw new RowTooLargeError(id, size, limits.rowBytes);
    const separator = current.rows.length ? 1 : 0;
    if (
      current.rows.length >= limits.rows ||
      baseBytes + current.bytes + separator + size > limits.requestBytes
    ) {
      // The previous chunk is not the last one: send it now, keep this one back.
      if (pending) await send(pending, false);
      pending = current;
      current = { rows: [], bytes: 0 };
    }
    current.bytes += (current.rows.length ? 1 : 0) + size;
    current.rows.push(text);
    index++;
  }
  if (pending) await send(pending, current.rows.length === 0);
  if (current.rows.length) await send(current, true);
  return report;
}

/** Pushes one singleton document (it replaces what the feed held), refusing over the 4 MB limit before sending. */
export async function pushSingleton(
  client: PipeAgentClient,
  feed: FeedRef,
  payload: Record<string, unknown>,
  limits: Partial<PushLimits> = {},
): Promise<void> {
  const feedId = feedIdOf(feed);
  const body = JSON.stringify({ payload });
  const bytes = utf8Length(body);
  const limit = limits.singletonBytes ?? PUSH_LIMITS.singletonBytes;
  if (bytes > limit) throw new RowTooLargeError("singleton", bytes, limit);
  await unwrap(
    client.withOptions({ idempotent: true }).POST("/api/v1/provider/feed/{feed_id}/push", {
      params: { path: { feed_id: feedId } },
      body: {} as never,
      bodySerializer: () => body,
    }),
  );
}

/**
 * Pushes several feeds at once: at most `concurrency` feeds in flight, each feed's requests in
 * order. Resolves with each feed's report; the first error rejects after the others settle.
 */
export async function pushMany(
  client: PipeAgentClient,
  jobs: ReadonlyArray<{
    feedId: FeedRef;
    rows: Iterable<Row> | AsyncIterable<Row>;
    options: PushRowsOptions;
  }>,
  concurrency = 4,
): Promise<PushReport[]> {
  const results: PushReport[] = new Array(jobs.length);
  let next = 0;
  let failure: unknown;
  for (const job of jobs) feedIdOf(job.feedId); // every reference checked before the first push
  const worker = async () => {
    while (next < jobs.length && failure === undefined) {
      const at = next++;
      const job = jobs[at];
      if (!job) return;
      try {
        results[at] = await pushRows(client, job.feedId, job.rows, job.options);
      } catch (error) {
        failure ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, jobs.length)) }, worker));
  if (failure !== undefined) throw failure;
  return results;
}
