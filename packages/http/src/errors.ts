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

  constructor(init: ApiErrorInit) {
    const url = redactUrl(init.url);
    const detail = providerMessage(init.body);
    super(`${init.status} ${init.method} ${url}${detail ? `: ${detail}` : ""}`);
    this.status = init.status;
    this.body = init.body;
    this.method = init.method;
    this.url = url;
    this.requestId = requestIdOf(init.headers);
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

function requestIdOf(headers: Headers | undefined): string | undefined {
  if (!headers) return undefined;
  for (const name of REQUEST_ID_HEADERS) {
    const value = headers.get(name);
    if (value) return value;
  }
  return undefined;
}

/**
 * The human message inside the error shapes the five providers use: `{error}`,
 * `{success: false, error}`, `{message, details}`, RFC 7807 `{title, detail}`.
 * Capped so that a huge body cannot flood a log line.
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
