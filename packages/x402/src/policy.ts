import { PaymentRefusedError } from "./errors.js";
import type { PaymentOption } from "./payment-required.js";

/** USDC on Solana mainnet. */
export const USDC_MINT = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v";
export const USDC_DECIMALS = 6;

export interface SpendingPolicy {
  /** The most one payment may move, in raw units. Required: there is no unlimited default. */
  maxPerPayment: bigint;
  /** The most all payments together may move (counted from the journal), in raw units. Required. */
  budget: bigint;
  /** Networks accepted (default `["solana", "solana-mainnet", "solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp"]`). */
  networks?: readonly string[];
  /** Mints accepted (default USDC mainnet). Their decimals are read on chain and must be 6. */
  mints?: readonly string[];
  /** Schemes accepted (default `["exact"]`). */
  schemes?: readonly string[];
  /** The owner the `payTo` token account must belong to. Required: pay only a known treasury. */
  treasuryOwner: string;
  /** A last word before paying: return false to refuse. */
  onBeforePay?: (payment: PaymentOption) => boolean | Promise<boolean>;
}

export const DEFAULT_NETWORKS = [
  "solana",
  "solana-mainnet",
  "solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp",
] as const;

/** The first option the policy allows, or the reason none is allowed (from the first option). */
export function chooseOption(
  options: readonly PaymentOption[],
  policy: SpendingPolicy,
  spent: bigint,
): PaymentOption {
  let firstError: PaymentRefusedError | undefined;
  for (const candidate of options) {
    try {
      checkOption(candidate, policy, spent);
      return candidate;
    } catch (error) {
      if (!(error instanceof PaymentRefusedError)) throw error;
      firstError ??= error;
    }
  }
  throw firstError ?? new PaymentRefusedError("accepts", "empty", "offers no way to pay");
}

/** The checks that need no network: scheme, network, mint, per-payment cap and budget. */
export function checkOption(option: PaymentOption, policy: SpendingPolicy, spent: bigint): void {
  if (typeof policy.maxPerPayment !== "bigint" || typeof policy.budget !== "bigint") {
    throw new PaymentRefusedError("policy", "required", "needs bigint maxPerPayment and budget");
  }
  if (!(policy.schemes ?? ["exact"]).includes(option.scheme)) {
    throw new PaymentRefusedError("scheme", "allowed", `${option.scheme} is not an allowed scheme`);
  }
  if (!(policy.networks ?? DEFAULT_NETWORKS).includes(option.network)) {
    throw new PaymentRefusedError("network", "allowed", `${option.network} is not an allowed network`);
  }
  if (!(policy.mints ?? [USDC_MINT]).includes(option.asset)) {
    throw new PaymentRefusedError("asset", "allowed", "is not an allowed mint");
  }
  if (option.amount > policy.maxPerPayment) {
    throw new PaymentRefusedError(
      "amount",
      "maxPerPayment",
      `${option.amount} is over the per-payment cap ${policy.maxPerPayment}`,
    );
  }
  if (spent + option.amount > policy.budget) {
    throw new PaymentRefusedError(
      "amount",
      "budget",
      `${option.amount} is over the remaining budget ${policy.budget - spent}`,
    );
  }
}
