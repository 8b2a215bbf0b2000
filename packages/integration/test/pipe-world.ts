import { Connection, Keypair, type PublicKey, type Transaction } from "@solana/web3.js";
import { createPipeStorageClient, unwrap } from "@specyard/pipe-storage";
import { type Sandbox, startSandbox } from "@specyard/sandbox";
import { secretKeySigner, signIn } from "@specyard/siws";
import type { TransactionSigner } from "@specyard/x402";

export interface PipeWorld {
  sandbox: Sandbox;
  rpcUrl: string;
  connection: Connection;
  treasury: { owner: string; usdcAccount: string };
  usdcMint: string;
}

export async function pipeWorld(): Promise<PipeWorld> {
  const sandbox = await startSandbox("pipe-storage");
  const solana = sandbox.info.solana as {
    rpcUrl: string;
    usdcMint: string;
    treasury: { owner: string; usdcAccount: string };
  };
  return {
    sandbox,
    rpcUrl: solana.rpcUrl,
    connection: new Connection(solana.rpcUrl, "confirmed"),
    treasury: solana.treasury,
    usdcMint: solana.usdcMint,
  };
}

/** A funded wallet signed in to the sandbox, with its app key. */
export async function agent(world: PipeWorld, usdcRaw = 50_000_000n) {
  const wallet = Keypair.generate();
  await world.sandbox.admin.act("fundWallet", {
    address: wallet.publicKey.toBase58(),
    usdcRaw: usdcRaw.toString(),
  });
  const tokens = await signIn({ signer: secretKeySigner(wallet.secretKey), origin: world.sandbox.url });
  const me = await unwrap(
    createPipeStorageClient({ baseUrl: world.sandbox.url, accessToken: tokens.accessToken }).GET("/user/me"),
  );
  return { wallet, appKey: me.user_app_key };
}

/** A real signer that counts what it signs. */
export function countingSigner(wallet: Keypair): TransactionSigner & { signed: number } {
  const signer = {
    publicKey: wallet.publicKey as PublicKey,
    signed: 0,
    signTransaction(transaction: Transaction) {
      signer.signed++;
      transaction.partialSign(wallet);
      return transaction;
    },
  };
  return signer;
}

export async function usdcOf(world: PipeWorld, owner: string): Promise<bigint> {
  const result = (await world.sandbox.admin.act("treasury")) as { usdcRaw: string };
  return owner === world.treasury.owner ? BigInt(result.usdcRaw) : -1n;
}
