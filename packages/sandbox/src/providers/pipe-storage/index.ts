/**
 * The Pipe Network Firestarter storage sandbox: SIWS sign-in with refresh tokens (rotating with reuse
 * detection when configured) and CSRF,
 * app keys, S3 keys enforced by a real S3-compatible endpoint, credits (promo codes, intents, x402)
 * paid on a local Solana ledger, activity, downloads and account states.
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { join } from "node:path";
import { Keypair } from "@solana/web3.js";
import { jwtVerify, SignJWT } from "jose";
import type {
  ProviderContext,
  ProviderDefinition,
  SandboxRequest,
  SandboxResponse,
} from "../../framework/types.js";
import spec from "../../generated/specs/pipe-storage.js";
import { S3Gateway } from "../../s3/index.js";
import { type LedgerSnapshot, SolanaLedger, USDC_MINT } from "../../solana/index.js";
import { siwsMessage, verifySignature } from "./siws.js";
import {
  DEFAULT_SETTINGS,
  type Intent,
  initialState,
  type PipeSettings,
  type PipeState,
  redact,
  type Session,
  type User,
} from "./state.js";

const ACCESS_TTL_S = 900;
const REFRESH_TTL_MS = 30 * 24 * 3600_000;
const CHALLENGE_TTL_MS = 5 * 60_000;
const INTENT_TTL_MS = 30 * 60_000;
const REGION = "us-west-1";
const MiB = 1024 * 1024;

type Ctx = ProviderContext<PipeState>;

/** The live parts, per running sandbox. */
interface Live {
  ledger: SolanaLedger;
  s3: S3Gateway;
  treasury: { owner: string; usdcAccount: string };
}
const live = new WeakMap<Ctx, Live>();
const parts = (ctx: Ctx): Live => {
  const found = live.get(ctx);
  if (!found) throw new Error("pipe-storage sandbox is not started");
  return found;
};

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const token = (bytes = 32) => randomBytes(bytes).toString("base64url");
const iso = (ms: number) => new Date(ms).toISOString();
const usdc = (raw: bigint) => Number(raw) / 1e6;

interface Caller {
  user: User;
  via: "bearer" | "apikey";
  sessionId?: string;
}

const BEARER_ONLY = new Set(["logout", "listSessions", "revokeSession"]);
/** Operations the spec marks `security: []` (sign-in, refresh, the spec itself): everything else needs a caller. */
const PUBLIC = new Set(
  Object.values((spec as { paths: Record<string, Record<string, unknown>> }).paths).flatMap((item) =>
    Object.values(item).flatMap((op) => {
      const { operationId, security } = (op ?? {}) as { operationId?: string; security?: unknown[] };
      return operationId && Array.isArray(security) && security.length === 0 ? [operationId] : [];
    }),
  ),
);
/** The caller the guard found, for the handler of the same request. */
const callers = new WeakMap<SandboxRequest, Caller>();
const MUTATIONS = new Set(["POST", "PATCH", "PUT", "DELETE"]);
/** Writes a frozen account may still make: the ones that unfreeze it, and signing out. */
const ALLOWED_WHEN_FROZEN = new Set([
  "redeemPromoCode",
  "topUpCreditsX402",
  "createCreditIntent",
  "submitCreditPayment",
  "cancelCreditIntent",
  "logout",
  "revokeSession",
]);

async function authenticate(request: SandboxRequest, ctx: Ctx): Promise<Caller | SandboxResponse> {
  const header = request.headers.authorization ?? "";
  const [scheme = "", value = ""] = header.split(/\s+/, 2);
  let caller: Caller | undefined;
  if (scheme.toLowerCase() === "bearer" && value) {
    try {
      const { payload } = await jwtVerify(value, secretKey(ctx), {
        currentDate: new Date(ctx.clock.now()),
        algorithms: ["HS256"],
      });
      const session = ctx.state.sessions[String(payload.sid)];
      const user = session && !session.revoked ? ctx.state.users[session.userId] : undefined;
      if (user) caller = { user, via: "bearer", sessionId: session?.sessionId };
    } catch {
      return ctx.error(401, "token expired or invalid");
    }
    if (!caller) return ctx.error(401, "session revoked");
    if (MUTATIONS.has(request.method)) {
      const session = ctx.state.sessions[caller.sessionId ?? ""];
      if (!session || request.headers["x-csrf-token"] !== session.csrfToken) {
        return ctx.error(403, "csrf token missing or invalid: re-authenticate to get a fresh one");
      }
    }
  } else if (scheme.toLowerCase() === "apikey" && value) {
    const userId = ctx.state.byAppKey[value];
    const user = userId ? ctx.state.users[userId] : undefined;
    if (!user) return ctx.error(401, "invalid app key");
    if (BEARER_ONLY.has(request.operationId))
      return ctx.error(401, "this endpoint needs a bearer session token");
    caller = { user, via: "apikey" };
  } else {
    return ctx.error(401, "missing credentials");
  }
  const state = caller.user.accountState;
  if (state === "purged") return ctx.error(403, "account is purged");
  if (
    (state === "frozen" || state === "purge_scheduled") &&
    MUTATIONS.has(request.method) &&
    !ALLOWED_WHEN_FROZEN.has(request.operationId)
  ) {
    return ctx.error(403, `account is ${state}: reads work, writes are blocked; top up credits to unfreeze`);
  }
  return caller;
}

function secretKey(ctx: Ctx): Uint8Array {
  return Buffer.from(ctx.state.jwtSecret, "hex");
}

/**
 * Runs before the spec's validation, in the document's order: credentials (401), then CSRF on bearer
 * mutations (403 naming CSRF), then the account state; only then is the request's shape checked.
 */
async function guard(request: SandboxRequest, ctx: Ctx): Promise<SandboxResponse | undefined> {
  if (PUBLIC.has(request.operationId)) return undefined;
  const caller = await authenticate(request, ctx);
  if ("status" in caller) return caller;
  callers.set(request, caller);
  return undefined;
}

/** Wraps a handler that needs a signed-in caller (the guard found it). */
function authed(
  handler: (request: SandboxRequest, ctx: Ctx, caller: Caller) => SandboxResponse | Promise<SandboxResponse>,
) {
  return async (request: SandboxRequest, ctx: Ctx) => {
    const caller = callers.get(request) ?? (await authenticate(request, ctx));
    return "status" in caller ? caller : handler(request, ctx, caller);
  };
}

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

async function createUser(ctx: Ctx, wallet: string): Promise<User> {
  const userId = randomUUID();
  const user: User = {
    userId,
    wallet,
    appKey: `pipe_${token(24)}`,
    accountState: "active",
    createdAt: ctx.clock.now(),
    balanceRaw: 0n,
    depositedRaw: 0n,
    spentRaw: 0n,
    lastTopupAt: null,
    bucket: { name: `pipe-${userId.slice(0, 8)}`, publicRead: false, corsAllowedOrigins: [] },
    s3Keys: {},
    activity: [],
    redeemed: [],
  };
  ctx.state.users[userId] = user;
  ctx.state.byWallet[wallet] = userId;
  ctx.state.byAppKey[user.appKey] = userId;
  await parts(ctx).s3.createBucket(user.bucket.name);
  return user;
}

function intentView(ctx: Ctx, intent: Intent) {
  const { treasury } = parts(ctx);
  const user = ctx.state.users[intent.userId];
  return {
    intent_id: intent.intentId,
    status: intent.status,
    requested_usdc_raw: intent.requestedRaw,
    requested_usdc: usdc(intent.requestedRaw),
    detected_usdc_raw: intent.detectedRaw,
    credited_usdc_raw: intent.creditedRaw,
    ...(user ? { balance_usdc_raw: user.balanceRaw } : {}),
    usdc_mint: USDC_MINT,
    treasury_owner_pubkey: treasury.owner,
    treasury_usdc_ata: treasury.usdcAccount,
    reference_pubkey: intent.referencePubkey,
    ...(intent.paymentTxSig ? { payment_tx_sig: intent.paymentTxSig } : {}),
    ...(intent.lastCheckedAt ? { last_checked_at: iso(intent.lastCheckedAt) } : {}),
    ...(intent.creditedAt ? { credited_at: iso(intent.creditedAt) } : {}),
    ...(intent.errorMessage ? { error_message: intent.errorMessage } : {}),
  };
}

function newIntent(ctx: Ctx, user: User, amount: bigint, via: Intent["via"]): Intent {
  const intent: Intent = {
    intentId: randomUUID(),
    userId: user.userId,
    status: "pending",
    requestedRaw: amount,
    detectedRaw: 0n,
    creditedRaw: 0n,
    referencePubkey: Keypair.generate().publicKey.toBase58(),
    paymentTxSig: null,
    createdAt: ctx.clock.now(),
    lastCheckedAt: null,
    creditedAt: null,
    errorMessage: null,
    via,
  };
  ctx.state.intents[intent.intentId] = intent;
  return intent;
}

function expireIntents(ctx: Ctx, now: number) {
  for (const intent of Object.values(ctx.state.intents)) {
    if (intent.status === "pending" && !intent.paymentTxSig && now - intent.createdAt > INTENT_TTL_MS)
      intent.status = "expired";
  }
}

/** Adds a top-up to the balance; a frozen account is unfrozen, its bucket writable again. */
function credit(ctx: Ctx, user: User, amount: bigint): void {
  user.balanceRaw += amount;
  user.depositedRaw += amount;
  user.lastTopupAt = ctx.clock.now();
  if (user.accountState === "frozen") {
    user.accountState = "active";
    parts(ctx).s3.setReadOnly(user.bucket.name, false);
  }
}

/**
 * Checks the ledger for the intent's payment and credits it once. A signature already credited
 * (to any intent) is refused; a transfer that does not qualify leaves the intent pending with an
 * error message the payer can act on.
 */
function settle(
  ctx: Ctx,
  intent: Intent,
  signature: string,
): "credited" | "processing" | "rejected" | "replayed" {
  const owner = ctx.state.creditedSignatures[signature];
  if (owner && owner !== intent.intentId) {
    intent.errorMessage = "this transaction signature was already credited";
    return "replayed";
  }
  if (intent.status === "credited") return "credited";
  const { ledger, treasury } = parts(ctx);
  intent.lastCheckedAt = ctx.clock.now();
  const found = ledger.verifyPayment({
    signature,
    reference: intent.referencePubkey,
    mint: USDC_MINT,
    destination: treasury.usdcAccount,
    minAmount: intent.requestedRaw,
  });
  if (!found.ok) {
    if (found.reason === "not_found") {
      intent.paymentTxSig = signature;
      intent.status = "processing";
      intent.errorMessage = null;
      return "processing";
    }
    intent.status = "pending";
    intent.paymentTxSig = null;
    intent.errorMessage = `payment not accepted: ${found.reason.replace(/_/g, " ")}`;
    return "rejected";
  }
  const user = ctx.state.users[intent.userId];
  if (!user) return "rejected";
  intent.paymentTxSig = signature;
  intent.detectedRaw = found.amount;
  intent.creditedRaw = found.amount;
  intent.status = "credited";
  intent.creditedAt = ctx.clock.now();
  intent.errorMessage = null;
  ctx.state.creditedSignatures[signature] = intent.intentId;
  credit(ctx, user, found.amount);
  return "credited";
}

function paymentRequired(ctx: Ctx, intent: Intent) {
  const { treasury } = parts(ctx);
  return {
    x402Version: 2,
    resource: {
      url: `${ctx.baseUrl}/api/credits/x402`,
      description: "Pipe Storage credit top-up (sandbox)",
      mimeType: "application/json",
    },
    accepts: [
      {
        scheme: "exact",
        network: "solana",
        amount: intent.requestedRaw.toString(),
        asset: USDC_MINT,
        payTo: treasury.usdcAccount,
        maxTimeoutSeconds: INTENT_TTL_MS / 1000,
        extra: { intent_id: intent.intentId, reference_pubkey: intent.referencePubkey },
      },
    ],
  };
}

function pendingIntentOf(ctx: Ctx, user: User): Intent | undefined {
  expireIntents(ctx, ctx.clock.now());
  return Object.values(ctx.state.intents).find(
    (intent) =>
      intent.userId === user.userId && (intent.status === "pending" || intent.status === "processing"),
  );
}

function ownIntent(ctx: Ctx, caller: Caller, intentId: unknown): Intent | undefined {
  const intent = ctx.state.intents[String(intentId)];
  return intent && intent.userId === caller.user.userId ? intent : undefined;
}

function decodePaymentSignature(header: string): { intent_id: string; tx_sig: string } | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(header, "base64").toString("utf8")) as Record<string, unknown>;
    if (typeof parsed.intent_id === "string" && typeof parsed.tx_sig === "string") {
      return { intent_id: parsed.intent_id, tx_sig: parsed.tx_sig };
    }
  } catch {
    // fall through
  }
  return undefined;
}

function settledAnswer(ctx: Ctx, intent: Intent, outcome: ReturnType<typeof settle>): SandboxResponse {
  if (outcome === "credited") return { status: 200, body: intentView(ctx, intent) };
  if (outcome === "processing")
    return { status: 202, body: intentView(ctx, intent), headers: { "Retry-After": "2" } };
  if (outcome === "replayed") return ctx.error(400, "this transaction signature was already credited");
  return ctx.error(400, intent.errorMessage ?? "payment not accepted");
}

const handlers: ProviderDefinition<PipeState>["handlers"] = {
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

  getCurrentUser: authed((_request, _ctx, { user }) => ({
    status: 200,
    body: {
      user_id: user.userId,
      wallet_public_key: user.wallet,
      wallet: user.wallet,
      account_state: user.accountState,
      user_app_key: user.appKey,
    },
  })),

  rotateAppKey: authed((_request, ctx, { user }) => {
    delete ctx.state.byAppKey[user.appKey];
    user.appKey = `pipe_${token(24)}`;
    ctx.state.byAppKey[user.appKey] = user.userId;
    return { status: 200, body: { user_id: user.userId, new_user_app_key: user.appKey } };
  }),

  listActivity: authed((request, _ctx, { user }) => {
    const limit = Number(request.query.limit ?? 50);
    return {
      status: 200,
      body: user.activity.slice(0, limit).map((entry) => ({
        status: entry.status,
        operation_type: entry.operationType,
        bytes_transferred: entry.bytes,
        started_at: iso(entry.startedAt),
      })),
    };
  }),

  getCreditsStatus: authed((_request, ctx, { user }) => {
    const intent = pendingIntentOf(ctx, user);
    return {
      status: 200,
      body: {
        balance_usdc_raw: user.balanceRaw,
        balance_usdc: usdc(user.balanceRaw),
        total_deposited_usdc_raw: user.depositedRaw,
        total_spent_usdc_raw: user.spentRaw,
        total_deposited: usdc(user.depositedRaw),
        ...(user.lastTopupAt ? { last_topup_at: iso(user.lastTopupAt) } : {}),
        ...(intent ? { intent: intentView(ctx, intent) } : {}),
      },
    };
  }),

  redeemPromoCode: authed((request, ctx, { user }) => {
    const code = String((request.body as { code: string }).code)
      .trim()
      .toUpperCase();
    const promo = ctx.state.promoCodes[code];
    if (!promo) return ctx.error(400, "invalid promo code");
    if (user.redeemed.includes(code)) return ctx.error(400, "promo code already redeemed by this account");
    if (promo.uses >= promo.maxUses) return ctx.error(400, "promo code exhausted");
    promo.uses++;
    user.redeemed.push(code);
    credit(ctx, user, promo.amountRaw);
    return { status: 200, body: { credited_usdc_raw: promo.amountRaw, balance_usdc_raw: user.balanceRaw } };
  }),

  topUpCreditsX402: authed((request, ctx, caller) => {
    const header = request.headers["payment-signature"];
    if (header) {
      const payment = decodePaymentSignature(header);
      if (!payment) return ctx.error(400, "Payment-Signature is not base64 JSON {intent_id, tx_sig}");
      const intent = ownIntent(ctx, caller, payment.intent_id);
      if (!intent) return ctx.error(400, "unknown intent_id");
      if (intent.status === "cancelled" || intent.status === "expired")
        return ctx.error(400, `intent is ${intent.status}`);
      return settledAnswer(ctx, intent, settle(ctx, intent, payment.tx_sig));
    }
    const amount = (request.body as { amount_usdc_raw?: number } | undefined)?.amount_usdc_raw;
    if (amount === undefined) return ctx.error(400, "amount_usdc_raw is required on the first call");
    if (!Number.isSafeInteger(amount) || amount <= 0)
      return ctx.error(400, "amount_usdc_raw must be a positive integer");
    const pending = pendingIntentOf(ctx, caller.user);
    if (pending)
      return {
        status: 409,
        body: { error: "another credit intent is pending", intent: intentView(ctx, pending) },
      };
    const intent = newIntent(ctx, caller.user, BigInt(amount), "x402");
    const required = paymentRequired(ctx, intent);
    return {
      status: 402,
      body: required,
      headers: { "Payment-Required": Buffer.from(JSON.stringify(required)).toString("base64") },
    };
  }),

  createCreditIntent: authed((request, ctx, { user }) => {
    const amount = (request.body as { amount_usdc_raw: number }).amount_usdc_raw;
    if (!Number.isSafeInteger(amount) || amount <= 0)
      return ctx.error(400, "amount_usdc_raw must be a positive integer");
    return { status: 200, body: intentView(ctx, newIntent(ctx, user, BigInt(amount), "portal")) };
  }),

  submitCreditPayment: authed((request, ctx, caller) => {
    const body = request.body as { intent_id: string; tx_sig: string };
    const intent = ownIntent(ctx, caller, body.intent_id);
    if (!intent) return ctx.error(404, "no such intent");
    if (intent.status === "cancelled" || intent.status === "expired")
      return ctx.error(400, `intent is ${intent.status}`);
    const outcome = settle(ctx, intent, body.tx_sig);
    if (outcome === "replayed") return ctx.error(400, "this transaction signature was already credited");
    return { status: 200, body: intentView(ctx, intent) };
  }),

  cancelCreditIntent: authed((request, ctx, caller) => {
    const intent = ownIntent(ctx, caller, (request.body as { intent_id: string }).intent_id);
    if (!intent) return ctx.error(404, "no such intent");
    if (intent.status === "credited") return ctx.error(400, "intent is already credited");
    if (intent.status === "processing") return ctx.error(400, "a payment for this intent is being confirmed");
    intent.status = "cancelled";
    return { status: 200, body: intentView(ctx, intent) };
  }),

  getCreditIntent: authed((request, ctx, caller) => {
    const intent = ownIntent(ctx, caller, request.params.intent_id);
    if (!intent) return ctx.error(404, "no such intent");
    expireIntents(ctx, ctx.clock.now());
    if (intent.status === "processing" && intent.paymentTxSig) settle(ctx, intent, intent.paymentTxSig);
    return { status: 200, body: intentView(ctx, intent) };
  }),

  createS3Key: authed((request, ctx, { user }) => {
    const body = (request.body ?? {}) as { key_name?: string; name_prefix?: string };
    const prefix = body.name_prefix ?? "";
    if (prefix.split("/").some((segment) => segment === "." || segment === "..") || prefix.startsWith("/")) {
      return ctx.error(400, "name_prefix must not start with / or contain . or .. segments");
    }
    const key = {
      keyName: body.key_name ?? null,
      accessKeyId: `PIPE${randomBytes(8).toString("hex").toUpperCase()}`,
      secretAccessKey: randomBytes(30).toString("base64url"),
      namePrefix: prefix,
      createdAt: ctx.clock.now(),
    };
    user.s3Keys[key.accessKeyId] = key;
    const { s3 } = parts(ctx);
    s3.addKey({
      accessKeyId: key.accessKeyId,
      secretAccessKey: key.secretAccessKey,
      bucket: user.bucket.name,
      prefix,
    });
    return {
      status: 200,
      body: {
        access_key_id: key.accessKeyId,
        secret_access_key: key.secretAccessKey,
        endpoint: s3.endpoint,
        region: s3.region,
        bucket_name: user.bucket.name,
        name_prefix: prefix,
      },
    };
  }),

  listS3Keys: authed((_request, _ctx, { user }) => ({
    status: 200,
    body: {
      keys: Object.values(user.s3Keys).map((key) => ({
        key_name: key.keyName,
        access_key_id: key.accessKeyId,
        bucket_name: user.bucket.name,
        name_prefix: key.namePrefix,
        created_at: iso(key.createdAt),
      })),
    },
  })),

  deleteS3Key: authed((request, ctx, { user }) => {
    const id = String(request.params.access_key_id);
    if (!user.s3Keys[id]) return ctx.error(404, "no such key");
    delete user.s3Keys[id];
    parts(ctx).s3.removeKey(id);
    return { status: 204 };
  }),

  getS3Info: authed((_request, ctx) => ({
    status: 200,
    body: { endpoint: parts(ctx).s3.endpoint, region: parts(ctx).s3.region },
  })),

  getBucket: authed((_request, _ctx, { user }) => ({ status: 200, body: bucketView(user) })),

  updateBucket: authed((request, ctx, { user }) => {
    const body = request.body as { public_read?: boolean; cors_allowed_origins?: string[] };
    if (body.public_read !== undefined) {
      user.bucket.publicRead = body.public_read;
      parts(ctx).s3.setPublicRead(user.bucket.name, body.public_read);
    }
    if (body.cors_allowed_origins !== undefined)
      user.bucket.corsAllowedOrigins = [...body.cors_allowed_origins];
    return { status: 200, body: bucketView(user) };
  }),

  downloadStream: authed(async (request, ctx, { user }) => {
    const name = String(request.query.file_name);
    const bytes = await parts(ctx).s3.getObject(user.bucket.name, name);
    const startedAt = ctx.clock.now();
    if (!bytes) {
      user.activity.unshift({ status: "failed", operationType: "download", bytes: 0, startedAt, name });
      return ctx.error(404, "no such file");
    }
    const cost = BigInt(Math.max(1, Math.ceil(bytes.length / MiB))) * ctx.state.egressPerMiBRaw;
    if (user.balanceRaw < cost) {
      user.activity.unshift({ status: "failed", operationType: "download", bytes: 0, startedAt, name });
      return {
        status: 402,
        body: {
          error: "insufficient credits",
          message: "not enough credits for this download",
          required_usdc: usdc(cost),
          credits_balance_usdc: usdc(user.balanceRaw),
        },
      };
    }
    user.balanceRaw -= cost;
    user.spentRaw += cost;
    user.activity.unshift({
      status: "completed",
      operationType: "download",
      bytes: bytes.length,
      startedAt,
      name,
    });
    ctx.save();
    return { status: 200, raw: bytes, contentType: "application/octet-stream" };
  }),

  getOpenApiDocument: () => ({ status: 200, raw: JSON.stringify(spec), contentType: "application/yaml" }),
};

function bucketView(user: User) {
  return {
    bucket_name: user.bucket.name,
    public_read: user.bucket.publicRead,
    cors_allowed_origins: user.bucket.corsAllowedOrigins,
  };
}

function userOf(ctx: Ctx, input: Record<string, unknown>): User {
  const id = typeof input.userId === "string" ? input.userId : ctx.state.byWallet[String(input.wallet)];
  const user = id ? ctx.state.users[id] : undefined;
  if (!user) throw new Error("no such user: pass userId or wallet");
  return user;
}

export const pipeStorage: ProviderDefinition<PipeState> = {
  name: "pipe-storage",
  spec,
  initialState: (seed) => initialState(seed, randomBytes(32).toString("hex")),
  errorBody: (_status, message, details) => ({ error: message, ...(details ? { details } : {}) }),
  handlers,
  rateLimits: [
    // The document gives no numbers for its per-account limits; sign-in is limited per IP here.
    { operations: ["createSiwsChallenge", "verifySiwsSignature"], limit: 600, windowMs: 60_000 },
  ],
  redactState: redact,
  guard,
  onClock: (ctx, now) => expireIntents(ctx, now),

  async start(ctx, snapshot) {
    const saved = snapshot as
      | { ledger?: LedgerSnapshot; treasury?: { owner: string; usdcAccount: string } }
      | undefined;
    const ledger = saved?.ledger
      ? await SolanaLedger.restore(saved.ledger, { now: () => ctx.clock.now() })
      : await SolanaLedger.start({ now: () => ctx.clock.now() });
    const s3 = await S3Gateway.start({
      region: REGION,
      ...(ctx.dataDir ? { dataDir: join(ctx.dataDir, "pipe-storage-s3") } : {}),
    });
    const treasury = ledger.treasury();
    const current: Live = { ledger, s3, treasury };
    live.set(ctx, current);
    // Buckets and keys are re-declared from state (a restart, or a reset that kept the runtime).
    for (const user of Object.values(ctx.state.users)) {
      await s3.createBucket(user.bucket.name);
      s3.setPublicRead(user.bucket.name, user.bucket.publicRead);
      s3.setReadOnly(user.bucket.name, user.accountState !== "active");
      for (const key of Object.values(user.s3Keys)) {
        s3.addKey({
          accessKeyId: key.accessKeyId,
          secretAccessKey: key.secretAccessKey,
          bucket: user.bucket.name,
          prefix: key.namePrefix,
        });
      }
    }
    s3.onObject((event) => {
      const user = Object.values(ctx.state.users).find((candidate) => candidate.bucket.name === event.bucket);
      if (!user) return;
      user.activity.unshift({
        status: "completed",
        operationType: event.operation === "delete" ? "delete" : "upload",
        bytes: event.operation === "delete" ? 0 : event.size,
        startedAt: ctx.clock.now(),
        name: event.key,
      });
      ctx.save();
    });
    return {
      info: {
        solana: {
          rpcUrl: ledger.rpcUrl,
          wsUrl: ledger.wsUrl,
          wsUrlNextPort: ledger.wsUrlNextPort,
          usdcMint: USDC_MINT,
          treasury,
        },
        s3: { endpoint: s3.endpoint, region: s3.region },
      },
      snapshot: () => ({ ledger: ledger.snapshot(), treasury }),
      close: async () => {
        await Promise.all([ledger.close(), s3.close()]);
      },
    };
  },

  actions: {
    /**
     * Sandbox behaviour beyond the document: `{rotateRefreshTokens: true}` makes every refresh return
     * a new refresh token and treats a second use of an old one as theft (the session is revoked).
     * Without input it shows the current settings.
     */
    configure: (ctx, input) => {
      const settings: PipeSettings = { ...DEFAULT_SETTINGS, ...ctx.state.settings };
      if (input.rotateRefreshTokens !== undefined) {
        if (typeof input.rotateRefreshTokens !== "boolean")
          throw new Error("rotateRefreshTokens must be a boolean");
        settings.rotateRefreshTokens = input.rotateRefreshTokens;
      }
      const unknown = Object.keys(input).filter((name) => !(name in DEFAULT_SETTINGS));
      if (unknown.length)
        throw new Error(
          `unknown setting ${unknown.join(", ")}; have: ${Object.keys(DEFAULT_SETTINGS).join(", ")}`,
        );
      ctx.state.settings = settings;
      return settings;
    },
    /** The payer's side: SOL for fees and USDC to pay with, on the local ledger. */
    fundWallet: (ctx, input) => {
      const { ledger } = parts(ctx);
      const address = String(input.address);
      ledger.airdrop(address, BigInt(String(input.lamports ?? 1_000_000_000)));
      const ata = ledger.mintUsdc(address, BigInt(String(input.usdcRaw ?? 0)));
      return { address, usdcAccount: ata, usdcRaw: ledger.usdcBalance(address).toString() };
    },
    setAccountState: (ctx, input) => {
      const user = userOf(ctx, input);
      const state = String(input.state);
      if (!["active", "frozen", "purge_scheduled", "purged"].includes(state))
        throw new Error(`unknown account state ${state}`);
      user.accountState = state as User["accountState"];
      parts(ctx).s3.setReadOnly(user.bucket.name, user.accountState !== "active");
      return { userId: user.userId, account_state: user.accountState };
    },
    createPromoCode: (ctx, input) => {
      const code = String(input.code).toUpperCase();
      ctx.state.promoCodes[code] = {
        amountRaw: BigInt(String(input.amountRaw ?? 1_000_000)),
        maxUses: Number(input.maxUses ?? 1),
        uses: 0,
      };
      return { code };
    },
    promoCodes: (ctx) => Object.keys(ctx.state.promoCodes),
    treasury: (ctx) => ({
      ...parts(ctx).treasury,
      usdcRaw: parts(ctx).ledger.usdcBalance(parts(ctx).treasury.owner).toString(),
    }),
    user: (ctx, input) => {
      const user = userOf(ctx, input);
      return {
        userId: user.userId,
        wallet: user.wallet,
        balanceRaw: user.balanceRaw.toString(),
        accountState: user.accountState,
      };
    },
  },
};
