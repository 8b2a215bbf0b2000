/**
 * Size limits of what a payment flow reads from a server it may not trust: the `Payment-Required`
 * header, the headers as a whole (the HTTP client's own limit), and the bodies it parses.
 */
import { ConnectionError, untilAborted } from "@specyard/http";
import { PaymentRefusedError, ResponseTooLargeError } from "./errors.js";

/** The longest `Payment-Required` header accepted, in bytes. */
export const MAX_PAYMENT_REQUIRED_BYTES = 16 * 1024;
/** Node's HTTP client (undici) reads at most this many bytes of headers by default. */
export const CLIENT_HEADER_LIMIT_BYTES = 16 * 1024;
/** The largest body a payment flow reads, in bytes (default of `maxBodyBytes`). */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

type RequestFetch = (request: Request) => Promise<Response>;

const NULL_BODY = new Set([101, 204, 205, 304]);

/**
 * A fetch whose answers are read whole before it resolves, at most `maxBodyBytes` of them, so that
 * a body that stalls or drips fails inside the runtime's attempt timeout, whatever its content type.
 * It gives up when the request's signal fires even if `inner` ignores signals.
 */
export function boundedFetch(
  inner: RequestFetch,
  maxBodyBytes: number = DEFAULT_MAX_BODY_BYTES,
  /** Which answers to read this way (default all); the others pass through untouched. */
  when: (response: Response) => boolean = () => true,
): RequestFetch {
  return async (request) => {
    const { signal } = request;
    const response = await untilAborted(inner(request), signal);
    if (!when(response)) return response;
    const declared = Number(response.headers.get("content-length") ?? "");
    if (Number.isFinite(declared) && declared > maxBodyBytes) {
      await response.body?.cancel().catch(() => undefined);
      throw bodyTooLarge(maxBodyBytes);
    }
    const empty = NULL_BODY.has(response.status) || request.method === "HEAD" || !response.body;
    const bytes = empty ? null : await untilAborted(readCapped(response.body, maxBodyBytes), signal);
    const copy = new Response(bytes, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
    Object.defineProperty(copy, "url", { value: response.url || request.url });
    return copy;
  };
}

function bodyTooLarge(limit: number) {
  return new ResponseTooLargeError("body", limit, `the answer's body is over the ${limit}-byte limit`);
}

async function readCapped(body: ReadableStream<Uint8Array>, limit: number): Promise<Uint8Array<ArrayBuffer>> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel().catch(() => undefined);
        throw bodyTooLarge(limit);
      }
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/**
 * The size limit an HTTP failure really was, if it was one: a body over `maxBodyBytes`, or headers
 * over the client's limit (undici's `UND_ERR_HEADERS_OVERFLOW`, which `fetch` reports as a bare
 * `TypeError: fetch failed`).
 */
export function sizeLimitOf(error: unknown): ResponseTooLargeError | undefined {
  if (error instanceof ResponseTooLargeError) return error;
  if (!(error instanceof ConnectionError)) return undefined;
  if (error.cause instanceof ResponseTooLargeError) return error.cause;
  const causes = [error.cause, (error.cause as { cause?: unknown } | undefined)?.cause];
  if (
    error.code === "UND_ERR_HEADERS_OVERFLOW" ||
    causes.some((c) => codeOf(c) === "UND_ERR_HEADERS_OVERFLOW")
  ) {
    return new ResponseTooLargeError(
      "headers",
      CLIENT_HEADER_LIMIT_BYTES,
      `the answer's headers are over the HTTP client's ${CLIENT_HEADER_LIMIT_BYTES}-byte header limit`,
    );
  }
  return undefined;
}

const codeOf = (value: unknown) => (value as { code?: unknown } | undefined)?.code;

/**
 * For the answer that should carry `Payment-Required`: headers too large to read are a refusal to
 * pay (nothing was signed), naming the header and both limits.
 */
export function refusalOfOversizedHeaders(
  error: ResponseTooLargeError,
): PaymentRefusedError | ResponseTooLargeError {
  if (error.part !== "headers") return error;
  return new PaymentRefusedError(
    "Payment-Required",
    "size",
    `could not be read: the answer's headers are over the HTTP client's ${error.limit}-byte limit ` +
      `(a Payment-Required header may be at most ${MAX_PAYMENT_REQUIRED_BYTES} bytes)`,
  );
}
