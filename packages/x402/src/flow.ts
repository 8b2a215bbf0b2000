/**
 * The deadline and the caller's signal of one money flow, applied at every await: HTTP calls get
 * what is left of the deadline, and everything else (the ledger, the waits between polls) is raced
 * against both, so a stalled server or RPC ends the flow with a typed error instead of a hang.
 */
import { AbortError, TimeoutError } from "@specyard/http";

/** Per-attempt timeout of a payment flow's HTTP calls, in ms. */
export const DEFAULT_ATTEMPT_TIMEOUT_MS = 20_000;
/** Budget of one whole payment flow (ask, pay, confirm, resend, poll), in ms. */
export const DEFAULT_PAYMENT_DEADLINE_MS = 120_000;

export interface FlowOptions {
  signal?: AbortSignal | undefined;
  /** The flow's deadline, in ms since the epoch (on the `now` clock). */
  deadlineAt?: number | undefined;
  now?: (() => number) | undefined;
}

/** What is left of the deadline in ms (Infinity without one); throws once it has passed or the signal fired. */
export function remaining(flow: FlowOptions, what: string): number {
  checkFlow(flow, what);
  if (flow.deadlineAt === undefined) return Number.POSITIVE_INFINITY;
  return flow.deadlineAt - (flow.now ?? Date.now)();
}

/** Throws `AbortError` when the signal fired, `TimeoutError` when the deadline passed. */
export function checkFlow(flow: FlowOptions, what: string): void {
  if (flow.signal?.aborted) throw abortedError(flow.signal, what);
  if (flow.deadlineAt !== undefined && (flow.now ?? Date.now)() >= flow.deadlineAt)
    throw new TimeoutError(`${what}: the payment's deadline passed`, "deadline");
}

/**
 * The caller's signal fired: `TimeoutError` when it is a timeout signal (`AbortSignal.timeout`),
 * `AbortError` otherwise.
 */
export function abortedError(signal: AbortSignal, what: string): Error {
  const reason = signal.reason as { name?: string } | undefined;
  if (reason?.name === "TimeoutError")
    return new TimeoutError(`${what}: the caller's signal timed out`, "deadline");
  return new AbortError(`${what}: aborted`);
}

/**
 * Awaits `work`, but no longer than the deadline and no longer than the signal allows. The work is
 * not cancelled (a web3.js call cannot be), only no longer waited for.
 */
export function within<T>(
  flow: FlowOptions,
  what: string,
  work: Promise<T> | (() => Promise<T>),
): Promise<T> {
  try {
    checkFlow(flow, what);
  } catch (error) {
    return Promise.reject(error);
  }
  const promise = typeof work === "function" ? work() : work;
  const left = flow.deadlineAt === undefined ? undefined : flow.deadlineAt - (flow.now ?? Date.now)();
  if (left === undefined && !flow.signal) return promise;
  return new Promise<T>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const done = () => {
      if (timer) clearTimeout(timer);
      flow.signal?.removeEventListener("abort", onAbort);
    };
    const onAbort = () => {
      done();
      reject(abortedError(flow.signal as AbortSignal, what));
    };
    if (left !== undefined) {
      timer = setTimeout(
        () => {
          done();
          reject(new TimeoutError(`${what}: no answer before the payment's deadline`, "deadline"));
        },
        Math.max(0, left),
      );
    }
    flow.signal?.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        done();
        resolve(value);
      },
      (error: unknown) => {
        done();
        reject(error);
      },
    );
  });
}

/** Waits `ms`, or rejects at the deadline or when the signal fires. */
export function pause(flow: FlowOptions, what: string, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const sleep = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return within(flow, what, sleep).finally(() => clearTimeout(timer));
}

/** A deadline `deadlineMs` from now, or the caller's own when it is sooner. */
export function deadlineFrom(deadlineMs: number | undefined, now: () => number, inherited?: number): number {
  const own = now() + (deadlineMs ?? DEFAULT_PAYMENT_DEADLINE_MS);
  return inherited === undefined ? own : Math.min(own, inherited);
}
