import type { Middleware } from "openapi-fetch";
import { AbortError, TimeoutError } from "./errors.js";

/**
 * What a credential getter is told about the call it serves, so that a getter that does network
 * work (a sign-in, a refresh) stays inside the call's bounds.
 */
export interface CredentialContext {
  /**
   * Aborts when the call is cancelled or its deadline passes; `reason` is then the call's
   * `AbortError` or `TimeoutError`. Never aborts for a call with neither.
   */
  signal: AbortSignal;
  /** Milliseconds left of the call's `deadlineMs` when the getter is called; absent without a deadline. */
  deadline?: number;
}

/**
 * A credential: the value itself, or a function that returns the current one (for tokens that
 * refresh). A getter receives the call's `CredentialContext`; zero-argument getters work as before.
 */
export type Credential =
  | string
  | ((context: CredentialContext) => string | undefined | Promise<string | undefined>);

/**
 * What a strategy sees of an outgoing request: its method, its URL (which a strategy may replace,
 * e.g. to add `?token=`) and its headers (which it may set). The runtime also gives the call's
 * `signal` and remaining `deadline` (in ms), which the strategies hand to credential getters.
 */
export interface AuthRequest {
  url: string;
  readonly method: string;
  readonly headers: Headers;
  readonly signal?: AbortSignal;
  readonly deadline?: number;
}

/** Sets the credentials on an outgoing request. */
export type AuthStrategy = (request: AuthRequest) => void | Promise<void>;

const MUTATIONS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** A signal that never aborts, for getters called outside a call. */
const NEVER = new AbortController().signal;

/** The credential's current value; a getter gets `context` (by default: no signal, no deadline). */
export async function resolveCredential(
  credential: Credential | undefined,
  context?: Partial<CredentialContext>,
): Promise<string | undefined> {
  if (credential === undefined) return undefined;
  if (typeof credential !== "function") return credential;
  const full: CredentialContext = { signal: context?.signal ?? NEVER };
  if (context?.deadline !== undefined) full.deadline = context.deadline;
  return await credential(full);
}

/** The getter context of a request seen by a strategy. */
function contextOf(request: AuthRequest): Partial<CredentialContext> {
  return {
    ...(request.signal ? { signal: request.signal } : {}),
    ...(request.deadline !== undefined ? { deadline: request.deadline } : {}),
  };
}

/** `Authorization: <scheme> <value>`; the default scheme is Bearer. */
export function authorizationHeader(credential: Credential, scheme = "Bearer"): AuthStrategy {
  return async (request) => {
    const value = await resolveCredential(credential, contextOf(request));
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
    const value = await resolveCredential(credential, contextOf(request));
    if (value) request.headers.set(name, value);
  };
}

/** A query parameter, e.g. `?token=`. */
export function queryCredential(name: string, credential: Credential): AuthStrategy {
  return async (request) => {
    const value = await resolveCredential(credential, contextOf(request));
    if (!value) return;
    const url = new URL(request.url);
    url.searchParams.set(name, value);
    request.url = url.toString();
  };
}

/** A cookie (server-side runtimes only: browsers manage cookies themselves). */
export function cookieCredential(name: string, credential: Credential): AuthStrategy {
  return async (request) => {
    const value = await resolveCredential(credential, contextOf(request));
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

/** The bounds a call puts on its credential getters. */
export interface AuthBounds {
  /** The caller's signal: its abort rejects the wait with `AbortError`. */
  signal: AbortSignal | undefined;
  /** Milliseconds left of the call's deadline (`Infinity` without one): then `TimeoutError`. */
  remainingMs: number;
  /** `"GET https://…"` (redacted), for the error messages. */
  describe: string;
}

/**
 * Waits for `work` (a credential getter, a refresh) no longer than the call allows: the caller's
 * abort rejects with `AbortError`, the deadline with `TimeoutError`. `work` gets a signal that
 * aborts at either (its reason is that error), so a getter doing network work can stop too. No
 * timer is left armed once this settles.
 */
export async function withinBounds<T>(
  bounds: AuthBounds,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const { signal, remainingMs, describe } = bounds;
  if (signal?.aborted) throw new AbortError(`${describe} aborted`);
  if (remainingMs <= 0) throw new TimeoutError(`${describe}: deadline passed`, "deadline");
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const stopped = new Promise<never>((_, reject) => {
    const stop = (error: Error) => {
      controller.abort(error);
      reject(error);
    };
    // Past setTimeout's range (~24.8 days) a deadline is as good as none (and would fire at once).
    if (remainingMs <= 2_147_483_647)
      timer = setTimeout(
        () =>
          stop(new TimeoutError(`${describe}: credentials not ready within ${remainingMs} ms`, "deadline")),
        remainingMs,
      );
    if (signal) {
      onAbort = () => stop(new AbortError(`${describe} aborted`));
      signal.addEventListener("abort", onAbort, { once: true });
    }
  });
  try {
    return await Promise.race([work(controller.signal), stopped]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener("abort", onAbort);
  }
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
