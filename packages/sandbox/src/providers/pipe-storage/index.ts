/**
 * The Pipe Network Firestarter storage sandbox: SIWS sign-in with refresh tokens (rotating with reuse
 * detection when configured) and CSRF,
 * app keys, S3 keys enforced by a real S3-compatible endpoint, credits (promo codes, intents, x402)
 * paid on a local Solana ledger, activity, downloads and account states.
 *
 * This module wires the parts together: `guard.ts` (who is calling), `auth.ts` (sign-in, sessions),
 * `account.ts` (users, app keys, account states), `keys.ts` (S3 keys, bucket), `credits.ts` and
 * `intents.ts` (top-ups, x402), `activity.ts` (downloads, activity), `live.ts` (ledger and S3
 * gateway), `state.ts` (the persisted state).
 */
import { randomBytes } from "node:crypto";
import type { ProviderDefinition } from "../../framework/types.js";
import spec from "../../generated/specs/pipe-storage.js";
import { accountHandlers, setAccountState, userSummary } from "./account.js";
import { activityHandlers } from "./activity.js";
import { authHandlers } from "./auth.js";
import { createPromoCode, creditHandlers, fundWallet, treasury } from "./credits.js";
import { guard } from "./guard.js";
import { expireIntents } from "./intents.js";
import { keyHandlers } from "./keys.js";
import { start } from "./live.js";
import { configure, initialState, type PipeState, redact } from "./state.js";

export const pipeStorage: ProviderDefinition<PipeState> = {
  name: "pipe-storage",
  spec,
  initialState: (seed) => initialState(seed, randomBytes(32).toString("hex")),
  errorBody: (_status, message, details) => ({ error: message, ...(details ? { details } : {}) }),
  handlers: {
    ...authHandlers,
    ...accountHandlers,
    ...creditHandlers,
    ...keyHandlers,
    ...activityHandlers,
    getOpenApiDocument: () => ({ status: 200, raw: JSON.stringify(spec), contentType: "application/yaml" }),
  },
  rateLimits: [
    // The document gives no numbers for its per-account limits; sign-in is limited per IP here.
    { operations: ["createSiwsChallenge", "verifySiwsSignature"], limit: 600, windowMs: 60_000 },
  ],
  redactState: redact,
  guard,
  onClock: (ctx, now) => expireIntents(ctx, now),
  start,
  actions: {
    /** Sandbox behaviour beyond the document (refresh-token rotation); without input, the settings. */
    configure,
    /** The payer's side: SOL for fees and USDC to pay with, on the local ledger. */
    fundWallet,
    setAccountState,
    createPromoCode,
    promoCodes: (ctx) => Object.keys(ctx.state.promoCodes),
    treasury,
    user: userSummary,
  },
};
