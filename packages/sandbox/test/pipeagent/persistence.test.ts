/** The PipeAgent sandbox's state on a data directory, across a restart. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Feed, FeedCreateRequest } from "@specyard/pipeagent";
import { afterEach, describe, expect, it } from "vitest";
import { startSandbox } from "../../src/index.js";
import { CREATE, clientFor, EDIT, feedBody, type Keys, PUSH, read, rowsOf, useSandbox } from "./helpers.js";

useSandbox();

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
