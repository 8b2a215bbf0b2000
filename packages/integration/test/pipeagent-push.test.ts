/** Bulk push against the PipeAgent sandbox: packing, batches, limits, splits, retries. */
import { fc, test as propTest } from "@fast-check/vitest";
import {
  createPipeAgentClient,
  type FeedCreateRequest,
  FeedIdError,
  PIPEAGENT_RATE_LIMITS,
  type PipeAgentClient,
  PUSH_LIMITS,
  pushRows,
  pushSingleton,
  type Row,
  RowTooLargeError,
  unwrap,
} from "@specyard/pipeagent";
import { type Sandbox, startSandbox } from "@specyard/sandbox";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let sandbox: Sandbox;
let feeds = 0;
beforeAll(async () => {
  sandbox = await startSandbox("pipeagent", { seed: "push-tests" });
});
afterAll(() => sandbox?.close());

async function provider() {
  const made = (await sandbox.admin.act("createAccount", { kind: "provider", max_feeds_allowed: 500 })) as {
    writeKey: string;
    readKey: string;
  };
  return createPipeAgentClient({
    baseUrl: sandbox.url,
    writeKey: made.writeKey,
    readKey: made.readKey,
    rateLimits: PIPEAGENT_RATE_LIMITS,
  });
}

async function feed(client: PipeAgentClient, type: "collection" | "stream") {
  feeds++;
  const body: FeedCreateRequest = {
    name: `Bulk ${feeds}`,
    description: "bulk push test",
    endpoint_path: `bulk-${feeds}`,
    feed_type: type,
    schema_definition: { type: "object", required: ["id"], properties: { id: { type: "string" } } },
  };
  return (await unwrap(client.POST("/api/v1/provider/feed/create", { body }))).id;
}

async function readAll(client: PipeAgentClient, id: string): Promise<Array<{ id: string }>> {
  const out: Array<{ id: string }> = [];
  let cursor: string | null | undefined;
  do {
    const page = (await unwrap(
      client.GET("/v1/feed/{id}", {
        params: { path: { id }, query: { limit: 100, ...(cursor ? { cursor } : {}) } as never },
      }),
    )) as unknown as { data: Array<{ id: string }>; next_cursor: string | null };
    out.push(...page.data);
    cursor = page.next_cursor;
  } while (cursor);
  return out;
}

function* rows(count: number, size: (i: number) => number, prefix = "r"): Generator<Row> {
  for (let i = 0; i < count; i++) yield { id: `${prefix}${i}`, pad: "x".repeat(size(i)) };
}

describe("pushRows", () => {
  it("takes the feed's UUID or its create answer; an endpoint path is a FeedIdError before any request", async () => {
    const client = await provider();
    const created = await unwrap(
      client.POST("/api/v1/provider/feed/create", {
        body: {
          name: "By reference",
          endpoint_path: "by-reference",
          feed_type: "stream",
          schema_definition: { type: "object", required: ["id"], properties: { id: { type: "string" } } },
        },
      }),
    );
    const before = sandbox.admin.stats().requests;
    const byPath = await pushRows(
      client,
      "by-reference",
      rows(3, () => 1),
      { type: "stream" },
    ).catch((error: unknown) => error);
    expect(byPath).toBeInstanceOf(FeedIdError);
    expect((byPath as Error).message).toMatch(/UUID.*"by-reference".*endpoint path/);
    await expect(pushSingleton(client, "by-reference", { a: 1 })).rejects.toBeInstanceOf(FeedIdError);
    expect(sandbox.admin.stats().requests).toBe(before);
    // The create answer itself is a reference.
    const report = await pushRows(
      client,
      created,
      rows(3, () => 1),
      { type: "stream" },
    );
    expect(report.rows).toBe(3);
    expect(await readAll(client, created.id)).toHaveLength(3);
  });

  it("packs rows as full as the limits allow and completes the batch on the last request only", async () => {
    const client = await provider();
    const id = await feed(client, "collection");
    const flags: boolean[] = [];
    // 1,203 small rows: the row limit binds (500 per request).
    const report = await pushRows(
      client,
      id,
      rows(1203, () => 10),
      { type: "collection", onRequest: (s) => flags.push(s.last) },
    );
    expect(report).toMatchObject({ requests: 3, rows: 1203, splits: 0 });
    expect(flags).toEqual([false, false, true]);
    const stored = await readAll(client, id);
    expect(stored.map((r) => r.id)).toEqual([...rows(1203, () => 10)].map((r) => r.id));
  });

  it("fills requests up to the body limit for large rows (within 2% of the lower bound)", async () => {
    const client = await provider();
    const id = await feed(client, "stream");
    const sizes = (i: number) => 20_000 + ((i * 7919) % 25_000);
    const total = [...rows(300, sizes)].reduce((sum, r) => sum + JSON.stringify(r).length + 1, 0);
    const report = await pushRows(client, id, rows(300, sizes), { type: "stream" });
    const lowerBound = Math.ceil(Math.max(300 / 500, total / PUSH_LIMITS.requestBytes));
    expect(report.requests).toBeLessThanOrEqual(Math.ceil(lowerBound * 1.02) + 1);
    expect((await readAll(client, id)).length).toBe(300);
  });

  it("refuses a row over 50 KB by id, before sending the request that would hold it", async () => {
    const client = await provider();
    const id = await feed(client, "collection");
    const sent: number[] = [];
    const error = await pushRows(
      client,
      id,
      rows(10, (i) => (i === 7 ? PUSH_LIMITS.rowBytes : 10)),
      {
        type: "collection",
        onRequest: (s) => sent.push(s.rows),
      },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RowTooLargeError);
    expect((error as RowTooLargeError).rowId).toBe("r7");
    expect(sent).toEqual([]);
    // The batch never completed: readers still see the previous (empty) state.
    expect(await readAll(client, id)).toEqual([]);
  });

  it("splits on a 413 when the server's limits are tighter than the client's", async () => {
    const client = await provider();
    const id = await feed(client, "stream");
    const report = await pushRows(
      client,
      id,
      rows(900, () => 5),
      { type: "stream", limits: { rows: 900 } },
    );
    expect(report.splits).toBeGreaterThan(0);
    expect(report.rows).toBe(900);
    expect((await readAll(client, id)).length).toBe(900);
  });

  it("survives 429s with hints, 5xx and lost answers, storing every row exactly once", async () => {
    const client = await provider();
    const id = await feed(client, "stream");
    sandbox.admin.setFaults([
      {
        route: "pushFeedData",
        sequence: [
          { kind: "rate-limit", hint: "body", ms: 50 },
          { kind: "server-error", status: 503 },
          { kind: "reset-after" },
          { kind: "rate-limit", hint: "retry-after-ms", ms: 30 },
        ],
      },
    ]);
    try {
      const report = await pushRows(
        client,
        id,
        rows(1400, () => 30),
        { type: "stream" },
      );
      expect(report.rows).toBe(1400);
      const stored = (await readAll(client, id)).map((r) => r.id);
      expect(new Set(stored).size).toBe(1400);
      expect(stored.length).toBe(1400);
    } finally {
      sandbox.admin.setFaults([]);
    }
  });

  propTest.prop([fc.array(fc.integer({ min: 0, max: 3000 }), { minLength: 1, maxLength: 700 })], {
    numRuns: 8,
  })("random row sizes: every row stored once, no request over the limits", async (sizes) => {
    const client = await provider();
    const id = await feed(client, "collection");
    const seen: Array<{ rows: number; bytes: number }> = [];
    await pushRows(
      client,
      id,
      rows(sizes.length, (i) => sizes[i] ?? 0),
      { type: "collection", onRequest: (s) => seen.push(s) },
    );
    for (const s of seen) {
      expect(s.rows).toBeLessThanOrEqual(500);
      expect(s.bytes).toBeLessThanOrEqual(PUSH_LIMITS.requestBytes);
    }
    expect((await readAll(client, id)).length).toBe(sizes.length);
  });
});
