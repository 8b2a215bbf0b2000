/**
 * A SIWS server on the testkit's fault server: challenge, verify (checks the signature), refresh
 * and one protected route, with scripted faults per path and replaceable answers per step.
 */
import { randomBytes } from "node:crypto";
import {
  type FaultServer,
  type NormalAnswer,
  type RecordedRequest,
  startFaultServer,
} from "@specyard/testkit";
import bs58 from "bs58";
import nacl from "tweetnacl";
import { type SiwsSigner, type SiwsTokens, secretKeySigner } from "../src/index.js";

export interface SiwsServer {
  server: FaultServer;
  origin: string;
  /** The `Chain ID` line of the next challenges (`undefined`: no such line). */
  chainId: string | undefined;
  /** Replaces the answer of a step (then restore with `undefined`). */
  answers: Partial<Record<"challenge" | "verify" | "refresh", (request: RecordedRequest) => NormalAnswer>>;
  /** Every token this server issued. */
  issued: string[];
  close(): Promise<void>;
}

function jwt(expMs: number): string {
  const payload = Buffer.from(
    JSON.stringify({ exp: Math.floor(expMs / 1000), jti: randomBytes(8).toString("hex") }),
  ).toString("base64url");
  return `eyJhbGciOiJIUzI1NiJ9.${payload}.${randomBytes(16).toString("base64url")}`;
}

export async function startSiwsServer(): Promise<SiwsServer> {
  const challenges = new Map<string, { wallet: string; message: string }>();
  const state: Omit<SiwsServer, "server" | "origin" | "close"> = {
    chainId: "mainnet",
    answers: {},
    issued: [],
  };
  const tokens = () => {
    const answer = {
      access_token: jwt(Date.now() + 900_000),
      refresh_token: `rt-${randomBytes(18).toString("hex")}`,
      csrf_token: `csrf-${randomBytes(12).toString("hex")}`,
      token_type: "Bearer",
      expires_in: 900,
    };
    state.issued.push(answer.access_token, answer.refresh_token, answer.csrf_token);
    return answer;
  };
  let origin = "";
  const server = await startFaultServer({
    respond: (request) => {
      const body = request.body ? (JSON.parse(request.body) as Record<string, string>) : {};
      if (request.url === "/auth/siws/challenge") {
        if (state.answers.challenge) return state.answers.challenge(request);
        const nonce = randomBytes(16).toString("hex");
        const wallet = String(body.wallet_public_key);
        const now = Date.now();
        const lines = [
          `${new URL(origin).host} wants you to sign in with your Solana account:`,
          wallet,
          "",
          "Sign in to the test server.",
          "",
          `URI: ${origin}`,
          "Version: 1",
          ...(state.chainId === undefined ? [] : [`Chain ID: ${state.chainId}`]),
          `Nonce: ${nonce}`,
          `Issued At: ${new Date(now).toISOString()}`,
          `Expiration Time: ${new Date(now + 300_000).toISOString()}`,
        ];
        const message = lines.join("\n");
        challenges.set(nonce, { wallet, message });
        return { status: 200, body: { nonce, message } };
      }
      if (request.url === "/auth/siws/verify") {
        if (state.answers.verify) return state.answers.verify(request);
        const challenge = challenges.get(String(body.nonce));
        challenges.delete(String(body.nonce));
        const ok =
          challenge !== undefined &&
          challenge.message === body.message &&
          nacl.sign.detached.verify(
            new TextEncoder().encode(String(body.message)),
            Buffer.from(String(body.signature_b64), "base64"),
            bs58.decode(String(body.wallet_public_key)),
          );
        return ok ? { status: 200, body: tokens() } : { status: 401, body: { error: "bad signature" } };
      }
      if (request.url === "/auth/refresh") {
        if (state.answers.refresh) return state.answers.refresh(request);
        return { status: 200, body: tokens() };
      }
      if (request.url === "/protected")
        return { status: 200, body: { authorization: request.headers.authorization ?? null } };
      return { status: 404, body: { error: "not found" } };
    },
  });
  origin = server.url;
  return Object.assign(state, { server, origin, close: () => server.close() });
}

/** A real signer that counts its signatures. */
export function countingSigner(): { signer: SiwsSigner; counter: { signed: number }; address: string } {
  const inner = secretKeySigner(nacl.sign.keyPair().secretKey);
  const counter = { signed: 0 };
  const signer: SiwsSigner = {
    publicKey: inner.publicKey,
    signMessage: (message) => {
      counter.signed++;
      return inner.signMessage(message);
    },
  };
  return { signer, counter, address: inner.publicKey as string };
}

/** Tokens that are already past their expiry, so the next `accessToken()` refreshes. */
export function staleTokens(): SiwsTokens {
  return {
    accessToken: jwt(Date.now() - 60_000),
    refreshToken: `rt-stale-${randomBytes(18).toString("hex")}`,
    csrfToken: `csrf-stale-${randomBytes(12).toString("hex")}`,
    tokenType: "Bearer",
    expiresAt: Date.now() - 60_000,
  };
}

/** The number of ref'ed timers keeping the process alive. */
export const activeTimers = (): number =>
  process.getActiveResourcesInfo().filter((kind) => kind === "Timeout").length;

/**
 * Waits for the process to have no ref'ed timer left and answers the count seen last (0 when it
 * got there). The server side of a fault (a drip's interval) stops when its socket closes, which
 * lands a moment after the client gives up; a timer the client left behind (an attempt timeout of
 * 10 s, a deadline of 30 s) outlives this short wait (about 300 ms at most), so the check can fail.
 */
export async function timersLeft(): Promise<number> {
  for (let i = 0; i < 40 && activeTimers() > 0; i++) await new Promise((r) => setImmediate(r));
  for (let i = 0; i < 12 && activeTimers() > 0; i++) await new Promise((r) => setTimeout(r, 25));
  return activeTimers();
}

/**
 * The promise's rejection, or a failure if it is still pending after `guardMs`: the hang guard.
 * Not a timing assertion: the guard is many times the deadline under test, only there to turn a
 * hang (undici's default is ~300 s) into a clear failure instead of a test timeout.
 */
export async function rejectionOf(promise: Promise<unknown>, guardMs = 6_000): Promise<unknown> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const guard = new Promise<"hung">((resolve) => {
    timer = setTimeout(() => resolve("hung"), guardMs);
  });
  try {
    const outcome = await Promise.race([
      promise.then(
        () => ({ settled: "resolved" as const }),
        (error: unknown) => ({ settled: "rejected" as const, error }),
      ),
      guard,
    ]);
    if (outcome === "hung") throw new Error(`still pending after the ${guardMs} ms hang guard`);
    if (outcome.settled === "resolved") throw new Error("resolved, but a rejection was expected");
    return outcome.error;
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves once the server has read a request to `path`. */
export async function requested(server: FaultServer, path: string, count = 1): Promise<void> {
  while (server.requests.filter((r) => r.url === path).length < count)
    await new Promise((r) => setTimeout(r, 5));
}
