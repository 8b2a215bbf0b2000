/**
 * The x402 v2 `exact` transaction on Solana, built the way the reference facilitator verifies it:
 * `SetComputeUnitLimit`, `SetComputeUnitPrice`, then one `TransferChecked` from the payer's
 * associated token account to the payee's, with the facilitator (`extra.feePayer`) as fee payer.
 * The payer signs it partially (its own signature only); the facilitator adds the fee payer's.
 */
import { createTransferCheckedInstruction, getAssociatedTokenAddressSync } from "@solana/spl-token";
import { ComputeBudgetProgram, type Keypair, PublicKey, Transaction } from "@solana/web3.js";
import bs58 from "bs58";
import { PaymentRefusedError } from "../errors.js";
import type { TransactionSigner } from "../pay.js";
import { USDC_DECIMALS } from "../policy.js";
import type { V2Plan } from "./check.js";

/** The reference client's compute unit limit; a nonce of up to `UNIT_LIMIT_NONCE` units is added. */
export const COMPUTE_UNIT_LIMIT = 20_000;
/**
 * Two equal payments in one slot would be one message, so the second would be "already processed":
 * the reference client adds a memo with a nonce; specyard signs no memo and varies the compute unit
 * limit instead (the fee payer's priority fee moves by under a lamport).
 */
export const UNIT_LIMIT_NONCE = 10_000;

export interface BuiltPayment {
  /** Wire bytes, base64, with the fee payer's signature still empty. */
  transaction: string;
  /** The payer's signature, base58. */
  payerSignature: string;
  source: string;
  destination: string;
}

const nonce = () => {
  const [value = 0] = crypto.getRandomValues(new Uint32Array(1));
  return value % UNIT_LIMIT_NONCE;
};

/** The payer's token account debited and the payee's credited (associated accounts of the mint). */
export function accountsOf(plan: V2Plan, tokenProgram: PublicKey, owner: PublicKey) {
  const mint = new PublicKey(plan.requirement.asset);
  return {
    source: getAssociatedTokenAddressSync(mint, owner, false, tokenProgram),
    destination: getAssociatedTokenAddressSync(
      mint,
      new PublicKey(plan.requirement.payTo),
      true,
      tokenProgram,
    ),
  };
}

/** Builds the transaction and has the payer sign it; checks what came back before handing it out. */
export async function buildExact(
  plan: V2Plan,
  tokenProgram: PublicKey,
  payer: Keypair | TransactionSigner,
  blockhash: { blockhash: string; lastValidBlockHeight: number },
): Promise<BuiltPayment> {
  const { requirement, feePayer } = plan;
  const mint = new PublicKey(requirement.asset);
  const owner = payer.publicKey;
  const { source, destination } = accountsOf(plan, tokenProgram, owner);
  const transaction = new Transaction({ feePayer: new PublicKey(feePayer), ...blockhash }).add(
    ComputeBudgetProgram.setComputeUnitLimit({ units: COMPUTE_UNIT_LIMIT + nonce() }),
    ComputeBudgetProgram.setComputeUnitPrice({ microLamports: plan.computeUnitPrice }),
    createTransferCheckedInstruction(
      source,
      mint,
      destination,
      owner,
      requirement.amount,
      USDC_DECIMALS,
      [],
      tokenProgram,
    ),
  );
  const expected = transaction.serializeMessage();
  let signed: Transaction;
  if ("secretKey" in payer) {
    transaction.partialSign(payer);
    signed = transaction;
  } else {
    signed = await payer.signTransaction(transaction);
  }
  // A wallet may hand back something else: the message must be the one built, signed by the payer.
  if (!signed.serializeMessage().equals(expected))
    throw new PaymentRefusedError("transaction", "unchanged", "was changed by the wallet while signing");
  const own = signed.signatures.find((s) => s.publicKey.equals(owner))?.signature;
  const fee = signed.signatures.find((s) => s.publicKey.equals(new PublicKey(feePayer)));
  if (!own || !signed.verifySignatures(false))
    throw new PaymentRefusedError("transaction", "signed", "came back without a valid payer signature");
  if (fee?.signature)
    throw new PaymentRefusedError("transaction", "feePayer", "came back signed by the fee payer");
  const wire = signed.serialize({ requireAllSignatures: false, verifySignatures: false });
  return {
    transaction: Buffer.from(wire).toString("base64"),
    payerSignature: bs58.encode(own),
    source: source.toBase58(),
    destination: destination.toBase58(),
  };
}
