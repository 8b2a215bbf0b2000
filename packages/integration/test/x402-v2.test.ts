/**
 * specyard's x402 v2 payer against the official reference implementation, run locally: an
 * `@x402/express` resource server with an `@x402/svm` facilitator on the Pipe sandbox's ledger. The
 * official `@x402/fetch` client pays it, specyard pays it, and both payments must look the same on
 * the ledger: the payer debited and the merchant credited by the price, the fee paid by the
 * facilitator, one `TransferChecked` of the mint — and the facilitator verified and settled both.
 */
import { createKeyPairSignerFromBytes } from "@solana/kit";
import { getAssociatedTokenAddressSync } from "@solana/spl-token";
import { PublicKey } from "@solana/web3.js";
import { MemoryJournal } from "@specyard/x402";
import { PAYMENT_RESPONSE_HEADER, parseV2PaymentResponse, payingFetchV2 } from "@specyard/x402/v2";
import { x402Client } from "@x402/core/client";
import { wrapFetchWithPayment } from "@x402/fetch";
import { ExactSvmScheme } from "@x402/svm/exact/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NETWORK, PRICE, refusedHosts, USDC, type V2World, v2World } from "./x402-v2-world.js";

let world: V2World;

beforeAll(async () => {
  world = await v2World();
});

afterAll(async () => {
  await world?.close();
  expect(refusedHosts).toEqual([]);
});

/** The landed transaction a PAYMENT-RESPONSE names, as the ledger has it. */
async function landed(signature: string) {
  const tx = await world.connection.getTransaction(signature, {
    commitment: "confirmed",
    maxSupportedTransactionVersion: 0,
  });
  if (!tx) throw new Error(`${signature} did not land`);
  const keys = tx.transaction.message.getAccountKeys({ accountKeysFromLookups: tx.meta?.loadedAddresses });
  const transfers = tx.transaction.message.compiledInstructions.filter(
    (ix) => keys.get(ix.programIdIndex)?.toBase58() === "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA",
  );
  return {
    feePayer: keys.get(0)?.toBase58(),
    err: tx.meta?.err,
    transfers: transfers.map((ix) => ({
      kind: ix.data[0],
      amount: Buffer.from(ix.data).readBigUInt64LE(1),
      accounts: ix.accountKeyIndexes.slice(0, 4).map((i) => keys.get(i)?.toBase58()),
    })),
  };
}

describe("the official client and specyard pay the reference server the same way", () => {
  it("debits the payer and credits the merchant by the price, each settled by the facilitator", async () => {
    const official = await world.wallet(100_000n);
    const ours = await world.wallet(100_000n);
    const merchantBefore = await world.usdc(world.merchant);
    const feePayerBefore = await world.lamports(world.feePayer.publicKey.toBase58());

    const signer = await createKeyPairSignerFromBytes(official.secretKey);
    const client = new x402Client().register(NETWORK, new ExactSvmScheme(signer, { rpcUrl: world.rpcUrl }));
    const officialFetch = wrapFetchWithPayment(fetch, client);
    const first = await officialFetch(`${world.url}/weather`);
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ path: "/weather", report: "sunny" });
    const officialReceipt = parseV2PaymentResponse(first.headers.get(PAYMENT_RESPONSE_HEADER));

    const journal = new MemoryJournal();
    const paid: string[] = [];
    const specyardFetch = payingFetchV2(undefined, {
      connection: world.connection,
      payer: ours,
      journal,
      policy: { maxPerPayment: 50_000n, budget: 100_000n, treasuryOwner: world.merchant },
      onPaid: (entry) => paid.push(entry.intentId),
    });
    const second = await specyardFetch(`${world.url}/weather`);
    expect(second.status).toBe(200);
    expect(await second.json()).toEqual({ path: "/weather", report: "sunny" });
    const ourReceipt = parseV2PaymentResponse(second.headers.get(PAYMENT_RESPONSE_HEADER));

    for (const [receipt, wallet] of [
      [officialReceipt, official],
      [ourReceipt, ours],
    ] as const) {
      expect(receipt).toMatchObject({ success: true, network: NETWORK, payer: wallet.publicKey.toBase58() });
      const tx = await landed(receipt?.transaction ?? "");
      expect(tx.err).toBeNull();
      expect(tx.feePayer).toBe(world.feePayer.publicKey.toBase58());
      const source = getAssociatedTokenAddressSync(USDC, wallet.publicKey).toBase58();
      const destination = getAssociatedTokenAddressSync(USDC, new PublicKey(world.merchant), true).toBase58();
      expect(tx.transfers).toEqual([
        {
          kind: 12,
          amount: PRICE,
          accounts: [source, USDC.toBase58(), destination, wallet.publicKey.toBase58()],
        },
      ]);
      expect(await world.usdc(wallet.publicKey.toBase58())).toBe(100_000n - PRICE);
      expect(await world.lamports(wallet.publicKey.toBase58())).toBe(1_000_000_000);
    }
    expect(await world.usdc(world.merchant)).toBe(merchantBefore + 2n * PRICE);
    expect(await world.lamports(world.feePayer.publicKey.toBase58())).toBeLessThan(feePayerBefore);
    expect(world.facilitator.verified).toBeGreaterThanOrEqual(2);
    expect(world.facilitator.settled.map((s) => s.success)).toEqual([true, true]);
    expect(paid).toHaveLength(1);
    const [entry] = await journal.list();
    expect(entry).toMatchObject({
      status: "credited",
      amount: PRICE.toString(),
      signature: ourReceipt?.transaction,
    });
  });

  it("asks onBeforePay of the same policy before signing, with the amount and the account credited", async () => {
    const wallet = await world.wallet(100_000n);
    const seen: { amount: bigint; payTo: string; network: string }[] = [];
    const pay = payingFetchV2(undefined, {
      connection: world.connection,
      payer: wallet,
      journal: new MemoryJournal(),
      policy: {
        maxPerPayment: 50_000n,
        budget: 100_000n,
        treasuryOwner: world.merchant,
        onBeforePay: (option) => {
          seen.push({ amount: option.amount, payTo: option.payTo, network: option.network });
          return false;
        },
      },
    });
    await expect(pay(`${world.url}/news`)).rejects.toMatchObject({ field: "payment", rule: "onBeforePay" });
    const credited = getAssociatedTokenAddressSync(USDC, new PublicKey(world.merchant), true).toBase58();
    expect(seen).toEqual([{ amount: PRICE, payTo: credited, network: NETWORK }]);
    expect(await world.usdc(wallet.publicKey.toBase58())).toBe(100_000n);
  });
});
