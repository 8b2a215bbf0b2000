/**
 * Test helpers for the Pipe sandbox: one sandbox per test file (`useSandbox`), sign in with a real
 * keypair, pay USDC through web3.js.
 */
import {
  createAssociatedTokenAccountIdempotentInstruction,
  createTransferCheckedInstruction,
  getAssociatedTokenAddressSync,
} from "@solana/spl-token";
import { Connection, type Keypair, PublicKey, Transaction } from "@solana/web3.js";
import { unwrap } from "@specyard/pipe-storage";
import nacl from "tweetnacl";
import { afterAll, beforeAll } from "vitest";
import { type Sandbox, startSandbox } from "../../src/index.js";
import { createPipeStorageClient } from "../clients.js";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";

export let sandbox: Sandbox;

/** Starts the file's sandbox before its tests and closes it after them (call once per test file). */
export function useSandbox(): void {
  beforeAll(async () => {
    sandbox = await startSandbox("pipe-storage");
  });
  afterAll(() => sandbox?.close());
}

export async function signIn(baseUrl: string, wallet: Keypair) {
  const anonymous = createPipeStorageClient({ baseUrl, maxRetries: 0 });
  const address = wallet.publicKey.toBase58();
  const challenge = await unwrap(
    anonymous.POST("/auth/siws/challenge", { body: { wallet_public_key: address } }),
  );
  const signature = nacl.sign.detached(new TextEncoder().encode(challenge.message), wallet.secretKey);
  const tokens = await unwrap(
    anonymous.POST("/auth/siws/verify", {
      body: {
        wallet_public_key: address,
        nonce: challenge.nonce,
        message: challenge.message,
        signature_b64: Buffer.from(signature).toString("base64"),
      },
    }),
  );
  return { challenge, tokens };
}

/** One TransferChecked of USDC from the payer's ATA to `payTo`, with `reference` appended read-only. */
export async function payUsdc(
  rpcUrl: string,
  payer: Keypair,
  options: { mint: string; payTo: string; amount: bigint; reference: string },
): Promise<string> {
  const connection = new Connection(rpcUrl, "confirmed");
  const mint = new PublicKey(options.mint);
  const source = getAssociatedTokenAddressSync(mint, payer.publicKey);
  const transfer = createTransferCheckedInstruction(
    source,
    mint,
    new PublicKey(options.payTo),
    payer.publicKey,
    options.amount,
    6,
  );
  transfer.keys.push({ pubkey: new PublicKey(options.reference), isSigner: false, isWritable: false });
  const { blockhash, lastValidBlockHeight } = await connection.getLatestBlockhash();
  const tx = new Transaction({ feePayer: payer.publicKey, blockhash, lastValidBlockHeight }).add(transfer);
  tx.sign(payer);
  const signature = await connection.sendRawTransaction(tx.serialize());
  for (let i = 0; i < 50; i++) {
    const { value } = await connection.getSignatureStatuses([signature]);
    if (value[0]?.confirmationStatus) {
      if (value[0].err) throw new Error(`transfer failed: ${JSON.stringify(value[0].err)}`);
      return signature;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error("transfer not confirmed");
}

export { createAssociatedTokenAccountIdempotentInstruction };
