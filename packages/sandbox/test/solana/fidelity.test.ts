/**
 * Ledger fidelity where x402 v2 depends on it: "already processed" is decided by the transaction's
 * message, as Solana's status cache does (a facilitator simulates with its own fee-payer signature
 * still empty), and blockhashes expire as slots pass on the sandbox clock (~150 slots of ~400 ms),
 * not only when transactions land.
 */
import { createTransferCheckedInstruction, getAssociatedTokenAddressSync } from "@solana/spl-token";
import { Connection, type Keypair, PublicKey, Transaction } from "@solana/web3.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SLOT_MS } from "../../src/solana/chain.js";
import { SolanaLedger, USDC_MINT } from "../../src/solana/index.js";
import { NOW, newPayer, payment, pollStatus } from "./helpers.js";

const USDC = new PublicKey(USDC_MINT);
let now = NOW;
let ledger: SolanaLedger;
let connection: Connection;
let treasury: { owner: string; usdcAccount: string };

beforeAll(async () => {
  ledger = await SolanaLedger.start({ now: () => now });
  connection = new Connection(ledger.rpcUrl, { wsEndpoint: ledger.wsUrl, commitment: "confirmed" });
  treasury = ledger.treasury();
});

afterAll(async () => {
  await ledger.close();
});

async function rpc(method: string, params: unknown[]) {
  const answer = await fetch(ledger.rpcUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  return (await answer.json()) as {
    result?: { value?: { err: unknown } } | string;
    error?: { data?: { err: unknown } };
  };
}

/** A USDC transfer by `payer` whose fee is paid by `feePayer`; signed by the payer only (x402 v2 `exact`). */
async function sponsored(payer: Keypair, feePayer: Keypair, amount: bigint) {
  const { blockhash, lastValidBlockHeight } = await connection.getLatestBlockhash();
  const source = getAssociatedTokenAddressSync(USDC, payer.publicKey);
  const ix = createTransferCheckedInstruction(
    source,
    USDC,
    new PublicKey(treasury.usdcAccount),
    payer.publicKey,
    amount,
    6,
  );
  const tx = new Transaction({ feePayer: feePayer.publicKey, blockhash, lastValidBlockHeight }).add(ix);
  tx.partialSign(payer);
  return tx;
}

const base64 = (tx: Transaction) =>
  Buffer.from(tx.serialize({ requireAllSignatures: false })).toString("base64");

describe("already processed is decided by the message", () => {
  it("refuses a landed payment again, in simulation with the fee payer's signature empty and on send", async () => {
    const payer = await newPayer(5_000_000n, connection, ledger);
    const feePayer = await newPayer(0n, connection, ledger);
    const tx = await sponsored(payer, feePayer, 1_000_000n);
    const partial = base64(tx);
    const simulate = () => rpc("simulateTransaction", [partial, { encoding: "base64", sigVerify: false }]);
    expect(((await simulate()).result as { value: { err: unknown } }).value.err).toBeNull();

    tx.partialSign(feePayer);
    const signature = await connection.sendRawTransaction(tx.serialize(), { skipPreflight: true });
    expect((await pollStatus(connection, signature)).err).toBeNull();
    expect(ledger.usdcBalance(payer.publicKey.toBase58())).toBe(4_000_000n);

    // Its first signature (the fee payer's) is still all zeros here: only the message matches.
    expect(((await simulate()).result as { value: { err: unknown } }).value.err).toBe("AlreadyProcessed");
    const again = await rpc("sendTransaction", [
      Buffer.from(tx.serialize()).toString("base64"),
      { encoding: "base64" },
    ]);
    expect(again.error?.data?.err).toBe("AlreadyProcessed");
    // Unchecked, the RPC hands back the signature, as Solana's does; nothing moves a second time.
    const unchecked = await rpc("sendTransaction", [
      Buffer.from(tx.serialize()).toString("base64"),
      { encoding: "base64", skipPreflight: true },
    ]);
    expect(unchecked.result).toBe(signature);
    expect(ledger.usdcBalance(payer.publicKey.toBase58())).toBe(4_000_000n);
  });

  it("still lands a second payment of the same amount with another message", async () => {
    const payer = await newPayer(5_000_000n, connection, ledger);
    const first = await payment({
      payer,
      amount: 1_000_000n,
      conn: connection,
      destination: treasury.usdcAccount,
    });
    const second = await payment({
      payer,
      amount: 1_000_000n,
      conn: connection,
      destination: treasury.usdcAccount,
    });
    for (const { bytes } of [first, second]) {
      const signature = await connection.sendRawTransaction(bytes);
      expect((await pollStatus(connection, signature)).err).toBeNull();
    }
    expect(ledger.usdcBalance(payer.publicKey.toBase58())).toBe(3_000_000n);
  });
});

describe("blockhashes expire as the sandbox clock runs", () => {
  it("keeps a signed payment valid within ~150 slots and rejects it once they passed, with no traffic", async () => {
    const payer = await newPayer(5_000_000n, connection, ledger);
    const early = await payment({
      payer,
      amount: 1_000_000n,
      conn: connection,
      destination: treasury.usdcAccount,
    });
    const late = await payment({
      payer,
      amount: 2_000_000n,
      conn: connection,
      destination: treasury.usdcAccount,
    });
    const height = await connection.getBlockHeight();

    now += 100 * SLOT_MS; // 40 s: 100 slots, still inside the lifetime
    expect(await connection.getBlockHeight()).toBe(height + 100);
    const signature = await connection.sendRawTransaction(early.bytes);
    expect((await pollStatus(connection, signature)).err).toBeNull();

    now += 60 * SLOT_MS; // 160 slots after `late`'s blockhash: expired
    expect(await connection.getBlockHeight()).toBeGreaterThan(late.lastValidBlockHeight);
    expect(await connection.isBlockhashValid(late.blockhash)).toMatchObject({ value: false });
    const answer = await rpc("sendTransaction", [
      Buffer.from(late.bytes).toString("base64"),
      { encoding: "base64" },
    ]);
    expect(answer.error?.data?.err).toBe("BlockhashNotFound");
    const unchecked = await rpc("sendTransaction", [
      Buffer.from(late.bytes).toString("base64"),
      { encoding: "base64", skipPreflight: true },
    ]);
    expect(unchecked.error?.data?.err).toBe("BlockhashNotFound");
    expect(ledger.usdcBalance(payer.publicKey.toBase58())).toBe(4_000_000n);
  });

  it("hands out a fresh blockhash after a quiet spell, which lands", async () => {
    const payer = await newPayer(1_000_000n, connection, ledger);
    now += 1_000 * SLOT_MS;
    const fresh = await payment({
      payer,
      amount: 1_000_000n,
      conn: connection,
      destination: treasury.usdcAccount,
    });
    const signature = await connection.sendRawTransaction(fresh.bytes);
    expect((await pollStatus(connection, signature)).err).toBeNull();
    expect(ledger.usdcBalance(payer.publicKey.toBase58())).toBe(0n);
  });
});
