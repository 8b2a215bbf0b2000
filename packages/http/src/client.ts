import createClient, {
  type Client,
  type ClientOptions,
  type FetchResponse,
  type Middleware,
} from "openapi-fetch";
import { type AuthStrategy, authMiddleware } from "./auth.js";
import { ApiError } from "./errors.js";

/** Options every specyard client takes. */
export interface BaseClientOptions {
  /** Overrides the provider's default base URL (a sandbox, a proxy, a staging host). */
  baseUrl?: string;
  /** A fetch implementation; defaults to the global one. */
  fetch?: ClientOptions["fetch"];
  /** Headers sent on every request. */
  headers?: Record<string, string>;
}

export interface CreateHttpClientOptions extends BaseClientOptions {
  baseUrl: string;
  auth?: readonly AuthStrategy[];
}

/** An openapi-fetch client for `Paths` with specyard's auth wired in. */
export function createHttpClient<Paths extends {}>(options: CreateHttpClientOptions): Client<Paths> {
  const client = createClient<Paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ""),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.headers ? { headers: options.headers } : {}),
  });
  client.use(recordMethod);
  if (options.auth?.length) client.use(authMiddleware(options.auth));
  return client;
}

/** The method of the request behind each response, so that errors can name it. */
const methods = new WeakMap<Response, string>();
const recordMethod: Middleware = {
  onResponse({ request, response }) {
    methods.set(response, request.method);
    return undefined;
  },
};

// biome-ignore lint/suspicious/noExplicitAny: mirrors openapi-fetch's own generic bound
type AnyResult = FetchResponse<any, any, any>;

/**
 * The `data` of a call, or a thrown `ApiError` subclass carrying the status and the parsed
 * provider error body.
 */
export async function unwrap<R extends AnyResult>(
  result: R | Promise<R>,
): Promise<Exclude<R["data"], undefined>> {
  const settled = await result;
  if (settled.error !== undefined || !settled.response.ok) {
    throw ApiError.from({
      status: settled.response.status,
      body: settled.error,
      method: methods.get(settled.response) ?? "HTTP",
      url: settled.response.url,
      headers: settled.response.headers,
    });
  }
  return settled.data as Exclude<R["data"], undefined>;
}
