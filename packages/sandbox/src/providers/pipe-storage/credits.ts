/**
 * Pipe storage credits: the balance, promo codes, the x402 top-up (402 with `Payment-Required`, then
 * a `Payment-Signature` retry), the portal's intents, and the payer's side on the admin surface
 * (funding a wallet, promo codes, the treasury).
 */
import type { Handler, SandboxResponse } from "../../framework/types.js";
import { USDC_MINT } from "../../solana/index.js";
import { authed } from "./guard.js";
import {
  credit,
  expireIntents,
  INTENT_TTL_MS,
  intentView,
  newIntent,
  ownIntent,
  pendingIntentOf,
  settle,
} from "./intents.js";
import { parts } from "./live.js";
import { type Ctx, type Intent, iso, type PipeState, usdc } from "./state.js";

/** The x402 payment requirements of an intent: that much USDC on Solana to the treasury, the intent in `extra`. */
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

/** The `Payment-Signature` header: base64 JSON `{intent_id, tx_sig}`. */
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

/** The x402 retry's answer to a settlement: 200 credited, 202 (Retry-After) while confirming, else 400. */
function settledAnswer(ctx: Ctx, intent: Intent, outcome: ReturnType<typeof settle>): SandboxResponse {
  if (outcome === "credited") return { status: 200, body: intentView(ctx, intent) };
  if (outcome === "processing")
    return { status: 202, body: intentView(ctx, intent), headers: { "Retry-After": "2" } };
  if (outcome === "replayed") return ctx.error(400, "this transaction signature was already credited");
  return ctx.error(400, intent.errorMessage ?? "payment not accepted");
}

export const creditHandlers: Record<string, Handler<PipeState>> = {
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
};

/** The `fundWallet` admin action, the payer's side: SOL for fees and USDC to pay with, on the local ledger. */
export function fundWallet(ctx: Ctx, input: Record<string, unknown>) {
  const { ledger } = parts(ctx);
  const address = String(input.address);
  ledger.airdrop(address, BigInt(String(input.lamports ?? 1_000_000_000)));
  const ata = ledger.mintUsdc(address, BigInt(String(input.usdcRaw ?? 0)));
  return { address, usdcAccount: ata, usdcRaw: ledger.usdcBalance(address).toString() };
}

/** The `createPromoCode` admin action (codes are case-insensitive). */
export function createPromoCode(ctx: Ctx, input: Record<string, unknown>) {
  const code = String(input.code).toUpperCase();
  ctx.state.promoCodes[code] = {
    amountRaw: BigInt(String(input.amountRaw ?? 1_000_000)),
    maxUses: Number(input.maxUses ?? 1),
    uses: 0,
  };
  return { code };
}

/** The `treasury` admin action: the treasury's addresses and USDC balance. */
export function treasury(ctx: Ctx) {
  return {
    ...parts(ctx).treasury,
    usdcRaw: parts(ctx).ledger.usdcBalance(parts(ctx).treasury.owner).toString(),
  };
}
