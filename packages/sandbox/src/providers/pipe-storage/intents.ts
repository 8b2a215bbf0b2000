/**
 * Pipe storage credit intents: creating one, its view, expiry on the sandbox clock, and settling it
 * against the local ledger (each transaction signature credits once; a top-up unfreezes the account).
 */
import { randomUUID } from "node:crypto";
import { Keypair } from "@solana/web3.js";
import { USDC_MINT } from "../../solana/index.js";
import type { Caller } from "./guard.js";
import { parts } from "./live.js";
import { type Ctx, type Intent, iso, type User, usdc } from "./state.js";

export const INTENT_TTL_MS = 30 * 60_000;

export function intentView(ctx: Ctx, intent: Intent) {
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

export function newIntent(ctx: Ctx, user: User, amount: bigint, via: Intent["via"]): Intent {
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

/** Pending intents nobody paid within `INTENT_TTL_MS` expire. */
export function expireIntents(ctx: Ctx, now: number) {
  for (const intent of Object.values(ctx.state.intents)) {
    if (intent.status === "pending" && !intent.paymentTxSig && now - intent.createdAt > INTENT_TTL_MS)
      intent.status = "expired";
  }
}

/** Adds a top-up to the balance; a frozen account is unfrozen, its bucket writable again. */
export function credit(ctx: Ctx, user: User, amount: bigint): void {
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
export function settle(
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

/** The user's intent still waiting for (or confirming) a payment, after expiring stale ones. */
export function pendingIntentOf(ctx: Ctx, user: User): Intent | undefined {
  expireIntents(ctx, ctx.clock.now());
  return Object.values(ctx.state.intents).find(
    (intent) =>
      intent.userId === user.userId && (intent.status === "pending" || intent.status === "processing"),
  );
}

/** The intent, if it is the caller's. */
export function ownIntent(ctx: Ctx, caller: Caller, intentId: unknown): Intent | undefined {
  const intent = ctx.state.intents[String(intentId)];
  return intent && intent.userId === caller.user.userId ? intent : undefined;
}
