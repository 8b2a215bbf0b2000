/** The PipeAgent sandbox's write and read keys, and who may call what. */
import { describe, expect, it } from "vitest";
import { startSandbox } from "../../src/index.js";
import { createPipeAgentClient } from "../clients.js";
import {
  CREATE,
  checked,
  clientFor,
  create,
  EDIT,
  feedBody,
  type Keys,
  keys,
  provider,
  push,
  sandbox,
  useSandbox,
} from "./helpers.js";

useSandbox();

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
