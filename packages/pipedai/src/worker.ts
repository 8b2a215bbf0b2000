/**
 * The PipedAI worker loop: register once (persisting the `wkt_` token), poll, claim, start,
 * heartbeat while the handler runs, complete — a lost claim is dropped without running, and a
 * graceful stop finishes the runs in hand.
 */
import { ConflictError, NotFoundError, unwrap } from "@specyard/http";
import { type Loop, type LoopEvent, runLoop } from "@specyard/poll";
import { createPipedAIClient, type PipedAIClient, type PipedAIClientOptions, type Run } from "./client.js";

export interface WorkerCredentials {
  workerId: string;
  workerToken: string;
}

export type WorkerEvent =
  | LoopEvent
  | { type: "registered"; workerId: string }
  | { type: "claimed" | "completed" | "lost"; runId: string; status?: string }
  | { type: "run-failed"; runId: string; error: unknown };

export interface RunContext {
  signal: AbortSignal;
  /** Reports progress (sent with the next heartbeat). */
  progress(pct: number, message?: string): void;
}

export interface RunWorkerOptions extends Omit<PipedAIClientOptions, "apiKey" | "workerToken" | "authToken"> {
  /** A saved worker, or a `wrk_` registration token to exchange (once) for one. */
  credentials: WorkerCredentials | { registrationToken: string; name: string };
  /** Called with the new worker's token before any run is taken: persist it (0600). */
  onRegistered?: (credentials: WorkerCredentials) => void | Promise<void>;
  handler: (run: Run, context: RunContext) => Promise<Record<string, unknown> | undefined>;
  /** Runs handled at once (default 1). */
  concurrency?: number;
  pollIntervalMs?: number;
  /** Default 15 s (the sandbox requeues after 60 s of silence). */
  heartbeatIntervalMs?: number;
  signal?: AbortSignal;
  handleSignals?: boolean;
  onEvent?: (event: WorkerEvent) => void;
  loopNow?: () => number;
  loopSleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

async function register(options: RunWorkerOptions): Promise<WorkerCredentials> {
  const given = options.credentials;
  if ("workerToken" in given) return given;
  const { credentials: _c, handler: _h, onRegistered: _o, onEvent: _e, ...clientOptions } = options;
  const anonymous = createPipedAIClient(clientOptions);
  const answer = await unwrap(
    anonymous.POST("/api/v1/workers/register", {
      body: { registrationToken: given.registrationToken, name: given.name },
    }),
  );
  const saved = { workerId: answer.worker.id, workerToken: answer.token };
  await options.onRegistered?.(saved);
  options.onEvent?.({ type: "registered", workerId: saved.workerId });
  return saved;
}

/** Starts the worker; resolves once it is registered, with the loop. */
export async function runWorker(options: RunWorkerOptions): Promise<Loop & { workerId: string }> {
  const { workerId, workerToken } = await register(options);
  const { credentials: _c, handler, onRegistered: _o, onEvent, ...clientOptions } = options;
  const client: PipedAIClient = createPipedAIClient({ ...clientOptions, workerToken });
  const path = { id: workerId };
  const emit = (event: WorkerEvent) => onEvent?.(event);

  async function handle(run: Run): Promise<void> {
    const runPath = { params: { path: { ...path, runId: run.id } } };
    try {
      await unwrap(client.POST("/api/v1/workers/{id}/runs/{runId}/claim", runPath));
    } catch (error) {
      // Another worker won it, or it moved on: never run it here.
      if (error instanceof ConflictError || error instanceof NotFoundError)
        return emit({ type: "lost", runId: run.id });
      throw error;
    }
    emit({ type: "claimed", runId: run.id });
    await unwrap(client.POST("/api/v1/workers/{id}/runs/{runId}/start", runPath));
    const lost = new AbortController();
    let progress: { progressPct?: number; message?: string } = {};
    const beat = async () => {
      try {
        await unwrap(
          client.POST("/api/v1/workers/{id}/runs/{runId}/heartbeat", { ...runPath, body: progress }),
        );
      } catch (error) {
        if (error instanceof ConflictError || error instanceof NotFoundError) lost.abort(error);
      }
    };
    const timer = setInterval(() => void beat(), options.heartbeatIntervalMs ?? 15_000);
    let outcome:
      | { status: "succeeded"; output?: Record<string, unknown> }
      | { status: "failed"; error: string };
    try {
      const output = await handler(run, {
        signal: lost.signal,
        progress: (pct, message) => {
          progress = {
            progressPct: Math.max(0, Math.min(100, pct)),
            ...(message ? { message: message.slice(0, 500) } : {}),
          };
        },
      });
      outcome = { status: "succeeded", ...(output ? { output } : {}) };
    } catch (error) {
      outcome = { status: "failed", error: String((error as Error)?.message ?? error).slice(0, 10_000) };
    } finally {
      clearInterval(timer);
    }
    if (lost.signal.aborted) return emit({ type: "lost", runId: run.id });
    try {
      await unwrap(client.POST("/api/v1/workers/{id}/runs/{runId}/complete", { ...runPath, body: outcome }));
      emit({ type: "completed", runId: run.id, status: outcome.status });
    } catch (error) {
      if (error instanceof ConflictError) return emit({ type: "lost", runId: run.id });
      throw error;
    }
  }

  const loop = runLoop({
    intervalMs: options.pollIntervalMs ?? 5_000,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.handleSignals ? { handleSignals: true } : {}),
    ...(options.loopNow ? { now: options.loopNow } : {}),
    ...(options.loopSleep ? { sleep: options.loopSleep } : {}),
    onEvent: emit,
    iterate: async () => {
      const { runs } = await unwrap(client.GET("/api/v1/workers/{id}/poll", { params: { path } }));
      const waiting = runs.filter((run) => run.status === "queued" || run.status === "assigned");
      const width = Math.max(1, options.concurrency ?? 1);
      let failed = 0;
      for (let i = 0; i < waiting.length; i += width) {
        // The runs in hand always finish: a stop request waits for them.
        const results = await Promise.allSettled(waiting.slice(i, i + width).map(handle));
        for (const [j, result] of results.entries()) {
          if (result.status === "rejected") {
            failed++;
            emit({ type: "run-failed", runId: waiting[i + j]?.id ?? "", error: result.reason });
          }
        }
      }
      if (failed) throw new Error(`${failed} run(s) failed this round`);
    },
  });
  return Object.assign(loop, { workerId });
}
