/**
 * The HTTP side of the sign-in flow, on @specyard/http's runtime: a per-attempt timeout, one
 * deadline for the whole flow, retries by method semantics (the flow's POSTs are sent again only
 * when they were never sent, or when the server asked with a 429/503 hint), typed errors, and the
 * flow's secrets (signature, tokens) kept out of every message. Answers are read inside the attempt
 * with a size limit, so a stalled, dripping, cut or huge body fails the call instead of hanging it.
 */
import {
  AbortError,
  ApiError,
  ConnectionError,
  createRuntime,
  type Logger,
  type LogLevel,
  type Runtime,
  retryHintFrom,
  SpecyardError,
  TimeoutError,
  type Transport,
  untilAborted,
} from "@specyard/http";
import { SiwsProtocolError, type SiwsStage } from "./errors.js";

/** Budget of a whole sign-in or refresh (requests, retries, signing), in ms. */
export const DEFAULT_DEADLINE_MS = 30_000;
/** Timeout of one HTTP attempt, headers and body, in ms. */
export const DEFAULT_TIMEOUT_MS = 10_000;
/** Largest answer body read, in bytes. */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;
/** Largest answer header section read (names and values), in bytes: Node's own HTTP limit. */
export const DEFAULT_MAX_HEADER_BYTES = 16 * 1024;

const MAX_TIMER_MS = 2_147_483_647;

/** Options of the flow's HTTP calls (part of `SignInOptions`). */
export interface SiwsHttpOptions {
  /**
   * The fetch the attempts go through (default: the global `fetch`). It is given the attempt's
   * `signal`; the flow stops waiting when the signal aborts even if this fetch ignores it.
   */
  fetch?: (input: string, init: RequestInit) => Promise<Response>;
  /** Cancels the sign-in or refresh: every request, and the wait for the signer. */
  signal?: AbortSignal;
  /** Budget of the whole sign-in (or refresh) in ms, retries and signing included (default 30 000). */
  deadlineMs?: number;
  /** Timeout of one HTTP attempt in ms, body included (default 10 000). */
  timeoutMs?: number;
  /** Retries of a request that was never sent or that the server asked to resend (default 2). */
  maxRetries?: number;
  /** Largest answer body read in bytes (default 65 536); a larger one is a `SiwsProtocolError`. */
  maxBodyBytes?: number;
  /** Retry warnings and the like, redacted. */
  logger?: Logger;
  logLevel?: LogLevel;
}

/** Why an answer was not read to its end; the flow turns it into a `SiwsProtocolError`. */
class AnswerProblem extends Error {
  override name = "AnswerProblem";
}

const NULL_BODY = new Set([101, 204, 205, 304]);

/**
 * Attempts through `fetchImpl`, reading every answer whole inside the attempt (so the attempt's
 * timeout covers the body) and refusing headers or bodies past the limits.
 */
export function cappedTransport(
  fetchImpl: (input: string, init: RequestInit) => Promise<Response>,
  limits: { maxBodyBytes: number; maxHeaderBytes: number },
): Transport {
  return async (url, request) => {
    const init: RequestInit = {
      method: request.method,
      headers: request.headers,
      signal: request.signal,
      redirect: request.redirect,
    };
    if (request.body !== undefined) init.body = request.body;
    const response = await untilAborted(fetchImpl(url, init), request.signal);
    // A browser hands back a redirect it was told not to follow as an opaque answer (status 0).
    if (response.type === "opaqueredirect" || response.status < 200 || response.status > 599)
      throw new AnswerProblem("was a redirect (not followed) or had no usable status");
    let headerBytes = 0;
    response.headers.forEach((value, name) => {
      headerBytes += name.length + value.length + 4;
    });
    if (headerBytes > limits.maxHeaderBytes) {
      await response.body?.cancel().catch(() => undefined);
      throw new AnswerProblem(`has headers over the ${limits.maxHeaderBytes}-byte limit`);
    }
    const bytes = await readCapped(response, limits.maxBodyBytes, request.signal);
    const out = new Response(NULL_BODY.has(response.status) ? null : bytes, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
    Object.defineProperty(out, "url", { value: response.url || url });
    return out;
  };
}

async function readCapped(
  response: Response,
  max: number,
  signal: AbortSignal,
): Promise<Uint8Array<ArrayBuffer>> {
  const declared = Number(response.headers.get("content-length") ?? "");
  if (Number.isFinite(declared) && declared > max) {
    await response.body?.cancel().catch(() => undefined);
    throw new AnswerProblem(`is over the ${max}-byte limit (content-length ${declared})`);
  }
  if (!response.body) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  let done = false;
  try {
    while (!done) {
      let step: ReadableStreamReadResult<Uint8Array>;
      try {
        step = await untilAborted(reader.read(), signal);
      } catch (error) {
        if (signal.aborted) throw error; // the runtime tells a timeout from the caller's abort
        throw new AnswerProblem("was cut short", { cause: error });
      }
      done = step.done;
      if (step.value) {
        total += step.value.byteLength;
        if (total > max) throw new AnswerProblem(`is over the ${max}-byte limit`);
        chunks.push(step.value);
      }
    }
  } finally {
    if (!done) reader.cancel().catch(() => undefined);
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return bytes;
}

const READ_PROBLEM_CODES = new Set(["UND_ERR_HEADERS_OVERFLOW", "UND_ERR_RES_EXCEEDED_MAX_SIZE"]);

/** A JSON answer of the flow: its status, parsed body and headers. */
export interface FlowAnswer {
  status: number;
  json: unknown;
}

/**
 * One sign-in or refresh: its requests share one deadline and one set of secrets, and every wait
 * (a request, the signer) ends at the caller's abort or the deadline.
 */
export class Flow {
  readonly #runtime: Runtime;
  readonly #origin: string;
  readonly #signal: AbortSignal | undefined;
  readonly #deadlineMs: number;
  readonly #deadlineAt: number;
  readonly #what: string;
  /** The step under way, for the messages of errors raised from outside (a caller's deadline). */
  stage = "start";

  constructor(what: string, origin: string, options: SiwsHttpOptions, secrets: readonly string[] = []) {
    this.#what = what;
    this.#origin = origin.endsWith("/") ? origin : `${origin}/`;
    this.#signal = options.signal;
    this.#deadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;
    this.#deadlineAt = Date.now() + this.#deadlineMs;
    const fetchImpl = options.fetch ?? ((input: string, init: RequestInit) => fetch(input, init));
    this.#runtime = createRuntime({
      transport: cappedTransport(fetchImpl, {
        maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
        maxHeaderBytes: DEFAULT_MAX_HEADER_BYTES,
      }),
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      ...(options.maxRetries !== undefined ? { maxRetries: options.maxRetries } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.logLevel ? { logLevel: options.logLevel } : {}),
      secrets: secrets.filter(Boolean),
    });
  }

  /** Keeps a value (a signature, a token) out of every message and error body from now on. */
  secret(value: string | undefined): void {
    this.#runtime.redactor.add(value);
  }

  redact(text: string): string {
    return this.#runtime.redactor.redact(text);
  }

  #remaining(): number {
    return this.#deadlineAt - Date.now();
  }

  #checkBounds(doing: string): void {
    if (this.#signal?.aborted) throw new AbortError(`${this.#what} aborted before ${doing}`);
    if (this.#remaining() <= 0)
      throw new TimeoutError(
        `${this.#what}: the ${this.#deadlineMs} ms deadline passed before ${doing}`,
        "deadline",
      );
  }

  /**
   * Waits for `work` (the signer, a callback) no longer than the flow allows: `AbortError` at the
   * caller's abort, `TimeoutError` at the deadline.
   */
  async wait<T>(doing: string, work: () => T | Promise<T>): Promise<T> {
    this.stage = doing;
    this.#checkBounds(doing);
    const controller = new AbortController();
    const remaining = this.#remaining();
    const expire = () =>
      controller.abort(
        new TimeoutError(`${this.#what}: ${doing} took past the ${this.#deadlineMs} ms deadline`, "deadline"),
      );
    // Past setTimeout's range (~24.8 days) a deadline is as good as none (and would fire at once).
    const timer = remaining <= MAX_TIMER_MS ? setTimeout(expire, remaining) : undefined;
    const onAbort = () => controller.abort(new AbortError(`${this.#what} aborted during ${doing}`));
    this.#signal?.addEventListener("abort", onAbort, { once: true });
    try {
      return await untilAborted(Promise.resolve().then(work), controller.signal);
    } finally {
      clearTimeout(timer);
      this.#signal?.removeEventListener("abort", onAbort);
    }
  }

  /**
   * POSTs `body` as JSON and answers the parsed 2xx body (or, when `passStatuses` has the status,
   * that answer). Any other status is the `ApiError` subclass for it, with a redacted body; a body
   * that is cut, oversized or not JSON is a `SiwsProtocolError`.
   */
  async post(
    stage: SiwsStage,
    path: string,
    body: unknown,
    passStatuses: readonly number[] = [],
  ): Promise<FlowAnswer> {
    this.stage = stage;
    this.#checkBounds(stage);
    const url = new URL(path, this.#origin).toString();
    const request = new Request(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(body),
      // A redirect could carry the signature or the refresh token elsewhere: it is an answer, not a hop.
      redirect: "manual",
    });
    let response: Response;
    try {
      response = await this.#runtime.fetch(request, {
        deadlineMs: this.#remaining(),
        ...(this.#signal ? { signal: this.#signal } : {}),
      });
    } catch (error) {
      throw this.#typed(error, stage);
    }
    const text = await response.text();
    let json: unknown;
    let parsed = true;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = false;
      json = text;
    }
    if (passStatuses.includes(response.status)) return { status: response.status, json };
    if (response.status < 200 || response.status > 299) {
      throw ApiError.from({
        status: response.status,
        body: json,
        method: "POST",
        url,
        headers: response.headers,
        retryAfterMs: retryHintFrom(response.headers, parsed ? json : undefined),
        redact: this.#runtime.redactor.redact,
      });
    }
    if (!parsed || json === null || typeof json !== "object" || Array.isArray(json))
      throw new SiwsProtocolError(
        `the ${stage} answer (${response.status}, ${text.length} characters) is not a JSON object`,
        response.status,
        { stage },
      );
    return { status: response.status, json };
  }

  #typed(error: unknown, stage: SiwsStage): Error {
    if (error instanceof ConnectionError) {
      const cause = error.cause;
      if (cause instanceof AnswerProblem)
        return new SiwsProtocolError(`the ${stage} answer ${cause.message}`, undefined, {
          stage,
          cause: error,
        });
      if (error.code && READ_PROBLEM_CODES.has(error.code))
        return new SiwsProtocolError(
          `the ${stage} answer is over the size limits (${error.code})`,
          undefined,
          {
            stage,
            cause: error,
          },
        );
    }
    if (error instanceof SpecyardError) return error;
    // The runtime types every failure; this only keeps a stray one typed (and redacted) too.
    return new ConnectionError(this.redact(`POST ${stage}: ${(error as Error)?.message ?? String(error)}`), {
      notSent: false,
      cause: error,
    });
  }
}
