/**
 * The PipeAgent provider document replayed with fetch: the documented create call (curl example),
 * then a push of each feed type — singleton, collection (chunked with batch_id + batch_complete) and
 * stream — read back through the consumer API, the quota, and the push error codes.
 */
import { type Sandbox, startSandbox } from "@specyard/sandbox";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, jsonBody } from "./support.js";

let sandbox: Sandbox;
let API: string;
let WRITE: Record<string, string>;
let READ: Record<string, string>;
beforeAll(async () => {
  sandbox = await startSandbox("pipeagent");
  API = sandbox.url;
  // "Create a Provider / write API key in the Dashboard": the sandbox's dashboard is its admin surface.
  const keys = (await sandbox.admin.act("keys")) as { writeKey: string; readKey: string };
  WRITE = { Authorization: `Bearer ${keys.writeKey}` };
  READ = { "x-api-key": keys.readKey };
});
afterAll(() => sandbox?.close());

const create = (body: Record<string, unknown>) =>
  call<{ id: string; feed_type: string; is_public: boolean; status: string }>(
    `${API}/api/v1/provider/feed/create`,
    { method: "POST", ...jsonBody(body, WRITE) },
  );
const push = (feedId: string, body: unknown) =>
  call(`${API}/api/v1/provider/feed/${feedId}/push`, { method: "POST", ...jsonBody(body, WRITE) });
const read = (feedId: string) => call<Record<string, unknown>>(`${API}/v1/feed/${feedId}`, { headers: READ });

const schema = (required: string[]) => ({
  type: "object",
  properties: { id: { type: "string" }, name: { type: "string" }, stars: { type: "integer" } },
  required,
});

describe("PipeAgent: the documented feed life cycle", () => {
  let collectionId = "";

  it("creates the document's example feed (one-time price, schema lock, inactive, unlisted)", async () => {
    const made = await create({
      name: "Top GitHub AI Repositories",
      description: "Curated list of trending AI repos with stars and topics.",
      readme_md: "# GitHub AI Repos\nCurated daily by your agent.",
      endpoint_path: "github-ai-repos",
      feed_type: "collection",
      price_type: "one_time",
      one_time_price_cents: 1990,
      schema_definition: schema(["id", "name"]),
      schema_locked: true,
      schema_version: 1,
      sample_response: { id: "cool-project", name: "cool-project", stars: 4200 },
      sync_interval_mins: 60,
      status: "inactive",
    });
    expect(made.status, made.text).toBeLessThan(300);
    expect(made.json).toMatchObject({ feed_type: "collection", is_public: false, status: "inactive" });
    collectionId = made.json.id;
  });

  it("collection: chunked batch_id uploads, batch_complete retires the older batch", async () => {
    const first = await push(collectionId, {
      batch_id: "b1",
      payload: [
        { id: "r1", name: "one", stars: 1 },
        { id: "r2", name: "two", stars: 2 },
      ],
    });
    expect(first.status, first.text).toBe(200);
    expect(
      (
        await push(collectionId, {
          batch_id: "b1",
          batch_complete: true,
          payload: [{ id: "r3", name: "three" }],
        })
      ).status,
    ).toBe(200);
    const b1 = await read(collectionId);
    expect((b1.json.data as Array<{ id: string }>).map((row) => row.id).sort()).toEqual(["r1", "r2", "r3"]);

    expect(
      (
        await push(collectionId, {
          batch_id: "b2",
          batch_complete: true,
          payload: [{ id: "n1", name: "new" }],
        })
      ).status,
    ).toBe(200);
    const b2 = await read(collectionId);
    expect((b2.json.data as Array<{ id: string }>).map((row) => row.id)).toEqual(["n1"]);

    // Schema lock: an invalid payload is 422.
    expect((await push(collectionId, { payload: [{ id: "x" }] })).status).toBe(422);
    // The first push stamped last_sync_at.
    const metadata = await call<{ last_sync_at: string | null }>(`${API}/v1/feed/${collectionId}/metadata`, {
      headers: READ,
    });
    expect(metadata.json.last_sync_at).toEqual(expect.any(String));
  });

  it("singleton: each push replaces the one stored document", async () => {
    const made = await create({
      name: "Weather now",
      endpoint_path: "weather-now",
      feed_type: "singleton",
      schema_definition: { type: "object" },
      status: "inactive",
    });
    expect(made.status, made.text).toBeLessThan(300);
    expect((await push(made.json.id, { payload: { temp: 20, city: "Lisbon" } })).status).toBe(200);
    expect((await push(made.json.id, { payload: { temp: 21 } })).status).toBe(200);
    expect((await read(made.json.id)).json).toEqual({ temp: 21 });
  });

  it("stream: pushes append events; a retried row id is not stored twice", async () => {
    const made = await create({
      name: "Trades",
      endpoint_path: "trades-stream",
      feed_type: "stream",
      schema_definition: { type: "object" },
      status: "inactive",
    });
    expect(made.status, made.text).toBeLessThan(300);
    expect((await push(made.json.id, { payload: [{ id: 1, px: 10 }] })).status).toBe(200);
    expect((await push(made.json.id, { payload: { id: 2, px: 11 } })).status).toBe(200);
    expect((await push(made.json.id, { payload: [{ id: 2, px: 11 }] })).status).toBe(200);
    const rows = (await read(made.json.id)).json.data as Array<{ id: number }>;
    expect(rows.map((row) => row.id)).toEqual([1, 2]);
  });

  it("a fourth feed exceeds the early-access cap: 403 FEED_QUOTA_EXCEEDED", async () => {
    const over = await create({
      name: "One too many",
      endpoint_path: "one-too-many",
      feed_type: "singleton",
      schema_definition: { type: "object" },
      status: "draft",
    });
    expect(over.status).toBe(403);
    expect(over.json).toMatchObject({ code: "FEED_QUOTA_EXCEEDED" });
  });

  it("push errors: 401 without a key, 403 with a non-write key", async () => {
    const noKey = await call(`${API}/api/v1/provider/feed/${collectionId}/push`, {
      method: "POST",
      ...jsonBody({ payload: [{ id: "a", name: "a" }] }),
    });
    expect(noKey.status).toBe(401);
    const readKey = await call(`${API}/api/v1/provider/feed/${collectionId}/push`, {
      method: "POST",
      ...jsonBody({ payload: [{ id: "a", name: "a" }] }, { Authorization: `Bearer ${READ["x-api-key"]}` }),
    });
    expect(readKey.status).toBe(403);
  });
});
