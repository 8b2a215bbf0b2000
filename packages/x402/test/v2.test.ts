/**
 * x402 v2 without a network: the PAYMENT-REQUIRED parser, the checks made before the key is used,
 * and the `exact` transaction as the reference facilitator verifies it (compute limit, compute
 * price, one TransferChecked; the facilitator as fee payer, its signature left empty).
 */
import {
  ComputeBudgetProgram,
  Keypair,
  PublicKey,
  type Transaction,
  VersionedTransaction,
} from "@solana/web3.js";
import { describe, expect, it } from "vitest";
import { PaymentRefusedError, type SpendingPolicy, USDC_MINT } from "../src/index.js";
import {
  buildExact,
  chooseV2,
  encodeV2PaymentSignature,
  isV2PaymentRequired,
  MAX_COMPUTE_UNIT_PRICE_MICROLAMPORTS,
  parseV2PaymentRequired,
  parseV2PaymentResponse,
  SOLANA_MAINNET,
  type V2Plan,
} from "../src/v2/index.js";

const merchant = Keypair.generate().publicKey.toBase58();
const feePayer = Keypair.generate().publicKey.toBase58();
const payer = Keypair.generate();
const URL_ = "https://api.example.com/weather";
const encode = (doc: unknown) => Buffer.from(JSON.stringify(doc)).toString("base64");
const requirement = (extra: Record<string, unknown> = { feePayer }, more: Record<string, unknown> = {}) => ({
  scheme: "exact",
  network: SOLANA_MAINNET,
  amount: "10000",
  asset: USDC_MINT,
  payTo: merchant,
  maxTimeoutSeconds: 60,
  extra,
  ...more,
});
const challenge = (accepts: unknown[] = [requirement()], url = URL_) =>
  encode({ x402Version: 2, resource: { url }, accepts });
const policy: SpendingPolicy = { maxPerPayment: 50_000n, budget: 100_000n, treasuryOwner: merchant };

function refusal(work: () => unknown): { field: string; rule: string } {
  try {
    work();
  } catch (error) {
    expect(error).toBeInstanceOf(PaymentRefusedError);
    return { field: (error as PaymentRefusedError).field, rule: (error as PaymentRefusedError).rule };
  }
  throw new Error("not refused");
}

const choose = (accepts: unknown[], url = URL_, spent = 0n, p = policy) =>
  chooseV2(
    parseV2PaymentRequired(challenge(accepts, url)).accepts,
    url,
    URL_,
    p,
    spent,
    payer.publicKey.toBase58(),
  );

describe("PAYMENT-REQUIRED", () => {
  it("tells v2 from Pipe's own flavour and parses amounts as bigint", () => {
    expect(isV2PaymentRequired(challenge())).toBe(true);
    expect(isV2PaymentRequired(encode({ x402Version: 1, accepts: [] }))).toBe(false);
    const pipe = {
      scheme: "exact",
      network: "solana",
      extra: { intent_id: "i-1", reference_pubkey: feePayer },
    };
    expect(isV2PaymentRequired(encode({ x402Version: 2, resource: { url: URL_ }, accepts: [pipe] }))).toBe(
      false,
    );
    expect(parseV2PaymentRequired(challenge()).accepts[0]?.amount).toBe(10_000n);
  });

  it("refuses malformed documents, naming the field", () => {
    expect(refusal(() => parseV2PaymentRequired("not base64!"))).toMatchObject({ rule: "format" });
    expect(
      refusal(() => parseV2PaymentRequired(encode({ x402Version: 2, resource: {}, accepts: [] }))),
    ).toEqual({
      field: "resource.url",
      rule: "format",
    });
    expect(
      refusal(() => parseV2PaymentRequired(challenge([requirement({ feePayer }, { amount: "1.5" })]))),
    ).toEqual({ field: "accepts[0].amount", rule: "format" });
    expect(
      refusal(() => parseV2PaymentRequired(challenge([requirement({ feePayer }, { payTo: "0xabc" })]))),
    ).toEqual({ field: "accepts[0].payTo", rule: "format" });
    expect(refusal(() => parseV2PaymentRequired("A".repeat(20_000)))).toMatchObject({ rule: "size" });
  });

  it("reads PAYMENT-RESPONSE and ignores what is not one", () => {
    const receipt = { success: true, transaction: "sig", network: SOLANA_MAINNET, payer: "p" };
    expect(parseV2PaymentResponse(encode(receipt))).toEqual(receipt);
    expect(parseV2PaymentResponse(encode({ hello: 1 }))).toBeUndefined();
    expect(parseV2PaymentResponse(null)).toBeUndefined();
  });
});

describe("checks before the key is used", () => {
  it("allows the reference server's requirement", () => {
    expect(choose([requirement()])).toMatchObject({ feePayer, computeUnitPrice: 1n });
  });

  it("refuses a resource or a payee of another request", () => {
    expect(refusal(() => choose([requirement()], "https://api.example.com/other"))).toEqual({
      field: "resource.url",
      rule: "sameResource",
    });
    const other = Keypair.generate().publicKey.toBase58();
    expect(refusal(() => choose([requirement({ feePayer }, { payTo: other })]))).toEqual({
      field: "payTo",
      rule: "treasuryOwner",
    });
  });

  it("refuses the payer as fee payer, a compute price over the cap, a memo and unknown fields", () => {
    const self = payer.publicKey.toBase58();
    expect(refusal(() => choose([requirement({ feePayer: self })]))).toEqual({
      field: "extra.feePayer",
      rule: "notPayer",
    });
    const over = (MAX_COMPUTE_UNIT_PRICE_MICROLAMPORTS + 1n).toString();
    expect(refusal(() => choose([requirement({ feePayer, computeUnitPrice: over })]))).toEqual({
      field: "extra.computeUnitPrice",
      rule: "cap",
    });
    const atCap = MAX_COMPUTE_UNIT_PRICE_MICROLAMPORTS.toString();
    expect(choose([requirement({ feePayer, computeUnitPrice: atCap })]).computeUnitPrice).toBe(5_000_000n);
    expect(refusal(() => choose([requirement({ feePayer, memo: "order-1" })]))).toEqual({
      field: "extra.memo",
      rule: "memo",
    });
    expect(refusal(() => choose([requirement({ feePayer, remainingAccounts: [merchant] })]))).toEqual({
      field: "extra.remainingAccounts",
      rule: "known",
    });
    expect(refusal(() => choose([requirement({})]))).toEqual({ field: "extra.feePayer", rule: "format" });
  });

  it("applies the shared policy: network, mint, cap and budget", () => {
    expect(refusal(() => choose([requirement({ feePayer }, { network: "solana:devnet" })]))).toMatchObject({
      field: "network",
    });
    expect(refusal(() => choose([requirement({ feePayer }, { asset: feePayer })]))).toMatchObject({
      field: "asset",
    });
    expect(refusal(() => choose([requirement({ feePayer }, { amount: "50001" })]))).toMatchObject({
      rule: "maxPerPayment",
    });
    expect(refusal(() => choose([requirement()], URL_, 95_000n))).toMatchObject({ rule: "budget" });
  });
});

describe("the exact transaction", () => {
  const blockhash = { blockhash: Keypair.generate().publicKey.toBase58(), lastValidBlockHeight: 200 };
  const plan = (): V2Plan => choose([requirement()]);
  const program = new PublicKey("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA");

  it("holds the compute budget and one TransferChecked, signed by the payer only", async () => {
    const built = await buildExact(plan(), program, payer, blockhash);
    const tx = VersionedTransaction.deserialize(Buffer.from(built.transaction, "base64"));
    const keys = tx.message.staticAccountKeys.map(String);
    expect(keys[0]).toBe(feePayer);
    expect(tx.message.header.numRequiredSignatures).toBe(2);
    expect(tx.signatures[0]?.every((b) => b === 0)).toBe(true);
    const programs = tx.message.compiledInstructions.map((ix) => keys[ix.programIdIndex]);
    const budget = ComputeBudgetProgram.programId.toBase58();
    expect(programs).toEqual([budget, budget, program.toBase58()]);
    const [limit, price, transfer] = tx.message.compiledInstructions;
    expect(limit?.data[0]).toBe(2);
    expect(price?.data[0]).toBe(3);
    expect(Buffer.from(price?.data ?? []).readBigUInt64LE(1)).toBe(1n);
    expect(transfer?.data[0]).toBe(12);
    expect(Buffer.from(transfer?.data ?? []).readBigUInt64LE(1)).toBe(10_000n);
    const header = JSON.parse(
      Buffer.from(
        encodeV2PaymentSignature(parseV2PaymentRequired(challenge()), plan().requirement, built.transaction),
        "base64",
      ).toString(),
    );
    expect(header).toMatchObject({
      x402Version: 2,
      accepted: requirement(),
      payload: { transaction: built.transaction },
    });
  });

  it("refuses what a wallet changed while signing", async () => {
    const wallet = {
      publicKey: payer.publicKey,
      signTransaction(tx: Transaction) {
        tx.add(ComputeBudgetProgram.setComputeUnitPrice({ microLamports: 1 }));
        tx.partialSign(payer);
        return tx;
      },
    };
    await expect(buildExact(plan(), program, wallet, blockhash)).rejects.toMatchObject({
      field: "transaction",
      rule: "unchanged",
    });
  });
});
