import { redactUrl } from "./redact.js";

/** Base class of every error a specyard client raises. */
export class SpecyardError extends Error {
  override name = "SpecyardError";
}

export interface ApiErrorInit {
  status: number;
  body: unknown;
  method: string;
  url: string;
  headers?: Headers;
  /** The wait the server asked for, in ms, when it gave one (429, 503). */
  retryAfterMs?: number;
  /** Extra strings to keep out of the message (registered secrets). */
  redact?: (text: string) => string;
}

const REQUEST_ID_HEADERS = ["x-request-id", "request-id", "x-amzn-requestid", "cf-ray"];

/**
 * An HTTP answer outside 2xx. `body` is the provider's error body, parsed as JSON when it was
 * JSON, in whichever shape the provider uses; `message` never holds a credential.
 */
export class ApiError extends SpecyardError {
  override name = "ApiError";
  readonly status: number;
  readonly body: unknown;
  readonly method: string;
  /** The request URL with credential-bearing query values redacted. */
  readonly url: string;
  readonly requestId: string | undefined;
  /** The wait the server asked for before a retry, in ms (from headers or a `retry_after_ms` body). */
  readonly retryAfterMs: number | undefined;

  constructor(init: ApiErrorInit) {
    const redact = init.redact ?? ((text: string) => text);
    const url = redact(redactUrl(init.url));
    const detail = providerMessage(init.body);
    super(redact(`${init.status} ${init.method} ${url}${detail ? `: ${detail}` : ""}`));
    this.status = init.status;
    // A server may echo a credential back: the body is kept, with registered secrets replaced.
    this.body = init.redact && init.body !== undefined ? redactDeep(init.body, redact) : init.body;
    this.method = init.method;
    this.url = url;
    this.requestId = requestIdOf(init.headers);
    this.retryAfterMs = init.retryAfterMs;
  }

  /** Builds the subclass that matches the status. */
  static from(init: ApiErrorInit): ApiError {
    const Class = errorClassFor(init.status);
    return new Class(init);
  }
}

export class BadRequestError extends ApiError {
  override name = "BadRequestError";
}
export class AuthenticationError extends ApiError {
  override name = "AuthenticationError";
}
export class PaymentRequiredError extends ApiError {
  override name = "PaymentRequiredError";
}
export class PermissionDeniedError extends ApiError {
  override name = "PermissionDeniedError";
}
export class NotFoundError extends ApiError {
  override name = "NotFoundError";
}
export class ConflictError extends ApiError {
  override name = "ConflictError";
}
export class PayloadTooLargeError extends ApiError {
  override name = "PayloadTooLargeError";
}
export class UnprocessableEntityError extends ApiError {
  override name = "UnprocessableEntityError";
}
export class RateLimitError extends ApiError {
  override name = "RateLimitError";
}
export class InternalServerError extends ApiError {
  override name = "InternalServerError";
}

/** The request never got an HTTP answer: refused, reset, DNS failure. */
export class ConnectionError extends SpecyardError {
  override name = "ConnectionError";
  /** True when the request certainly never reached the server (so it is safe to send again). */
  readonly notSent: boolean;
  readonly code: string | undefined;
  constructor(message: string, options: { notSent: boolean; code?: string; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.notSent = options.notSent;
    this.code = options.code;
  }
}

/** An attempt ran past its timeout, or the call ran past its deadline. */
export class TimeoutError extends SpecyardError {
  override name = "TimeoutError";
  readonly kind: "attempt" | "deadline";
  constructor(message: string, kind: "attempt" | "deadline") {
    super(message);
    this.kind = kind;
  }
}

/** The caller's AbortSignal fired. */
export class AbortError extends SpecyardError {
  override name = "AbortError";
}

/**
 * The client-side rate limiter would have to wait past the call's deadline, so the call is not
 * sent at all.
 */
export class LocalRateLimitError extends SpecyardError {
  override name = "LocalRateLimitError";
  readonly retryAfterMs: number;
  readonly family: string;
  constructor(family: string, retryAfterMs: number) {
    super(
      `client-side rate limit for ${family}: next slot in ${Math.ceil(retryAfterMs)} ms, past the deadline`,
    );
    this.family = family;
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * An operation needs a credential the client was not given (neither as an option nor through its
 * environment variable): raised before anything is sent. Names the options and variables that
 * would satisfy it, never a value.
 */
export class MissingCredentialError extends SpecyardError {
  override name = "MissingCredentialError";
  /** `"GET /api/credits/status"`: the operation, with its path template. */
  readonly operation: string;
  /** The alternatives that would do, each a list of option names that must all be given. */
  readonly options: readonly (readonly string[])[];
  /** The environment variables of the same alternatives. */
  readonly variables: readonly (readonly string[])[];
  constructor(operation: string, options: string[][], variables: string[][]) {
    const ways = options.map((group, i) =>
      group.map((option, j) => `${option} (or ${variables[i]?.[j] ?? "?"})`).join(" with "),
    );
    super(`${operation} needs a credential: set ${ways.join(", or ")}`);
    this.operation = operation;
    this.options = options;
    this.variables = variables;
  }
}

function redactDeep(value: unknown, redact: (text: string) => string): unknown {
  if (typeof value === "string") return redact(value);
  if (Array.isArray(value)) return value.map((item) => redactDeep(item, redact));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redactDeep(item, redact)]));
  }
  return value;
}

const BY_STATUS: Record<number, typeof ApiError> = {
  400: BadRequestError,
  401: AuthenticationError,
  402: PaymentRequiredError,
  403: PermissionDeniedError,
  404: NotFoundError,
  409: ConflictError,
  413: PayloadTooLargeError,
  422: UnprocessableEntityError,
  429: RateLimitError,
};

export function errorClassFor(status: number): typeof ApiError {
  if (status >= 500) return InternalServerError;
  return BY_STATUS[status] ?? ApiError;
}

/** The first request-id header a provider sent. */
export function requestIdOf(headers: Headers | undefined): string | undefined {
  if (!headers) return undefined;
  for (const name of REQUEST_ID_HEADERS) {
    const value = headers.get(name);
    if (value) return value;
  }
  return undefined;
}

/**
 * The human message inside the error shapes the five providers use: `{error}`,
 * `{success: false, error}`, `{message, details}`, zod `{error, details: {fieldErrors}}`,
 * RFC 7807 `{title, detail}`. Capped so that a huge body cannot flood a log line.
 */
export function providerMessage(body: unknown): string | undefined {
  const pick = (value: unknown): string | undefined => {
    if (typeof value === "string") return value;
    if (value && typeof value === "object") {
      const record = value as Record<string, unknown>;
      for (const key of ["message", "detail", "title", "error", "code"]) {
        const inner = record[key];
        if (typeof inner === "string") return inner;
        if (inner && typeof inner === "object") {
          const nested = pick(inner);
          if (nested) return nested;
        }
      }
    }
    return undefined;
  };
  const message = pick(body);
  return message === undefined ? undefined : message.slice(0, 300);
}
