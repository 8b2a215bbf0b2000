import { abortReason, retryHintOf, sleep } from "./sleep.js";

export interface PollOptions<T> {
  /** Done when this says so. */
  until: (value: T) => boolean;
  /** Wait between attempts in ms (default 1 000). */
  intervalMs?: number;
  /** Each wait is multiplied by this (default 1: a fixed interval), up to `maxIntervalMs`. */
  backoff?: number;
  maxIntervalMs?: number;
  /** Give up after this long, in ms: `PollTimeoutError` with the last value. */
  deadlineMs?: number;
  signal?: AbortSignal;
  /**
   * Whether a thrown error is worth another attempt (default: none is). A retried error's
   * `retryAfterMs` (a server's hint) lengthens the next wait.
   */
  retryOn?: (error: unknown) => boolean;
  /** The clock and the wait, replaceable for tests. */
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export class PollTimeoutError<T = unknown> extends Error {
  override name = "PollTimeoutError";
  readonly last: T | undefined;
  readonly attempts: number;
  constructor(attempts: number, last: T | undefined) {
    super(`not done after ${attempts} attempt(s), deadline passed`);
    this.attempts = attempts;
    this.last = last;
  }
}

/** Every value `fn` returns until `until` holds (the last one included). */
export async function* pollIter<T>(
  fn: (attempt: number, signal?: AbortSignal) => Promise<T>,
  options: PollOptions<T>,
): AsyncGenerator<T> {
  const now = options.now ?? Date.now;
  const wait = options.sleep ?? sleep;
  const deadline = options.deadlineMs === undefined ? Number.POSITIVE_INFINITY : now() + options.deadlineMs;
  let interval = options.intervalMs ?? 1_000;
  let last: T | undefined;
  for (let attempt = 1; ; attempt++) {
    if (options.signal?.aborted) throw abortReason(options.signal);
    let hint: number | undefined;
    try {
      last = await fn(attempt, options.signal);
      yield last;
      if (options.until(last)) return;
    } catch (error) {
      if (options.signal?.aborted) throw abortReason(options.signal);
      if (!options.retryOn?.(error)) throw error;
      hint = retryHintOf(error);
    }
    const delay = Math.max(interval, hint ?? 0);
    if (now() + delay > deadline) throw new PollTimeoutError(attempt, last);
    await wait(delay, options.signal);
    interval = Math.min(interval * (options.backoff ?? 1), options.maxIntervalMs ?? Number.POSITIVE_INFINITY);
  }
}

/** Calls `fn` until `until` holds, and returns that value. */
export async function poll<T>(
  fn: (attempt: number, signal?: AbortSignal) => Promise<T>,
  options: PollOptions<T>,
): Promise<T> {
  let last: T | undefined;
  for await (const value of pollIter(fn, options)) last = value;
  return last as T;
}
