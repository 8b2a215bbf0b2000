/**
 * The sandbox ledger behaves as Solana where x402 v2 relies on it: a settled payment sent again is
 * "already processed" by its message (a fresh facilitator, whose settlement cache is empty, cannot
 * settle it twice), and a signed payment whose blockhash expired — the sandbox clock moved ~150
 * slots on — is rejected; specyard then pays afresh, once.
 */
import { createKeyPairSignerFromBytes } from "@solana/kit";
import { MemoryJournal } from "@specyard/x402";
import { PAYMENT_SIGNATURE_HEADER, payingFetchV2 } from "@specyard/x402/v2";
import { x402Client } from "@x402/core/client";
import type { PaymentPayload, PaymentRequired } from "@x402/core/types";
import { ExactSvmScheme } from "@x402/svm/exact/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countingSigner } from "./x402-v2-hostile.js";
import {
  NETWORK,
  PRICE,
  referenceFacilitator,
  refusedHosts,
  type V2World,
  v2World,
} from "./x402-v2-world.js";

let world: V2World;

beforeAll(async () => {
  world = await v2World();
});

afterAll(async () => {
  await world?.close();
  expect(refusedHosts).toEqual([]);
});

const decode = <T>(header: string): T => JSON.parse(Buffer.from(header, "base64").toString("utf8")) as T;

function specyard(wallet: Parameters<typeof countingSigner>[0], sent: string[] = []) {
  const signer = countingSigner(wallet);
  const journal = new MemoryJournal();
  const pay = payingFetchV2(
    async (request) => {
      const header = request.headers.get(PAYMENT_SIGNATURE_HEADER);
      if (header) sent.push(header);
      return fetch(request);
    },
    {
      connection: world.connection,
      payer: signer,
      journal,
      policy: { maxPerPayment: 50_000n, budget: 500_000n, treasuryOwner: world.merchant },
    },
  );
  return { signer, journal, pay };
}

describe("the sandbox ledger under x402 v2", () => {
  it("rejects an already settled payment again as already processed, to a fresh facilitator too", async () => {
    const wallet = await world.wallet(100_000n);
    const sent: string[] = [];
    const { pay } = specyard(wallet, sent);
    expect((await pay(`${world.url}/weather`)).status).toBe(200);
    const merchant = await world.usdc(world.merchant);
    const payload = decode<PaymentPayload>(sent[0] ?? "");

    const fresh = await referenceFacilitator(world, world.feePayer);
    const verdict = await fresh.verify(payload, payload.accepted);
    expect(verdict.isValid).toBe(false);
    expect(JSON.stringify(verdict)).toMatch(/AlreadyProcessed/);
    expect((await fresh.settle(payload, payload.accepted)).success).toBe(false);
    const replay = await fetch(`${world.url}/weather`, {
      headers: { [PAYMENT_SIGNATURE_HEADER]: sent[0] ?? "" },
    });
    expect(replay.status).toBe(402);

    expect(await world.usdc(wallet.publicKey.toBase58())).toBe(100_000n - PRICE);
    expect(await world.usdc(world.merchant)).toBe(merchant);
  });

  it("rejects a signed payment once the sandbox clock has moved its blockhash out of date", async () => {
    const wallet = await world.wallet(100_000n);
    const unpaid = await fetch(`${world.url}/news`);
    const required = decode<PaymentRequired>(unpaid.headers.get("PAYMENT-REQUIRED") ?? "");
    const signer = await createKeyPairSignerFromBytes(wallet.secretKey);
    const client = new x402Client().register(NETWORK, new ExactSvmScheme(signer, { rpcUrl: world.rpcUrl }));
    const payload = await client.createPaymentPayload(required);
    const fresh = await referenceFacilitator(world, world.feePayer);
    expect((await fresh.verify(payload, payload.accepted)).isValid).toBe(true);

    world.sandbox.admin.clock.advance(61_000); // 152 slots of 400 ms: past the 150-slot lifetime
    const verdict = await fresh.verify(payload, payload.accepted);
    expect(verdict.isValid).toBe(false);
    expect(JSON.stringify(verdict)).toMatch(/BlockhashNotFound/);
    const header = Buffer.from(JSON.stringify(payload)).toString("base64");
    const late = await fetch(`${world.url}/news`, { headers: { [PAYMENT_SIGNATURE_HEADER]: header } });
    expect(late.status).toBe(402);
    expect(await world.usdc(wallet.publicKey.toBase58())).toBe(100_000n);
  });

  it("pays afresh, once, when its journaled payment expired without landing", async () => {
    const wallet = await world.wallet(100_000n);
    const { signer, journal, pay } = specyard(wallet);
    // The server takes the payment and never settles it.
    world.layers.set("/b", (req, res, next) => {
      if (req.headers["payment-signature"]) res.status(503).json({ error: "busy" });
      else next();
    });
    expect((await pay(`${world.url}/b`)).status).toBe(503);
    expect((await journal.list()).map((e) => e.status)).toEqual(["sent"]);
    // Still live: asked again, the same payment is resent, nothing new is signed.
    expect((await pay(`${world.url}/b`)).status).toBe(503);
    expect(signer.signed).toBe(1);

    world.layers.delete("/b");
    world.sandbox.admin.clock.advance(61_000);
    const answer = await pay(`${world.url}/b`);
    expect(answer.status).toBe(200);
    expect(signer.signed).toBe(2);
    expect((await journal.list()).map((e) => e.status).sort()).toEqual(["credited", "failed"]);
    expect(await world.usdc(wallet.publicKey.toBase58())).toBe(100_000n - PRICE);
  });
});
