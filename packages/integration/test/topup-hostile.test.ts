/**
 * `topUp` against a hostile Pipe: a proxy in front of the real sandbox that stalls, sends headers
 * and then nothing, or drips one byte a second — at the first POST, at the `Payment-Signature`
 * resend (after the sandbox credited it), at the intent poll — and a Solana RPC that stalls. Every
 * call ends with a typed `TimeoutError` by its deadline; a later call finishes the same top-up:
 * paid once, credited once. Then: typed, redacted errors, size limits, and the 409 cases.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getAccount, getAssociatedTokenAddressSync } from "@solana/spl-token";
import { Connection, PublicKey } from "@solana/web3.js";
import { AbortError, type ApiError, BadRequestError, type Logger, TimeoutError } from "@specyard/http";
import { type TopUpOptions, type TopUpStep, topUp } from "@specyard/pipe-storage/topup";
import {
  MemoryJournal,
  PaymentFailedError,
  PaymentRefusedError,
  parsePaymentRequired,
  payOption,
  ResponseTooLargeError,
  USDC_MINT,
} from "@specyard/x402";
import { FileJournal } from "@specyard/x402/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agent, countingSigner, type PipeWorld, pipeWorld } from "./pipe-world.js";
import { type HostileProxy, type Misbehaviour, type ProxyRule, startHostileProxy } from "./topup-proxy.js";

const AMOUNT = 2_000_000n;
const DEADLINE_MS = 1_500;
/**
 * How long after its deadline a call may take to settle before the test calls it hung. The target
 * is the deadline + 1 s; the guard is looser so that a loaded 2-core CI machine does not fail it —
 * what it catches is the ~300 s hang, not a few hundred ms of scheduling. Overshoots are printed.
 */
const HANG_GUARD_MS = 5_000;

let world: PipeWorld;
let api: HostileProxy;
let rpc: HostileProxy;
const overshoots: number[] = [];

beforeAll(async () => {
  world = await pipeWorld();
  api = await startHostileProxy(world.sandbox.url);
  rpc = await startHostileProxy(world.rpcUrl);
});
afterAll(async () => {
  if (overshoots.length)
    console.log(
      `topUp timeouts: ${overshoots.length} calls, past their deadline by at most ${Math.max(...overshoots)} ms`,
    );
  await api?.close();
  await rpc?.close();
  await world?.sandbox.close();
});

async function account(usdcRaw = 10_000_000n) {
  const { wallet, appKey } = await agent(world, usdcRaw);
  const journalPath = join(mkdtempSync(join(tmpdir(), "topup-")), "journal.json");
  return {
    wallet,
    appKey,
    signer: countingSigner(wallet),
    journalPath,
    journal: new FileJournal(journalPath),
  };
}
type Account = Awaited<ReturnType<typeof account>>;

function options(who: Account, more: Partial<TopUpOptions> = {}): TopUpOptions {
  return {
    baseUrl: api.url,
    appKey: who.appKey,
    connection: world.connection,
    payer: who.signer,
    policy: { maxPerPayment: 10_000_000n, budget: 100_000_000n, treasuryOwner: world.treasury.owner },
    journal: who.journal,
    pollIntervalMs: 20,
    ...more,
  };
}

async function usdc(owner: PublicKey): Promise<bigint> {
  const ata = getAssociatedTokenAddressSync(new PublicKey(USDC_MINT), owner);
  return (await getAccount(world.connection, ata)).amount;
}

/** The account as the sandbox itself says (not through the proxy). */
async function credits(appKey: string) {
  const answer = await fetch(`${world.sandbox.url}/api/credits/status`, {
    headers: { authorization: `ApiKey ${appKey}` },
  });
  return (await answer.json()) as {
    balance_usdc_raw: number;
    intent?: { intent_id: string; status: string };
  };
}

/** The outcome of `work` (its value or its error), or "hung" if it has not settled by the guard. */
async function settled<T>(work: Promise<T>, deadlineMs: number): Promise<T | unknown> {
  const started = performance.now();
  let guard: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<"hung">((resolve) => {
    guard = setTimeout(() => resolve("hung"), deadlineMs + HANG_GUARD_MS);
  });
  const outcome = await Promise.race([work.catch((error: unknown) => error), hung]);
  clearTimeout(guard);
  if (outcome !== "hung") overshoots.push(Math.max(0, Math.round(performance.now() - started - deadlineMs)));
  return outcome;
}

/** After the rerun: the money moved once, the credit landed once, nothing is left pending. */
async function expectPaidOnce(who: Account, before: bigint) {
  expect(before - (await usdc(who.wallet.publicKey))).toBe(AMOUNT);
  const status = await credits(who.appKey);
  expect(BigInt(status.balance_usdc_raw)).toBe(AMOUNT);
  expect(status.intent).toBeUndefined();
  expect(who.signer.signed).toBe(1);
}

const STEPS: Array<[string, (fault: Misbehaviour) => ProxyRule[], ProxyRule["step"]]> = [
  ["the first POST (the sandbox made the intent)", (fault) => [{ step: "ask", fault }], "ask"],
  [
    "the Payment-Signature resend (the sandbox credited it)",
    (fault) => [{ step: "resend", fault }],
    "resend",
  ],
  [
    "the intent poll (after a 202)",
    (fault) => [
      { step: "resend", fault: "accepted", times: 1 },
      { step: "poll", fault },
    ],
    "poll",
  ],
];
const FAULTS: Misbehaviour[] = ["stall", "headers", "drip", "drip-body"];

describe.each(STEPS)("a server that misbehaves at %s", (_, rules, step) => {
  it.each(FAULTS)(
    "%s: TimeoutError by the deadline, then the next call finishes the same top-up, paid once",
    async (fault) => {
      const who = await account();
      const before = await usdc(who.wallet.publicKey);
      api.clear();
      api.script(...rules(fault));
      const outcome = await settled(topUp(AMOUNT, options(who, { deadlineMs: DEADLINE_MS })), DEADLINE_MS);
      expect(outcome).toBeInstanceOf(TimeoutError);
      expect(api.faulted[step]).toBeGreaterThan(0);
      api.clear();
      const meanwhile = await credits(who.appKey);
      if (step === "ask") {
        // The sandbox made an intent the journal never heard of: the next call must adopt it.
        expect(meanwhile.intent?.status).toBe("pending");
        expect(who.signer.signed).toBe(0);
      } else {
        // The transfer landed and the sandbox credited it while the client saw nothing.
        expect(BigInt(meanwhile.balance_usdc_raw)).toBe(AMOUNT);
      }

      const result = await topUp(AMOUNT, options(who));
      expect(result).toMatchObject({ status: "credited", creditedRaw: AMOUNT });
      if (step === "ask") expect(result.intentId).toBe(meanwhile.intent?.intent_id);
      await expectPaidOnce(who, before);
      // The journal holds the payment, never the credential.
      expect(readFileSync(who.journalPath, "utf8")).not.toContain(who.appKey);
    },
  );
});

describe("a Solana RPC that stalls", () => {
  it.each([
    ["getSignatureStatuses", false],
    ["sendTransaction", true],
  ] as const)(
    "at %s: TimeoutError by the deadline; the next call confirms the same transfer",
    async (method, forward) => {
      const who = await account();
      const before = await usdc(who.wallet.publicKey);
      rpc.clear();
      rpc.script({ step: "rpc", method, fault: "stall", forward });
      const stalled = new Connection(rpc.url, "confirmed");
      const outcome = await settled(
        topUp(AMOUNT, options(who, { connection: stalled, deadlineMs: DEADLINE_MS })),
        DEADLINE_MS,
      );
      expect(outcome).toBeInstanceOf(TimeoutError);
      expect(rpc.faulted.rpc).toBeGreaterThan(0);
      rpc.clear();
      expect(await topUp(AMOUNT, options(who))).toMatchObject({ status: "credited", creditedRaw: AMOUNT });
      await expectPaidOnce(who, before);
    },
  );

  it("honours the caller's signal inside the confirmation loop: AbortError, and the transfer is resumed", async () => {
    const who = await account();
    const before = await usdc(who.wallet.publicKey);
    rpc.clear();
    rpc.script({ step: "rpc", method: "getSignatureStatuses", fault: "stall", forward: false });
    const controller = new AbortController();
    const onStep = (s: TopUpStep) => {
      if (s === "signed") setTimeout(() => controller.abort(), 50);
    };
    const outcome = await settled(
      topUp(
        AMOUNT,
        options(who, { connection: new Connection(rpc.url, "confirmed"), signal: controller.signal, onStep }),
      ),
      1_000,
    );
    expect(outcome).toBeInstanceOf(AbortError);
    rpc.clear();
    expect(await topUp(AMOUNT, options(who))).toMatchObject({ status: "credited" });
    await expectPaidOnce(who, before);
  });

  it("a caller's AbortSignal.timeout ends the call as a TimeoutError", async () => {
    const who = await account();
    api.clear();
    api.script({ step: "ask", fault: "stall", forward: false });
    const outcome = await settled(topUp(AMOUNT, options(who, { signal: AbortSignal.timeout(800) })), 800);
    expect(outcome).toBeInstanceOf(TimeoutError);
    api.clear();
  });
});

describe("typed and redacted errors", () => {
  function capture(): { logger: Logger; lines: string[] } {
    const lines: string[] = [];
    const push = (message: string, fields?: Record<string, unknown>) =>
      lines.push(`${message} ${JSON.stringify(fields ?? {})}`);
    return { logger: { debug: push, info: push, warn: push, error: push }, lines };
  }

  it("a server that echoes the app key in its error body: the key is in neither message nor body nor log", async () => {
    const who = await account();
    const { logger, lines } = capture();
    api.clear();
    api.script({ step: "ask", fault: "echo-error", forward: false, times: 1 });
    const error = await topUp(AMOUNT, options(who, { logger, logLevel: "debug" })).catch((e: unknown) => e);
    api.clear();
    expect(error).toBeInstanceOf(BadRequestError);
    const apiError = error as ApiError;
    expect(apiError.status).toBe(400);
    expect(apiError.message).toContain("[redacted]");
    expect(lines.some((line) => line.includes("top-up failed") && line.includes("[redacted]"))).toBe(true);
    for (const text of [apiError.message, JSON.stringify(apiError.body), String(apiError.stack), ...lines])
      expect(text).not.toContain(who.appKey);
    // Nothing was paid, and the failed top-up does not block the next one.
    expect(who.signer.signed).toBe(0);
    expect(await topUp(AMOUNT, options(who))).toMatchObject({ status: "credited" });
  });

  it("an intent poll that echoes the app key in error_message: PaymentFailedError, redacted; the rerun finishes it", async () => {
    const who = await account();
    const before = await usdc(who.wallet.publicKey);
    api.clear();
    api.script(
      { step: "resend", fault: "accepted", times: 1 },
      { step: "poll", fault: "echo-intent", times: 1 },
    );
    const error = await topUp(AMOUNT, options(who)).catch((e: unknown) => e);
    api.clear();
    expect(error).toBeInstanceOf(PaymentFailedError);
    expect((error as Error).message).toContain("[redacted]");
    expect((error as Error).message).not.toContain(who.appKey);
    // Money moved: the top-up stays open, and the rerun finishes it instead of paying again.
    expect(await topUp(AMOUNT, options(who))).toMatchObject({ status: "credited", resumed: false });
    await expectPaidOnce(who, before);
  });

  /** A server that answers every POST with a 402 of its own making. */
  async function server402(header: string, body = "{}") {
    const srv = createServer((_req, res) => {
      res.writeHead(402, { "Payment-Required": header, "content-type": "application/json" }).end(body);
    });
    await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
    const { port } = srv.address() as { port: number };
    return { url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((r) => srv.close(() => r())) };
  }

  it("a 64 KB Payment-Required header over HTTP: PaymentRefusedError naming the header and the limit, not a TypeError", async () => {
    const who = await account();
    const srv = await server402("A".repeat(64 * 1024));
    try {
      const error = await topUp(AMOUNT, options(who, { baseUrl: srv.url })).catch((e: unknown) => e);
      expect(error).not.toBeInstanceOf(TypeError);
      expect(error).toBeInstanceOf(PaymentRefusedError);
      expect(error).toMatchObject({ field: "Payment-Required", rule: "size" });
      expect((error as Error).message).toMatch(/Payment-Required.*16384/);
    } finally {
      await srv.close();
    }
  });

  it("a 64 KB Payment-Required header that reaches the parser: PaymentRefusedError, size", async () => {
    const who = await account();
    const header = Buffer.from(JSON.stringify({ x402Version: 2, pad: "x".repeat(48 * 1024) })).toString(
      "base64",
    );
    const fetchWithHugeHeader = async () =>
      new Response("{}", {
        status: 402,
        headers: { "Payment-Required": header, "content-type": "application/json" },
      });
    const error = await topUp(AMOUNT, options(who, { fetch: fetchWithHugeHeader })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PaymentRefusedError);
    expect(error).toMatchObject({ field: "Payment-Required", rule: "size" });
    expect((error as Error).message).toContain(`${header.length} bytes, over the 16384-byte limit`);
    expect(() => parsePaymentRequired(header)).toThrow(PaymentRefusedError);
  });

  it("a 2 MiB body: ResponseTooLargeError naming the limit", async () => {
    const who = await account();
    const srv = await server402("e30=", JSON.stringify({ pad: "x".repeat(2 * 1024 * 1024) }));
    try {
      const error = await topUp(AMOUNT, options(who, { baseUrl: srv.url })).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ResponseTooLargeError);
      expect(error).toMatchObject({ part: "body", limit: 1024 * 1024 });
    } finally {
      await srv.close();
    }
  });
});

describe("one top-up per key, and the pending intents the journal does not know", () => {
  it("the same idempotency key twice: the first outcome, paid once; without a key, a new top-up", async () => {
    const who = await account(20_000_000n);
    const before = await usdc(who.wallet.publicKey);
    const first = await topUp(AMOUNT, options(who, { idempotencyKey: "order-1" }));
    const again = await topUp(AMOUNT, options(who, { idempotencyKey: "order-1" }));
    expect(again).toEqual({ ...first, resumed: true });
    expect(who.signer.signed).toBe(1);
    const wrong = await topUp(AMOUNT + 1n, options(who, { idempotencyKey: "order-1" })).catch(
      (e: unknown) => e,
    );
    expect(wrong).toMatchObject({ name: "PaymentRefusedError", field: "idempotencyKey", rule: "amount" });
    // Keyless: a finished top-up is finished; the next call of the same amount is a top-up of its own.
    const a = await topUp(AMOUNT, options(who));
    const b = await topUp(AMOUNT, options(who));
    expect(a.idempotencyKey).not.toBe(b.idempotencyKey);
    expect(before - (await usdc(who.wallet.publicKey))).toBe(3n * AMOUNT);
    expect(BigInt((await credits(who.appKey)).balance_usdc_raw)).toBe(3n * AMOUNT);
  });

  /** A 402 asked for by someone else (no journal of ours knows it): the intent is pending. */
  async function strangersIntent(who: Account, amount: bigint) {
    const answer = await fetch(`${world.sandbox.url}/api/credits/x402`, {
      method: "POST",
      headers: { authorization: `ApiKey ${who.appKey}`, "content-type": "application/json" },
      body: JSON.stringify({ amount_usdc_raw: Number(amount) }),
    });
    expect(answer.status).toBe(402);
    return parsePaymentRequired(answer.headers.get("Payment-Required")).accepts[0] as NonNullable<
      ReturnType<typeof parsePaymentRequired>["accepts"][0]
    >;
  }

  it("a pending intent for this amount and treasury is adopted and paid once", async () => {
    const who = await account();
    const before = await usdc(who.wallet.publicKey);
    const option = await strangersIntent(who, AMOUNT);
    const result = await topUp(AMOUNT, options(who));
    expect(result).toMatchObject({
      intentId: option.extra.intent_id,
      status: "credited",
      creditedRaw: AMOUNT,
    });
    await expectPaidOnce(who, before);
  });

  it("a pending intent for another amount is cancelled, and this top-up paid", async () => {
    const who = await account();
    const before = await usdc(who.wallet.publicKey);
    const option = await strangersIntent(who, 3_000_000n);
    const result = await topUp(AMOUNT, options(who));
    expect(result.intentId).not.toBe(option.extra.intent_id);
    await expectPaidOnce(who, before);
    const stranger = await fetch(`${world.sandbox.url}/api/credits/intent/${option.extra.intent_id}`, {
      headers: { authorization: `ApiKey ${who.appKey}` },
    });
    expect(((await stranger.json()) as { status: string }).status).toBe("cancelled");
  });

  it("a pending intent someone already paid on chain is credited with that payment: nothing paid again", async () => {
    const who = await account();
    const before = await usdc(who.wallet.publicKey);
    const option = await strangersIntent(who, AMOUNT);
    // Paid by a process whose journal is gone: the transfer is on chain, never handed in.
    await payOption(option, {
      connection: world.connection,
      payer: who.wallet,
      policy: options(who).policy,
      journal: new MemoryJournal(),
    });
    const result = await topUp(AMOUNT, options(who));
    expect(result).toMatchObject({
      intentId: option.extra.intent_id,
      status: "credited",
      creditedRaw: AMOUNT,
    });
    expect(who.signer.signed).toBe(0);
    expect(before - (await usdc(who.wallet.publicKey))).toBe(AMOUNT);
    expect(BigInt((await credits(who.appKey)).balance_usdc_raw)).toBe(AMOUNT);
  });

  it("refuses, before any call, what the policy or the journal cannot allow", async () => {
    const who = await account();
    const calls = api.hits.ask;
    const over = await topUp(20_000_000n, options(who)).catch((e: unknown) => e);
    expect(over).toMatchObject({ name: "PaymentRefusedError", rule: "maxPerPayment" });
    const plain = { get: async () => undefined, put: async () => undefined, list: async () => [] };
    const noRequests = await topUp(AMOUNT, options(who, { journal: plain })).catch((e: unknown) => e);
    expect(noRequests).toMatchObject({ name: "PaymentRefusedError", field: "journal" });
    const number = await topUp(1 as unknown as bigint, options(who)).catch((e: unknown) => e);
    expect(number).toMatchObject({ name: "PaymentRefusedError", field: "amount", rule: "type" });
    expect(api.hits.ask).toBe(calls);
  });
});
