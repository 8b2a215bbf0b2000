/**
 * The PipedAI sandbox's workers: registration, polling, claim races, heartbeats and their timeouts,
 * completion.
 */
import type { PipedAIClient } from "@specyard/pipedai";
import { describe, expect, it } from "vitest";
import { HEARTBEAT_TIMEOUT_MS, MAX_REQUEUES, WORKER_ONLINE_MS } from "../../src/providers/pipedai/index.js";
import {
  anonymous,
  clientFor,
  complete,
  createTrigger,
  mint,
  newWorker,
  runStep,
  sandbox,
  startRun,
  type TestWorker,
  team,
  useSandbox,
} from "./helpers.js";

useSandbox();

const poll = (w: TestWorker) => w.client.GET("/api/v1/workers/{id}/poll", { params: { path: { id: w.id } } });

const getRun = async (client: PipedAIClient, envId: string, runId: string) => {
  const list = await client.GET("/api/v1/environments/{envId}/runs", {
    params: { path: { envId }, query: { limit: 100 } },
  });
  return list.data?.items.find((run) => run.id === runId);
};

describe("PipedAI sandbox: workers", () => {
  it("exchanges a wrk_ token once for a wkt_ token, and keeps worker and user credentials apart", async () => {
    const { envId, owner } = await team();
    const { token: wrk, apiKey } = await mint(owner.client, envId, "wrk", "gpu-box");
    expect(wrk).toMatch(/^wrk_/);
    const register = (registrationToken: string) =>
      anonymous().POST("/api/v1/workers/register", { body: { registrationToken, name: "gpu-box-1" } });
    const first = await register(wrk);
    expect(first.response.status).toBe(201);
    expect(first.data?.token).toMatch(/^wkt_/);
    expect(first.data?.worker).toMatchObject({ environmentId: envId, name: "gpu-box-1", status: "online" });
    expect((await register(wrk)).response.status).toBe(401);
    expect((await register(`wrk_${"0".repeat(40)}`)).response.status).toBe(401);
    const { token: pwk } = await mint(owner.client, envId, "pwk");
    expect((await register(pwk)).response.status).toBe(400);
    const keys = await owner.client.GET("/api/v1/environments/{envId}/api-keys", {
      params: { path: { envId } },
    });
    expect(keys.data?.items.find((k) => k.id === apiKey.id)?.lastUsedAt).not.toBeNull();
    // A revoked registration token cannot register.
    const revoked = await mint(owner.client, envId, "wrk");
    await owner.client.DELETE("/api/v1/environments/{envId}/api-keys/{keyId}", {
      params: { path: { envId, keyId: revoked.apiKey.id } },
    });
    expect((await register(revoked.token)).response.status).toBe(401);

    const workerId = first.data?.worker.id as string;
    const wkt = first.data?.token as string;
    expect(JSON.stringify(sandbox.admin.state()).includes(wkt)).toBe(false);
    const self = clientFor({ workerToken: wkt });
    expect(
      (await self.GET("/api/v1/workers/{id}/poll", { params: { path: { id: workerId } } })).data,
    ).toEqual({ runs: [] });
    const other = await newWorker(owner.client, envId);
    expect(
      (await self.GET("/api/v1/workers/{id}/poll", { params: { path: { id: other.id } } })).response.status,
    ).toBe(404);
    // A pwk_ key or a cookie is no worker credential; a wkt_ token is no user credential.
    const asKey = await fetch(`${sandbox.url}/api/v1/workers/${workerId}/poll`, {
      headers: { authorization: `Bearer ${pwk}` },
    });
    expect(asKey.status).toBe(401);
    const asCookie = await fetch(`${sandbox.url}/api/v1/workers/${workerId}/poll`, {
      headers: { cookie: `auth_token=${owner.token}` },
    });
    expect(asCookie.status).toBe(401);
    const wktOnUserRoute = await fetch(`${sandbox.url}/api/v1/environments/${envId}/triggers`, {
      headers: { authorization: `Bearer ${wkt}` },
    });
    expect(wktOnUserRoute.status).toBe(401);
    const bad = await register("");
    expect(bad.response.status).toBe(400);
  });

  it("drives a run through claim, start, heartbeat and complete, refusing every illegal step with 409", async () => {
    const { envId, owner } = await team();
    const worker = await newWorker(owner.client, envId);
    const triggerId = await createTrigger(owner.client, envId, { workerId: worker.id });
    const run = await startRun(owner.client, triggerId, { ticketQueue: "support" });
    const polled = await poll(worker);
    expect(polled.data?.runs.map((r) => r.id)).toEqual([run.id]);
    expect(polled.data?.runs[0]?.status).toBe("assigned");

    const status = async (call: Promise<{ response: Response }>) => (await call).response.status;
    expect(await status(runStep(worker, run.id, "start"))).toBe(409);
    expect(await status(runStep(worker, run.id, "heartbeat"))).toBe(409);
    expect(await status(complete(worker, run.id, { status: "succeeded" }))).toBe(409);
    const claimed = await runStep(worker, run.id, "claim");
    expect(claimed.data).toMatchObject({ status: "claimed", workerId: worker.id });
    expect((await poll(worker)).data?.runs).toEqual([]);
    expect(await status(runStep(worker, run.id, "claim"))).toBe(409);
    sandbox.admin.clock.advance(4_000);
    const started = await runStep(worker, run.id, "start");
    expect(started.data?.status).toBe("running");
    expect(started.data?.startedAt).toBe(started.data?.lastHeartbeatAt);
    // Real time moves too: stay well inside the timeout.
    sandbox.admin.clock.advance(HEARTBEAT_TIMEOUT_MS - 5_000);
    const beat = await worker.client.POST("/api/v1/workers/{id}/runs/{runId}/heartbeat", {
      params: { path: { id: worker.id, runId: run.id } },
      body: { progressPct: 40, message: "17 of 42" },
    });
    expect(beat.data?.status).toBe("running");
    expect(Date.parse(beat.data?.lastHeartbeatAt ?? "")).toBeGreaterThan(
      Date.parse(beat.data?.startedAt ?? ""),
    );
    const badBeat = await worker.client.POST("/api/v1/workers/{id}/runs/{runId}/heartbeat", {
      params: { path: { id: worker.id, runId: run.id } },
      body: { progressPct: 140 },
    });
    expect(badBeat.response.status).toBe(400);
    const badComplete = await worker.client.POST("/api/v1/workers/{id}/runs/{runId}/complete", {
      params: { path: { id: worker.id, runId: run.id } },
      body: { status: "done" as "succeeded" },
    });
    expect(badComplete.response.status).toBe(400);
    const done = await worker.client.POST("/api/v1/workers/{id}/runs/{runId}/complete", {
      params: { path: { id: worker.id, runId: run.id } },
      body: { status: "succeeded", output: { summary: "42 tickets" }, tokenSpendUsd: 0.0184 },
    });
    expect(done.data).toMatchObject({
      status: "succeeded",
      output: { summary: "42 tickets" },
      tokenSpendUsd: 0.0184,
      error: null,
    });
    expect(sandbox.admin.state().runs[run.id]?.tokenSpendMicroUsd).toBe(18_400n);
    expect(await status(complete(worker, run.id, { status: "failed" }))).toBe(409);
    expect(await status(runStep(worker, run.id, "claim"))).toBe(409);
    expect(await status(runStep(worker, "no-such-run", "claim"))).toBe(404);

    // A run of another environment is not found for this worker.
    const other = await team();
    const foreignTrigger = await createTrigger(other.owner.client, other.envId);
    const foreign = await startRun(other.owner.client, foreignTrigger);
    expect(await status(runStep(worker, foreign.id, "claim"))).toBe(404);

    // A failed run keeps its error.
    const second = await startRun(owner.client, triggerId);
    await runStep(worker, second.id, "claim");
    await runStep(worker, second.id, "start");
    const failed = await worker.client.POST("/api/v1/workers/{id}/runs/{runId}/complete", {
      params: { path: { id: worker.id, runId: second.id } },
      body: { status: "failed", error: "model quota exceeded" },
    });
    expect(failed.data).toMatchObject({ status: "failed", error: "model quota exceeded", output: null });
  });

  it("requeues a run whose worker stops heartbeating; the old worker's complete is then a 409", async () => {
    const { envId, owner } = await team();
    const [w1, w2] = [await newWorker(owner.client, envId, "w1"), await newWorker(owner.client, envId, "w2")];
    const triggerId = await createTrigger(owner.client, envId);
    const run = await startRun(owner.client, triggerId);
    await runStep(w1, run.id, "claim");
    await runStep(w1, run.id, "start");
    // Real time moves too: stay well inside the timeout, then step past it.
    sandbox.admin.clock.advance(HEARTBEAT_TIMEOUT_MS - 5_000);
    expect((await getRun(owner.client, envId, run.id))?.status).toBe("running");
    sandbox.admin.clock.advance(5_000);
    const requeued = await getRun(owner.client, envId, run.id);
    expect(requeued).toMatchObject({
      status: "queued",
      workerId: null,
      startedAt: null,
      lastHeartbeatAt: null,
    });
    expect((await complete(w1, run.id, { status: "succeeded" })).response.status).toBe(409);
    expect((await runStep(w1, run.id, "heartbeat")).response.status).toBe(409);

    expect((await poll(w2)).data?.runs.map((r) => r.id)).toEqual([run.id]);
    await runStep(w2, run.id, "claim");
    await runStep(w2, run.id, "start");
    // The old worker cannot finish what the new one holds.
    expect((await complete(w1, run.id, { status: "succeeded" })).response.status).toBe(409);
    expect((await complete(w2, run.id, { status: "succeeded" })).data?.status).toBe("succeeded");
    const log = await owner.client.GET("/api/v1/environments/{envId}/audit-log", {
      params: { path: { envId }, query: { targetId: run.id } },
    });
    expect(log.data?.items.map((e) => e.action)).toEqual([
      "run.complete",
      "run.start",
      "run.claim",
      "run.requeue",
      "run.start",
      "run.claim",
      "trigger.run",
    ]);
  });

  it("requeues without a clock advance too, back to a pinned worker, and times out after repeated silence", async () => {
    const { envId, owner } = await team();
    const worker = await newWorker(owner.client, envId);
    const triggerId = await createTrigger(owner.client, envId, { workerId: worker.id });
    const run = await startRun(owner.client, triggerId);
    // A claimed run that never starts is silent as well.
    for (let round = 0; round < MAX_REQUEUES; round++) {
      expect((await runStep(worker, run.id, "claim")).response.status).toBe(200);
      sandbox.admin.clock.offset += HEARTBEAT_TIMEOUT_MS; // time passing without onClock
      expect(await getRun(owner.client, envId, run.id)).toMatchObject({
        status: "assigned",
        workerId: worker.id,
      });
    }
    await runStep(worker, run.id, "claim");
    sandbox.admin.clock.advance(HEARTBEAT_TIMEOUT_MS);
    const ended = await getRun(owner.client, envId, run.id);
    expect(ended).toMatchObject({ status: "timed_out", error: "Worker stopped sending heartbeats" });
    expect(ended?.finishedAt).not.toBeNull();
  });

  it("lets exactly one of two racing workers claim a queued run", async () => {
    const { envId, owner } = await team();
    const workers = [await newWorker(owner.client, envId, "a"), await newWorker(owner.client, envId, "b")];
    const triggerId = await createTrigger(owner.client, envId);
    for (let i = 0; i < 5; i++) {
      const run = await startRun(owner.client, triggerId);
      for (const w of workers) expect((await poll(w)).data?.runs.map((r) => r.id)).toContain(run.id);
      const answers = await Promise.all(workers.map((w) => runStep(w, run.id, "claim")));
      expect(answers.map((a) => a.response.status).sort()).toEqual([200, 409]);
      const winner = answers.find((a) => a.response.status === 200)?.data;
      expect(workers.map((w) => w.id)).toContain(winner?.workerId);
      expect((await getRun(owner.client, envId, run.id))?.workerId).toBe(winner?.workerId);
    }
  });

  it("lists workers by presence and computes the dashboard overview from state", async () => {
    const { envId, owner, viewer } = await team();
    const box = (
      await owner.client.GET("/api/v1/environments/{envId}/dashboard/overview", {
        params: { path: { envId } },
      })
    ).data;
    expect(box).toEqual({ onlineWorkers: 0, todaysRuns: 0, successRatePct: 0, monthTokenSpendUsd: 0 });
    const [w1, w2] = [await newWorker(owner.client, envId, "w1"), await newWorker(owner.client, envId, "w2")];
    const triggerId = await createTrigger(owner.client, envId);
    const outcomes = ["succeeded", "succeeded", "failed"] as const;
    for (const [i, outcome] of outcomes.entries()) {
      const run = await startRun(owner.client, triggerId);
      await runStep(w1, run.id, "claim");
      await runStep(w1, run.id, "start");
      await complete(w1, run.id, { status: outcome, tokenSpendUsd: [0.1, 0.2, 0.000001][i] });
    }
    await startRun(owner.client, triggerId); // still queued
    const workers = (status?: "online" | "offline") =>
      viewer.client.GET("/api/v1/environments/{envId}/workers", {
        params: { path: { envId }, query: status ? { status } : {} },
      });
    expect((await workers("online")).data?.items.map((w) => w.id)).toEqual([w1.id, w2.id]);
    sandbox.admin.clock.advance(WORKER_ONLINE_MS);
    await poll(w2);
    expect((await workers("online")).data?.items.map((w) => w.id)).toEqual([w2.id]);
    expect((await workers("offline")).data?.items.map((w) => w.id)).toEqual([w1.id]);
    expect((await workers()).data?.items).toHaveLength(2);
    expect((await workers("away" as "online")).response.status).toBe(400);

    const overview = await viewer.client.GET("/api/v1/environments/{envId}/dashboard/overview", {
      params: { path: { envId } },
    });
    const now = new Date(Date.now() + sandbox.admin.clock.offset);
    const sameDay = now.getUTCHours() * 3600_000 + now.getUTCMinutes() * 60_000 > WORKER_ONLINE_MS + 120_000;
    expect(overview.data?.onlineWorkers).toBe(1);
    // Near midnight UTC the runs may belong to yesterday: the day figures are checked otherwise.
    if (sameDay) expect(overview.data).toMatchObject({ todaysRuns: 4, successRatePct: 66.7 });
    if (now.getUTCDate() > 1 || sameDay) expect(overview.data?.monthTokenSpendUsd).toBe(0.300001);
  });
});
