import createClient, {
  type Client,
  type ClientOptions,
  type FetchResponse,
  type Middleware,
} from "openapi-fetch";
import { type OperationSecurity, securityMiddleware } from "./env.js";
import { ApiError, requestIdOf } from "./errors.js";
import { type CallOptions, createRuntime, type Runtime, type RuntimeOptions } from "./fetch.js";
import { retryHintFrom } from "./retry.js";

/** Options every specyard client takes. */
export interface BaseClientOptions extends Omit<RuntimeOptions, "auth" | "fetch"> {
  /** Overrides the provider's default base URL (a sandbox, a proxy, a staging host). */
  baseUrl?: string;
  /**
   * A fetch that takes a `Request` (a mock, an instrumented fetch). Without it (and without a
   * `transport`), requests go through undici's `request()` on Node and the global `fetch` elsewhere.
   */
  fetch?: ClientOptions["fetch"];
  /** Headers sent on every request. */
  headers?: Record<string, string>;
  /** Throw the `ApiError` subclass for every non-2xx answer instead of returning `{ error }`. */
  throwOnError?: boolean;
  /** openapi-fetch's query serializer (e.g. `{ array: { style: "form", explode: false } }`). */
  querySerializer?: ClientOptions["querySerializer"];
  /**
   * Refuse, before sending, a call whose operation needs a credential the client lacks
   * (`MissingCredentialError`, naming the option and its variable). Default true; false sends it
   * anyway, e.g. to see how a server answers an unauthenticated call.
   */
  requireCredentials?: boolean;
}

export interface CreateHttpClientOptions
  extends BaseClientOptions,
    Pick<RuntimeOptions, "auth" | "refreshAuth"> {
  baseUrl: string;
  /** Which credentials each operation needs: a call that lacks them fails before it is sent. */
  security?: OperationSecurity;
}

/** An openapi-fetch client that runs on specyard's runtime. */
export type HttpClient<Paths extends {}> = Client<Paths> & {
  /** The same client with other per-call options (retries, timeouts, deadline, idempotency). */
  withOptions(options: CallOptions): HttpClient<Paths>;
};

/** The method behind each response, and the redactor of the client that got it, for `unwrap`. */
const origins = new WeakMap<Response, { method: string; redact: (text: string) => string }>();

/** An openapi-fetch client for `Paths` with retries, timeouts, auth, rate limits and typed errors. */
export function createHttpClient<Paths extends {}>(options: CreateHttpClientOptions): HttpClient<Paths> {
  const {
    baseUrl,
    headers,
    throwOnError,
    querySerializer,
    security,
    requireCredentials,
    fetch: fetchImpl,
    ...runtimeOptions
  } = options;
  const runtime = createRuntime({
    ...runtimeOptions,
    ...(fetchImpl ? { fetch: (request: Request) => fetchImpl(request) } : {}),
  });
  return build<Paths>(
    runtime,
    { baseUrl, headers, throwOnError, querySerializer, security, enforce: requireCredentials !== false },
    {},
  );
}

function build<Paths extends {}>(
  runtime: Runtime,
  base: {
    baseUrl: string;
    headers: Record<string, string> | undefined;
    throwOnError: boolean | undefined;
    querySerializer: ClientOptions["querySerializer"] | undefined;
    security: OperationSecurity | undefined;
    enforce: boolean;
  },
  call: CallOptions,
): HttpClient<Paths> {
  const client = createClient<Paths>({
    baseUrl: base.baseUrl.replace(/\/+$/, ""),
    fetch: (request: Request) => runtime.fetch(request, call),
    ...(base.headers ? { headers: base.headers } : {}),
    ...(base.querySerializer ? { querySerializer: base.querySerializer } : {}),
  });
  const record: Middleware = {
    async onResponse({ request, response }) {
      origins.set(response, { method: request.method, redact: runtime.redactor.redact });
      if (base.throwOnError && !response.ok)
        throw await errorOf(response, request.method, runtime.redactor.redact);
      return undefined;
    },
  };
  client.use(record);
  if (base.security) client.use(securityMiddleware(base.security, base.enforce));
  return Object.assign(client, {
    withOptions: (more: CallOptions) => build<Paths>(runtime, base, { ...call, ...more }),
  });
}

async function errorOf(
  response: Response,
  method: string,
  redact: (text: string) => string,
): Promise<ApiError> {
  const text = await response.clone().text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return errorFrom(response, method, body, redact);
}

function errorFrom(
  response: Response,
  method: string,
  body: unknown,
  redact?: (text: string) => string,
): ApiError {
  return ApiError.from({
    status: response.status,
    body,
    method,
    url: response.url,
    headers: response.headers,
    retryAfterMs: retryHintFrom(response.headers, body),
    ...(redact ? { redact } : {}),
  });
}

// biome-ignore lint/suspicious/noExplicitAny: mirrors openapi-fetch's own generic bound
type AnyResult = FetchResponse<any, any, any>;

/**
 * The `data` of a call, or a thrown `ApiError` subclass carrying the status, the parsed provider
 * error body, the request id and, on 429/503, the wait the server asked for.
 */
export async function unwrap<R extends AnyResult>(
  result: R | Promise<R>,
): Promise<Exclude<R["data"], undefined>> {
  const settled = await result;
  if (settled.error !== undefined || !settled.response.ok) {
    const origin = origins.get(settled.response);
    throw errorFrom(settled.response, origin?.method ?? "HTTP", settled.error, origin?.redact);
  }
  return settled.data as Exclude<R["data"], undefined>;
}

/** A successful call's data with the answer it came in, for its headers and request id. */
export interface WithResponse<T> {
  data: T;
  response: Response;
  /** The provider's request id (`x-request-id`, `request-id`, …) when it sent one. */
  requestId: string | undefined;
}

/** Like `unwrap`, but also hands back the `Response` and its request id. */
export async function unwrapWithResponse<R extends AnyResult>(
  result: R | Promise<R>,
): Promise<WithResponse<Exclude<R["data"], undefined>>> {
  const settled = await result;
  const data = await unwrap(settled);
  return { data, response: settled.response, requestId: requestIdOf(settled.response.headers) };
}
