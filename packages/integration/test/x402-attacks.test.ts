/**
 * The attack battery on Pipe's flavour of x402, against the real Pipe sandbox and its ledger, one
 * test each (the v2 battery is `x402-v2-attacks.test.ts`). The hostile parts sit in the `baseFetch`
 * between `payingFetch` and the sandbox: the sandbox answers for real, and the attack rewrites or
 * replaces what it said. A refusal must come before the key signs (the signer counts), and no
 * attack may move more money than was asked (the ledger's balances say).
 */
import { getAccount, getAssociatedTokenAddressSync } from "@solana/spl-token";
import { Keypair, PublicKey, type Transaction } from "@solana/web3.js";
import { TimeoutError } from "@specyard/http";
import {
  MemoryJournal,
  type PayingFetchOptions,
  PaymentFailedError,
  PaymentRefusedError,
  parsePaymentRequired,
  payingFetch,
  payOption,
  resumePayments,
  type TransactionSigner,
  USDC_MINT,
} from "@specyard/x402";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agent, type PipeWorld, pipeWorld } from "./pipe-world.js";

let world: PipeWorld;
beforeAll(async () => {
  world = await pipeWorld();
});
afterAll(() => world?.sandbox.close());

type Doc = { resource: { url: string }; accepts: Array<Record<string, unknown>> } & Record<string, unknown>;
const decode = (value: string) => JSON.parse(Buffer.from(value, "base64").toString("utf8")) as Doc;
const encode = (doc: Doc) => Buffer.from(JSON.stringify(doc)).toString("base64");

/** A real signer that keeps every transaction it signs. */
function recordingSigner(wallet: Keypair): TransactionSigner & { signed: Transaction[] } {
  const signer = {
    publicKey: wallet.publicKey,
    signed: [] as Transaction[],
    signTransaction(transaction: Transaction) {
      transaction.partialSign(wallet);
      signer.signed.push(transaction);
      return transaction;
    },
  };
  return signer;
}

async function usdc(owner: PublicKey): Promise<bigint> {
  const ata = getAssociatedTokenAddressSync(new PublicKey(USDC_MINT), owner);
  return (await getAccount(world.connection, ata)).amount;
}

/** The sandbox with this app key; `attack` may rewrite or replace each answer. */
function through(
  appKey: string,
  attack: (request: Request, answer: Response) => Response | Promise<Response> = (_q, a) => a,
) {
  return async (request: Request) => {
    request.headers.set("authorization", `ApiKey ${appKey}`);
    const sent = request.clone();
    return attack(sent, await fetch(request));
  };
}

/** A 402 whose `Payment-Required` document went through `mutate`. */
function rewritten(answer: Response, mutate: (doc: Doc) => void): Response {
  const header = answer.headers.get("Payment-Required");
  if (answer.status !== 402 || !header) return answer;
  const doc = decode(header);
  mutate(doc);
  const headers = new Headers(answer.headers);
  headers.set("Payment-Required", encode(doc));
  return new Response(answer.body, { status: 402, headers });
}

async function payer(usdcRaw = 10_000_000n, budget = 50_000_000n) {
  const { wallet, appKey } = await agent(world, usdcRaw);
  const signer = recordingSigner(wallet);
  const journal = new MemoryJournal();
  const options: PayingFetchOptions = {
    connection: world.connection,
    payer: signer,
    journal,
    policy: { maxPerPayment: 5_000_000n, budget, treasuryOwner: world.treasury.owner },
    pollIntervalMs: 20,
    secrets: [appKey],
  };
  const before = await usdc(wallet.publicKey);
  const spent = async () => before - (await usdc(wallet.publicKey));
  return { wallet, appKey, signer, journal, options, spent };
}

const topUp = (amount: number, url = `${world.sandbox.url}/api/credits/x402`) =>
  new Request(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ amount_usdc_raw: amount }),
  });

async function failure(work: Promise<unknown>): Promise<unknown> {
  return work.then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe("x402 attack battery, Pipe's flavour", () => {
  it("refuses a 402 naming another request's resource or payee (cross-resource substitution)", async () => {
    const { appKey, signer, journal, options, spent } = await payer();
    const elsewhere = through(appKey, (_q, a) =>
      rewritten(a, (doc) => {
        doc.resource.url = doc.resource.url.replace("/api/credits/x402", "/api/credits/other");
      }),
    );
    expect(await failure(payingFetch(elsewhere, options)(topUp(1_000_000)))).toMatchObject({
      name: "PaymentRefusedError",
      field: "resource.url",
      rule: "sameResource",
    });

    // Another customer's USDC account as the payee: a real token account of the right mint.
    const other = (await world.sandbox.admin.act("fundWallet", {
      address: Keypair.generate().publicKey.toBase58(),
      usdcRaw: "1",
    })) as { usdcAccount: string };
    const { appKey: key2, signer: signer2, options: options2, spent: spent2 } = await payer();
    const payee = through(key2, (_q, a) =>
      rewritten(a, (doc) => {
        for (const option of doc.accepts) option.payTo = other.usdcAccount;
      }),
    );
    expect(await failure(payingFetch(payee, options2)(topUp(1_000_000)))).toMatchObject({
      field: "payTo",
      rule: "treasuryOwner",
    });
    expect(signer.signed).toHaveLength(0);
    expect(signer2.signed).toHaveLength(0);
    expect(await journal.list()).toEqual([]);
    expect(await spent()).toBe(0n);
    expect(await spent2()).toBe(0n);
  });

  it("pays once for two concurrent calls for one resource", async () => {
    // A gateway that gives each caller its own intent (two app keys behind one URL): without
    // sharing, two identical calls would pay two intents.
    const { appKey, signer, journal, options, spent } = await payer();
    const { appKey: second } = await agent(world, 0n);
    const keyOf = new Map<string, string>();
    let firstCalls = 0;
    const gateway = async (request: Request) => {
      const signature = request.headers.get("Payment-Signature");
      const intent = signature
        ? (JSON.parse(Buffer.from(signature, "base64").toString("utf8")) as { intent_id: string }).intent_id
        : undefined;
      const key = intent ? (keyOf.get(intent) ?? appKey) : firstCalls++ % 2 === 0 ? appKey : second;
      request.headers.set("authorization", `ApiKey ${key}`);
      const answer = await fetch(request);
      const header = answer.headers.get("Payment-Required");
      if (answer.status === 402 && header) {
        for (const option of parsePaymentRequired(header).accepts) keyOf.set(option.extra.intent_id, key);
      }
      return answer;
    };
    const pay = payingFetch(gateway, options);
    const answers = await Promise.all([pay(topUp(2_000_000)), pay(topUp(2_000_000))]);
    expect(firstCalls).toBe(2);
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    const bodies = (await Promise.all(answers.map((a) => a.json()))) as Array<{ intent_id: string }>;
    expect(bodies[0]?.intent_id).toBe(bodies[1]?.intent_id);
    expect(signer.signed).toHaveLength(1);
    expect(await spent()).toBe(2_000_000n);
    expect((await journal.list()).map((e) => e.status)).toEqual(["credited"]);

    // Two payments of one intent started at once (two processes' worth of callers sharing a
    // journal): the journal's lock lets one transfer be built.
    const { appKey: third, signer: signer3, options: options3, spent: spent3 } = await payer();
    const ask = await through(third)(topUp(1_000_000));
    const [option] = parsePaymentRequired(ask.headers.get("Payment-Required")).accepts;
    if (!option) throw new Error("the sandbox offered no option");
    const paid = await Promise.all([payOption(option, options3), payOption(option, options3)]);
    expect(paid[0]?.signature).toBe(paid[1]?.signature);
    expect(signer3.signed).toHaveLength(1);
    expect(await spent3()).toBe(1_000_000n);
  });

  it("keeps concurrent payments within the budget (the budget is atomic)", async () => {
    // One wallet and journal pays for three accounts at once; the budget allows two.
    const { appKey, signer, journal, options, spent } = await payer(10_000_000n, 4_500_000n);
    const others = await Promise.all([agent(world, 0n), agent(world, 0n)]);
    const keys = [appKey, ...others.map((o) => o.appKey)];
    const results = await Promise.allSettled(
      keys.map((key) => payingFetch(through(key), options)(topUp(2_000_000))),
    );
    const fulfilled = results.filter((r) => r.status === "fulfilled");
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(fulfilled).toHaveLength(2);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]?.reason).toBeInstanceOf(PaymentRefusedError);
    expect(rejected[0]?.reason).toMatchObject({ field: "amount", rule: "budget" });
    expect(signer.signed).toHaveLength(2);
    expect(await spent()).toBe(4_000_000n);
    expect(await journal.list()).toHaveLength(2);
  });

  it("signs only the transfer, whatever extra fields ask for (memo, accounts, another fee payer)", async () => {
    const { wallet, appKey, signer, options, spent } = await payer();
    const stranger = Keypair.generate().publicKey.toBase58();
    const greedy = through(appKey, (_q, a) =>
      rewritten(a, (doc) => {
        for (const option of doc.accepts) {
          Object.assign(option.extra as Record<string, unknown>, {
            memo: "also sign this",
            remainingAccounts: [stranger],
            feePayer: stranger,
          });
        }
      }),
    );
    const answer = await payingFetch(greedy, options)(topUp(1_500_000));
    expect(answer.status).toBe(200);
    expect(signer.signed).toHaveLength(1);
    const [transaction] = signer.signed;
    expect(transaction?.feePayer?.toBase58()).toBe(wallet.publicKey.toBase58());
    expect(transaction?.instructions).toHaveLength(1);
    const [transfer] = transaction?.instructions ?? [];
    expect(transfer?.programId.toBase58()).toBe("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA");
    expect(transfer?.keys.map((k) => k.pubkey.toBase58())).not.toContain(stranger);
    expect(transfer?.keys.filter((k) => k.isSigner).map((k) => k.pubkey.toBase58())).toEqual([
      wallet.publicKey.toBase58(),
    ]);
    expect(await spent()).toBe(1_500_000n);
  });

  it("pays nothing new when the server credited and then timed out, and the call is resumed", async () => {
    const { appKey, signer, journal, options, spent } = await payer();
    let stalled = 0;
    const stall = through(appKey, async (request, answer) => {
      if (!request.headers.has("Payment-Signature")) return answer;
      stalled++;
      await answer.body?.cancel();
      // Credited by the sandbox; the answer never comes.
      return new Promise<Response>(() => undefined);
    });
    const first = await failure(payingFetch(stall, { ...options, deadlineMs: 1_500 })(topUp(2_500_000)));
    expect(first).toBeInstanceOf(TimeoutError);
    expect(stalled).toBe(1);
    const resumed = await resumePayments(through(appKey), options);
    expect(resumed.map((r) => r.status)).toEqual([200]);
    expect(await resumePayments(through(appKey), options)).toEqual([]);
    expect(signer.signed).toHaveLength(1);
    expect(await spent()).toBe(2_500_000n);
    expect((await journal.list()).map((e) => e.status)).toEqual(["credited"]);
  });

  it("neither loops nor pays again when a 402 answers the payment", async () => {
    const { appKey, signer, journal, options, spent } = await payer();
    let challenge = "";
    let resends = 0;
    const again = through(appKey, async (request, answer) => {
      if (!request.headers.has("Payment-Signature")) {
        challenge = answer.headers.get("Payment-Required") ?? challenge;
        return answer;
      }
      resends++;
      await answer.body?.cancel();
      return new Response("{}", { status: 402, headers: { "Payment-Required": challenge } });
    });
    const error = await failure(payingFetch(again, options)(topUp(3_000_000)));
    expect(error).toBeInstanceOf(PaymentFailedError);
    expect(String((error as Error).message)).toMatch(/not paid again/);
    expect(resends).toBe(1);
    expect(signer.signed).toHaveLength(1);
    expect(await spent()).toBe(3_000_000n);
    expect((await journal.list()).map((e) => e.status)).toEqual(["confirmed"]);
    // Resumed against the same hostile server: resent once more, still not paid again.
    expect((await resumePayments(again, options)).map((r) => r.status)).toEqual([402]);
    expect(resends).toBe(2);
    expect(signer.signed).toHaveLength(1);
    expect(await spent()).toBe(3_000_000n);
  });
});
