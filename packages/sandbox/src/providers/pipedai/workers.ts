/**
 * Workers: registration (`wrk_` → `wkt_`), presence, polling, the run state machine a worker
 * drives (claim → start → heartbeat… → complete), requeueing runs whose worker went silent, and the
 * dashboard figures.
 */
import type { Handler, SandboxRequest, SandboxResponse } from "../../framework/types.js";
import { accessOf, secret } from "./auth.js";
import {
  audit,
  type Ctx,
  newId,
  nextSeq,
  own,
  type PipedAIState,
  type RunRecord,
  type RunStatus,
  sha256,
  type WorkerRecord,
} from "./state.js";
import { fieldError, isOnline, page, runView, usd, workerView } from "./views.js";

type H = Handler<PipedAIState>;

/** A claimed or running run whose worker has not been heard from this long goes back to the queue. */
export const HEARTBEAT_TIMEOUT_MS = 60_000;
/** After this many requeues a silent run ends as `timed_out`. */
export const MAX_REQUEUES = 3;
/** The largest spend one run may report (keeps micro-USD arithmetic exact). */
const MAX_SPEND_USD = 1e9;

/**
 * Requeues (or times out) every claimed or running run whose last sign of life is older than
 * the heartbeat timeout. Returns whether anything changed.
 */
export function requeueSilentRuns(ctx: Ctx, now: number): boolean {
  let changed = false;
  for (const run of Object.values(ctx.state.runs)) {
    if (run.status !== "claimed" && run.status !== "running") continue;
    const lastSign = run.lastHeartbeatAt ?? run.claimedAt ?? run.createdAt;
    if (now - lastSign < HEARTBEAT_TIMEOUT_MS) continue;
    changed = true;
    const from = run.workerId;
    if (run.requeues >= MAX_REQUEUES) {
      run.status = "timed_out";
      run.error = "Worker stopped sending heartbeats";
      run.finishedAt = now;
      audit(ctx, {
        environmentId: run.environmentId,
        action: "run.timeout",
        actorId: null,
        targetId: run.id,
      });
      continue;
    }
    // Back to where a new run of its trigger would start: its pinned worker, or the open queue.
    const pinned = own(ctx.state.triggers, run.triggerId)?.workerId ?? null;
    Object.assign(run, {
      status: pinned ? "assigned" : "queued",
      workerId: pinned,
      claimedAt: null,
      startedAt: null,
      lastHeartbeatAt: null,
      progress: null,
      requeues: run.requeues + 1,
    });
    audit(ctx, {
      environmentId: run.environmentId,
      action: "run.requeue",
      actorId: null,
      targetId: run.id,
      metadata: { fromWorkerId: from, requeues: run.requeues },
    });
  }
  return changed;
}

/** Exchanges a single-use `wrk_` registration token for a worker and its `wkt_` token. */
export function registerWorker(
  ctx: Ctx,
  registrationToken: string,
  name: string,
): { worker: WorkerRecord; token: string } | undefined {
  const hash = sha256(registrationToken);
  const key = Object.values(ctx.state.apiKeys).find((k) => k.hash === hash && k.prefix === "wrk");
  const env = key ? own(ctx.state.environments, key.environmentId) : undefined;
  const usable = key && key.revokedAt === null && key.consumedAt === null && env?.deletedAt === null;
  if (!key || !usable) return undefined;
  const now = ctx.clock.now();
  key.consumedAt = now;
  key.lastUsedAt = now;
  const token = secret("wkt");
  const worker: WorkerRecord = {
    id: newId(ctx),
    environmentId: key.environmentId,
    name,
    tokenHash: sha256(token),
    registrationKeyId: key.id,
    lastSeenAt: now,
    createdAt: now,
    seq: nextSeq(ctx),
  };
  ctx.state.workers[worker.id] = worker;
  audit(ctx, {
    environmentId: worker.environmentId,
    action: "worker.register",
    actorId: key.id,
    targetId: worker.id,
    metadata: { name },
  });
  return { worker, token };
}

function workerFor(request: SandboxRequest): WorkerRecord {
  const caller = accessOf(request).caller;
  if (caller?.kind !== "worker") throw new Error(`pipedai: ${request.operationId} without a worker`);
  return caller.worker;
}

/** Runs a worker may take: assigned to it, or queued in its environment for any worker. */
const offeredTo = (run: RunRecord, worker: WorkerRecord) =>
  run.environmentId === worker.environmentId &&
  ((run.status === "assigned" && run.workerId === worker.id) ||
    (run.status === "queued" && run.workerId === null));

/**
 * One step of the run state machine for the calling worker: 404 for a run outside its environment,
 * 409 when the run is not in a state this worker may move it from.
 */
function step(
  ctx: Ctx,
  request: SandboxRequest,
  allowed: (run: RunRecord, worker: WorkerRecord) => boolean,
  apply: (run: RunRecord, worker: WorkerRecord, now: number) => SandboxResponse | undefined,
): SandboxResponse {
  const worker = workerFor(request);
  const now = ctx.clock.now();
  worker.lastSeenAt = now;
  const run = own(ctx.state.runs, request.params.runId);
  if (!run || run.environmentId !== worker.environmentId) return ctx.error(404, "Run not found");
  if (!allowed(run, worker)) {
    const whose = run.workerId && run.workerId !== worker.id ? " (held by another worker)" : "";
    return ctx.error(
      409,
      `Run is ${run.status}${whose}: ${request.operationId.replace("Run", "")} not allowed`,
    );
  }
  return apply(run, worker, now) ?? { status: 200, body: runView(run) };
}

const held = (status: RunStatus) => (run: RunRecord, worker: WorkerRecord) =>
  run.status === status && run.workerId === worker.id;

export const workerHandlers: Record<string, H> = {
  registerWorker: (request, ctx) => {
    const body = request.body as { registrationToken: string; name: string };
    const registered = registerWorker(ctx, body.registrationToken, body.name);
    if (!registered) return ctx.error(401, "Invalid or already used registration token");
    return {
      status: 201,
      body: { worker: workerView(registered.worker, ctx.clock.now()), token: registered.token },
    };
  },

  listWorkers: (request, ctx) => {
    const { environmentId } = accessOf(request);
    const now = ctx.clock.now();
    const status = request.query.status as "online" | "offline" | undefined;
    const items = Object.values(ctx.state.workers)
      .filter(
        (w) =>
          w.environmentId === environmentId &&
          (status === undefined || (status === "online") === isOnline(w, now)),
      )
      .sort((a, b) => a.seq - b.seq);
    return page(ctx, items, request.query, (w) => workerView(w, now), false);
  },

  pollWorker: (request, ctx) => {
    const worker = workerFor(request);
    worker.lastSeenAt = ctx.clock.now();
    ctx.save(); // a GET that changes state: the framework saves writes only
    const runs = Object.values(ctx.state.runs)
      .filter((run) => offeredTo(run, worker))
      .sort((a, b) => a.seq - b.seq);
    return { status: 200, body: { runs: runs.map(runView) } };
  },

  claimRun: (request, ctx) =>
    step(ctx, request, offeredTo, (run, worker, now) => {
      Object.assign(run, { status: "claimed", workerId: worker.id, claimedAt: now });
      audit(ctx, {
        environmentId: run.environmentId,
        action: "run.claim",
        actorId: worker.id,
        targetId: run.id,
      });
      return undefined;
    }),

  startRun: (request, ctx) =>
    step(ctx, request, held("claimed"), (run, worker, now) => {
      Object.assign(run, { status: "running", startedAt: now, lastHeartbeatAt: now });
      audit(ctx, {
        environmentId: run.environmentId,
        action: "run.start",
        actorId: worker.id,
        targetId: run.id,
      });
      return undefined;
    }),

  heartbeatRun: (request, ctx) =>
    step(ctx, request, held("running"), (run, _worker, now) => {
      // Heartbeats are liveness, not changes anyone reviews: they are not audited.
      run.lastHeartbeatAt = now;
      const body = request.body as { progressPct?: number; message?: string } | undefined;
      if (body && (body.progressPct !== undefined || body.message !== undefined))
        run.progress = { progressPct: body.progressPct, message: body.message };
      return undefined;
    }),

  completeRun: (request, ctx) =>
    step(ctx, request, held("running"), (run, worker, now) => {
      const body = request.body as {
        status: "succeeded" | "failed";
        output?: Record<string, unknown>;
        error?: string;
        tokenSpendUsd?: number;
      };
      if (body.tokenSpendUsd !== undefined && body.tokenSpendUsd > MAX_SPEND_USD)
        return fieldError(ctx, "tokenSpendUsd", `Must be at most ${MAX_SPEND_USD}`);
      Object.assign(run, {
        status: body.status,
        output: body.output ?? (body.status === "succeeded" ? {} : null),
        error: body.status === "failed" ? (body.error ?? "Run failed") : null,
        tokenSpendMicroUsd:
          body.tokenSpendUsd === undefined ? null : BigInt(Math.round(body.tokenSpendUsd * 1e6)),
        finishedAt: now,
        progress: null,
      });
      audit(ctx, {
        environmentId: run.environmentId,
        action: "run.complete",
        actorId: worker.id,
        targetId: run.id,
        metadata: { status: body.status },
      });
      return undefined;
    }),

  getDashboardOverview: (request, ctx) => {
    const { environmentId } = accessOf(request);
    const now = ctx.clock.now();
    const date = new Date(now);
    const dayStart = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
    const monthStart = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
    const runs = Object.values(ctx.state.runs).filter((run) => run.environmentId === environmentId);
    const today = runs.filter((run) => run.createdAt >= dayStart);
    const finished = today.filter((run) => ["succeeded", "failed", "timed_out"].includes(run.status));
    const succeeded = finished.filter((run) => run.status === "succeeded").length;
    const spend = runs
      .filter((run) => run.finishedAt !== null && run.finishedAt >= monthStart)
      .reduce((sum, run) => sum + (run.tokenSpendMicroUsd ?? 0n), 0n);
    return {
      status: 200,
      body: {
        onlineWorkers: Object.values(ctx.state.workers).filter(
          (w) => w.environmentId === environmentId && isOnline(w, now),
        ).length,
        todaysRuns: today.length,
        successRatePct: finished.length ? Math.round((succeeded / finished.length) * 1000) / 10 : 0,
        monthTokenSpendUsd: usd(spend),
      },
    };
  },
};
