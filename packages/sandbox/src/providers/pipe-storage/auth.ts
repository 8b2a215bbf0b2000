/**
 * Pipe storage sign-in: the SIWS challenge and its verification (the first sign-in creates the
 * account), access JWTs with CSRF tokens, refresh (rotating with reuse detection when configured),
 * logout, and listing and revoking sessions.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { SignJWT } from "jose";
import type { Handler, SandboxRequest } from "../../framework/types.js";
import { createUser } from "./account.js";
import { authed, secretKey } from "./guard.js";
import { siwsMessage, verifySignature } from "./siws.js";
import { type Ctx, iso, type PipeState, type Session, sha256, token } from "./state.js";

const ACCESS_TTL_S = 900;
const REFRESH_TTL_MS = 30 * 24 * 3600_000;
const CHALLENGE_TTL_MS = 5 * 60_000;

/** A new session with its refresh and CSRF tokens (sign-in). */
async function openSession(ctx: Ctx, userId: string, request: SandboxRequest) {
  const now = ctx.clock.now();
  const refreshToken = token();
  const session: Session = {
    sessionId: randomUUID(),
    userId,
    refreshHash: sha256(refreshToken),
    csrfToken: token(18),
    createdAt: now,
    expiresAt: now + REFRESH_TTL_MS,
    revoked: false,
    ipAddress: request.ip,
    userAgent: request.headers["user-agent"] ?? "",
  };
  ctx.state.sessions[session.sessionId] = session;
  ctx.state.byRefreshHash[session.refreshHash] = session.sessionId;
  return { refresh_token: refreshToken, ...(await accessPair(ctx, session)) };
}

/**
 * A refresh: a new access token and CSRF token for the session. The refresh token stays the same
 * for its lifetime unless the sandbox is configured to rotate it; then a new one comes back, and the
 * old one is retired (presenting it again revokes the session).
 */
async function refreshSession(ctx: Ctx, session: Session) {
  if (!ctx.state.settings?.rotateRefreshTokens) return accessPair(ctx, session);
  const refreshToken = token();
  delete ctx.state.byRefreshHash[session.refreshHash];
  ctx.state.retiredRefresh[session.refreshHash] = session.sessionId;
  session.refreshHash = sha256(refreshToken);
  session.expiresAt = ctx.clock.now() + REFRESH_TTL_MS;
  ctx.state.byRefreshHash[session.refreshHash] = session.sessionId;
  return { refresh_token: refreshToken, ...(await accessPair(ctx, session)) };
}

/** A fresh access JWT and CSRF token for a session (the previous CSRF token stops working). */
async function accessPair(ctx: Ctx, session: Session) {
  const now = ctx.clock.now();
  session.csrfToken = token(18);
  const accessToken = await new SignJWT({ sid: session.sessionId })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(session.userId)
    .setIssuedAt(Math.floor(now / 1000))
    .setExpirationTime(Math.floor(now / 1000) + ACCESS_TTL_S)
    .sign(secretKey(ctx));
  return {
    access_token: accessToken,
    token_type: "Bearer",
    expires_in: ACCESS_TTL_S,
    csrf_token: session.csrfToken,
  };
}

export const authHandlers: Record<string, Handler<PipeState>> = {
  createSiwsChallenge: (request, ctx) => {
    const wallet = String((request.body as { wallet_public_key: string }).wallet_public_key);
    const now = ctx.clock.now();
    const nonce = randomBytes(16).toString("hex");
    const url = new URL(ctx.baseUrl);
    const message = siwsMessage({
      domain: url.host,
      address: wallet,
      statement: "Sign in to Pipe Storage (sandbox).",
      uri: ctx.baseUrl,
      version: "1",
      chainId: "mainnet",
      nonce,
      issuedAt: iso(now),
      expirationTime: iso(now + CHALLENGE_TTL_MS),
    });
    ctx.state.challenges[nonce] = { wallet, message, expiresAt: now + CHALLENGE_TTL_MS, used: false };
    return { status: 200, body: { nonce, message } };
  },

  verifySiwsSignature: async (request, ctx) => {
    const body = request.body as {
      wallet_public_key: string;
      nonce: string;
      message: string;
      signature_b64: string;
    };
    const challenge = ctx.state.challenges[body.nonce];
    if (!challenge || challenge.used) return ctx.error(401, "unknown or already used nonce");
    if (challenge.expiresAt < ctx.clock.now()) return ctx.error(401, "challenge expired");
    if (challenge.wallet !== body.wallet_public_key)
      return ctx.error(401, "wallet does not match the challenge");
    if (challenge.message !== body.message) return ctx.error(401, "message does not match the challenge");
    if (!verifySignature(body.message, body.signature_b64, body.wallet_public_key))
      return ctx.error(401, "invalid signature");
    challenge.used = true;
    const userId = ctx.state.byWallet[body.wallet_public_key];
    const user = userId ? ctx.state.users[userId] : await createUser(ctx, body.wallet_public_key);
    if (!user) return ctx.error(401, "unknown account");
    return { status: 200, body: await openSession(ctx, user.userId, request) };
  },

  refreshTokens: async (request, ctx) => {
    const hash = sha256(String((request.body as { refresh_token: string }).refresh_token));
    const retired = ctx.state.retiredRefresh[hash];
    if (retired) {
      // A rotated-away token came back: someone holds a copy. End that session.
      const session = ctx.state.sessions[retired];
      if (session) session.revoked = true;
      return ctx.error(401, "refresh token already used; session revoked");
    }
    const session = ctx.state.sessions[ctx.state.byRefreshHash[hash] ?? ""];
    if (!session || session.revoked || session.expiresAt < ctx.clock.now())
      return ctx.error(401, "invalid refresh token");
    return { status: 200, body: await refreshSession(ctx, session) };
  },

  logout: authed((_request, ctx, caller) => {
    const session = ctx.state.sessions[caller.sessionId ?? ""];
    if (session) session.revoked = true;
    return { status: 204 };
  }),

  listSessions: authed((_request, ctx, caller) => ({
    status: 200,
    body: {
      sessions: Object.values(ctx.state.sessions)
        .filter((s) => s.userId === caller.user.userId && !s.revoked)
        .map((s) => ({
          session_id: s.sessionId,
          created_at: iso(s.createdAt),
          expires_at: iso(s.expiresAt),
          ip_address: s.ipAddress,
          user_agent: s.userAgent,
          is_current: s.sessionId === caller.sessionId,
        })),
    },
  })),

  revokeSession: authed((request, ctx, caller) => {
    const session = ctx.state.sessions[String(request.params.session_id)];
    if (!session || session.userId !== caller.user.userId || session.revoked)
      return ctx.error(404, "no such session");
    session.revoked = true;
    return { status: 204 };
  }),
};
