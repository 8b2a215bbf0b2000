import { retryHintOf, sleep } from "./sleep.js";

export type LoopEvent =
  | { type: "iteration"; iteration: number }
  | { type: "success"; iteration: number; durationMs: number }
  | { type: "failure"; iteration: number; error: unknown; consecutiveFailures: number; retryInMs: number }
  | { type: "stopping"; reason: string }
  | { type: "stopped"; iterations: number };

export interface LoopHealth {
  running: boolean;
  iterations: number;
  lastSuccessAt: number | undefined;
  lastFailureAt: number | undefined;
  consecutiveFailures: number;
}

export interface LoopOptions {
  /** One unit of work. It gets a signal that aborts only when the loop must stop at once. */
  iterate: (context: { iteration: number; signal: AbortSignal }) => Promise<void>;
  /** Wait after a good iteration (default 1 000 ms). */
  intervalMs?: number;
  /** After failures: initial wait, doubling up to `maxBackoffMs` (defaults 1 s and 5 min). */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Stops the loop: the item in hand finishes first. */
  signal?: AbortSignal;
  /** Also stop on SIGINT / SIGTERM (Node), finishing the item in hand. */
  handleSignals?: boolean;
  /** Structured events: log them, export metrics from them. */
  onEvent?: (event: LoopEvent) => void;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface Loop {
  /** Settles when the loop has stopped. */
  done: Promise<void>;
  /** Asks the loop to stop after the item in hand, and waits for it. */
  stop(reason?: string): Promise<void>;
  health(): LoopHealth;
}

/**
 * Runs `iterate` forever: a failed iteration is reported and the loop goes on after a backoff
 * (at least what the error's `retryAfterMs` asks); it never exits on an error. Stopping waits for
 * the item in hand, then ends the loop without leaving a timer behind.
 */
export function runLoop(options: LoopOptions): Loop {
  const now = options.now ?? Date.now;
  const wait = options.sleep ?? sleep;
  const stopper = new AbortController();
  const health: LoopHealth = {
    running: true,
    iterations: 0,
    lastSuccessAt: undefined,
    lastFailureAt: undefined,
    consecutiveFailures: 0,
  };
  const emit = (event: LoopEvent) => {
    try {
      options.onEvent?.(event);
    } catch {
      // a broken listener must not break the loop
    }
  };
  const requestStop = (reason: string) => {
    if (stopper.signal.aborted) return;
    // Aborted before the event goes out, so a listener that calls stop() again returns at once.
    stopper.abort(new Error(`loop stopping: ${reason}`));
    emit({ type: "stopping", reason });
  };
  const onOuterAbort = () => requestStop("signal");
  options.signal?.addEventListener("abort", onOuterAbort, { once: true });
  if (options.signal?.aborted) requestStop("signal");
  const onProcessSignal = (name: string) => () => requestStop(name);
  const handlers = options.handleSignals
    ? (["SIGINT", "SIGTERM"] as const).map((name) => {
        const handler = onProcessSignal(name);
        process.once(name, handler);
        return [name, handler] as const;
      })
    : [];

  const done = (async () => {
    let backoff = options.initialBackoffMs ?? 1_000;
    try {
      while (!stopper.signal.aborted) {
        const iteration = ++health.iterations;
        emit({ type: "iteration", iteration });
        const started = now();
        let delay: number;
        try {
          // The item in hand is not interrupted by a stop request.
          await options.iterate({ iteration, signal: new AbortController().signal });
          health.lastSuccessAt = now();
          health.consecutiveFailures = 0;
          backoff = options.initialBackoffMs ?? 1_000;
          emit({ type: "success", iteration, durationMs: now() - started });
          delay = options.intervalMs ?? 1_000;
        } catch (error) {
          health.lastFailureAt = now();
          health.consecutiveFailures++;
          delay = Math.max(backoff, retryHintOf(error) ?? 0);
          backoff = Math.min(backoff * 2, options.maxBackoffMs ?? 300_000);
          emit({
            type: "failure",
            iteration,
            error,
            consecutiveFailures: health.consecutiveFailures,
            retryInMs: delay,
          });
        }
        if (stopper.signal.aborted) break;
        await wait(delay, stopper.signal).catch(() => undefined);
      }
    } finally {
      health.running = false;
      options.signal?.removeEventListener("abort", onOuterAbort);
      for (const [name, handler] of handlers) process.removeListener(name, handler);
      emit({ type: "stopped", iterations: health.iterations });
    }
  })();

  return {
    done,
    stop: async (reason = "stop()") => {
      requestStop(reason);
      await done;
    },
    health: () => ({ ...health }),
  };
}
