import {
  AbortError,
  type CallOptions,
  createRuntime,
  type Logger,
  type LogLevel,
  type Runtime,
} from "@specyard/http";
import { PaymentFailedError, PaymentRefusedError } from "./errors.js";
import { requestKey, sharedFlights } from "./flight.js";
import {
  abortedError,
  DEFAULT_ATTEMPT_TIMEOUT_MS,
  deadlineFrom,
  type FlowOptions,
  remaining,
} from "./flow.js";
import { isUnfinished, type JournalEntry, spentOf } from "./journal.js";
import { boundedFetch, DEFAULT_MAX_BODY_BYTES, refusalOfOversizedHeaders, sizeLimitOf } from "./limits.js";
import { confirm, type PayOptions, payOption } from "./pay.js";
import { encodePaymentSignature, parsePaymentRequired } from "./payment-required.js";
import { chooseOption } from "./policy.js";

export interface PayingFetchOptions extends PayOptions {
  /** Called once a payment is confirmed and submitted, with the server's answer status. */
  onPaid?: (entry: JournalEntry, status: number) => void;
  /**
   * Budget of one paid request end to end — the first call, the payment and its confirmation, the
   * resend — in ms (default `DEFAULT_PAYMENT_DEADLINE_MS`, 120 s). Past it the call ends with
   * `TimeoutError`; a payment already made stays journaled for `resumePayments`.
   */
  deadlineMs?: number;
  /** Timeout of one HTTP attempt, body included, in ms (default `DEFAULT_ATTEMPT_TIMEOUT_MS`, 20 s). */
  timeoutMs?: number;
  /** Retries of a failed attempt where the method allows one (default the runtime's, 2). */
  maxRetries?: number;
  /**
   * Strings to keep out of errors and logs. Credentials the runtime sets are registered on their
   * own; a credential that `baseFetch` adds itself is not seen by it, so list it here.
   */
  secrets?: readonly string[];
  logger?: Logger;
  /** Lines under this level are dropped (default `info`). */
  logLevel?: LogLevel;
  /** The largest 402 body read (and thrown away), in bytes (default 1 MiB). */
  maxBodyBytes?: number;
  /** Send through this `@specyard/http` runtime instead of one made around `baseFetch`. */
  runtime?: Runtime;
}

type Fetch = (input: Request) => Promise<Response>;

/** The runtime a paying fetch sends through: `baseFetch` (or the global `fetch`) under `@specyard/http`. */
function runtimeOf(baseFetch: Fetch | undefined, options: PayingFetchOptions): Runtime {
  if (options.runtime) return options.runtime;
  const inner: Fetch = baseFetch ?? ((request) => globalThis.fetch(request));
  return createRuntime({
    // A 402 body is read whole (and capped) inside the attempt; other answers pass through.
    fetch: boundedFetch(inner, options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES, (r) => r.status === 402),
    timeoutMs: options.timeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS,
    ...(options.secrets ? { secrets: options.secrets } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.logLevel ? { logLevel: options.logLevel } : {}),
    ...(options.maxRetries !== undefined ? { maxRetries: options.maxRetries } : {}),
  });
}

/** The flow of one paid request: the caller's signals, and a deadline. */
function flowFor(options: PayingFetchOptions, request?: Request): FlowOptions & PayOptions {
  const now = options.now ?? Date.now;
  const signals = [options.signal, request?.signal].filter((s): s is AbortSignal => s !== undefined);
  const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
  return {
    ...options,
    ...(signal ? { signal } : {}),
    deadlineAt: deadlineFrom(options.deadlineMs, now, options.deadlineAt),
    now,
  };
}

/** Per-call options of the runtime: what is left of the flow's deadline. */
function callOf(flow: FlowOptions & PayingFetchOptions, what: string, more: CallOptions = {}): CallOptions {
  return {
    deadlineMs: Math.max(1, remaining(flow, what)),
    timeoutMs: flow.timeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS,
    ...(flow.signal ? { signal: flow.signal } : {}),
    ...more,
  };
}

/** The caller's own timeout signal is a timeout (not an abort); size limits get their own error. */
function normalized(error: unknown, flow: FlowOptions, what: string, first: boolean): unknown {
  if (error instanceof AbortError && flow.signal?.aborted) return abortedError(flow.signal, what);
  const tooLarge = sizeLimitOf(error);
  if (tooLarge) return first ? refusalOfOversizedHeaders(tooLarge) : tooLarge;
  return error;
}

/**
 * A fetch that answers this 402 scheme by itself: it reads `Payment-Required`, picks the option
 * the policy allows, pays it exactly once (journaled), and sends the request again with
 * `Payment-Signature`. Any other answer passes through untouched. Every call runs on
 * `@specyard/http` (per-attempt timeout, retries where the method allows, typed errors, redaction)
 * around `baseFetch` (the global `fetch` when undefined), within `deadlineMs`.
 */
export function payingFetch(
  baseFetch: Fetch | undefined,
  options: PayingFetchOptions,
): (input: Request | string, init?: RequestInit) => Promise<Response> {
  const runtime = runtimeOf(baseFetch, options);
  const share = sharedFlights();
  return async (input, init) => {
    const request = new Request(input, init);
    const flow = flowFor(options, request);
    let first: Response;
    try {
      first = await runtime.fetch(request.clone(), callOf(flow, `${request.method} ${request.url}`));
    } catch (error) {
      throw normalized(error, flow, "the first call", true);
    }
    if (first.status !== 402 || !first.headers.has("Payment-Required")) return first;
    const required = parsePaymentRequired(first.headers.get("Payment-Required"));
    await first.body?.cancel().catch(() => undefined);
    checkResource(required.resource, request.url);
    // Concurrent identical calls that meet a 402 share one payment and one paid answer.
    return share(await requestKey(request), async () => {
      const spent = spentOf(await options.journal.list());
      const option = chooseOption(required.accepts, options.policy, spent);
      const entry = await payOption(option, flow, { url: request.url, method: request.method });
      return send(runtime, request, entry, flow);
    });
  };
}

/**
 * A 402 must be about the request that met it: a `resource` naming another path (another
 * request's payment) is refused. The origin is not compared — Pipe is often reached through a
 * gateway or proxy that does not know its public name — the payee is bound by `treasuryOwner`.
 */
export function checkResource(resource: unknown, requestUrl: string): void {
  const url =
    typeof resource === "string"
      ? resource
      : resource && typeof resource === "object"
        ? (resource as { url?: unknown }).url
        : undefined;
  if (url === undefined) return;
  if (typeof url !== "string" || !URL.canParse(url))
    throw new PaymentRefusedError("resource.url", "format", "must be an absolute URL");
  const named = new URL(url);
  const asked = new URL(requestUrl);
  if (named.pathname !== asked.pathname || named.search !== asked.search)
    throw new PaymentRefusedError(
      "resource.url",
      "sameResource",
      "names another resource than the request's",
    );
}

/** Sends the confirming request for a confirmed payment, and records what the server said. */
export async function submit(
  baseFetch: Fetch | undefined,
  request: Request,
  entry: JournalEntry,
  options: PayingFetchOptions,
): Promise<Response> {
  return send(runtimeOf(baseFetch, options), request, entry, flowFor(options, request));
}

async function send(
  runtime: Runtime,
  request: Request,
  entry: JournalEntry,
  flow: FlowOptions & PayingFetchOptions,
): Promise<Response> {
  const retry = new Request(request, { headers: new Headers(request.headers) });
  retry.headers.set("Payment-Signature", encodePaymentSignature(entry.intentId, entry.signature));
  let answer: Response;
  try {
    // The server credits an intent once, whatever the number of resends: safe to retry.
    answer = await runtime.fetch(retry, callOf(flow, "the Payment-Signature resend", { idempotent: true }));
  } catch (error) {
    throw normalized(error, flow, "the Payment-Signature resend", false);
  }
  if (answer.status === 402) {
    // Paid, and asked to pay again: never a second payment, never a loop. The entry stays
    // journaled (confirmed) for `resumePayments`.
    await answer.body?.cancel().catch(() => undefined);
    throw new PaymentFailedError(
      entry.intentId,
      "the server answered 402 again after the payment landed; it is not paid again (resumePayments resubmits it)",
    );
  }
  if (answer.status === 200 || answer.status === 202) {
    const status = answer.status === 200 ? "credited" : "submitted";
    await flow.journal.put({ ...entry, status, updatedAt: (flow.now ?? Date.now)() });
    flow.onPaid?.({ ...entry, status }, answer.status);
  }
  return answer;
}

/**
 * After a restart: every journaled payment not yet credited is confirmed (its same bytes sent again
 * if they never landed) and submitted to the resource that asked for it. No new transfer is built.
 * All of it runs within one `deadlineMs`.
 */
export async function resumePayments(
  baseFetch: Fetch | undefined,
  options: PayingFetchOptions,
): Promise<Array<{ entry: JournalEntry; status: number }>> {
  const runtime = runtimeOf(baseFetch, options);
  const flow = flowFor(options);
  const out: Array<{ entry: JournalEntry; status: number }> = [];
  for (const entry of await options.journal.list()) {
    if (!isUnfinished(entry) || !entry.resource) continue;
    const confirmed =
      entry.status === "signed" || entry.status === "sent" ? await confirm(entry, flow) : entry;
    const request = new Request(entry.resource.url, { method: entry.resource.method });
    const status = await send(runtime, request, confirmed, flow).then(
      (answer) => answer.status,
      (error: unknown) => {
        if (error instanceof PaymentFailedError) return 402;
        throw error;
      },
    );
    out.push({ entry: (await options.journal.get(entry.intentId)) ?? confirmed, status });
  }
  return out;
}
