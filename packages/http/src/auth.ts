import type { Middleware } from "openapi-fetch";

/** A credential: the value itself, or a function that returns the current one (for tokens that refresh). */
export type Credential = string | (() => string | undefined | Promise<string | undefined>);

/** Sets the credentials on an outgoing request. */
export type AuthStrategy = (request: Request) => Request | undefined | Promise<Request | undefined>;

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
    return undefined;
  };
}

/** Any header, e.g. `x-api-key`. With `mutationsOnly`, only on POST, PUT, PATCH and DELETE (CSRF tokens). */
export function headerCredential(
  name: string,
  credential: Credential,
  options: { mutationsOnly?: boolean } = {},
): AuthStrategy {
  return async (request) => {
    if (options.mutationsOnly && !MUTATIONS.has(request.method)) return undefined;
    const value = await resolveCredential(credential);
    if (value) request.headers.set(name, value);
    return undefined;
  };
}

/** A query parameter, e.g. `?token=`. Returns a new request with the parameter set. */
export function queryCredential(name: string, credential: Credential): AuthStrategy {
  return async (request) => {
    const value = await resolveCredential(credential);
    if (!value) return undefined;
    const url = new URL(request.url);
    url.searchParams.set(name, value);
    return new Request(url, request);
  };
}

/** A cookie (server-side runtimes only: browsers manage cookies themselves). */
export function cookieCredential(name: string, credential: Credential): AuthStrategy {
  return async (request) => {
    const value = await resolveCredential(credential);
    if (!value) return undefined;
    const existing = request.headers.get("Cookie");
    const pair = `${name}=${value}`;
    request.headers.set("Cookie", existing ? `${existing}; ${pair}` : pair);
    return undefined;
  };
}

/** Applies the strategies in order on every request. */
export function authMiddleware(strategies: readonly AuthStrategy[]): Middleware {
  return {
    async onRequest({ request }) {
      let current = request;
      for (const strategy of strategies) current = (await strategy(current)) ?? current;
      return current;
    },
  };
}
