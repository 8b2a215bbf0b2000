/** SolanaLedger PubSub: JSON-RPC subscriptions on the RPC's own port and on port + 1. */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { TOKEN_PROGRAM_ID } from "@solana/spl-token";
import { Connection, VersionedTransaction } from "@solana/web3.js";
import bs58 from "bs58";
import { describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { SolanaLedger } from "../../src/solana/index.js";
import { connection, ledger, newPayer, payment, treasury, useLedger } from "./helpers.js";

useLedger();

describe("SolanaLedger PubSub on the RPC's port and on port + 1", () => {
  /** A raw JSON-RPC WebSocket client: requests by id, notifications in arrival order. */
  async function socket(url: string) {
    const ws = new WebSocket(url);
    await new Promise((resolve, reject) => {
      ws.once("open", resolve);
      ws.once("error", reject);
    });
    const notes: Array<{ method: string; params: { result: unknown; subscription: number } }> = [];
    const waiting = new Map<number, (value: unknown) => void>();
    let noteWaiter: (() => void) | undefined;
    ws.on("message", (raw) => {
      const message = JSON.parse(String(raw));
      if (message.id !== undefined) waiting.get(message.id)?.(message);
      else {
        notes.push(message);
        noteWaiter?.();
      }
    });
    let id = 0;
    return {
      request: (method: string, params: unknown[] = []) =>
        new Promise<{ result?: unknown; error?: { code: number; message: string } }>((resolve) => {
          id++;
          waiting.set(id, resolve as (value: unknown) => void);
          ws.send(JSON.stringify({ jsonrpc: "2.0", id, method, params }));
        }),
      /** Resolves once `count` notifications have arrived. */
      notes: async (count: number) => {
        while (notes.length < count) await new Promise<void>((resolve) => (noteWaiter = resolve));
        return notes.slice(0, count);
      },
      close: () => ws.close(),
    };
  }

  it('confirms with an unmodified `new Connection(rpcUrl, "confirmed")`, whose WebSocket is port + 1', async () => {
    const plain = new Connection(ledger.rpcUrl, "confirmed");
    expect(new URL(ledger.wsUrlNextPort).port).toBe(String(Number(new URL(ledger.rpcUrl).port) + 1));
    const payer = await newPayer(1_000n, plain);
    const { bytes } = await payment({ payer, amount: 1_000n, conn: plain });
    const signature = await plain.sendRawTransaction(bytes);
    const { value } = await plain.confirmTransaction(signature, "confirmed");
    expect(value.err).toBeNull();
  });

  it.each([
    ["the RPC's port", () => ledger.wsUrl],
    ["port + 1", () => ledger.wsUrlNextPort],
  ])("notifies signatures, changed accounts, slots and logs on %s", async (_where, url) => {
    const client = await socket(url());
    try {
      const payer = await newPayer(500n);
      const { bytes, reference } = await payment({ payer, amount: 500n });
      const signature = bs58.encode(VersionedTransaction.deserialize(bytes).signatures[0] as Uint8Array);
      const ids = {
        signature: (await client.request("signatureSubscribe", [signature, { commitment: "confirmed" }]))
          .result,
        account: (await client.request("accountSubscribe", [treasury.usdcAccount, { encoding: "base64" }]))
          .result,
        slot: (await client.request("slotSubscribe")).result,
        logs: (await client.request("logsSubscribe", [{ mentions: [reference?.toBase58()] }])).result,
      };
      for (const id of Object.values(ids)) expect(id).toEqual(expect.any(Number));
      const slot = await connection.getSlot();
      await connection.sendRawTransaction(bytes);
      const byMethod = Object.fromEntries((await client.notes(4)).map((note) => [note.method, note.params]));
      expect(byMethod.signatureNotification).toEqual({
        result: { context: { slot }, value: { err: null } },
        subscription: ids.signature,
      });
      expect(byMethod.accountNotification?.subscription).toBe(ids.account);
      const account = byMethod.accountNotification?.result as {
        value: { owner: string; data: [string, string] };
      };
      expect(account.value.owner).toBe(TOKEN_PROGRAM_ID.toBase58());
      expect(account.value.data[1]).toBe("base64");
      expect(byMethod.slotNotification).toEqual({
        result: { parent: slot, root: slot, slot: slot + 1 },
        subscription: ids.slot,
      });
      expect(byMethod.logsNotification?.result).toMatchObject({
        context: { slot },
        value: { signature, err: null, logs: expect.arrayContaining([expect.stringContaining("Tokenkeg")]) },
      });
      // A signature subscription ends with its notification; the others end on unsubscribe.
      expect(await client.request("signatureUnsubscribe", [ids.signature])).toMatchObject({
        error: { code: -32602, message: "Invalid subscription id." },
      });
      expect(await client.request("accountUnsubscribe", [ids.account])).toMatchObject({ result: true });
      expect(await client.request("slotUnsubscribe", [ids.slot])).toMatchObject({ result: true });
      expect(await client.request("logsUnsubscribe", [ids.logs])).toMatchObject({ result: true });
      expect(await client.request("slotUnsubscribe", [ids.slot])).toMatchObject({ error: { code: -32602 } });
    } finally {
      client.close();
    }
  });

  it("notifies a signature that already landed right after the subscription id; refuses bad params", async () => {
    const client = await socket(ledger.wsUrlNextPort);
    try {
      const payer = await newPayer(0n);
      const [signature] = await connection.getSignaturesForAddress(payer.publicKey);
      const id = (await client.request("signatureSubscribe", [signature?.signature])).result;
      const [note] = await client.notes(1);
      expect(note).toMatchObject({ method: "signatureNotification", params: { subscription: id } });
      expect(await client.request("logsSubscribe", [{ mentions: ["a", "b"] }])).toMatchObject({
        error: { code: -32602 },
      });
      expect(await client.request("accountSubscribe", ["not an address"])).toMatchObject({
        error: { code: -32602 },
      });
      expect(await client.request("blockSubscribe", ["all"])).toMatchObject({ error: { code: -32601 } });
    } finally {
      client.close();
    }
  });

  it("binds an explicit port together with the port after it, and refuses when that one is taken", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const taken = (blocker.address() as AddressInfo).port;
    try {
      await expect(SolanaLedger.start({ port: taken - 1 })).rejects.toMatchObject({ code: "EADDRINUSE" });
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
