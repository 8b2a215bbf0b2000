/** The PipeAgent sandbox's pushes (collection and snapshot semantics) and the reads of a feed. */
import { describe, expect, it } from "vitest";
import {
  checked,
  create,
  feedBody,
  provider,
  push,
  ROW_SCHEMA,
  read,
  rowsOf,
  sandbox,
  useSandbox,
} from "./helpers.js";

useSandbox();

describe("PipeAgent sandbox: push semantics and reads", () => {
  it("singleton: each push replaces the stored document; the legacy body works too", async () => {
    const { client } = await provider();
    const feed = await create(
      client,
      feedBody({ feed_type: "snapshot", schema_definition: { type: "object" } }),
    );
    expect((await read(client, feed.id)).data).toEqual({});
    const { data } = await push(client, feed.id, {
      payload: { market: "SOL-USDC", price: 172.41, sentiment: "bullish" },
    });
    expect(data).toMatchObject({ feed_type: "singleton", rows: 1 });
    expect((await read(client, feed.id)).data).toEqual({
      market: "SOL-USDC",
      price: 172.41,
      sentiment: "bullish",
    });
    await push(client, feed.id, { market: "SOL-USDC", price: 180 }); // legacy
    expect((await read(client, feed.endpoint_path)).data).toEqual({ market: "SOL-USDC", price: 180 });
    expect((await read(client, feed.id, { filters: { price: "eq.180" } })).data).toEqual({
      market: "SOL-USDC",
      price: 180,
    });
    expect((await read(client, feed.id, { filters: { price: "eq.1" } })).data).toEqual({});
    expect((await push(client, feed.id, { payload: [{ id: 1 }] })).response.status).toBe(400);
    expect((await push(client, feed.id, { payload: { a: 1 }, batch_id: "b" })).response.status).toBe(400);
  });

  it("collection: rows without batch_id are live at once; a chunked batch shows only when complete", async () => {
    const { client } = await provider();
    const feed = await create(client, feedBody({ feed_type: "collection" }));
    await push(client, feed.id, {
      payload: [
        { id: "old-1", name: "o1" },
        { id: "old-2", name: "o2" },
      ],
    });
    await push(client, feed.id, { payload: { id: "old-3", name: "o3" } }); // one object → one row
    await push(client, feed.id, { payload: { id: "old-1", name: "o1 again" } }); // same id replaces
    expect(rowsOf((await read(client, feed.id)).data)).toEqual([
      { id: "old-1", name: "o1 again" },
      { id: "old-2", name: "o2" },
      { id: "old-3", name: "o3" },
    ]);

    const chunk1 = await push(client, feed.id, {
      payload: [{ id: "cool-project", name: "cool-project", stars: 4200 }],
      batch_id: "2025-06-02",
      batch_complete: false,
    });
    expect(chunk1.data).toMatchObject({ rows: 1, batch_id: "2025-06-02", batch_complete: false });
    // While the batch is open, readers keep seeing the last complete batch.
    expect(rowsOf((await read(client, feed.id)).data).map((r) => r.id)).toEqual(["old-1", "old-2", "old-3"]);
    await push(client, feed.id, {
      payload: [{ id: "agent-kit", name: "agent-kit", stars: 1310 }],
      batch_id: "2025-06-02",
    });
    await push(client, feed.id, {
      payload: [{ id: "tiny-llm", name: "tiny-llm", stars: 870 }],
      batch_id: "2025-06-02",
      batch_complete: true,
    });
    expect(rowsOf((await read(client, feed.id)).data)).toEqual([
      { id: "cool-project", name: "cool-project", stars: 4200 },
      { id: "agent-kit", name: "agent-kit", stars: 1310 },
      { id: "tiny-llm", name: "tiny-llm", stars: 870 },
    ]);
    // Retrying the final chunk is harmless.
    await push(client, feed.id, {
      payload: [{ id: "tiny-llm", name: "tiny-llm", stars: 870 }],
      batch_id: "2025-06-02",
      batch_complete: true,
    });
    expect(rowsOf((await read(client, feed.id)).data)).toHaveLength(3);
    // A one-request snapshot replaces everything.
    await push(client, feed.id, { payload: [{ id: "only", name: "only" }], batch_complete: true });
    expect(rowsOf((await read(client, feed.id)).data)).toEqual([{ id: "only", name: "only" }]);
    // batch_id and feed refs are plain text, prototype names included.
    await push(client, feed.id, {
      payload: [{ id: "p", name: "p" }],
      batch_id: "__proto__",
      batch_complete: true,
    });
    expect(rowsOf((await read(client, feed.id)).data)).toEqual([{ id: "p", name: "p" }]);
    expect((await read(client, "toString")).response.status).toBe(404);
    // Rows need an id.
    const { response, error } = await push(client, feed.id, { payload: { name: "no id" } });
    expect(response.status).toBe(400);
    expect(error?.details?.[0]?.path).toBe("/payload/id");
  });

  it("stream: appends, skips a repeated row id, and bounds reads by event_timestamp", async () => {
    const { client } = await provider();
    const feed = await create(
      client,
      feedBody({ feed_type: "time_stream", schema_definition: { type: "object" } }),
    );
    const events = [
      { id: 98121, headline: "one", event_timestamp: "2025-06-01T08:00:00Z" },
      { id: 98122, headline: "two", event_timestamp: "2025-06-02T08:00:00Z" },
    ];
    expect((await push(client, feed.id, { payload: events })).data).toMatchObject({
      feed_type: "stream",
      rows: 2,
    });
    const retry = await push(client, feed.id, { payload: events });
    expect(retry.data?.rows).toBe(0);
    await push(client, feed.id, [
      { id: "98123", headline: "three", event_timestamp: "2025-06-03T08:00:00Z" },
    ]); // legacy rows
    expect(rowsOf((await read(client, feed.id)).data).map((r) => r.headline)).toEqual([
      "one",
      "two",
      "three",
    ]);
    const window = await read(client, feed.id, {
      start_time: "2025-06-02T08:00:00Z",
      end_time: "2025-06-03T00:00:00Z",
    });
    expect(rowsOf(window.data).map((r) => r.headline)).toEqual(["two"]);
    expect((await push(client, feed.id, { payload: events, batch_id: "x" })).response.status).toBe(400);
    const collection = await create(client, feedBody());
    expect((await read(client, collection.id, { start_time: "2025-06-02T08:00:00Z" })).response.status).toBe(
      400,
    );
  });

  it("pages with limit/offset and an opaque cursor, and filters with field=eq.value", async () => {
    const { client } = await provider();
    const feed = await create(client, feedBody({ schema_definition: { type: "object" } }));
    const rows = Array.from({ length: 45 }, (_, i) => ({ id: i, parity: i % 2 ? "odd" : "even", n: i }));
    await push(client, feed.id, { payload: rows });
    const first = (await read(client, feed.id, { limit: 20 })).data as Record<string, unknown>;
    expect(first).toMatchObject({ limit: 20, offset: 0, has_more: true });
    const seen: unknown[] = [];
    let cursor: string | null | undefined;
    do {
      const { data } = await read(client, feed.id, { limit: 20, ...(cursor ? { cursor } : {}) });
      const page = data as { data: Array<{ id: number }>; next_cursor: string | null };
      seen.push(...page.data.map((r) => r.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual(rows.map((r) => r.id));
    const last = (await read(client, feed.id, { limit: 20, offset: 40 })).data;
    expect(last).toMatchObject({ offset: 40, has_more: false, next_cursor: null });
    expect(rowsOf(last)).toHaveLength(5);

    const odd = rowsOf((await read(client, feed.id, { limit: 100, filters: { parity: "eq.odd" } })).data);
    expect(odd).toHaveLength(22);
    expect(rowsOf((await read(client, feed.id, { filters: { n: "eq.7" } })).data)).toEqual([rows[7]]);
    expect((await read(client, feed.id, { filters: { n: "gt.7" } })).response.status).toBe(400);
    expect((await read(client, feed.id, { cursor: "not-a-cursor" })).response.status).toBe(400);
    expect((await read(client, feed.id, { limit: 101 })).response.status).toBe(400);
    expect((await read(client, "no-such-feed")).response.status).toBe(404);

    // A cursor of a retired batch is refused rather than mixing batches.
    const stale = (first as { next_cursor: string }).next_cursor;
    await push(client, feed.id, { payload: [{ id: "new" }], batch_complete: true });
    expect((await read(client, feed.id, { cursor: stale })).response.status).toBe(400);
  });

  it("serves metadata by id or endpoint_path, and pages the catalog", async () => {
    const { client } = await provider();
    const feed = await create(
      client,
      feedBody({ sample_response: { id: "x", name: "y" }, price_per_1k: 0.25, schema_locked: true }),
    );
    const { data } = await checked(
      "/v1/feed/{id}/metadata",
      "get",
      client.GET("/v1/feed/{id}/metadata", { params: { path: { id: feed.endpoint_path } } }),
    );
    expect(data).toMatchObject({
      id: feed.id,
      consumer_type: "collection",
      schema: ROW_SCHEMA,
      sample: { id: "x", name: "y" },
      pricing: { price_type: "metered", price_per_1k: 0.25, one_time_price_cents: null },
      last_sync_at: null,
    });
    const { response } = await client.GET("/v1/feed/{id}/metadata", { params: { path: { id: "missing" } } });
    expect(response.status).toBe(404);

    for (let i = 0; i < 3; i++) {
      const listed = await create(client, feedBody());
      await push(client, listed.id, { payload: [{ id: "a", name: "b" }] });
      await sandbox.admin.act("setFeedPublic", { feed_id: listed.endpoint_path });
    }
    const all = (
      await checked("/v1/catalog", "get", client.GET("/v1/catalog", { params: { query: { limit: 100 } } }))
    ).data;
    expect(all?.total).toBeGreaterThanOrEqual(3);
    const page = (await client.GET("/v1/catalog", { params: { query: { limit: 2, offset: 1 } } })).data;
    expect(page).toMatchObject({ limit: 2, offset: 1, total: all?.total, has_more: (all?.total ?? 0) > 3 });
    expect(page?.feeds.map((f) => f.id)).toEqual(all?.feeds.slice(1, 3).map((f) => f.id));
  });
});
