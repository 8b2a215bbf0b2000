/**
 * The payment half of the Pipe document's Node x402 sample, line for line with stock
 * @solana/web3.js 1.x and @solana/spl-token: a default `new Connection(RPC, "confirmed")` (no
 * `wsEndpoint`), TransferChecked with the reference appended, `sendRawTransaction`, then
 * `confirmTransaction(sig, "confirmed")`.
 */
import { createTransferCheckedInstruction, getAssociatedTokenAddress } from "@solana/spl-token";
import { Connection, type Keypair, PublicKey, Transaction } from "@solana/web3.js";

export interface Accept {
  asset: string;
  payTo: string;
  amount: string;
  reference: string;
}

export async function payLikeTheNodeSample(rpc: string, kp: Keypair, accept: Accept): Promise<string> {
  const connection = new Connection(rpc, "confirmed");
  const mint = new PublicKey(accept.asset);
  const treasuryAta = new PublicKey(accept.payTo);
  const reference = new PublicKey(accept.reference);
  const fromAta = await getAssociatedTokenAddress(mint, kp.publicKey);
  const ix = createTransferCheckedInstruction(
    fromAta,
    mint,
    treasuryAta,
    kp.publicKey,
    BigInt(accept.amount),
    6,
  );
  ix.keys.push({ pubkey: reference, isSigner: false, isWritable: false });
  const { blockhash } = await connection.getLatestBlockhash("confirmed");
  const tx = new Transaction().add(ix);
  tx.feePayer = kp.publicKey;
  tx.recentBlockhash = blockhash;
  tx.sign(kp);
  const sig = await connection.sendRawTransaction(tx.serialize());
  await connection.confirmTransaction(sig, "confirmed");
  return sig;
}
