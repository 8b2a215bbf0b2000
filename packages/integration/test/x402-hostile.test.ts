/**
 * `payingFetch` against a hostile proxy in front of the real Pipe sandbox: the `Payment-Signature`
 * resend stalls, sends headers and then nothing, or drips — after the sandbox credited it. The call
 * ends with `TimeoutError` by its deadline; the payment is journaled, and `resumePayments` finishes
 * it without a second transfer.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getAccount, getAssociatedTokenAddressSync } from "@solana/spl-token";
import { PublicKey } from "@solana/web3.js";
import { TimeoutError } from "@specyard/http";
import { type PayingFetchOptions, payingFetch, resumePayments, USDC_MINT } from "@specyard/x402";
import { FileJournal } from "@specyard/x402/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agent, countingSigner, type PipeWorld, pipeWorld } from "./pipe-world.js";
import { type HostileProxy, type Misbehaviour, startHostileProxy } from "./topup-proxy.js";

const DEADLINE_MS = 1_500;
/** Settling later than deadline + this is a hang (the target is + 1 s; CI machines are slow). */
const HANG_GUARD_MS = 5_000;

let world: PipeWorld;
let api: HostileProxy;
beforeAll(async () => {
  world = await pipeWorld();
  api = await startHostileProxy(world.sandbox.url);
});
afterAll(async () => {
  await api?.close();
  await world?.sandbox.close();
});

async function usdc(owner: PublicKey): Promise<bigint> {
  const ata = getAssociatedTokenAddressSync(new PublicKey(USDC_MINT), owner);
  return (await getAccount(world.connection, ata)).amount;
}

async function settled<T>(work: Promise<T>, deadlineMs: number): Promise<T | unknown> {
  let guard: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<"hung">((resolve) => {
    guard = setTimeout(() => resolve("hung"), deadlineMs + HANG_GUARD_MS);
  });
  const outcome = await Promise.race([work.catch((error: unknown) => error), hung]);
  clearTimeout(guard);
  return outcome;
}

async function setup() {
  const { wallet, appKey } = await agent(world, 10_000_000n);
  const signer = countingSigner(wallet);
  const journal = new FileJournal(join(mkdtempSync(join(tmpdir(), "x402-hostile-")), "journal.json"));
  const authed = (request: Request) => {
    request.headers.set("authorization", `ApiKey ${appKey}`);
    return fetch(request);
  };
  const options: PayingFetchOptions = {
    connection: world.connection,
    payer: signer,
    policy: { maxPerPayment: 5_000_000n, budget: 50_000_000n, treasuryOwner: world.treasury.owner },
    journal,
    pollIntervalMs: 20,
    secrets: [appKey],
  };
  const request = () =>
    new Request(`${api.url}/api/credits/x402`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ amount_usdc_raw: 2_000_000 }),
    });
  return { wallet, appKey, signer, journal, authed, options, request };
}

describe("payingFetch when the server misbehaves after the transfer landed", () => {
  it.each<Misbehaviour>(["stall", "headers", "drip", "drip-body"])(
    "%s at the resend: TimeoutError by the deadline; resumePayments finishes it, paid once",
    async (fault) => {
      const { wallet, appKey, signer, journal, authed, options, request } = await setup();
      const before = await usdc(wallet.publicKey);
      api.clear();
      api.script({ step: "resend", fault });
      const pay = payingFetch(authed, { ...options, deadlineMs: DEADLINE_MS });
      const outcome = await settled(pay(request()), DEADLINE_MS);
      expect(outcome).toBeInstanceOf(TimeoutError);
      expect((outcome as Error).message).not.toContain(appKey);
      api.clear();
      const [entry] = await journal.list();
      expect(entry?.status).toBe("confirmed");

      const resumed = await resumePayments(authed, options);
      expect(resumed.map((r) => r.status)).toEqual([200]);
      expect((await journal.list())[0]?.status).toBe("credited");
      expect(await resumePayments(authed, options)).toEqual([]);
      expect(before - (await usdc(wallet.publicKey))).toBe(2_000_000n);
      expect(signer.signed).toBe(1);
    },
  );

  it("stalls at the first call: TimeoutError by the deadline, nothing signed", async () => {
    const { signer, journal, authed, options, request } = await setup();
    api.clear();
    api.script({ step: "ask", fault: "stall", forward: false });
    const outcome = await settled(
      payingFetch(authed, { ...options, deadlineMs: DEADLINE_MS })(request()),
      DEADLINE_MS,
    );
    api.clear();
    expect(outcome).toBeInstanceOf(TimeoutError);
    expect(signer.signed).toBe(0);
    expect(await journal.list()).toEqual([]);
  });
});
