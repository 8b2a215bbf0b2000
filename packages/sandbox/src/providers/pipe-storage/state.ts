/**
 * The Pipe storage sandbox's state: plain JSON (bigints for money), persisted whole, and the small
 * helpers every part of the provider shares.
 */
import { createHash, randomBytes } from "node:crypto";
import type { ProviderContext } from "../../framework/types.js";

export type AccountState = "active" | "frozen" | "purge_scheduled" | "purged";
export type IntentStatus = "pending" | "processing" | "credited" | "cancelled" | "expired";

export interface S3KeyRecord {
  keyName: string | null;
  accessKeyId: string;
  secretAccessKey: string;
  namePrefix: string;
  createdAt: number;
}

export interface ActivityRecord {
  status: "completed" | "failed";
  operationType: string;
  bytes: number;
  startedAt: number;
  name?: string;
}

export interface User {
  userId: string;
  wallet: string;
  appKey: string;
  accountState: AccountState;
  createdAt: number;
  balanceRaw: bigint;
  depositedRaw: bigint;
  spentRaw: bigint;
  lastTopupAt: number | null;
  bucket: { name: string; publicRead: boolean; corsAllowedOrigins: string[] };
  s3Keys: Record<string, S3KeyRecord>;
  activity: ActivityRecord[];
  redeemed: string[];
}

export interface Session {
  sessionId: string;
  userId: string;
  /** sha256 of the current refresh token. */
  refreshHash: string;
  csrfToken: string;
  createdAt: number;
  expiresAt: number;
  revoked: boolean;
  ipAddress: string;
  userAgent: string;
}

export interface Challenge {
  wallet: string;
  message: string;
  expiresAt: number;
  used: boolean;
}

export interface Intent {
  intentId: string;
  userId: string;
  status: IntentStatus;
  requestedRaw: bigint;
  detectedRaw: bigint;
  creditedRaw: bigint;
  referencePubkey: string;
  paymentTxSig: string | null;
  createdAt: number;
  lastCheckedAt: number | null;
  creditedAt: number | null;
  errorMessage: string | null;
  via: "x402" | "portal";
}

/** Sandbox behaviour the document leaves open, set with the `configure` admin action. */
export interface PipeSettings {
  /**
   * Off by default, as the document describes refresh: the refresh token stays valid until logout,
   * revocation or expiry. On: every refresh returns a new one, and reusing an old one revokes the session.
   */
  rotateRefreshTokens: boolean;
}

export const DEFAULT_SETTINGS: PipeSettings = { rotateRefreshTokens: false };

/**
 * The `configure` admin action: `{rotateRefreshTokens: true}` makes every refresh return a new
 * refresh token and treats a second use of an old one as theft (the session is revoked). Without
 * input it shows the current settings.
 */
export function configure(ctx: Ctx, input: Record<string, unknown>): PipeSettings {
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
}

export interface PipeState {
  /** Missing in state saved before settings existed: the defaults apply. */
  settings?: PipeSettings;
  /** HMAC key of the access JWTs (never shown by the admin surface). */
  jwtSecret: string;
  users: Record<string, User>;
  byWallet: Record<string, string>;
  byAppKey: Record<string, string>;
  challenges: Record<string, Challenge>;
  sessions: Record<string, Session>;
  byRefreshHash: Record<string, string>;
  /** Rotated-away refresh tokens (with rotation on): presenting one again revokes its session. */
  retiredRefresh: Record<string, string>;
  promoCodes: Record<string, { amountRaw: bigint; maxUses: number; uses: number }>;
  intents: Record<string, Intent>;
  /** Each transaction signature credits at most one intent, ever. */
  creditedSignatures: Record<string, string>;
  /** Raw USDC units charged per started MiB downloaded. */
  egressPerMiBRaw: bigint;
}

export type Ctx = ProviderContext<PipeState>;

export const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
/** A random base64url token of `bytes` bytes. */
export const token = (bytes = 32) => randomBytes(bytes).toString("base64url");
export const iso = (ms: number) => new Date(ms).toISOString();
/** Raw USDC units (6 decimals) as a number of USDC. */
export const usdc = (raw: bigint) => Number(raw) / 1e6;

export function initialState(seed: string, secret: string): PipeState {
  const code = `PIPE-${seed
    .toUpperCase()
    .replace(/[^A-Z0-9]/g, "")
    .slice(0, 4)
    .padEnd(4, "X")}-SAND`;
  return {
    settings: { ...DEFAULT_SETTINGS },
    jwtSecret: secret,
    users: {},
    byWallet: {},
    byAppKey: {},
    challenges: {},
    sessions: {},
    byRefreshHash: {},
    retiredRefresh: {},
    promoCodes: { [code]: { amountRaw: 5_000_000n, maxUses: 1_000, uses: 0 } },
    intents: {},
    creditedSignatures: {},
    egressPerMiBRaw: 10n,
  };
}

/** State as the admin surface shows it: no JWT key, no S3 secret, no refresh hashes. */
export function redact(state: PipeState): unknown {
  return {
    ...state,
    jwtSecret: "[redacted]",
    byRefreshHash: `${Object.keys(state.byRefreshHash).length} entries`,
    retiredRefresh: `${Object.keys(state.retiredRefresh).length} entries`,
    sessions: Object.fromEntries(
      Object.entries(state.sessions).map(([id, s]) => [
        id,
        { ...s, refreshHash: "[redacted]", csrfToken: "[redacted]" },
      ]),
    ),
    users: Object.fromEntries(
      Object.entries(state.users).map(([id, user]) => [
        id,
        {
          ...user,
          s3Keys: Object.fromEntries(
            Object.entries(user.s3Keys).map(([k, key]) => [k, { ...key, secretAccessKey: "[redacted]" }]),
          ),
        },
      ]),
    ),
  };
}
