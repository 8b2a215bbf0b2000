/** Retry policy: which answers are retried, how long to wait, and what the server asked for. */

export interface RetryOptions {
  /** Retries after the first attempt (default 2). */
  maxRetries?: number;
  /** First backoff step in ms (default 500); the n-th retry waits a random time in [0, min(cap, initial·2ⁿ)]. */
  initialDelayMs?: number;
  /** Cap of one wait in ms, for backoff and for server hints alike (default 60 000). */
  maxDelayMs?: number;
}

export const RETRY_DEFAULTS: Required<RetryOptions> = {
  maxRetries: 2,
  initialDelayMs: 500,
  maxDelayMs: 60_000,
};

/** Statuses retried for any method (subject to the idempotency rule). */
export const RETRY_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

const IDEMPOTENT_METHODS = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"]);

export function isIdempotentMethod(method: string): boolean {
  return IDEMPOTENT_METHODS.has(method.toUpperCase());
}

/** Full-jitter exponential backoff. */
export function backoffDelay(
  retry: number,
  options: Required<RetryOptions>,
  random: () => number = Math.random,
) {
  const ceiling = Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** retry);
  return Math.floor(random() * ceiling);
}

/**
 * The wait in ms the server asked for, read in this order: `retry-after-ms`, `Retry-After`
 * (seconds or an HTTP date), a JSON body's `retry_after_ms` (PipeAgent), `X-RateLimit-Reset`
 * (epoch seconds, only when the remaining count is 0 or absent). `undefined` when none is given.
 */
export function retryHintFrom(headers: Headers, body: unknown, now: number = Date.now()): number | undefined {
  const ms = Number.parseFloat(headers.get("retry-after-ms") ?? "");
  if (Number.isFinite(ms) && ms >= 0) return ms;

  const retryAfter = headers.get("retry-after");
  if (retryAfter) {
    const seconds = Number(retryAfter.trim());
    if (retryAfter.trim() !== "" && Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
    const date = Date.parse(retryAfter);
    if (Number.isFinite(date)) return Math.max(0, date - now);
  }

  const fromBody = (body as { retry_after_ms?: unknown } | null | undefined)?.retry_after_ms;
  if (typeof fromBody === "number" && Number.isFinite(fromBody) && fromBody >= 0) return fromBody;

  const reset = Number(headers.get("x-ratelimit-reset") ?? "");
  const remaining = headers.get("x-ratelimit-remaining");
  if (Number.isFinite(reset) && reset > 0 && (remaining === null || Number(remaining) <= 0)) {
    return Math.max(0, reset * 1000 - now);
  }
  return undefined;
}

/** `retryHintFrom` for a response whose body is still unread (it reads a clone). */
export async function retryHintMs(response: Response, now: number = Date.now()): Promise<number | undefined> {
  let body: unknown;
  if ((response.headers.get("content-type") ?? "").includes("json")) {
    body = await response
      .clone()
      .json()
      .catch(() => undefined);
  }
  return retryHintFrom(response.headers, body, now);
}
