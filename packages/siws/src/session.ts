import { AbortError, AuthenticationError, TimeoutError } from "@specyard/http";
import { Flow } from "./http.js";
import {
  PIPE_SIWS_ENDPOINTS,
  registerTokens,
  type SignInOptions,
  type SiwsTokens,
  signInWith,
  tokensOf,
} from "./signin.js";

export interface SiwsSessionOptions extends SignInOptions {
  /** Refresh this long before the access token expires (default 30 s). */
  refreshBeforeMs?: number;
  /** Tokens from an earlier sign-in, to resume without signing again. */
  tokens?: SiwsTokens;
  /** Called with the new tokens after every sign-in or refresh (to persist them). */
  onTokens?: (tokens: SiwsTokens) => void | Promise<void>;
}

/**
 * The bounds of one caller: what `@specyard/http` hands a credential getter (its `signal`, and
 * `deadline`, the ms left of the call's deadline), or what code calling the session directly passes.
 */
export interface SiwsCallContext {
  signal?: AbortSignal;
  /** Milliseconds this caller can still wait. */
  deadline?: number;
}

/** A renewal (sign-in or refresh) shared by every caller waiting for it. */
interface Flight {
  promise: Promise<SiwsTokens>;
  controller: AbortController;
  flow: { stage: string } | undefined;
  waiters: number;
  settled: boolean;
}

/**
 * Keeps access, refresh and CSRF tokens: refreshes ~30 s before expiry, single-flight across
 * concurrent callers, and signs in again from scratch when the refresh token is refused.
 *
 * Every renewal is bounded by the session's `deadlineMs` (default 30 s) and `signal`, and each
 * caller waits for it no longer than its own `signal` and `deadline` allow; a renewal no caller
 * waits for any more is cancelled.
 */
export class SiwsSession {
  readonly #options: SiwsSessionOptions;
  #tokens: SiwsTokens | undefined;
  #flight: Flight | undefined;
  /** Sign-ins and refreshes made so far (for metrics and tests). */
  readonly counts = { signIns: 0, refreshes: 0 };

  constructor(options: SiwsSessionOptions) {
    this.#options = options;
    this.#tokens = options.tokens;
  }

  #now(): number {
    return (this.#options.now ?? Date.now)();
  }

  /**
   * A valid access token, refreshing or signing in first when needed. As a client's credential
   * getter it receives the call's `{ signal, deadline }`, so the renewal stays inside the call's
   * bounds: `TimeoutError` at the deadline, `AbortError` at the abort.
   */
  async accessToken(context: SiwsCallContext = {}): Promise<string> {
    const tokens = this.#tokens;
    if (tokens && this.#now() < tokens.expiresAt - (this.#options.refreshBeforeMs ?? 30_000))
      return tokens.accessToken;
    return (await this.#renew(Boolean(tokens), context)).accessToken;
  }

  /** The CSRF token of the current tokens (send it on mutations with the bearer token). */
  csrfToken(): string | undefined {
    return this.#tokens?.csrfToken;
  }

  /** Forces a refresh (after a 401): resolves true when new tokens were obtained. */
  async refresh(context: SiwsCallContext = {}): Promise<boolean> {
    await this.#renew(Boolean(this.#tokens), context);
    return true;
  }

  /** The current tokens, for persisting (treat them as secrets). */
  tokens(): SiwsTokens | undefined {
    return this.#tokens;
  }

  /** Options for `createPipeStorageClient` (or any @specyard/http client) that use this session. */
  clientOptions() {
    return {
      accessToken: (context?: SiwsCallContext) => this.accessToken(context),
      csrfToken: () => this.csrfToken(),
      refreshAuth: () => this.refresh(),
    };
  }

  #renew(canRefresh: boolean, context: SiwsCallContext): Promise<SiwsTokens> {
    let flight = this.#flight;
    if (!flight) {
      const controller = new AbortController();
      const started: Flight = {
        promise: undefined as never,
        controller,
        flow: undefined,
        waiters: 0,
        settled: false,
      };
      const signal = this.#options.signal
        ? AbortSignal.any([this.#options.signal, controller.signal])
        : controller.signal;
      const flow = new Flow(
        canRefresh ? "refresh" : "sign-in",
        this.#options.origin,
        { ...this.#options, signal },
        [this.#tokens?.accessToken ?? "", this.#tokens?.refreshToken ?? "", this.#tokens?.csrfToken ?? ""],
      );
      started.flow = flow;
      started.promise = (async () => {
        try {
          const tokens = canRefresh ? await this.#refreshOrSignIn(flow) : await this.#signIn(flow);
          this.#tokens = tokens;
          const onTokens = this.#options.onTokens;
          if (onTokens) await flow.wait("onTokens", () => onTokens(tokens));
          return tokens;
        } finally {
          started.settled = true;
          if (this.#flight === started) this.#flight = undefined;
        }
      })();
      // A renewal whose callers all left is aborted; its rejection is nobody's to handle.
      started.promise.catch(() => undefined);
      flight = started;
      this.#flight = started;
    }
    return this.#join(flight, context);
  }

  async #join(flight: Flight, context: SiwsCallContext): Promise<SiwsTokens> {
    flight.waiters++;
    const { signal, deadline } = context;
    const what = () => `session renewal (${flight.flow?.stage ?? "start"})`;
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = () => {
      const reason = signal?.reason;
      controller.abort(
        reason instanceof AbortError || reason instanceof TimeoutError
          ? reason
          : new AbortError(`${what()} aborted by the caller`),
      );
    };
    try {
      if (signal?.aborted) onAbort();
      else signal?.addEventListener("abort", onAbort, { once: true });
      // Past setTimeout's range (~24.8 days) a deadline is as good as none (and would fire at once).
      if (deadline !== undefined && deadline <= 2_147_483_647 && !controller.signal.aborted) {
        const limit = Math.max(0, deadline);
        timer = setTimeout(
          () =>
            controller.abort(
              new TimeoutError(`${what()} not done within the caller's ${limit} ms`, "deadline"),
            ),
          limit,
        );
      }
      if (controller.signal.aborted) throw controller.signal.reason;
      return await new Promise<SiwsTokens>((resolve, reject) => {
        controller.signal.addEventListener("abort", () => reject(controller.signal.reason), { once: true });
        flight.promise.then(resolve, reject);
      });
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      flight.waiters--;
      if (flight.waiters === 0 && !flight.settled) {
        // Nobody waits any more: stop the requests, and let the next caller start afresh.
        if (this.#flight === flight) this.#flight = undefined;
        flight.controller.abort(new AbortError("no caller waits for this renewal any more"));
      }
    }
  }

  async #signIn(flow: Flow): Promise<SiwsTokens> {
    this.counts.signIns++;
    return signInWith(flow, this.#options);
  }

  async #refreshOrSignIn(flow: Flow): Promise<SiwsTokens> {
    const current = this.#tokens;
    if (!current) return this.#signIn(flow);
    const path = this.#options.endpoints?.refresh ?? PIPE_SIWS_ENDPOINTS.refresh;
    this.counts.refreshes++;
    flow.secret(current.refreshToken);
    try {
      const answer = await flow.post("refresh", path, { refresh_token: current.refreshToken });
      registerTokens(flow, answer.json);
      return tokensOf(answer.json, this.#now(), current, "refresh");
    } catch (error) {
      // A refused refresh token: sign in from scratch, on what is left of the same deadline.
      if (error instanceof AuthenticationError) return this.#signIn(flow);
      throw error;
    }
  }
}
