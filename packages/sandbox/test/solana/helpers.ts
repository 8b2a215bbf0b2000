/**
 * Shared setup of the SolanaLedger tests: one ledger per test file (`useLedger`) on a fixed clock, a
 * web3.js Connection to it, funded payers, signed transactions and USDC payments to the treasury.
 */
import { createTransferCheckedInstruction, getAssociatedTokenAddressSync } from "@solana/spl-token";
import {
  Connection,
  Keypair,
  LAMPORTS_PER_SOL,
  PublicKey,
  Transaction,
  type TransactionInstruction,
} from "@solana/web3.js";
import { afterAll, beforeAll, expect } from "vitest";
import { SolanaLedger, USDC_MINT } from "../../src/solana/index.js";

export const NOW = Date.UTC(2025, 0, 2, 3, 4, 5);
export const USDC = new PublicKey(USDC_MINT);

export let ledger: SolanaLedger;
export let connection: Connection;
export let treasury: { owner: string; usdcAccount: string };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls getSignatureStatuses until the signature has a status. */
export async function pollStatus(conn: Connection, signature: string) {
  for (let i = 0; i < 100; i++) {
    const { value } = await conn.getSignatureStatuses([signature]);
    if (value[0]) return value[0];
    await sleep(10);
  }
  throw new Error(`no status for ${signature}`);
}

/** A keypair funded with 1 SOL (through requestAirdrop) and `usdc` raw USDC units. */
export async function newPayer(usdc: bigint, conn = connection, on = ledger): Promise<Keypair> {
  const payer = Keypair.generate();
  const signature = await conn.requestAirdrop(payer.publicKey, LAMPORTS_PER_SOL);
  expect((await pollStatus(conn, signature)).err).toBeNull();
  if (usdc > 0n) on.mintUsdc(payer.publicKey.toBase58(), usdc);
  return payer;
}

/** Builds and signs a transaction of `instructions` with a fresh blockhash from the RPC. */
export async function signed(
  payer: Keypair,
  instructions: TransactionInstruction[],
  signers: Keypair[] = [],
  conn = connection,
) {
  const { blockhash, lastValidBlockHeight } = await conn.getLatestBlockhash();
  const tx = new Transaction({ feePayer: payer.publicKey, blockhash, lastValidBlockHeight }).add(
    ...instructions,
  );
  tx.sign(payer, ...signers);
  return { bytes: tx.serialize(), blockhash, lastValidBlockHeight };
}

interface PaymentSpec {
  payer: Keypair;
  amount: bigint;
  mint?: PublicKey;
  destination?: string;
  reference?: PublicKey | null;
  conn?: Connection;
}

/** A signed TransferChecked from the payer's ATA, with a reference key appended (read-only, non-signer). */
export async function payment({ payer, amount, mint = USDC, destination, reference, conn }: PaymentSpec) {
  const ref = reference === undefined ? Keypair.generate().publicKey : reference;
  const source = getAssociatedTokenAddressSync(mint, payer.publicKey);
  const to = new PublicKey(destination ?? treasury.usdcAccount);
  const ix = createTransferCheckedInstruction(source, mint, to, payer.publicKey, amount, 6);
  if (ref) ix.keys.push({ pubkey: ref, isSigner: false, isWritable: false });
  return { ...(await signed(payer, [ix], [], conn)), reference: ref };
}

/** Starts the file's ledger before its tests and closes it after them (call once per test file). */
export function useLedger(): void {
  beforeAll(async () => {
    ledger = await SolanaLedger.start({ now: () => NOW });
    connection = new Connection(ledger.rpcUrl, { wsEndpoint: ledger.wsUrl, commitment: "confirmed" });
    treasury = ledger.treasury();
  });

  afterAll(async () => {
    await ledger.close();
  });
}
