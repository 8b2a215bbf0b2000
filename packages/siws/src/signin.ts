import { expectedChains, type SolanaCluster } from "./chain.js";
import { checkSiwsMessage } from "./check.js";
import { SiwsProtocolError, SiwsRefusedError, type SiwsStage } from "./errors.js";
import { Flow, type SiwsHttpOptions } from "./http.js";
import { parseSiwsMessage, type SiwsMessage } from "./message.js";
import { addressOf, type SiwsSigner } from "./signer.js";

export interface SiwsEndpoints {
  challenge: string;
  verify: string;
  refresh: string;
}

/** Pipe Network's sign-in endpoints. */
export const PIPE_SIWS_ENDPOINTS: SiwsEndpoints = {
  challenge: "/auth/siws/challenge",
  verify: "/auth/siws/verify",
  refresh: "/auth/refresh",
};

export interface SignInOptions extends SiwsHttpOptions {
  signer: SiwsSigner;
  /** The API's origin (and base URL): the message must name this domain and URI. */
  origin: string;
  /** The clock, in ms (default Date.now): for the message's time window and token expiry. */
  now?: () => number;
  clockSkewMs?: number;
  minNonceLength?: number;
  /**
   * The Solana cluster(s) the message's `Chain ID` may name, in any spelling: a cluster name
   * (`mainnet`, `mainnet-beta`, `devnet`, `testnet`, `localnet`), a genesis hash or a CAIP-2 id.
   * Default: mainnet; on a loopback origin (a sandbox, a local validator) any known cluster.
   */
  chain?: string | readonly string[];
  /** Refuse a message with no `Chain ID` line (default false: the field is optional in SIWS). */
  requireChainId?: boolean;
  /**
   * Opt-out for servers whose message is not a structured SIWS message: sign it anyway when it
   * contains the nonce, the address and the origin's host. Off by default.
   */
  allowUnstructuredMessage?: boolean;
  endpoints?: Partial<SiwsEndpoints>;
  /**
   * Nonces this client has signed, per origin; a challenge that repeats one is refused (a replayed
   * challenge). Defaults to one shared in-process record.
   */
  signedNonces?: Set<string>;
}

const SIGNED_NONCES = new Set<string>();
const MAX_REMEMBERED = 10_000;

export interface SiwsTokens {
  accessToken: string;
  refreshToken: string;
  csrfToken: string | undefined;
  tokenType: string;
  /** When the access token stops working, in ms (its JWT `exp`, else now + expires_in). */
  expiresAt: number;
}

interface TokenAnswer {
  access_token?: unknown;
  refresh_token?: unknown;
  csrf_token?: unknown;
  token_type?: unknown;
  expires_in?: unknown;
}

export function tokensOf(
  json: unknown,
  now: number,
  previous?: SiwsTokens,
  stage: SiwsStage = "verify",
): SiwsTokens {
  const answer = (json ?? {}) as TokenAnswer;
  const missing = (field: string) =>
    new SiwsProtocolError(`the ${stage} answer has no ${field}`, undefined, { stage });
  if (typeof answer.access_token !== "string" || answer.access_token === "") throw missing("access_token");
  const refreshToken =
    typeof answer.refresh_token === "string" && answer.refresh_token !== ""
      ? answer.refresh_token
      : previous?.refreshToken;
  if (!refreshToken) throw missing("refresh_token");
  let expiresAt = jwtExpiry(answer.access_token);
  if (expiresAt === undefined) {
    const expiresIn = Number(answer.expires_in ?? 900);
    if (!Number.isFinite(expiresIn) || expiresIn <= 0)
      throw new SiwsProtocolError(`the ${stage} answer's expires_in is not a positive number`, undefined, {
        stage,
      });
    expiresAt = now + expiresIn * 1000;
  }
  return {
    accessToken: answer.access_token,
    refreshToken,
    csrfToken: typeof answer.csrf_token === "string" ? answer.csrf_token : previous?.csrfToken,
    tokenType: typeof answer.token_type === "string" ? answer.token_type : "Bearer",
    expiresAt,
  };
}

/** Keeps every token of an answer out of messages from now on. */
export function registerTokens(flow: Flow, json: unknown): void {
  const answer = (json ?? {}) as TokenAnswer;
  for (const value of [answer.access_token, answer.refresh_token, answer.csrf_token])
    if (typeof value === "string") flow.secret(value);
}

/** The `exp` of a JWT, in ms, read without verifying (the server verifies; the client only plans). */
export function jwtExpiry(token: string): number | undefined {
  const part = token.split(".")[1];
  if (!part) return undefined;
  try {
    const json = JSON.parse(new TextDecoder().decode(base64UrlDecode(part))) as { exp?: unknown };
    return typeof json.exp === "number" ? json.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

function base64UrlDecode(text: string): Uint8Array {
  const padded = text
    .replace(/-/g, "+")
    .replace(/_/g, "/")
    .padEnd(Math.ceil(text.length / 4) * 4, "=");
  const binary = atob(padded);
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/**
 * Challenge → check → sign → verify. The message is parsed and checked against the origin, the
 * signer's address, the chain, the challenge's nonce and the time window before the key is used at
 * all. Bounded: `deadlineMs` (default 30 s) for the whole flow, `timeoutMs` (default 10 s) per
 * attempt, `signal` at every step. Errors: `SiwsRefusedError` (nothing signed), the `ApiError`
 * family for HTTP answers, `SiwsProtocolError` for malformed bodies, `TimeoutError`,
 * `ConnectionError`, `AbortError` — never holding the signature or a token.
 */
export async function signIn(options: SignInOptions): Promise<SiwsTokens> {
  const flow = new Flow("sign-in", options.origin, options);
  return signInWith(flow, options);
}

/** The sign-in steps on a given flow (a session's renewal runs them on its own). */
export async function signInWith(flow: Flow, options: SignInOptions): Promise<SiwsTokens> {
  const endpoints = { ...PIPE_SIWS_ENDPOINTS, ...options.endpoints };
  const now = options.now ?? Date.now;
  const address = addressOf(options.signer);
  const chains = expectedChains(options.origin, options.chain);
  const challenge = await flow.post("challenge", endpoints.challenge, { wallet_public_key: address });
  const { nonce, message } = challenge.json as { nonce?: unknown; message?: unknown };
  if (typeof nonce !== "string" || typeof message !== "string") {
    throw new SiwsProtocolError("the challenge answer lacks nonce or message", challenge.status, {
      stage: "challenge",
    });
  }
  checkBeforeSigning(message, nonce, address, chains, options, now());
  const seen = options.signedNonces ?? SIGNED_NONCES;
  const key = `${new URL(options.origin).origin} ${nonce}`;
  if (seen.has(key))
    throw new SiwsRefusedError("nonce", "reuse", "was already signed once: a replayed challenge");
  if (seen.size >= MAX_REMEMBERED) seen.delete(seen.values().next().value as string);
  seen.add(key);
  const signer = options.signer;
  const signature = await flow.wait("signing", () => signer.signMessage(new TextEncoder().encode(message)));
  const signatureB64 = toBase64(signature);
  flow.secret(signatureB64);
  const verify = await flow.post("verify", endpoints.verify, {
    wallet_public_key: address,
    nonce,
    message,
    signature_b64: signatureB64,
  });
  registerTokens(flow, verify.json);
  return tokensOf(verify.json, now(), undefined, "verify");
}

function checkBeforeSigning(
  message: string,
  nonce: string,
  address: string,
  chains: readonly SolanaCluster[],
  options: SignInOptions,
  now: number,
) {
  let parsed: SiwsMessage | undefined;
  try {
    parsed = parseSiwsMessage(message);
  } catch (error) {
    // Only a message that is no structured message at all may take the documented opt-out; one
    // that parses is checked in full.
    if (!(error instanceof SiwsRefusedError) || error.rule !== "format" || !options.allowUnstructuredMessage)
      throw error;
    // The documented opt-out: the checks that can still be made are made.
    const host = new URL(options.origin).host;
    if (!message.includes(nonce)) throw new SiwsRefusedError("nonce", "challenge", "is not in the message");
    if (!message.includes(address)) throw new SiwsRefusedError("address", "signer", "is not in the message");
    if (!message.includes(host)) throw new SiwsRefusedError("domain", "origin", `does not name ${host}`);
    return;
  }
  checkSiwsMessage(parsed, {
    origin: options.origin,
    address,
    nonce,
    now,
    chains,
    ...(options.requireChainId ? { requireChainId: true } : {}),
    ...(options.clockSkewMs !== undefined ? { clockSkewMs: options.clockSkewMs } : {}),
    ...(options.minNonceLength !== undefined ? { minNonceLength: options.minNonceLength } : {}),
  });
}

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}
