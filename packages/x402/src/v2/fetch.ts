/**
 * `payingFetchV2`: a fetch that pays x402 v2 `exact` 402s on Solana by itself, on `@specyard/http`
 * (per-attempt timeout, a deadline per paid request, retries where safe, typed errors, redaction).
 * Concurrent identical calls that meet a 402 share one payment and one paid answer.
 */
import { createRuntime, type Logger, type Runtime } from "@specyard/http";
import { requestKey, sharedFlights } from "../flight.js";
import { payV2Challenge, type V2Call, type V2PayOptions } from "./pay.js";
import { isV2PaymentRequired, PAYMENT_REQUIRED_HEADER } from "./required.js";

/** Budget of one paid request end to end, in ms. */
export const DEFAULT_V2_DEADLINE_MS = 120_000;
/** Timeout of one HTTP attempt, in ms. */
export const DEFAULT_V2_ATTEMPT_TIMEOUT_MS = 20_000;

export interface PayingFetchV2Options extends V2PayOptions {
  /** Budget of one paid request — first call, checks, payment, resend — in ms (default 120 s). */
  deadlineMs?: number;
  /** Retries of a failed attempt where the method allows one (default the runtime's). */
  maxRetries?: number;
  /** Strings to keep out of errors and logs. */
  secrets?: readonly string[];
  logger?: Logger;
  /** Send through this `@specyard/http` runtime instead of one made around `baseFetch`. */
  runtime?: Runtime;
}

type Fetch = (input: Request) => Promise<Response>;

/** Whether an answer is an x402 v2 402 (a `PAYMENT-REQUIRED` document with `x402Version: 2`). */
export function isV2Challenge(response: Response): boolean {
  return response.status === 402 && isV2PaymentRequired(response.headers.get(PAYMENT_REQUIRED_HEADER));
}

export function runtimeForV2(baseFetch: Fetch | undefined, options: PayingFetchV2Options): Runtime {
  if (options.runtime) return options.runtime;
  return createRuntime({
    fetch: baseFetch ?? ((request) => globalThis.fetch(request)),
    timeoutMs: options.timeoutMs ?? DEFAULT_V2_ATTEMPT_TIMEOUT_MS,
    ...(options.secrets ? { secrets: options.secrets } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.maxRetries !== undefined ? { maxRetries: options.maxRetries } : {}),
  });
}

/** The per-request flow: runtime, deadline, the caller's signals. */
export function v2Call(runtime: Runtime, options: PayingFetchV2Options, request?: Request): V2Call {
  const now = options.now ?? Date.now;
  const signals = [options.signal, request?.signal].filter((s): s is AbortSignal => s !== undefined);
  return {
    runtime,
    connection: options.connection,
    signal: signals.length > 1 ? AbortSignal.any(signals) : signals[0],
    deadlineAt: now() + (options.deadlineMs ?? DEFAULT_V2_DEADLINE_MS),
    now,
    timeoutMs: options.timeoutMs ?? DEFAULT_V2_ATTEMPT_TIMEOUT_MS,
  };
}

/**
 * Pays v2 402s so that concurrent identical calls (same method, URL and body) that meet a 402 share
 * one payment: each caller gets its own copy of the one paid answer.
 */
export function sharedV2Payments(): (
  request: Request,
  first: Response,
  options: V2PayOptions,
  call: V2Call,
) => Promise<Response> {
  const share = sharedFlights();
  return async (request, first, options, call) =>
    share(
      await requestKey(request),
      () => payV2Challenge(request, first, options, call),
      () => void first.body?.cancel().catch(() => undefined),
    );
}

/**
 * A fetch that answers x402 v2 402s: it parses `PAYMENT-REQUIRED`, checks the requirement against
 * the policy and the request, pays it once (journaled), resends with `PAYMENT-SIGNATURE`, and
 * journals the `PAYMENT-RESPONSE`. Any other answer, Pipe's own 402 included, passes through.
 */
export function payingFetchV2(
  baseFetch: Fetch | undefined,
  options: PayingFetchV2Options,
): (input: Request | string, init?: RequestInit) => Promise<Response> {
  const runtime = runtimeForV2(baseFetch, options);
  const pay = sharedV2Payments();
  return async (input, init) => {
    const request = new Request(input, init);
    const call = v2Call(runtime, options, request);
    const first = await runtime.fetch(request.clone(), {
      deadlineMs: Math.max(1, call.deadlineAt - call.now()),
      timeoutMs: call.timeoutMs,
      ...(call.signal ? { signal: call.signal } : {}),
    });
    if (!isV2Challenge(first)) return first;
    return pay(request, first, options, call);
  };
}
