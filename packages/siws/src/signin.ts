import { checkSiwsMessage } from "./check.js";
import { SiwsProtocolError, SiwsRefusedError } from "./errors.js";
import { parseSiwsMessage } from "./message.js";
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

export interface SignInOptions {
  signer: SiwsSigner;
  /** The API's origin (and base URL): the message must name this domain and URI. */
  origin: string;
  fetch?: (input: string, init: RequestInit) => Promise<Response>;
  /** The clock, in ms (default Date.now). */
  now?: () => number;
  clockSkewMs?: number;
  minNonceLength?: number;
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

export async function postJson(
  options: SignInOptions,
  path: string,
  body: unknown,
): Promise<{ status: number; json: unknown }> {
  const doFetch = options.fetch ?? ((input: string, init: RequestInit) => fetch(input, init));
  const url = new URL(path, options.origin.endsWith("/") ? options.origin : `${options.origin}/`);
  let response: Response;
  try {
    response = await doFetch(url.toString(), {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(body),
    });
  } catch (error) {
    throw new SiwsProtocolError(`POST ${url.pathname} failed: ${(error as Error).message}`);
  }
  const text = await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, json };
}

function serverMessage(json: unknown): string {
  const record = json as { error?: unknown; message?: unknown } | undefined;
  const text =
    typeof record?.error === "string"
      ? record.error
      : typeof record?.message === "string"
        ? record.message
        : "";
  return text.slice(0, 200);
}

export function tokensOf(json: unknown, now: number, previous?: SiwsTokens): SiwsTokens {
  const answer = (json ?? {}) as TokenAnswer;
  if (typeof answer.access_token !== "string")
    throw new SiwsProtocolError("the token answer has no access_token");
  const refreshToken =
    typeof answer.refresh_token === "string" ? answer.refresh_token : previous?.refreshToken;
  if (!refreshToken) throw new SiwsProtocolError("the token answer has no refresh_token");
  return {
    accessToken: answer.access_token,
    refreshToken,
    csrfToken: typeof answer.csrf_token === "string" ? answer.csrf_token : previous?.csrfToken,
    tokenType: typeof answer.token_type === "string" ? answer.token_type : "Bearer",
    expiresAt: jwtExpiry(answer.access_token) ?? now + Number(answer.expires_in ?? 900) * 1000,
  };
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
 * signer's address, the challenge's nonce and the time window before the key is used at all.
 */
export async function signIn(options: SignInOptions): Promise<SiwsTokens> {
  const endpoints = { ...PIPE_SIWS_ENDPOINTS, ...options.endpoints };
  const now = options.now ?? Date.now;
  const address = addressOf(options.signer);
  const challenge = await postJson(options, endpoints.challenge, { wallet_public_key: address });
  if (challenge.status !== 200) {
    throw new SiwsProtocolError(
      `challenge answered ${challenge.status}: ${serverMessage(challenge.json)}`,
      challenge.status,
    );
  }
  const { nonce, message } = (challenge.json ?? {}) as { nonce?: unknown; message?: unknown };
  if (typeof nonce !== "string" || typeof message !== "string") {
    throw new SiwsProtocolError("the challenge answer lacks nonce or message");
  }
  checkBeforeSigning(message, nonce, address, options, now());
  const seen = options.signedNonces ?? SIGNED_NONCES;
  const key = `${new URL(options.origin).origin} ${nonce}`;
  if (seen.has(key))
    throw new SiwsRefusedError("nonce", "reuse", "was already signed once: a replayed challenge");
  if (seen.size >= MAX_REMEMBERED) seen.delete(seen.values().next().value as string);
  seen.add(key);
  const signature = await options.signer.signMessage(new TextEncoder().encode(message));
  const verify = await postJson(options, endpoints.verify, {
    wallet_public_key: address,
    nonce,
    message,
    signature_b64: toBase64(signature),
  });
  if (verify.status !== 200) {
    throw new SiwsProtocolError(
      `verify answered ${verify.status}: ${serverMessage(verify.json)}`,
      verify.status,
    );
  }
  return tokensOf(verify.json, now());
}

function checkBeforeSigning(
  message: string,
  nonce: string,
  address: string,
  options: SignInOptions,
  now: number,
) {
  try {
    const parsed = parseSiwsMessage(message);
    checkSiwsMessage(parsed, {
      origin: options.origin,
      address,
      nonce,
      now,
      ...(options.clockSkewMs !== undefined ? { clockSkewMs: options.clockSkewMs } : {}),
      ...(options.minNonceLength !== undefined ? { minNonceLength: options.minNonceLength } : {}),
    });
  } catch (error) {
    if (!(error instanceof SiwsRefusedError) || error.rule !== "format" || !options.allowUnstructuredMessage)
      throw error;
    // The documented opt-out: the checks that can still be made are made.
    const host = new URL(options.origin).host;
    if (!message.includes(nonce)) throw new SiwsRefusedError("nonce", "challenge", "is not in the message");
    if (!message.includes(address)) throw new SiwsRefusedError("address", "signer", "is not in the message");
    if (!message.includes(host)) throw new SiwsRefusedError("domain", "origin", `does not name ${host}`);
  }
}

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}
