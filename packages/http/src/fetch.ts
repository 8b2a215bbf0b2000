/**
 * The request loop every specyard client runs on: auth (with one refresh on 401), the client-side
 * rate limiter, per-attempt timeouts and an overall deadline, retries with full-jitter backoff that
 * honour the server's hints, idempotency keys, and redacted logs. It is a plain `fetch`, so
 * openapi-fetch (or anything else) can sit on top.
 */
import { type AuthRequest, type AuthStrategy, applyAuth, withinBounds } from "./auth.js";
import { anonymousRequests, inBrowser } from "./env.js";
import { AbortError, ConnectionError, LocalRateLimitError, TimeoutError } from "./errors.js";
import { type Logger, type LogLevel, levelLogger } from "./logger.js";
import { RateLimiter, type RateLimitRule } from "./ratelimit.js";
import { Redactor, redactUrl } from "./redact.js";
import {
  backoffDelay,
  isIdempotentMethod,
  RETRY_DEFAULTS,
  RETRY_STATUSES,
  type RetryOptions,
  retryHintMs,
} from "./retry.js";
import { fetchTransport, requestTransport, type Transport } from "./transport.js";

/** Options that can change per call (`client.withOptions(...)`). */
export interface CallOptions extends RetryOptions {
  /** Timeout of one attempt in ms, body included (default 60 000). */
  timeoutMs?: number;
  /** Budget of the whole call in ms, waits and retries included. */
  deadlineMs?: number;
  /** Cancels the call; openapi-fetch's per-call `signal` works as well. */
  signal?: AbortSignal;
  /** Marks a POST or PATCH as safe to send twice (e.g. it carries its own dedup key). */
  idempotent?: boolean;
  /**
   * Sends an idempotency key, generated once per call and reused on every retry: `true` generates
   * one, a string is used as it is.
   */
  idempotencyKey?: boolean | string;
}

export interface RetryEvent {
  attempt: number;
  waitMs: number;
  /** The server's own wait, when it gave one. */
  hintMs: number | undefined;
  reason: string;
  method: string;
  url: string;
}

export interface RuntimeOptions extends CallOptions {
  /** A fetch that takes a `Request` (a mock, an instrumented fetch); used when no `transport` is given. */
  fetch?: (request: Request) => Promise<Response>;
  /**
   * How attempts reach the server. Default: undici's `request()` on Node (the `@specyard/http`
   * entry Node resolves), the global `fetch` elsewhere; `fetchTransport()` forces the global
   * `fetch` (for msw, nock and other fetch interceptors).
   */
  transport?: Transport;
  /** Credentials, applied on every attempt (so a refreshed token is picked up). */
  auth?: readonly AuthStrategy[];
  /**
   * Called once after a 401 to obtain fresh credentials; resolve true when it did. Concurrent
   * calls share one refresh, and the request is then sent once more.
   */
  refreshAuth?: () => Promise<boolean>;
  /** Client-side rate limits per route family. */
  rateLimits?: readonly RateLimitRule[];
  /** Header for idempotency keys (default `Idempotency-Key`). */
  idempotencyHeader?: string;
  /**
   * `User-Agent` of every request where the runtime lets a request set it (not in browsers);
   * a `User-Agent` in the request's own headers wins. The clients send `specyard-<package>/<version>`.
   */
  userAgent?: string;
  logger?: Logger;
  logLevel?: LogLevel;
  /** More strings to keep out of logs and errors (credentials are registered as they are sent). */
  secrets?: readonly string[];
  /** Observes every retry decision (metrics, tests). */
  onRetry?: (event: RetryEvent) => void;
  /** The clock and the wait, replaceable for tests and simulations. */
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
}

/** Shared by every call of one client. */
interface RuntimeState {
  options: RuntimeOptions;
  transport: Transport;
  redactor: Redactor;
  limiter: RateLimiter | undefined;
  log: Logger | undefined;
  refresh: (() => Promise<boolean>) | undefined;
  authGeneration: number;
}

/** Codes that mean the connection was never made, so the request cannot have been received. */
const NOT_SENT_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_CONNECT_TIMEOUT",
]);

export const defaultSleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });

function singleFlight(fn: () => Promise<boolean>): () => Promise<boolean> {
  let inFlight: Promise<boolean> | undefined;
  return () => {
    inFlight ??= fn().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };
}

export interface Runtime {
  /** Sends a request through the loop with the client's options merged with `call`. */
  fetch(request: Request, call?: CallOptions): Promise<Response>;
  redactor: Redactor;
}

export function createRuntime(options: RuntimeOptions = {}): Runtime {
  const redactor = new Redactor(options.secrets ?? []);
  const state: RuntimeState = {
    options,
    transport: options.transport ?? (options.fetch ? requestTransport(options.fetch) : fetchTransport()),
    redactor,
    limiter: options.rateLimits?.length ? new RateLimiter([...options.rateLimits], options.now) : undefined,
    log: options.logger
      ? levelLogger(options.logger, options.logLevel ?? "info", redactor.redact)
      : undefined,
    refresh: undefined,
    authGeneration: 0,
  };
  if (options.refreshAuth) {
    const refreshAuth = options.refreshAuth;
    state.refresh = singleFlight(async () => {
      const ok = await refreshAuth();
      if (ok) state.authGeneration++;
      return ok;
    });
  }
  return { fetch: (request, call) => send(state, { ...options, ...call }, request), redactor };
}

const TIMEOUT = Symbol("timeout");
const userAgentAllowed = !inBrowser();

async function send(state: RuntimeState, opts: RuntimeOptions, original: Request): Promise<Response> {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? defaultSleep;
  const retry = { ...RETRY_DEFAULTS, ...definedOnly(opts) };
  const method = original.method.toUpperCase();
  const safeUrl = () => state.redactor.redact(redactUrl(original.url));
  const signal = anySignal([opts.signal, original.signal]);
  const deadline = opts.deadlineMs === undefined ? Number.POSITIVE_INFINITY : now() + opts.deadlineMs;
  const idempotent = opts.idempotent ?? isIdempotentMethod(method);
  const key = opts.idempotencyKey === true ? crypto.randomUUID() : opts.idempotencyKey || undefined;
  const limit = state.limiter?.keyOf(method, original.url);
  let refreshedOnce = false;
  // The body is read once and replayed on every attempt.
  const body = original.body ? await original.arrayBuffer() : undefined;

  const wait = async (ms: number) => {
    try {
      await sleep(ms, signal);
    } catch {
      throw new AbortError(`${method} ${safeUrl()} aborted`);
    }
  };

  for (let retries = 0; ; ) {
    if (signal?.aborted) throw new AbortError(`${method} ${safeUrl()} aborted`);
    if (limit && state.limiter) {
      for (
        let slot = state.limiter.tryTake(limit.key, limit.rule);
        slot > 0;
        slot = state.limiter.tryTake(limit.key, limit.rule)
      ) {
        if (now() + slot > deadline) throw new LocalRateLimitError(limit.rule.name, slot);
        state.log?.debug("waiting for the client-side rate limit", { family: limit.rule.name, waitMs: slot });
        await wait(slot);
      }
    }

    const generation = state.authGeneration;
    // Credentials first: a getter that throws rejects the call with no attempt timer left armed.
    const target: AuthRequest = { url: original.url, method, headers: new Headers(original.headers) };
    if (opts.auth?.length && !anonymousRequests.has(original)) {
      // A getter may sign in or refresh: it gets the call's signal and remaining deadline, and the
      // call waits for it no longer than those allow.
      const auth = opts.auth;
      const remainingMs = deadline - now();
      await withinBounds({ signal, remainingMs, describe: `${method} ${safeUrl()}` }, async (authSignal) => {
        const bounded: AuthRequest = {
          url: target.url,
          method,
          headers: target.headers,
          signal: authSignal,
          ...(Number.isFinite(remainingMs) ? { deadline: remainingMs } : {}),
        };
        await applyAuth(auth, bounded);
        target.url = bounded.url;
      });
    }
    if (key) target.headers.set(opts.idempotencyHeader ?? "Idempotency-Key", key);
    if (opts.userAgent && userAgentAllowed && !target.headers.has("user-agent"))
      target.headers.set("User-Agent", opts.userAgent);
    state.redactor.addFromHeaders(target.headers);
    if (target.url.includes("=")) state.redactor.addFromUrl(target.url);

    const budget = Math.min(opts.timeoutMs ?? 60_000, deadline - now());
    if (budget <= 0) throw new TimeoutError(`${method} ${safeUrl()}: deadline passed`, "deadline");
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(TIMEOUT), budget);
    const onAbort = () => controller.abort(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });

    let response: Response | undefined;
    let failure: Error | undefined;
    try {
      response = await state.transport(target.url, {
        method,
        headers: target.headers,
        body,
        signal: controller.signal,
        redirect: original.redirect,
      });
    } catch (error) {
      if (signal?.aborted) throw new AbortError(`${method} ${safeUrl()} aborted`);
      if (controller.signal.reason === TIMEOUT) {
        const kind = budget < (opts.timeoutMs ?? 60_000) ? "deadline" : "attempt";
        failure = new TimeoutError(`${method} ${safeUrl()}: no complete answer within ${budget} ms`, kind);
      } else {
        failure = connectionError(error, method, safeUrl(), state.redactor.redact);
      }
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }

    if (failure) {
      const resendable = idempotent || (failure instanceof ConnectionError && failure.notSent);
      const delay = backoffDelay(retries, retry, opts.random);
      if (!resendable || retries >= retry.maxRetries || now() + delay >= deadline) throw failure;
      retries++;
      report(state, opts, {
        attempt: retries,
        waitMs: delay,
        hintMs: undefined,
        reason: failure.message,
        method,
        url: safeUrl(),
      });
      await wait(delay);
      continue;
    }
    if (!response) throw new Error("unreachable: no response and no failure");

    if (response.status === 401 && state.refresh && !refreshedOnce) {
      refreshedOnce = true;
      const refresh = state.refresh;
      const bounds = { signal, remainingMs: deadline - now(), describe: `${method} ${safeUrl()}` };
      // Another call may have refreshed while this one was in flight: then just send again.
      if (state.authGeneration !== generation || (await withinBounds(bounds, () => refresh()))) {
        state.log?.info("credentials refreshed after 401; sending once more", { method, url: safeUrl() });
        continue;
      }
      return response;
    }

    if (!RETRY_STATUSES.has(response.status) || retries >= retry.maxRetries) return response;
    const hint = await retryHintMs(response, now());
    const hinted = (response.status === 429 || response.status === 503) && hint !== undefined;
    if (!idempotent && !hinted) return response;
    let delay: number;
    if (hint !== undefined) {
      // Never sooner than asked; when the ask is past the cap or the deadline, give the answer back.
      if (hint > retry.maxDelayMs || now() + hint > deadline) return response;
      delay = Math.ceil(hint);
    } else {
      delay = backoffDelay(retries, retry, opts.random);
      if (now() + delay >= deadline) return response;
    }
    retries++;
    report(state, opts, {
      attempt: retries,
      waitMs: delay,
      hintMs: hint,
      reason: `HTTP ${response.status}`,
      method,
      url: safeUrl(),
    });
    await response.body?.cancel().catch(() => undefined);
    await wait(delay);
  }
}

function report(state: RuntimeState, opts: RuntimeOptions, event: RetryEvent) {
  state.log?.warn(`retrying ${event.method} ${event.url} in ${event.waitMs} ms (${event.reason})`, {
    attempt: event.attempt,
    waitMs: event.waitMs,
    hintMs: event.hintMs,
  });
  opts.onRetry?.(event);
}

function definedOnly(options: RetryOptions): RetryOptions {
  const out: RetryOptions = {};
  if (options.maxRetries !== undefined) out.maxRetries = options.maxRetries;
  if (options.initialDelayMs !== undefined) out.initialDelayMs = options.initialDelayMs;
  if (options.maxDelayMs !== undefined) out.maxDelayMs = options.maxDelayMs;
  return out;
}

function anySignal(signals: Array<AbortSignal | undefined>): AbortSignal | undefined {
  const present = signals.filter((s): s is AbortSignal => s !== undefined);
  if (present.length <= 1) return present[0];
  return AbortSignal.any(present);
}

function connectionError(
  error: unknown,
  method: string,
  url: string,
  redact: (text: string) => string,
): ConnectionError {
  const cause = (error as { cause?: { code?: string } })?.cause;
  const code = cause?.code ?? (error as { code?: string })?.code;
  const notSent = code !== undefined && NOT_SENT_CODES.has(code);
  const reason = code ?? (error instanceof Error ? error.message : String(error));
  return new ConnectionError(redact(`${method} ${url}: connection failed (${reason})`), {
    notSent,
    code,
    cause: error,
  });
}
