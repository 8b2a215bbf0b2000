import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fc, test as propTest } from "@fast-check/vitest";
import { getAccount, getAssociatedTokenAddressSync } from "@solana/spl-token";
import { Keypair, PublicKey } from "@solana/web3.js";
import {
  type JournalEntry,
  MemoryJournal,
  PaymentFailedError,
  type PaymentJournal,
  PaymentRefusedError,
  parsePaymentRequired,
  payingFetch,
  resumePayments,
  type SpendingPolicy,
  USDC_MINT,
} from "@specyard/x402";
import { FileJournal } from "@specyard/x402/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agent, countingSigner, type PipeWorld, pipeWorld } from "./pipe-world.js";

let world: PipeWorld;
beforeAll(async () => {
  world = await pipeWorld();
});
afterAll(() => world?.sandbox.close());

const policy = (overrides: Partial<SpendingPolicy> = {}): SpendingPolicy => ({
  maxPerPayment: 20_000_000n,
  budget: 100_000_000n,
  treasuryOwner: world.treasury.owner,
  ...overrides,
});

async function balance(owner: PublicKey): Promise<bigint> {
  const ata = getAssociatedTokenAddressSync(new PublicKey(USDC_MINT), owner);
  return (await getAccount(world.connection, ata)).amount;
}

function topUpRequest(appKey: string, amount: number) {
  return new Request(`${world.sandbox.url}/api/credits/x402`, {
    method: "POST",
    headers: { authorization: `ApiKey ${appKey}`, "content-type": "application/json" },
    body: JSON.stringify({ amount_usdc_raw: amount }),
  });
}

async function creditsOf(appKey: string) {
  const response = await fetch(`${world.sandbox.url}/api/credits/status`, {
    headers: { authorization: `ApiKey ${appKey}` },
  });
  return (await response.json()) as { balance_usdc_raw: number };
}

describe("payingFetch against the Pipe sandbox", () => {
  it("answers the 402 by paying exactly the asked amount once, and the balance rises once", async () => {
    const { wallet, appKey } = await agent(world);
    const signer = countingSigner(wallet);
    const journal = new MemoryJournal();
    const before = await balance(wallet.publicKey);
    const pay = payingFetch((r) => fetch(r), {
      connection: world.connection,
      payer: signer,
      policy: policy(),
      journal,
    });
    const answer = await pay(topUpRequest(appKey, 7_500_000));
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ status: "credited", credited_usdc_raw: 7_500_000 });
    expect(signer.signed).toBe(1);
    expect(before - (await balance(wallet.publicKey))).toBe(7_500_000n);
    expect((await creditsOf(appKey)).balance_usdc_raw).toBe(7_500_000);
    const [entry] = await journal.list();
    expect(entry).toMatchObject({ status: "credited", amount: "7500000" });
  });
});

describe("refusals before any key is used", () => {
  /** A loopback resource that answers 402 with whatever document the test wants. */
  async function hostile(document: unknown | string) {
    const { createServer } = await import("node:http");
    const server = createServer((_req, res) => {
      const header =
        typeof document === "string" ? document : Buffer.from(JSON.stringify(document)).toString("base64");
      res.writeHead(402, { "Payment-Required": header, "content-type": "application/json" }).end("{}");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    return {
      url: `http://127.0.0.1:${port}/pay`,
      close: () => new Promise<void>((r) => server.close(() => r())),
    };
  }

  function doc(overrides: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
    return {
      x402Version: 2,
      accepts: [
        {
          scheme: "exact",
          network: "solana",
          amount: "1000000",
          asset: world.usdcMint,
          payTo: world.treasury.usdcAccount,
          extra: {
            intent_id: `intent-${Math.random()}`,
            reference_pubkey: Keypair.generate().publicKey.toBase58(),
            ...extra,
          },
          ...overrides,
        },
      ],
    };
  }

  let someoneElsesAccount = "";
  let otherMint = "";
  beforeAll(async () => {
    const other = Keypair.generate();
    const funded = (await world.sandbox.admin.act("fundWallet", {
      address: other.publicKey.toBase58(),
      usdcRaw: "1",
    })) as {
      usdcAccount: string;
    };
    someoneElsesAccount = funded.usdcAccount;
    otherMint = Keypair.generate().publicKey.toBase58();
  });

  it.each<[string, () => unknown, Partial<SpendingPolicy> | (() => Partial<SpendingPolicy>), string, string]>(
    [
      ["more than the per-payment cap", () => doc({ amount: "20000001" }), {}, "amount", "maxPerPayment"],
      [
        "more than the remaining budget",
        () => doc({ amount: "6000000" }),
        { budget: 5_000_000n },
        "amount",
        "budget",
      ],
      ["another mint", () => doc({ asset: otherMint }), {}, "asset", "allowed"],
      [
        "an allowed mint that is not on chain",
        () => doc({ asset: otherMint }),
        () => ({ mints: [otherMint] }),
        "asset",
        "mint",
      ],
      ["another network", () => doc({ network: "ethereum" }), {}, "network", "allowed"],
      [
        "a payTo owned by someone else",
        () => doc({ payTo: someoneElsesAccount }),
        {},
        "payTo",
        "treasuryOwner",
      ],
      [
        "a payTo that is no token account",
        () => doc({ payTo: Keypair.generate().publicKey.toBase58() }),
        {},
        "payTo",
        "tokenAccount",
      ],
      ["a fractional amount", () => doc({ amount: "1.5" }), {}, "accepts[0].amount", "format"],
      ["a negative amount", () => doc({ amount: "-1" }), {}, "accepts[0].amount", "format"],
      ["a malformed header", () => "not base64!!", {}, "Payment-Required", "format"],
      [
        "base64 that is not JSON",
        () => Buffer.from("hello").toString("base64"),
        {},
        "Payment-Required",
        "format",
      ],
      ["a hook that says no", () => doc(), { onBeforePay: () => false }, "payment", "onBeforePay"],
    ],
  )("refuses %s with a typed error, and signs and sends nothing", async (_, make, overrides, field, rule) => {
    const { wallet } = await agent(world, 10_000_000n);
    const signer = countingSigner(wallet);
    const server = await hostile(make());
    try {
      const before = await balance(wallet.publicKey);
      const journal = new MemoryJournal();
      const chosen = typeof overrides === "function" ? overrides() : overrides;
      const pay = payingFetch((r) => fetch(r), {
        connection: world.connection,
        payer: signer,
        policy: policy(chosen),
        journal,
      });
      const error = await pay(new Request(server.url)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PaymentRefusedError);
      expect(error).toMatchObject({ field, rule });
      expect(signer.signed).toBe(0);
      expect(await journal.list()).toEqual([]);
      expect(await balance(wallet.publicKey)).toBe(before);
      expect((await world.connection.getSignaturesForAddress(wallet.publicKey)).length).toBeLessThanOrEqual(
        2,
      );
    } finally {
      await server.close();
    }
  });

  propTest.prop(
    [
      fc.record({
        scheme: fc.constantFrom("exact", "upto", ""),
        network: fc.constantFrom("solana", "solana-devnet", "base"),
        amount: fc.oneof(
          fc.bigInt({ min: 0n, max: 30_000_000n }).map(String),
          fc.constantFrom("", "1e6", "0x10", " 5"),
        ),
        useUsdc: fc.boolean(),
      }),
    ],
    { numRuns: 30 },
  )(
    "random Payment-Required documents pay exactly the asked amount or are refused before signing",
    async (spec) => {
      const { wallet, appKey } = await agent(world, 40_000_000n);
      void appKey;
      const signer = countingSigner(wallet);
      const document = doc({
        scheme: spec.scheme,
        network: spec.network,
        amount: spec.amount,
        asset: spec.useUsdc ? world.usdcMint : otherMint,
      });
      const server = await hostile(document);
      try {
        const before = await balance(wallet.publicKey);
        const journal = new MemoryJournal();
        const pay = payingFetch((r) => fetch(r), {
          connection: world.connection,
          payer: signer,
          policy: policy(),
          journal,
        });
        const outcome = await pay(new Request(server.url)).catch((e: unknown) => e);
        const paid = before - (await balance(wallet.publicKey));
        if (outcome instanceof PaymentRefusedError) {
          expect(signer.signed).toBe(0);
          expect(paid).toBe(0n);
        } else {
          // The hostile server answers the payment with its 402 again: a typed failure, no second
          // payment; the money moved exactly once, exactly as asked.
          expect(outcome).toBeInstanceOf(PaymentFailedError);
          expect(signer.signed).toBe(1);
          expect(paid).toBe(BigInt(spec.amount));
          expect(
            parsePaymentRequired(Buffer.from(JSON.stringify(document)).toString("base64")).accepts[0]?.amount,
          ).toBe(paid);
        }
      } finally {
        await server.close();
      }
    },
  );
});

describe("exactly once across crashes", () => {
  /** A file journal that "crashes" (throws) right after it has durably written a given status. */
  function crashingAfter(path: string, status: JournalEntry["status"]): PaymentJournal {
    const inner = new FileJournal(path);
    return {
      get: (id) => inner.get(id),
      list: () => inner.list(),
      put: async (entry) => {
        await inner.put(entry);
        if (entry.status === status) throw new Error(`simulated crash after writing ${status}`);
      },
    };
  }

  it.each(["sent", "confirmed"] as const)(
    "a crash after %s resumes from the journal: credited once, paid once",
    async (status) => {
      const { wallet, appKey } = await agent(world);
      const path = join(mkdtempSync(join(tmpdir(), "x402-")), "journal.json");
      const signer = countingSigner(wallet);
      const before = await balance(wallet.publicKey);
      // The agent's fetch carries its credential; the journal never does.
      const authed = (request: Request) => {
        request.headers.set("authorization", `ApiKey ${appKey}`);
        return fetch(request);
      };
      const crashing = payingFetch(authed, {
        connection: world.connection,
        payer: signer,
        policy: policy(),
        journal: crashingAfter(path, status),
      });
      await expect(crashing(topUpRequest(appKey, 3_000_000))).rejects.toThrow(/simulated crash/);
      expect((await creditsOf(appKey)).balance_usdc_raw).toBe(0);

      // A new process: same journal file, no memory of the first.
      const journal = new FileJournal(path);
      const resumed = await resumePayments(authed, {
        connection: world.connection,
        payer: signer,
        policy: policy(),
        journal,
      });
      expect(resumed.map((r) => r.status)).toEqual([200]);
      expect((await creditsOf(appKey)).balance_usdc_raw).toBe(3_000_000);
      expect(before - (await balance(wallet.publicKey))).toBe(3_000_000n);
      expect(signer.signed).toBe(1);

      // Resuming again, or the agent asking again, never pays twice.
      expect(
        await resumePayments(authed, {
          connection: world.connection,
          payer: signer,
          policy: policy(),
          journal,
        }),
      ).toEqual([]);
      expect(before - (await balance(wallet.publicKey))).toBe(3_000_000n);
      const [entry] = await journal.list();
      expect(entry?.status).toBe("credited");
    },
  );
});
