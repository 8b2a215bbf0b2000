import { SiwsProtocolError } from "./errors.js";
import {
  PIPE_SIWS_ENDPOINTS,
  postJson,
  type SignInOptions,
  type SiwsTokens,
  signIn,
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
 * Keeps access, refresh and CSRF tokens: refreshes ~30 s before expiry, single-flight across
 * concurrent callers, and signs in again from scratch when the refresh token is refused.
 */
export class SiwsSession {
  readonly #options: SiwsSessionOptions;
  #tokens: SiwsTokens | undefined;
  #inFlight: Promise<SiwsTokens> | undefined;
  /** Sign-ins and refreshes made so far (for metrics and tests). */
  readonly counts = { signIns: 0, refreshes: 0 };

  constructor(options: SiwsSessionOptions) {
    this.#options = options;
    this.#tokens = options.tokens;
  }

  #now(): number {
    return (this.#options.now ?? Date.now)();
  }

  /** A valid access token, refreshing or signing in first when needed. */
  async accessToken(): Promise<string> {
    const tokens = this.#tokens;
    if (tokens && this.#now() < tokens.expiresAt - (this.#options.refreshBeforeMs ?? 30_000))
      return tokens.accessToken;
    return (await this.#renew(Boolean(tokens))).accessToken;
  }

  /** The CSRF token of the current tokens (send it on mutations with the bearer token). */
  csrfToken(): string | undefined {
    return this.#tokens?.csrfToken;
  }

  /** Forces a refresh (after a 401): resolves true when new tokens were obtained. */
  async refresh(): Promise<boolean> {
    await this.#renew(Boolean(this.#tokens));
    return true;
  }

  /** The current tokens, for persisting (treat them as secrets). */
  tokens(): SiwsTokens | undefined {
    return this.#tokens;
  }

  /** Options for `createPipeStorageClient` (or any @specyard/http client) that use this session. */
  clientOptions() {
    return {
      accessToken: () => this.accessToken(),
      csrfToken: () => this.csrfToken(),
      refreshAuth: () => this.refresh(),
    };
  }

  #renew(canRefresh: boolean): Promise<SiwsTokens> {
    this.#inFlight ??= (async () => {
      try {
        const tokens = canRefresh ? await this.#refreshOrSignIn() : await this.#signIn();
        this.#tokens = tokens;
        await this.#options.onTokens?.(tokens);
        return tokens;
      } finally {
        this.#inFlight = undefined;
      }
    })();
    return this.#inFlight;
  }

  async #signIn(): Promise<SiwsTokens> {
    this.counts.signIns++;
    return signIn(this.#options);
  }

  async #refreshOrSignIn(): Promise<SiwsTokens> {
    const current = this.#tokens;
    if (!current) return this.#signIn();
    const path = this.#options.endpoints?.refresh ?? PIPE_SIWS_ENDPOINTS.refresh;
    this.counts.refreshes++;
    const answer = await postJson(this.#options, path, { refresh_token: current.refreshToken });
    if (answer.status === 401) return this.#signIn();
    if (answer.status !== 200)
      throw new SiwsProtocolError(`refresh answered ${answer.status}`, answer.status);
    return tokensOf(answer.json, this.#now(), current);
  }
}
