import type { Middleware } from "openapi-fetch";

/** A credential: the value itself, or a function that returns the current one (for tokens that refresh). */
export type Credential = string | (() => string | undefined | Promise<string | undefined>);

/**
 * What a strategy sees of an outgoing request: its method, its URL (which a strategy may replace,
 * e.g. to add `?token=`) and its headers (which it may set).
 */
export interface AuthRequest {
  url: string;
  readonly method: string;
  readonly headers: Headers;
}

/** Sets the credentials on an outgoing request. */
export type AuthStrategy = (request: AuthRequest) => void | Promise<void>;

const MUTATIONS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export async function resolveCredential(credential: Credential | undefined): Promise<string | undefined> {
  if (credential === undefined) return undefined;
  return typeof credential === "function" ? await credential() : credential;
}

/** `Authorization: <scheme> <value>`; the default scheme is Bearer. */
export function authorizationHeader(credential: Credential, scheme = "Bearer"): AuthStrategy {
  return async (request) => {
    const value = await resolveCredential(credential);
    if (value) request.headers.set("Authorization", `${scheme} ${value}`);
  };
}

/** Any header, e.g. `x-api-key`. With `mutationsOnly`, only on POST, PUT, PATCH and DELETE (CSRF tokens). */
export function headerCredential(
  name: string,
  credential: Credential,
  options: { mutationsOnly?: boolean } = {},
): AuthStrategy {
  return async (request) => {
    if (options.mutationsOnly && !MUTATIONS.has(request.method)) return;
    const value = await resolveCredential(credential);
    if (value) request.headers.set(name, value);
  };
}

/** A query parameter, e.g. `?token=`. */
export function queryCredential(name: string, credential: Credential): AuthStrategy {
  return async (request) => {
    const value = await resolveCredential(credential);
    if (!value) return;
    const url = new URL(request.url);
    url.searchParams.set(name, value);
    request.url = url.toString();
  };
}

/** A cookie (server-side runtimes only: browsers manage cookies themselves). */
export function cookieCredential(name: string, credential: Credential): AuthStrategy {
  return async (request) => {
    const value = await resolveCredential(credential);
    if (!value) return;
    const existing = request.headers.get("Cookie");
    const pair = `${name}=${value}`;
    request.headers.set("Cookie", existing ? `${existing}; ${pair}` : pair);
  };
}

/** Applies the strategies in order to a target request. */
export async function applyAuth(strategies: readonly AuthStrategy[], target: AuthRequest): Promise<void> {
  for (const strategy of strategies) await strategy(target);
}

/** The strategies as openapi-fetch middleware, for a plain openapi-fetch client. */
export function authMiddleware(strategies: readonly AuthStrategy[]): Middleware {
  return {
    async onRequest({ request }) {
      const target: AuthRequest = { url: request.url, method: request.method, headers: request.headers };
      await applyAuth(strategies, target);
      return target.url === request.url ? request : new Request(target.url, request);
    },
  };
}
