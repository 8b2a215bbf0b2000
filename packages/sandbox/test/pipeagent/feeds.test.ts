/**
 * The PipeAgent sandbox's feed management: create, list, edit and delete feeds, within an account's quota.
 */
import type { FeedCreateRequest } from "@specyard/pipeagent";
import { describe, expect, it } from "vitest";
import {
  CREATE,
  checked,
  clientFor,
  counter,
  create,
  EDIT,
  feedBody,
  type Keys,
  nextCount,
  pa,
  provider,
  push,
  ROW_SCHEMA,
  read,
  rowsOf,
  sandbox,
  useSandbox,
} from "./helpers.js";

useSandbox();

describe("PipeAgent sandbox: feed management", () => {
  it("creates a feed with the seeded keys and the documented defaults, and returns the full row", async () => {
    const feed = await create(pa, {
      name: "Top GitHub AI Repositories",
      endpoint_path: `github-ai-repos-${nextCount()}`,
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
