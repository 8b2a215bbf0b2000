/**
 * The attack battery on x402 v2, against the reference server and facilitator on the sandbox
 * ledger, one test each. A refusal must come before the key signs (the signer counts), and no
 * attack may move more money than the payments asked for (the ledger's balances say).
 */
import { MemoryJournal, PaymentFailedError, PaymentRefusedError, type SpendingPolicy } from "@specyard/x402";
import { type PayingFetchV2Options, payingFetchV2 } from "@specyard/x402/v2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countingSigner, rewriteChallenge, settleThen402, settleThenStall } from "./x402-v2-hostile.js";
import { PRICE, refusedHosts, type V2World, v2World } from "./x402-v2-world.js";

let world: V2World;

beforeAll(async () => {
  world = await v2World();
});

afterAll(async () => {
  await world?.close();
  expect(refusedHosts).toEqual([]);
});

/** A funded payer, specyard's paying fetch for it, and a way to read what it spent. */
async function payer(more: Partial<PayingFetchV2Options> = {}, policy: Partial<SpendingPolicy> = {}) {
  const wallet = await world.wallet(1_000_000n);
  const signer = countingSigner(wallet);
  const journal = new MemoryJournal();
  const pay = payingFetchV2(undefined, {
    connection: world.connection,
    payer: signer,
    journal,
    policy: { maxPerPayment: 50_000n, budget: 500_000n, treasuryOwner: world.merchant, ...policy },
    ...more,
  });
  const spent = async () => 1_000_000n - (await world.usdc(wallet.publicKey.toBase58()));
  return { wallet, signer, journal, pay, spent };
}

async function refused(work: Promise<unknown>): Promise<PaymentRefusedError> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PaymentRefusedError);
  return error as PaymentRefusedError;
}

/** Waits (bounded) until the facilitator has answered `count` settlements. */
async function settlements(count: number) {
  for (let i = 0; i < 200 && world.facilitator.settled.length < count; i++) {
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  expect(world.facilitator.settled.length).toBe(count);
}

describe("x402 v2 attack battery", () => {
  it("refuses a 402 naming another request's resource or payee (cross-resource substitution)", async () => {
    const { signer, pay, spent } = await payer();
    world.layers.set(
      "/news",
      rewriteChallenge((doc) => {
        doc.resource.url = doc.resource.url.replace("/news", "/weather");
      }),
    );
    expect(await refused(pay(`${world.url}/news`))).toMatchObject({
      field: "resource.url",
      rule: "sameResource",
    });
    const other = (await world.wallet(0n)).publicKey.toBase58();
    world.layers.set(
      "/news",
      rewriteChallenge((doc) => {
        for (const a of doc.accepts) a.payTo = other;
      }),
    );
    expect(await refused(pay(`${world.url}/news`))).toMatchObject({ field: "payTo", rule: "treasuryOwner" });
    world.layers.delete("/news");
    expect(signer.signed).toBe(0);
    expect(await spent()).toBe(0n);
  });

  it("pays once for two concurrent calls for one resource", async () => {
    const { signer, journal, pay, spent } = await payer();
    const settled = world.facilitator.settled.length;
    const answers = await Promise.all([pay(`${world.url}/news`), pay(`${world.url}/news`)]);
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    expect(await Promise.all(answers.map((a) => a.json()))).toEqual([
      { path: "/news", report: "sunny" },
      { path: "/news", report: "sunny" },
    ]);
    expect(signer.signed).toBe(1);
    expect(await spent()).toBe(PRICE);
    expect((await journal.list()).map((e) => e.status)).toEqual(["credited"]);
    expect(world.facilitator.settled.length).toBe(settled + 1);
  });

  it("keeps concurrent payments within the budget (the budget is atomic)", async () => {
    const { signer, pay, spent } = await payer({}, { budget: 2n * PRICE + 5_000n });
    const results = await Promise.allSettled(["/a", "/b", "/c"].map((path) => pay(`${world.url}${path}`)));
    const fulfilled = results.filter((r) => r.status === "fulfilled");
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(fulfilled).toHaveLength(2);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]?.reason).toBeInstanceOf(PaymentRefusedError);
    expect(rejected[0]?.reason).toMatchObject({ field: "amount", rule: "budget" });
    expect(signer.signed).toBe(2);
    expect(await spent()).toBe(2n * PRICE);
  });

  it("refuses extra.feePayer set to the payer itself, before signing", async () => {
    const { wallet, signer, pay, spent } = await payer();
    world.layers.set(
      "/weather",
      rewriteChallenge((doc) => {
        for (const a of doc.accepts) a.extra.feePayer = wallet.publicKey.toBase58();
      }),
    );
    expect(await refused(pay(`${world.url}/weather`))).toMatchObject({
      field: "extra.feePayer",
      rule: "notPayer",
    });
    world.layers.delete("/weather");
    expect(signer.signed).toBe(0);
    expect(await spent()).toBe(0n);
  });

  it("refuses a compute unit price over the reference cap, before signing", async () => {
    const { signer, pay, spent } = await payer();
    world.layers.set(
      "/weather",
      rewriteChallenge((doc) => {
        for (const a of doc.accepts) a.extra.computeUnitPrice = "5000001";
      }),
    );
    expect(await refused(pay(`${world.url}/weather`))).toMatchObject({
      field: "extra.computeUnitPrice",
      rule: "cap",
    });
    world.layers.delete("/weather");
    expect(signer.signed).toBe(0);
    expect(await spent()).toBe(0n);
  });

  it("refuses extra fields asking for a memo or extra accounts, before signing", async () => {
    const { signer, pay, spent } = await payer();
    world.layers.set(
      "/weather",
      rewriteChallenge((doc) => {
        for (const a of doc.accepts) a.extra.memo = "order 17";
      }),
    );
    expect(await refused(pay(`${world.url}/weather`))).toMatchObject({ field: "extra.memo", rule: "memo" });
    world.layers.set(
      "/weather",
      rewriteChallenge((doc) => {
        for (const a of doc.accepts) a.extra.remainingAccounts = [world.merchant];
      }),
    );
    expect(await refused(pay(`${world.url}/weather`))).toMatchObject({
      field: "extra.remainingAccounts",
      rule: "known",
    });
    world.layers.delete("/weather");
    expect(signer.signed).toBe(0);
    expect(await spent()).toBe(0n);
  });

  it("pays nothing new when the server settled and then timed out, and the call is made again", async () => {
    const { signer, journal, pay, spent } = await payer({ timeoutMs: 1_000, maxRetries: 0 });
    const stall = settleThenStall();
    world.layers.set("/slow", stall);
    const settled = world.facilitator.settled.length;
    const first = await pay(`${world.url}/slow`).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((first as Error | undefined)?.name).toBe("TimeoutError");
    await settlements(settled + 1);
    expect(world.facilitator.settled.at(-1)?.success).toBe(true);
    const again = await pay(`${world.url}/slow`).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(again).toBeInstanceOf(PaymentFailedError);
    expect(String((again as Error).message)).toMatch(/landed/);
    world.layers.delete("/slow");
    expect(stall.stalled).toBe(1);
    expect(signer.signed).toBe(1);
    expect(await spent()).toBe(PRICE);
    expect((await journal.list()).map((e) => e.status)).toEqual(["confirmed"]);
  });

  it("neither loops nor pays again when a 402 answers the payment", async () => {
    const { signer, pay, spent } = await payer();
    world.layers.set("/again", settleThen402());
    const hits = world.hits.get("/again") ?? 0;
    await expect(pay(`${world.url}/again`)).rejects.toBeInstanceOf(PaymentFailedError);
    expect(world.hits.get("/again")).toBe(hits + 2);
    expect(signer.signed).toBe(1);
    expect(await spent()).toBe(PRICE);
    // Called again: the journaled payment is resent once, no new one is signed.
    await expect(pay(`${world.url}/again`)).rejects.toBeInstanceOf(PaymentFailedError);
    expect(world.hits.get("/again")).toBe(hits + 4);
    expect(signer.signed).toBe(1);
    expect(await spent()).toBe(PRICE);
    world.layers.delete("/again");
  });
});
