import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Feed, FeedCreateRequest, PipeAgentClient } from "@specyard/pipeagent";
import { responseValidator } from "@specyard/testkit";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../src/index.js";
import { createPipeAgentClient } from "./clients.js";

const conforms = responseValidator("pipeagent");
const PUSH = "/api/v1/provider/feed/{feed_id}/push";
const EDIT = "/api/v1/provider/feed/{feed_id}/edit";
const CREATE = "/api/v1/provider/feed/create";
const MB = 1024 * 1024;

interface Keys {
  writeKey: string;
  readKey: string;
}

/** A call's body checked against the spec's response schema for its status. */
async function checked<R extends { response: Response; data?: unknown; error?: unknown }>(
  path: string,
  method: string,
  call: Promise<R>,
): Promise<R> {
  const result = await call;
  const body = result.response.ok ? result.data : result.error;
  expect(
    conforms(path, method, result.response.status, body),
    `${method} ${path} ${result.response.status}`,
  ).toBeNull();
  return result;
}

const clientFor = (sandbox: Sandbox, keys: Partial<Keys>): PipeAgentClient =>
  createPipeAgentClient({ baseUrl: sandbox.url, ...keys, maxRetries: 0 });

const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value), "utf8");

const ROW_SCHEMA = {
  type: "object",
  properties: { id: { type: "string" }, name: { type: "string" }, stars: { type: "integer" } },
  required: ["id", "name"],
};

let counter = 0;
function feedBody(overrides: Partial<FeedCreateRequest> = {}): FeedCreateRequest {
  counter++;
  return {
    name: `Feed ${counter}`,
    description: `A test feed number ${counter}`,
    endpoint_path: `feed-${counter}`,
    feed_type: "collection",
    schema_definition: ROW_SCHEMA,
    ...overrides,
  };
}

let sandbox: Sandbox;
let keys: Keys;
let pa: PipeAgentClient;

beforeAll(async () => {
  sandbox = await startSandbox("pipeagent", { seed: "pipeagent-tests" });
  keys = (await sandbox.admin.act("keys")) as Keys;
  pa = clientFor(sandbox, keys);
});
afterAll(() => sandbox?.close());

/** A fresh provider account (own quota, own keys) so tests do not share feed slots. */
async function provider(max = 50): Promise<{ client: PipeAgentClient; keys: Keys; accountId: string }> {
  const made = (await sandbox.admin.act("createAccount", {
    kind: "provider",
    max_feeds_allowed: max,
  })) as Keys & {
    account: { id: string };
  };
  const own = { writeKey: made.writeKey, readKey: made.readKey };
  return { client: clientFor(sandbox, own), keys: own, accountId: made.account.id };
}

async function create(client: PipeAgentClient, body: FeedCreateRequest): Promise<Feed> {
  const { data, error } = await checked(CREATE, "post", client.POST(CREATE, { body }));
  expect(error).toBeUndefined();
  return data as Feed;
}

async function push(client: PipeAgentClient, feedId: string, body: unknown) {
  return checked(
    PUSH,
    "post",
    client.POST(PUSH, { params: { path: { feed_id: feedId } }, body: body as never }),
  );
}

async function read(client: PipeAgentClient, id: string, query: Record<string, unknown> = {}) {
  return checked(
    "/v1/feed/{id}",
    "get",
    client.GET("/v1/feed/{id}", { params: { path: { id }, query: query as never } }),
  );
}

const rowsOf = (data: unknown) => (data as { data: Array<Record<string, unknown>> }).data;

describe("PipeAgent sandbox: keys and auth", () => {
  it("exposes the seeded provider's keys, deterministic from the seed and marked as sandbox keys", async () => {
    const again = await startSandbox("pipeagent", { seed: "pipeagent-tests" });
    try {
      const other = (await again.admin.act("keys")) as Keys & { note: string };
      // Compared as booleans so a failure never prints a key.
      expect(other.writeKey === keys.writeKey && other.readKey === keys.readKey).toBe(true);
      expect(other.note).toMatch(/sandbox/i);
      expect(
        keys.writeKey.startsWith("pa_sandbox_write_") && keys.readKey.startsWith("pa_sandbox_read_"),
      ).toBe(true);
      // The admin view keeps only hashes.
      expect(JSON.stringify(again.admin.inspect()).includes(keys.writeKey)).toBe(false);
    } finally {
      await again.close();
    }
  });

  it("answers 401 without a key or with an unknown key, and 403 for a key without the permission", async () => {
    const noKey = clientFor(sandbox, {});
    const { response: r1 } = await checked(CREATE, "post", noKey.POST(CREATE, { body: feedBody() }));
    expect(r1.status).toBe(401);
    const { response: r2 } = await checked("/v1/catalog", "get", noKey.GET("/v1/catalog"));
    expect(r2.status).toBe(401);

    const wrong = clientFor(sandbox, { writeKey: "pa_sandbox_write_nope", readKey: "pa_sandbox_read_nope" });
    expect((await wrong.POST(CREATE, { body: feedBody() })).response.status).toBe(401);
    expect((await wrong.GET("/v1/catalog")).response.status).toBe(401);

    // The write key reading, and the read key writing: 403.
    const swapped = clientFor(sandbox, { writeKey: keys.readKey, readKey: keys.writeKey });
    const { response: r3, error: e3 } = await checked("/v1/catalog", "get", swapped.GET("/v1/catalog"));
    expect(r3.status).toBe(403);
    expect(e3?.error).toMatch(/read permission/);
    const { response: r4, error: e4 } = await checked(
      CREATE,
      "post",
      swapped.POST(CREATE, { body: feedBody() }),
    );
    expect(r4.status).toBe(403);
    expect(e4?.error).toMatch(/write permission/);
    expect(JSON.stringify(e4).includes(keys.readKey)).toBe(false);

    // The read key also works as a Bearer token.
    const bearer = createPipeAgentClient({
      baseUrl: sandbox.url,
      readKey: keys.readKey,
      readKeyIn: "bearer",
    });
    expect((await bearer.GET("/v1/catalog")).response.status).toBe(200);
  });

  it("answers 403 to a push or an edit of someone else's feed, and of an unknown feed id", async () => {
    const alice = await provider();
    const bob = await provider();
    const feed = await create(alice.client, feedBody());
    const { response: r1, error } = await push(bob.client, feed.id, { payload: [{ id: "a", name: "x" }] });
    expect(r1.status).toBe(403);
    expect(error).toMatchObject({ error: "Feed not found or not owned by this key" });
    const { response: r2 } = await checked(
      EDIT,
      "patch",
      bob.client.PATCH(EDIT, { params: { path: { feed_id: feed.id } }, body: { name: "mine now" } }),
    );
    expect(r2.status).toBe(403);
    const { response: r3 } = await push(alice.client, "00000000-0000-4000-8000-000000000000", {
      payload: [],
    });
    expect(r3.status).toBe(403);
    // Creating with someone else's id does not take the feed over either.
    const { response: r4 } = await checked(
      CREATE,
      "post",
      bob.client.POST(CREATE, { body: feedBody({ id: feed.id }) }),
    );
    expect(r4.status).toBe(403);
  });

  it("admin actions mint consumer accounts and extra keys", async () => {
    const consumer = (await sandbox.admin.act("createAccount", { kind: "consumer" })) as {
      readKey: string;
      writeKey?: string;
      account: { id: string };
    };
    expect(consumer.writeKey).toBeUndefined();
    const reader = clientFor(sandbox, { readKey: consumer.readKey, writeKey: consumer.readKey });
    expect((await reader.GET("/v1/catalog")).response.status).toBe(200);
    expect((await reader.POST(CREATE, { body: feedBody() })).response.status).toBe(403);

    const both = (await sandbox.admin.act("createKey", {
      account_id: consumer.account.id,
      permissions: ["read", "write"],
    })) as { key: string };
    const full = clientFor(sandbox, { readKey: both.key, writeKey: both.key });
    expect((await full.GET("/v1/catalog")).response.status).toBe(200);
    await expect(sandbox.admin.act("createKey", { account_id: "acct_missing" })).rejects.toThrow(
      /no account/,
    );
  });
});

describe("PipeAgent sandbox: feed management", () => {
  it("creates a feed with the seeded keys and the documented defaults, and returns the full row", async () => {
    const feed = await create(pa, {
      name: "Top GitHub AI Repositories",
      endpoint_path: `github-ai-repos-${counter++}`,
      feed_type: "collection",
      one_time_price_cents: 1990,
      schema_definition: ROW_SCHEMA,
      schema_locked: true,
      sample_response: { id: "cool-project", name: "cool-project", stars: 4200 },
    });
    expect(feed).toMatchObject({
      name: "Top GitHub AI Repositories",
      feed_type: "collection",
      price_type: "one_time",
      price_per_1k: 0,
      one_time_price_cents: 1990,
      schema_version: 1,
      sync_interval_mins: 60,
      status: "inactive",
      is_public: false,
      last_sync_at: null,
    });
    expect(feed.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    // The document's flow: push, then read back with the read key.
    await push(pa, feed.id, { payload: [{ id: "cool-project", name: "cool-project", stars: 4200 }] });
    const { data } = await read(pa, feed.endpoint_path);
    expect(rowsOf(data)).toEqual([{ id: "cool-project", name: "cool-project", stars: 4200 }]);
  });

  it("normalises the feed-type aliases", async () => {
    const { client } = await provider();
    const aliases = {
      snapshot: "singleton",
      version_collection: "collection",
      time_stream: "stream",
    } as const;
    for (const [alias, type] of Object.entries(aliases)) {
      const feed = await create(client, feedBody({ feed_type: alias as FeedCreateRequest["feed_type"] }));
      expect(feed.feed_type).toBe(type);
    }
  });

  it("requires name, endpoint_path, and schema_definition unless the feed is a draft", async () => {
    const { client } = await provider();
    const { name: _n, ...noName } = feedBody();
    const { endpoint_path: _p, ...noPath } = feedBody();
    const { schema_definition: _s, ...noSchema } = feedBody();
    for (const body of [noName, noPath, noSchema, { ...feedBody(), name: "" }]) {
      const { response } = await checked(
        CREATE,
        "post",
        client.POST(CREATE, { body: body as FeedCreateRequest }),
      );
      expect(response.status).toBe(400);
    }
    const draft = await create(client, { ...noSchema, status: "draft" });
    expect(draft.status).toBe("draft");
    expect(draft.schema_definition).toBeUndefined();
    // A draft cannot leave draft without a schema, nor take pushes.
    const { response: r1, error } = await checked(
      EDIT,
      "patch",
      client.PATCH(EDIT, { params: { path: { feed_id: draft.id } }, body: { status: "inactive" } }),
    );
    expect(r1.status).toBe(400);
    expect(error?.error).toMatch(/schema_definition is required/);
    expect((await push(client, draft.id, { payload: [{ id: 1 }] })).response.status).toBe(400);
  });

  it("keeps endpoint_path unique: 409 on create, 400 on edit", async () => {
    const { client } = await provider();
    const first = await create(client, feedBody());
    const { response, error } = await checked(
      CREATE,
      "post",
      client.POST(CREATE, { body: feedBody({ endpoint_path: first.endpoint_path }) }),
    );
    expect(response.status).toBe(409);
    expect(error?.error).toBe("endpoint_path already exists");
    const second = await create(client, feedBody());
    const { response: r2 } = await checked(
      EDIT,
      "patch",
      client.PATCH(EDIT, {
        params: { path: { feed_id: second.id } },
        body: { endpoint_path: first.endpoint_path },
      }),
    );
    expect(r2.status).toBe(400);
    // Re-saving its own path is fine.
    const { response: r3 } = await client.PATCH(EDIT, {
      params: { path: { feed_id: second.id } },
      body: { endpoint_path: second.endpoint_path },
    });
    expect(r3.status).toBe(200);
  });

  it("derives price_type and refuses inconsistent pricing", async () => {
    const { client } = await provider();
    expect((await create(client, feedBody())).price_type).toBe("free");
    expect((await create(client, feedBody({ price_per_1k: 0.5 }))).price_type).toBe("metered");
    const oneTime = await create(client, feedBody({ one_time_price_cents: 100 }));
    expect(oneTime).toMatchObject({ price_type: "one_time", one_time_price_cents: 100, price_per_1k: 0 });

    const bad: Array<Partial<FeedCreateRequest>> = [
      { price_type: "free", price_per_1k: 1 },
      { price_type: "free", one_time_price_cents: 500 },
      { price_type: "metered" },
      { price_type: "metered", price_per_1k: 0 },
      { price_type: "metered", price_per_1k: 1, one_time_price_cents: 500 },
      { price_type: "one_time" },
      { price_type: "one_time", one_time_price_cents: 99 },
      { price_type: "one_time", one_time_price_cents: 500, price_per_1k: 2 },
      { one_time_price_cents: 500, price_per_1k: 2 },
    ];
    for (const pricing of bad) {
      const { response } = await checked(CREATE, "post", client.POST(CREATE, { body: feedBody(pricing) }));
      expect(response.status, JSON.stringify(pricing)).toBe(400);
    }

    // Edit: pricing fields in the patch are resolved with the stored ones.
    const { data } = await checked(
      EDIT,
      "patch",
      client.PATCH(EDIT, {
        params: { path: { feed_id: oneTime.id } },
        body: { price_type: "metered", price_per_1k: 0.5, one_time_price_cents: null },
      }),
    );
    expect(data).toMatchObject({ price_type: "metered", price_per_1k: 0.5, one_time_price_cents: null });
    const { response: r2 } = await client.PATCH(EDIT, {
      params: { path: { feed_id: oneTime.id } },
      body: { price_type: "free" },
    });
    expect(r2.status).toBe(400);
  });

  it("counts every feed, drafts included, against max_feeds_allowed (default 3)", async () => {
    const made = (await sandbox.admin.act("createAccount", { kind: "provider" })) as Keys & {
      account: { id: string };
    };
    const client = clientFor(sandbox, made);
    const first = await create(client, feedBody({ status: "draft" }));
    await create(client, feedBody());
    await create(client, feedBody({ status: "draft" }));
    const { response, error } = await checked(CREATE, "post", client.POST(CREATE, { body: feedBody() }));
    expect(response.status).toBe(403);
    expect(error?.code).toBe("FEED_QUOTA_EXCEEDED");

    // Creating with an owned id updates the feed and takes no slot.
    const updated = await create(client, {
      ...feedBody(),
      id: first.id,
      name: "Renamed",
      status: "inactive",
    });
    expect(updated).toMatchObject({
      id: first.id,
      name: "Renamed",
      status: "inactive",
      created_at: first.created_at,
    });

    await sandbox.admin.act("setFeedQuota", { account_id: made.account.id, max_feeds_allowed: 4 });
    await create(client, feedBody());
    expect((await client.POST(CREATE, { body: feedBody() })).response.status).toBe(403);
  });

  it("reserves is_public to operators, and lists a feed only once it is public and active", async () => {
    const { client } = await provider();
    const word = `zebra${counter}`;
    const { response: r1 } = await checked(
      CREATE,
      "post",
      client.POST(CREATE, { body: { ...feedBody(), is_public: true } as FeedCreateRequest }),
    );
    expect(r1.status).toBe(400);
    const feed = await create(client, feedBody({ name: `The ${word} feed` }));
    const { response: r2, error } = await client.PATCH(EDIT, {
      params: { path: { feed_id: feed.id } },
      body: { is_public: true } as never,
    });
    expect(r2.status).toBe(400);
    expect(error?.error).toMatch(/is_public/);

    const search = async () =>
      (await checked("/v1/search", "get", client.GET("/v1/search", { params: { query: { q: word } } }))).data;
    await sandbox.admin.act("setFeedPublic", { feed_id: feed.id });
    expect((await search())?.feeds).toEqual([]); // public but not active yet
    await push(client, feed.id, { payload: [{ id: "a", name: "first" }] });
    const found = await search();
    expect(found).toMatchObject({ q: word, total: 1, has_more: false });
    expect(found?.feeds[0]).toMatchObject({ id: feed.id, consumer_type: "collection", price_type: "free" });
    await sandbox.admin.act("setFeedPublic", { feed_id: feed.id, is_public: false });
    expect((await search())?.total).toBe(0);
  });

  it("lets status become active only through the first push", async () => {
    const { client } = await provider();
    const feed = await create(client, feedBody());
    const edit = (body: Record<string, unknown>) =>
      checked(EDIT, "patch", client.PATCH(EDIT, { params: { path: { feed_id: feed.id } }, body }));
    const { response, error } = await edit({ status: "active" });
    expect(response.status).toBe(400);
    expect(error?.error).toMatch(/first successful push/);

    const before = sandbox.admin.clock.now();
    const { data: pushed } = await push(client, feed.id, { payload: [{ id: "a", name: "x" }] });
    expect(pushed).toMatchObject({ success: true, feed_id: feed.id, rows: 1 });
    const { data: after } = await edit({ sync_interval_mins: 30 });
    expect(after).toMatchObject({ status: "active", sync_interval_mins: 30 });
    expect(Date.parse(after?.last_sync_at ?? "")).toBeGreaterThanOrEqual(before - 1000);
    expect((await edit({ status: "inactive" })).data?.status).toBe("inactive");
    expect((await edit({ status: "active" })).data?.status).toBe("active");
  });
});

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

describe("PipeAgent sandbox: schema lock", () => {
  it("refuses rows that break a locked schema with 422 and JSON Pointer field paths, storing nothing", async () => {
    const { client } = await provider();
    const feed = await create(client, feedBody({ schema_locked: true }));
    const { response, error } = await push(client, feed.id, {
      payload: [
        { id: "ok", name: "fine", stars: 1 },
        { id: "b", name: 5 },
        { id: "c", stars: 1.5 },
      ],
    });
    expect(response.status).toBe(422);
    expect(error?.error).toBe("Payload does not match the feed schema");
    expect(error?.details?.map((d) => d.path).sort()).toEqual([
      "/payload/1/name",
      "/payload/2/name",
      "/payload/2/stars",
    ]);
    expect(rowsOf((await read(client, feed.id)).data)).toEqual([]);

    // Legacy single object: paths from the body's root.
    const single = await create(client, feedBody({ feed_type: "singleton", schema_locked: true }));
    const legacy = await push(client, single.id, { id: 7, name: "x" });
    expect(legacy.response.status).toBe(422);
    expect(legacy.error?.details).toEqual([{ path: "/id", message: "must be string" }]);

    // The same rows go into an unlocked feed.
    const open = await create(client, feedBody());
    expect((await push(client, open.id, { payload: [{ id: "b", name: 5 }] })).response.status).toBe(200);
  });

  it("takes draft-07 and 2020-12 schemas, and refuses a locked schema Ajv cannot compile", async () => {
    const { client } = await provider();
    const modern = await create(
      client,
      feedBody({
        schema_locked: true,
        schema_definition: {
          $schema: "https://json-schema.org/draft/2020-12/schema",
          type: "object",
          properties: { tags: { type: "array", prefixItems: [{ type: "string" }] } },
        },
      }),
    );
    expect((await push(client, modern.id, { payload: [{ id: 1, tags: ["a", 2] }] })).response.status).toBe(
      200,
    );
    const refused = await push(client, modern.id, { payload: [{ id: 2, tags: [3] }] });
    expect(refused.error?.details).toEqual([{ path: "/payload/0/tags/0", message: "must be string" }]);
    const { response } = await checked(
      CREATE,
      "post",
      client.POST(CREATE, {
        body: feedBody({ schema_locked: true, schema_definition: { type: "no-such-type" } }),
      }),
    );
    expect(response.status).toBe(400);
  });
});

/** A body whose compact JSON is exactly `target` bytes: `rows` rows sharing the padding. */
function sizedRows(
  target: number,
  rows: number,
  wrap: (rows: unknown[]) => unknown = (payload) => ({ payload }),
) {
  const make = (pads: number[]) => wrap(pads.map((pad, i) => ({ id: i, p: "x".repeat(pad) })));
  const extra = target - bytes(make(Array(rows).fill(0)));
  const each = Math.floor(extra / rows);
  const pads = Array.from({ length: rows }, (_, i) => each + (i === rows - 1 ? extra - each * rows : 0));
  const body = make(pads);
  expect(bytes(body)).toBe(target);
  return body;
}

describe("PipeAgent sandbox: push limits at their boundaries", () => {
  let client: PipeAgentClient;
  beforeAll(async () => {
    client = (await provider()).client;
  });
  const tooLarge = async (feedId: string, body: unknown, limit: string) => {
    const { response, error } = await push(client, feedId, body);
    expect(response.status).toBe(413);
    expect(error?.limit).toBe(limit);
  };

  it("500 rows are accepted, 501 get 413 row_count (not the spec validator's 400)", async () => {
    const feed = await create(client, feedBody({ schema_definition: { type: "object" } }));
    const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ id: i }));
    expect((await push(client, feed.id, { payload: rows(500) })).data?.rows).toBe(500);
    await tooLarge(feed.id, { payload: rows(501) }, "row_count");
    await tooLarge(feed.id, rows(501), "row_count"); // legacy form
  });

  it("a row of exactly 50 KB of UTF-8 is accepted, one byte more gets 413 row_payload", async () => {
    const feed = await create(
      client,
      feedBody({ schema_definition: { type: "object" }, feed_type: "stream" }),
    );
    const row = (size: number, id: string) => {
      const value = { id, p: "x".repeat(size - bytes({ id, p: "" })) };
      expect(bytes(value)).toBe(size);
      return value;
    };
    expect((await push(client, feed.id, { payload: [row(51_200, "a")] })).response.status).toBe(200);
    await tooLarge(feed.id, { payload: [{ id: "small" }, row(51_201, "b")] }, "row_payload");
    // Bytes, not characters: "é" is two bytes of UTF-8.
    const base = bytes({ id: "c", p: "" });
    const accents = Math.floor((51_201 - base) / 2);
    const multi = { id: "c", p: "é".repeat(accents) + "x".repeat(51_201 - base - 2 * accents) };
    expect(JSON.stringify(multi).length).toBeLessThan(51_200);
    expect(bytes(multi)).toBe(51_201);
    await tooLarge(feed.id, { payload: multi }, "row_payload");
  });

  it("a collection body of exactly 2 MB is accepted, one byte more gets 413 request_body", async () => {
    const feed = await create(client, feedBody({ schema_definition: { type: "object" } }));
    expect((await push(client, feed.id, sizedRows(2 * MB, 45))).data?.rows).toBe(45);
    await tooLarge(feed.id, sizedRows(2 * MB + 1, 45), "request_body");
    const stream = await create(
      client,
      feedBody({ schema_definition: { type: "object" }, feed_type: "stream" }),
    );
    expect((await push(client, stream.id, sizedRows(2 * MB, 45))).response.status).toBe(200);
    await tooLarge(stream.id, sizedRows(2 * MB + 1, 45), "request_body");
  });

  it("a singleton body of exactly 4 MB is accepted, one byte more gets 413 singleton_body", async () => {
    const feed = await create(
      client,
      feedBody({ schema_definition: { type: "object" }, feed_type: "singleton" }),
    );
    const doc = (size: number) => {
      const body = { payload: { blob: "" } };
      body.payload.blob = "x".repeat(size - bytes(body));
      expect(bytes(body)).toBe(size);
      return body;
    };
    expect((await push(client, feed.id, doc(4 * MB))).response.status).toBe(200);
    await tooLarge(feed.id, doc(4 * MB + 1), "singleton_body");
    const stored = (await read(client, feed.id)).data as { blob: string };
    expect(stored.blob.length).toBe(4 * MB - bytes({ payload: { blob: "" } }));
  });
});

describe("PipeAgent sandbox: push rate limit", () => {
  it("accepts 20 pushes a minute per feed, answers the 21st with 429, and accepts again a minute later", async () => {
    const { client } = await provider();
    const feed = await create(client, feedBody());
    const other = await create(client, feedBody());
    for (let i = 0; i < 20; i++) {
      const { response } = await push(client, feed.id, { payload: [{ id: `r${i}`, name: "n" }] });
      expect(response.status).toBe(200);
      expect(response.headers.get("x-ratelimit-limit")).toBe("20");
      expect(response.headers.get("x-ratelimit-remaining")).toBe(String(19 - i));
    }
    const { response, error } = await push(client, feed.id, { payload: [{ id: "r20", name: "n" }] });
    expect(response.status).toBe(429);
    expect(error?.retry_after_ms).toBeGreaterThan(0);
    expect(error?.retry_after_ms).toBeLessThanOrEqual(60_000);
    expect(response.headers.get("x-ratelimit-limit")).toBe("20");
    expect(response.headers.get("x-ratelimit-remaining")).toBe("0");
    expect(Number(response.headers.get("x-ratelimit-reset"))).toBeGreaterThan(
      sandbox.admin.clock.now() / 1000,
    );
    // Another feed has its own window.
    expect((await push(client, other.id, { payload: [{ id: "a", name: "n" }] })).response.status).toBe(200);

    sandbox.admin.clock.advance(60_000);
    expect((await push(client, feed.id, { payload: [{ id: "r20", name: "n" }] })).response.status).toBe(200);
    expect(rowsOf((await read(client, feed.id, { limit: 100 })).data)).toHaveLength(21);
  });
});

describe("PipeAgent sandbox: persistence", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it("keeps every accepted write across a restart with the same dataDir", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "pipeagent-sandbox-"));
    dirs.push(dataDir);
    let box = await startSandbox("pipeagent", { dataDir, seed: "persist" });
    const seeded = (await box.admin.act("keys")) as Keys;
    const made = (await box.admin.act("createAccount", { kind: "provider", max_feeds_allowed: 10 })) as Keys;
    let client = clientFor(box, made);
    const mk = async (body: FeedCreateRequest) => (await client.POST(CREATE, { body })).data as Feed;
    const single = await mk(feedBody({ feed_type: "singleton", schema_definition: { type: "object" } }));
    const coll = await mk(feedBody({ schema_definition: { type: "object" } }));
    const stream = await mk(feedBody({ feed_type: "stream", schema_definition: { type: "object" } }));
    const edited = await client.PATCH(EDIT, {
      params: { path: { feed_id: coll.id } },
      body: { name: "Edited" },
    });
    expect(edited.response.status).toBe(200);
    const send = (id: string, body: unknown) =>
      client.POST(PUSH, { params: { path: { feed_id: id } }, body: body as never });
    await send(single.id, { payload: { v: 1 } });
    await send(coll.id, { payload: [{ id: 1 }, { id: 2 }] });
    await send(coll.id, { payload: [{ id: "next" }], batch_id: "b2" }); // left open
    await send(stream.id, { payload: [{ id: "e1" }, { id: "e2" }] });
    await box.admin.act("setFeedPublic", { feed_id: coll.id });
    await box.close();

    box = await startSandbox("pipeagent", { dataDir, seed: "persist" });
    const seededAgain = (await box.admin.act("keys")) as Keys;
    expect(seededAgain.writeKey === seeded.writeKey).toBe(true);
    client = clientFor(box, made);
    expect((await read(client, single.id)).data).toEqual({ v: 1 });
    expect(rowsOf((await read(client, coll.id)).data)).toEqual([{ id: 1 }, { id: 2 }]);
    expect(rowsOf((await read(client, stream.id)).data)).toEqual([{ id: "e1" }, { id: "e2" }]);
    const meta = await client.GET("/v1/feed/{id}/metadata", { params: { path: { id: coll.id } } });
    expect(meta.data).toMatchObject({ name: "Edited" });
    expect((await client.GET("/v1/catalog")).data?.feeds.map((f) => f.id)).toContain(coll.id);
    // The open batch survived: completing it now swaps it in.
    await send(coll.id, { payload: [], batch_id: "b2", batch_complete: true });
    expect(rowsOf((await read(client, coll.id)).data)).toEqual([{ id: "next" }]);
    // Stream retries stay idempotent after the restart, and new ids do not repeat old ones.
    expect((await send(stream.id, { payload: [{ id: "e1" }] })).data?.rows).toBe(0);
    const another = (await box.admin.act("createAccount", { kind: "provider" })) as Keys;
    expect(another.writeKey === made.writeKey).toBe(false);
    const fresh = await mk(feedBody({ schema_definition: { type: "object" } }));
    expect([single.id, coll.id, stream.id]).not.toContain(fresh.id);
    await box.close();
  });
});
