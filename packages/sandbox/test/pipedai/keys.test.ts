/** The PipedAI sandbox's `pwk_` API keys and `wrk_` registration tokens, and the audit log. */
import { describe, expect, it } from "vitest";
import { sha256 } from "../../src/providers/pipedai/state.js";
import { clientFor, createTrigger, mint, sandbox, startRun, team, useSandbox } from "./helpers.js";

useSandbox();

describe("PipedAI sandbox: API keys", () => {
  it("shows a pwk_ key once, keeps only its hash, scopes it to its environment as an operator and revokes it", async () => {
    const { envId, owner } = await team();
    const other = await team();
    const made = await mint(owner.client, envId, "pwk", "ci-deploys");
    expect(made.token).toMatch(/^pwk_[0-9a-f]{40}$/);
    expect(made.apiKey.last4).toBe(made.token.slice(-4));
    const stored = sandbox.admin.state().apiKeys[made.apiKey.id];
    expect(stored?.hash === sha256(made.token)).toBe(true);
    expect(JSON.stringify(sandbox.admin.state()).includes(made.token)).toBe(false);
    expect(JSON.stringify(sandbox.admin.inspect()).includes(stored?.hash ?? "-")).toBe(false);

    const listed = await owner.client.GET("/api/v1/environments/{envId}/api-keys", {
      params: { path: { envId } },
    });
    expect(listed.data?.items).toEqual([
      expect.objectContaining({ id: made.apiKey.id, name: "ci-deploys", prefix: "pwk", lastUsedAt: null }),
    ]);
    expect(JSON.stringify(listed.data).includes(made.token)).toBe(false);

    const key = clientFor({ apiKey: made.token });
    const triggerId = await createTrigger(owner.client, envId);
    expect(
      (await key.GET("/api/v1/environments/{envId}/triggers", { params: { path: { envId } } })).response
        .status,
    ).toBe(200);
    expect((await startRun(key, triggerId)).status).toBe("queued");
    const write = await key.POST("/api/v1/environments/{envId}/triggers", {
      params: { path: { envId } },
      body: { name: "x", type: "manual" },
    });
    expect(write.response.status).toBe(403);
    const elsewhere = await key.GET("/api/v1/environments/{envId}/triggers", {
      params: { path: { envId: other.envId } },
    });
    expect(elsewhere.response.status).toBe(404);
    expect((await key.POST("/api/v1/workspaces", { body: { name: "no" } })).response.status).toBe(401);
    const lastUsed = await owner.client.GET("/api/v1/environments/{envId}/api-keys", {
      params: { path: { envId } },
    });
    expect(lastUsed.data?.items[0]?.lastUsedAt).not.toBeNull();

    const revoke = (id: string) =>
      owner.client.DELETE("/api/v1/environments/{envId}/api-keys/{keyId}", {
        params: { path: { envId, keyId: id } },
      });
    expect((await revoke(made.apiKey.id)).response.status).toBe(204);
    expect((await revoke(made.apiKey.id)).response.status).toBe(404);
    expect(
      (await key.GET("/api/v1/environments/{envId}/triggers", { params: { path: { envId } } })).response
        .status,
    ).toBe(401);
    const after = await owner.client.GET("/api/v1/environments/{envId}/api-keys", {
      params: { path: { envId } },
    });
    expect(after.data?.items).toEqual([]);
    const foreign = await other.owner.client.DELETE("/api/v1/environments/{envId}/api-keys/{keyId}", {
      params: { path: { envId: other.envId, keyId: made.apiKey.id } },
    });
    expect(foreign.response.status).toBe(404);
    const badPrefix = await owner.client.POST("/api/v1/environments/{envId}/api-keys", {
      params: { path: { envId } },
      body: { name: "x", prefix: "sk" as "pwk" },
    });
    expect(badPrefix.response.status).toBe(400);
  });
});

describe("PipedAI sandbox: audit log", () => {
  it("records every mutation newest first, filters by action, actions and targetId, and pages with a cursor", async () => {
    const { envId, owner, viewer } = await team();
    const key = await mint(owner.client, envId, "pwk");
    const triggerId = await createTrigger(owner.client, envId);
    await owner.client.PATCH("/api/v1/triggers/{id}", {
      params: { path: { id: triggerId } },
      body: { name: "renamed" },
    });
    await owner.client.POST("/api/v1/triggers/{id}/rotate-mcp-token", {
      params: { path: { id: triggerId } },
    });
    const run = await startRun(owner.client, triggerId);
    await owner.client.PATCH("/api/v1/environments/{envId}/members/{userId}", {
      params: { path: { envId, userId: viewer.id } },
      body: { role: "operator" },
    });
    await owner.client.DELETE("/api/v1/environments/{envId}/api-keys/{keyId}", {
      params: { path: { envId, keyId: key.apiKey.id } },
    });

    const log = (query: Record<string, string | number> = {}) =>
      owner.client.GET("/api/v1/environments/{envId}/audit-log", { params: { path: { envId }, query } });
    const all = (await log({ limit: 100 })).data?.items ?? [];
    expect(all.map((e) => e.action)).toEqual([
      "api_key.revoke",
      "member.update",
      "trigger.run",
      "trigger.rotate_mcp_token",
      "trigger.update",
      "trigger.create",
      "api_key.create",
      "member.add",
      "member.add",
      "member.add",
      "environment.create",
    ]);
    expect(all.find((e) => e.action === "trigger.run")).toMatchObject({
      actorId: owner.id,
      targetId: run.id,
    });
    expect(all.find((e) => e.action === "member.update")?.metadata).toEqual({
      from: "viewer",
      role: "operator",
    });

    expect((await log({ action: "member.add" })).data?.items).toHaveLength(3);
    const some = (await log({ actions: "trigger.create,api_key.revoke" })).data?.items.map((e) => e.action);
    expect(some).toEqual(["api_key.revoke", "trigger.create"]);
    const aboutTrigger = (await log({ targetId: triggerId })).data?.items.map((e) => e.action);
    expect(aboutTrigger).toEqual(["trigger.rotate_mcp_token", "trigger.update", "trigger.create"]);

    const seen: string[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 20; pages++) {
      const page = await log({ limit: 3, ...(cursor ? { cursor } : {}) });
      seen.push(...(page.data?.items ?? []).map((e) => e.id));
      if (!page.data?.nextCursor) break;
      cursor = page.data.nextCursor;
    }
    expect(seen).toEqual(all.map((e) => e.id));
    expect((await log({ cursor: "not-a-cursor" })).response.status).toBe(400);
    expect((await log({ limit: 0 })).response.status).toBe(400);
    expect((await log({ limit: 101 })).response.status).toBe(400);
  });
});
