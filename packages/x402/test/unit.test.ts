import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fc, test as propTest } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import {
  chooseOption,
  type JournalEntry,
  PaymentRefusedError,
  parsePaymentRequired,
  type SpendingPolicy,
  spentOf,
  USDC_MINT,
} from "../src/index.js";
import { FileJournal } from "../src/node.js";

const KEY = "9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin";
const encode = (doc: unknown) => Buffer.from(JSON.stringify(doc)).toString("base64");
const accept = (overrides: Record<string, unknown> = {}) => ({
  scheme: "exact",
  network: "solana",
  amount: "1000000",
  asset: USDC_MINT,
  payTo: KEY,
  extra: { intent_id: "i-1", reference_pubkey: KEY },
  ...overrides,
});
const policy: SpendingPolicy = { maxPerPayment: 5_000_000n, budget: 8_000_000n, treasuryOwner: KEY };

describe("parsePaymentRequired", () => {
  it("reads amounts as bigint, exactly", () => {
    const doc = parsePaymentRequired(
      encode({ x402Version: 2, accepts: [accept({ amount: "18446744073709551615" })] }),
    );
    expect(doc.accepts[0]?.amount).toBe(18446744073709551615n);
  });

  it.each([
    ["missing", undefined, "Payment-Required"],
    ["no accepts", encode({ x402Version: 2, accepts: [] }), "accepts"],
    ["no version", encode({ accepts: [accept()] }), "x402Version"],
    [
      "a number amount",
      encode({ x402Version: 2, accepts: [accept({ amount: 1000000 })] }),
      "accepts[0].amount",
    ],
    ["a zero amount", encode({ x402Version: 2, accepts: [accept({ amount: "0" })] }), "accepts[0].amount"],
    ["a bad payTo", encode({ x402Version: 2, accepts: [accept({ payTo: "0xabc" })] }), "accepts[0].payTo"],
    [
      "no intent",
      encode({ x402Version: 2, accepts: [accept({ extra: { reference_pubkey: KEY } })] }),
      "accepts[0].extra.intent_id",
    ],
  ])("refuses %s, naming the field", (_, header, field) => {
    const error = (() => {
      try {
        parsePaymentRequired(header);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(PaymentRefusedError);
    expect((error as PaymentRefusedError).field).toBe(field);
  });

  propTest.prop([fc.string({ maxLength: 200 })])(
    "never throws anything but a PaymentRefusedError on junk",
    (junk) => {
      for (const header of [junk, Buffer.from(junk).toString("base64")]) {
        try {
          parsePaymentRequired(header);
        } catch (error) {
          expect(error).toBeInstanceOf(PaymentRefusedError);
        }
      }
    },
  );
});

describe("the spending policy", () => {
  const option = (amount: bigint, extra: Record<string, unknown> = {}) =>
    parsePaymentRequired(
      encode({ x402Version: 2, accepts: [accept({ amount: amount.toString(), ...extra })] }),
    ).accepts;

  it("takes the first allowed option and refuses over the cap or the remaining budget", () => {
    const two = parsePaymentRequired(
      encode({ x402Version: 2, accepts: [accept({ network: "base" }), accept({ amount: "2000000" })] }),
    ).accepts;
    expect(chooseOption(two, policy, 0n).amount).toBe(2_000_000n);
    expect(() => chooseOption(option(5_000_001n), policy, 0n)).toThrow(/per-payment cap/);
    expect(() => chooseOption(option(4_000_000n), policy, 5_000_000n)).toThrow(/remaining budget/);
  });

  propTest.prop([fc.bigInt({ min: 1n, max: 10_000_000n }), fc.bigInt({ min: 0n, max: 10_000_000n })])(
    "allows a payment iff it is under both the cap and the remaining budget",
    (amount, spent) => {
      const allowed = amount <= policy.maxPerPayment && spent + amount <= policy.budget;
      let ok = true;
      try {
        chooseOption(option(amount), policy, spent);
      } catch (error) {
        expect(error).toBeInstanceOf(PaymentRefusedError);
        ok = false;
      }
      expect(ok).toBe(allowed);
    },
  );
});

describe("FileJournal", () => {
  it("writes owner-only files atomically and counts what was spent", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "journal-")), "journal.json");
    const journal = new FileJournal(path);
    const entry = (intentId: string, amount: string, status: JournalEntry["status"]): JournalEntry => ({
      intentId,
      reference: KEY,
      amount,
      mint: USDC_MINT,
      payTo: KEY,
      payer: KEY,
      signedTransaction: "AA==",
      signature: "sig",
      lastValidBlockHeight: 10,
      status,
      createdAt: 1,
      updatedAt: 1,
    });
    await Promise.all([
      journal.put(entry("a", "100", "credited")),
      journal.put(entry("b", "50", "failed")),
      journal.put(entry("c", "7", "sent")),
    ]);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const file = JSON.parse(readFileSync(path, "utf8")) as { version: number; payments: object };
    expect(file.version).toBe(2);
    expect(Object.keys(file.payments).sort()).toEqual(["a", "b", "c"]);
    expect(spentOf(await new FileJournal(path).list())).toBe(107n);
  });

  it("keeps requests next to payments, and reads a version-1 file (payments keyed by intent) as it is", async () => {
    const dir = mkdtempSync(join(tmpdir(), "journal-"));
    const old = join(dir, "v1.json");
    const entry: JournalEntry = {
      intentId: "i-1",
      reference: KEY,
      amount: "5",
      mint: USDC_MINT,
      payTo: KEY,
      payer: KEY,
      signedTransaction: "AA==",
      signature: "sig",
      lastValidBlockHeight: 10,
      status: "sent",
      createdAt: 1,
      updatedAt: 1,
    };
    writeFileSync(old, JSON.stringify({ "i-1": entry }));
    const journal = new FileJournal(old);
    expect(await journal.get("i-1")).toEqual(entry);
    expect(await journal.listRequests()).toEqual([]);
    const record = { key: "key:order-1", state: "open" as const, amount: "5", createdAt: 1, updatedAt: 1 };
    // A read that follows a write sees it, even before the write was awaited.
    const write = journal.putRequest(record);
    expect(await journal.getRequest("key:order-1")).toEqual(record);
    await write;
    const again = new FileJournal(old);
    expect(await again.list()).toEqual([entry]);
    expect(await again.listRequests()).toEqual([record]);
  });
});
