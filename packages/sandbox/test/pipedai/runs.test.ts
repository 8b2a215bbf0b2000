/** The PipedAI sandbox's triggers and the runs they start. */
import { describe, expect, it } from "vitest";
import {
  complete,
  createTrigger,
  newWorker,
  runStep,
  sandbox,
  startRun,
  team,
  useSandbox,
} from "./helpers.js";

useSandbox();

describe("PipedAI sandbox: triggers and runs", () => {
  it("creates, reads, pauses, resumes, rotates and soft-deletes triggers", async () => {
    const { envId, owner } = await team();
    const envPath = { params: { path: { envId } } };
    const made = await owner.client.POST("/api/v1/environments/{envId}/triggers", {
      ...envPath,
      body: { name: "nightly-report", type: "schedule", schedule: "0 6 * * *", config: { queue: "support" } },
    });
    expect(made.response.status).toBe(201);
    const trigger = made.data?.trigger;
    expect(trigger).toMatchObject({
      status: "active",
      workerId: null,
      deletedAt: null,
      config: { queue: "support" },
    });
    expect(made.data?.mcpToken).toMatch(/^mcp_/);
    const id = trigger?.id as string;
    const path = { params: { path: { id } } };
    expect(JSON.stringify(sandbox.admin.state().triggers[id]).includes(made.data?.mcpToken ?? "-")).toBe(
      false,
    );

    const noSchedule = await owner.client.POST("/api/v1/environments/{envId}/triggers", {
      ...envPath,
      body: { name: "x", type: "schedule" },
    });
    expect(noSchedule.response.status).toBe(400);
    expect(noSchedule.error?.details?.fieldErrors.schedule).toEqual(["Required for schedule triggers"]);
    const badCron = await owner.client.POST("/api/v1/environments/{envId}/triggers", {
      ...envPath,
      body: { name: "x", type: "schedule", schedule: "every day" },
    });
    expect(badCron.response.status).toBe(400);
    const noWorker = await owner.client.POST("/api/v1/environments/{envId}/triggers", {
      ...envPath,
      body: { name: "x", type: "manual", workerId: "no-such-worker" },
    });
    expect(noWorker.response.status).toBe(404);
    const badType = await owner.client.POST("/api/v1/environments/{envId}/triggers", {
      ...envPath,
      body: { name: "x", type: "cron" as "manual" },
    });
    expect(badType.response.status).toBe(400);

    expect((await owner.client.GET("/api/v1/triggers/{id}", path)).data).toEqual(trigger);
    const rotated = await owner.client.POST("/api/v1/triggers/{id}/rotate-mcp-token", path);
    expect(rotated.data?.mcpToken).toMatch(/^mcp_/);
    expect(rotated.data?.mcpToken).not.toBe(made.data?.mcpToken);

    const paused = await owner.client.PATCH("/api/v1/triggers/{id}", { ...path, body: { status: "paused" } });
    expect(paused.data?.status).toBe("paused");
    const refused = await owner.client.POST("/api/v1/triggers/{id}/run", { ...path, body: {} });
    expect(refused.response.status).toBe(409);
    const unschedule = await owner.client.PATCH("/api/v1/triggers/{id}", {
      ...path,
      body: { schedule: null },
    });
    expect(unschedule.response.status).toBe(400);
    // Undocumented fields never reach the record.
    await owner.client.PATCH("/api/v1/triggers/{id}", {
      ...path,
      body: { status: "active", environmentId: "other", id: "other" } as never,
    });
    const resumed = (await owner.client.GET("/api/v1/triggers/{id}", path)).data;
    expect(resumed).toMatchObject({ id, environmentId: envId, status: "active" });
    const run = await startRun(owner.client, id, { ticketQueue: "support" });
    expect(run).toMatchObject({
      triggerId: id,
      environmentId: envId,
      status: "queued",
      input: { ticketQueue: "support" },
    });

    // Active runs block the soft delete; once finished, it goes.
    expect((await owner.client.DELETE("/api/v1/triggers/{id}", path)).response.status).toBe(409);
    const worker = await newWorker(owner.client, envId);
    await runStep(worker, run.id, "claim");
    await runStep(worker, run.id, "start");
    await complete(worker, run.id, { status: "succeeded" });
    expect((await owner.client.DELETE("/api/v1/triggers/{id}", path)).response.status).toBe(204);
    expect((await owner.client.GET("/api/v1/triggers/{id}", path)).response.status).toBe(404);
    expect(
      (await owner.client.POST("/api/v1/triggers/{id}/run", { ...path, body: {} })).response.status,
    ).toBe(404);
    expect((await owner.client.DELETE("/api/v1/triggers/{id}", path)).response.status).toBe(404);
    const state = sandbox.admin.state().triggers[id];
    expect(state?.deletedAt).not.toBeNull();
    const list = await owner.client.GET("/api/v1/environments/{envId}/triggers", envPath);
    expect(list.data?.items.map((t) => t.id)).not.toContain(id);
  });

  it("lists triggers by worker and pages them in creation order", async () => {
    const { envId, owner } = await team();
    const worker = await newWorker(owner.client, envId);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push(await createTrigger(owner.client, envId, i % 2 ? { workerId: worker.id } : {}));
    const list = (query: Record<string, string | number>) =>
      owner.client.GET("/api/v1/environments/{envId}/triggers", { params: { path: { envId }, query } });
    const first = await list({ limit: 2 });
    expect(first.data?.items.map((t) => t.id)).toEqual(ids.slice(0, 2));
    const second = await list({ limit: 2, cursor: first.data?.nextCursor as string });
    const third = await list({ limit: 2, cursor: second.data?.nextCursor as string });
    expect([...(second.data?.items ?? []), ...(third.data?.items ?? [])].map((t) => t.id)).toEqual(
      ids.slice(2),
    );
    expect(third.data?.nextCursor).toBeNull();
    const pinned = await list({ workerId: worker.id });
    expect(pinned.data?.items.map((t) => t.id)).toEqual([ids[1], ids[3]]);
  });

  it("filters runs by status, time window and worker, per trigger and across the environment", async () => {
    const { envId, owner } = await team();
    const worker = await newWorker(owner.client, envId);
    const triggerA = await createTrigger(owner.client, envId);
    const triggerB = await createTrigger(owner.client, envId, { workerId: worker.id });
    const early = await startRun(owner.client, triggerA);
    sandbox.admin.clock.advance(10_000);
    const middle = Date.now() + sandbox.admin.clock.offset;
    sandbox.admin.clock.advance(10_000);
    const late = await startRun(owner.client, triggerA);
    const pinned = await startRun(owner.client, triggerB);
    expect(pinned).toMatchObject({ status: "assigned", workerId: worker.id });
    await runStep(worker, early.id, "claim");

    const runsOf = (id: string, query: Record<string, string | number> = {}) =>
      owner.client.GET("/api/v1/triggers/{id}/runs", { params: { path: { id }, query } });
    expect((await runsOf(triggerA)).data?.items.map((r) => r.id)).toEqual([late.id, early.id]);
    expect((await runsOf(triggerA, { status: "claimed" })).data?.items.map((r) => r.id)).toEqual([early.id]);
    const at = new Date(middle).toISOString();
    expect((await runsOf(triggerA, { from: at })).data?.items.map((r) => r.id)).toEqual([late.id]);
    expect((await runsOf(triggerA, { to: at })).data?.items.map((r) => r.id)).toEqual([early.id]);
    expect((await runsOf(triggerA, { status: "bogus" })).response.status).toBe(400);
    expect((await runsOf(triggerA, { from: "yesterday" })).response.status).toBe(400);
    const paged = await runsOf(triggerA, { limit: 1 });
    const rest = await runsOf(triggerA, { limit: 1, cursor: paged.data?.nextCursor as string });
    expect(rest.data?.items.map((r) => r.id)).toEqual([early.id]);

    const envRuns = (query: Record<string, string | number> = {}) =>
      owner.client.GET("/api/v1/environments/{envId}/runs", { params: { path: { envId }, query } });
    expect((await envRuns()).data?.items.map((r) => r.id)).toEqual([pinned.id, late.id, early.id]);
    expect((await envRuns({ workerId: worker.id })).data?.items.map((r) => r.id)).toEqual([
      pinned.id,
      early.id,
    ]);
    expect((await envRuns({ status: "queued" })).data?.items.map((r) => r.id)).toEqual([late.id]);
  });
});
