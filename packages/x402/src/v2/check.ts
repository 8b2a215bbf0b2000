/**
 * What an x402 v2 `exact` requirement must satisfy before specyard's key signs anything: the
 * spending policy shared with Pipe's flavour (scheme, network, mint, per-payment cap, budget, payee
 * owner, `onBeforePay`), the resource it is for, and nothing in `extra` that would make the payer
 * sign more than one `TransferChecked` and the compute-budget instructions with someone else as fee
 * payer.
 */
import { getMint, TOKEN_2022_PROGRAM_ID, TOKEN_PROGRAM_ID } from "@solana/spl-token";
import { type Connection, PublicKey } from "@solana/web3.js";
import { PaymentRefusedError } from "../errors.js";
import type { PaymentOption } from "../payment-required.js";
import { checkOption, type SpendingPolicy, USDC_DECIMALS } from "../policy.js";
import { SOLANA_MAINNET, type V2Requirement } from "./required.js";

/** The reference facilitator's cap on the compute unit price (`MAX_COMPUTE_UNIT_PRICE_MICROLAMPORTS`). */
export const MAX_COMPUTE_UNIT_PRICE_MICROLAMPORTS = 5_000_000n;
/** The reference client's compute unit price, used unless the server asks for another within the cap. */
export const DEFAULT_COMPUTE_UNIT_PRICE_MICROLAMPORTS = 1n;

/**
 * The `extra` fields an `exact` requirement may carry. `feePayer` is required; the blockhash hints
 * and the facilitator's feature list are informational; `computeUnitPrice` is honoured within the
 * cap. Any other field (`memo`, extra accounts or instructions, …) is refused: it would ask the payer
 * to sign something besides the transfer.
 */
const KNOWN_EXTRA = new Set([
  "feePayer",
  "recentBlockhash",
  "lastValidBlockHeight",
  "features",
  "computeUnitPrice",
]);
const BASE58_KEY = /^[1-9A-HJ-NP-Za-km-z]{32,44}$/;

/** A requirement the local checks allowed, with what the transaction will be built from. */
export interface V2Plan {
  requirement: V2Requirement;
  feePayer: string;
  computeUnitPrice: bigint;
}

/** The URL a 402's resource must name: the request's own, fragment dropped. */
export function sameResource(resourceUrl: string, requestUrl: string): boolean {
  const a = new URL(resourceUrl);
  const b = new URL(requestUrl);
  a.hash = "";
  b.hash = "";
  return a.href === b.href;
}

/** The checks that need no network, for one requirement; throws `PaymentRefusedError`. */
export function checkV2Requirement(
  requirement: V2Requirement,
  policy: SpendingPolicy,
  spent: bigint,
  payer: string,
): V2Plan {
  checkOption(asOption(requirement, "", ""), policy, spent);
  if (requirement.payTo !== policy.treasuryOwner)
    throw new PaymentRefusedError("payTo", "treasuryOwner", "is not the expected payee");
  const { extra } = requirement;
  for (const key of Object.keys(extra)) {
    if (key === "memo")
      throw new PaymentRefusedError("extra.memo", "memo", "asks for a memo instruction the payer would sign");
    if (!KNOWN_EXTRA.has(key))
      throw new PaymentRefusedError(`extra.${key}`, "known", "is not a field specyard signs for");
  }
  const feePayer = extra.feePayer;
  if (typeof feePayer !== "string" || !BASE58_KEY.test(feePayer))
    throw new PaymentRefusedError("extra.feePayer", "format", "must be the facilitator's base58 address");
  if (feePayer === payer)
    throw new PaymentRefusedError(
      "extra.feePayer",
      "notPayer",
      "is the payer itself: it would sign as fee payer",
    );
  if (extra.features !== undefined && (typeof extra.features !== "object" || extra.features === null))
    throw new PaymentRefusedError("extra.features", "type", "must be an object");
  return { requirement, feePayer, computeUnitPrice: computeUnitPrice(extra.computeUnitPrice) };
}

function computeUnitPrice(value: unknown): bigint {
  if (value === undefined) return DEFAULT_COMPUTE_UNIT_PRICE_MICROLAMPORTS;
  const text = typeof value === "number" && Number.isSafeInteger(value) ? String(value) : value;
  if (typeof text !== "string" || !/^[0-9]{1,20}$/.test(text))
    throw new PaymentRefusedError("extra.computeUnitPrice", "format", "must be an integer of micro-lamports");
  const price = BigInt(text);
  if (price > MAX_COMPUTE_UNIT_PRICE_MICROLAMPORTS) {
    throw new PaymentRefusedError(
      "extra.computeUnitPrice",
      "cap",
      `${price} is over the reference cap of ${MAX_COMPUTE_UNIT_PRICE_MICROLAMPORTS} micro-lamports per unit`,
    );
  }
  return price;
}

/** The first requirement for this resource the policy allows, or the reason the first one is refused. */
export function chooseV2(
  accepts: readonly V2Requirement[],
  resourceUrl: string,
  requestUrl: string,
  policy: SpendingPolicy,
  spent: bigint,
  payer: string,
): V2Plan {
  if (!sameResource(resourceUrl, requestUrl))
    throw new PaymentRefusedError(
      "resource.url",
      "sameResource",
      "names another resource than the request's",
    );
  let first: PaymentRefusedError | undefined;
  for (const requirement of accepts) {
    try {
      return checkV2Requirement(requirement, { ...policy, networks: networksOf(policy) }, spent, payer);
    } catch (error) {
      if (!(error instanceof PaymentRefusedError)) throw error;
      first ??= error;
    }
  }
  throw first ?? new PaymentRefusedError("accepts", "empty", "offers no way to pay");
}

/** The policy's networks; by default only Solana mainnet's CAIP-2 id, as v2 names it. */
const networksOf = (policy: SpendingPolicy): readonly string[] => policy.networks ?? [SOLANA_MAINNET];

/**
 * A v2 requirement in the shape `onBeforePay` and `checkOption` take: `payTo` is the token account
 * credited, `extra` the server's plus `intent_id` (the journal's id of the payment) and
 * `reference_pubkey` (the payer's token account, which the transaction touches).
 */
export function asOption(
  requirement: V2Requirement,
  intentId: string,
  reference: string,
  payTo?: string,
): PaymentOption {
  return {
    scheme: requirement.scheme,
    network: requirement.network,
    amount: requirement.amount,
    asset: requirement.asset,
    payTo: payTo ?? requirement.payTo,
    maxTimeoutSeconds: requirement.maxTimeoutSeconds,
    extra: { ...requirement.extra, intent_id: intentId, reference_pubkey: reference, x402Version: 2 },
  };
}

/** The mint on chain: a token mint of 6 decimals; returns its token program. */
export async function checkMint(connection: Connection, asset: string): Promise<PublicKey> {
  const mint = new PublicKey(asset);
  const info = await connection.getAccountInfo(mint, "confirmed");
  const owner = info?.owner;
  const program = owner && [TOKEN_PROGRAM_ID, TOKEN_2022_PROGRAM_ID].find((p) => p.equals(owner));
  if (!program) throw new PaymentRefusedError("asset", "mint", "is not a token mint on this network");
  const { decimals } = await getMint(connection, mint, "confirmed", program);
  if (decimals !== USDC_DECIMALS)
    throw new PaymentRefusedError("asset", "decimals", `has ${decimals} decimals, not ${USDC_DECIMALS}`);
  return program;
}
