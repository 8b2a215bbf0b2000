/**
 * The Pipe sandbox's Solana RPC through stock @solana/kit: `createSolanaRpcSubscriptions` on both
 * WebSocket endpoints the sandbox names (the RPC's own port, and port + 1 where web3.js 1.x looks),
 * with signature, account, slot and logs notifications for a transfer kit builds and signs itself.
 */
import {
  AccountRole,
  type Address,
  address,
  appendTransactionMessageInstruction,
  createSolanaRpc,
  createSolanaRpcSubscriptions,
  createTransactionMessage,
  generateKeyPairSigner,
  getBase64EncodedWireTransaction,
  getSignatureFromTransaction,
  lamports,
  pipe,
  setTransactionMessageFeePayerSigner,
  setTransactionMessageLifetimeUsingBlockhash,
  signTransactionMessageWithSigners,
  type TransactionSigner,
} from "@solana/kit";
import { type Sandbox, startSandbox } from "@specyard/sandbox";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const SYSTEM_PROGRAM = address("11111111111111111111111111111111");

let sandbox: Sandbox;
let solana: { rpcUrl: string; wsUrl: string; wsUrlNextPort: string };
beforeAll(async () => {
  sandbox = await startSandbox("pipe-storage");
  solana = sandbox.info.solana as typeof solana;
});
afterAll(() => sandbox?.close());

/** A System Program transfer, encoded by hand (instruction 2, u64 lamports). */
function transfer(from: TransactionSigner, to: Address, amount: bigint) {
  const data = new Uint8Array(12);
  const view = new DataView(data.buffer);
  view.setUint32(0, 2, true);
  view.setBigUint64(4, amount, true);
  return {
    programAddress: SYSTEM_PROGRAM,
    accounts: [
      { address: from.address, role: AccountRole.WRITABLE_SIGNER as const, signer: from },
      { address: to, role: AccountRole.WRITABLE as const },
    ],
    data,
  };
}

/** Starts reading a subscription now, so nothing published after this call is missed. */
function firstOf<T>(iterable: AsyncIterable<T>): Promise<T> {
  const iterator = iterable[Symbol.asyncIterator]();
  return iterator.next().then((result) => {
    if (result.done) throw new Error("the subscription ended without a notification");
    return result.value;
  });
}

describe.each([
  ["the RPC's own port", () => solana.wsUrl],
  ["port + 1 (solana-test-validator layout)", () => solana.wsUrlNextPort],
])("@solana/kit subscriptions on %s", (_where, wsUrl) => {
  it("notifies the signature, the changed account, the new slot and the logs of a transfer", async () => {
    expect(wsUrl(), "info.solana names this WebSocket URL").toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    const rpc = createSolanaRpc(solana.rpcUrl);
    const subscriptions = createSolanaRpcSubscriptions(wsUrl());
    const abort = new AbortController();
    try {
      const payer = await generateKeyPairSigner();
      const recipient = (await generateKeyPairSigner()).address;
      await rpc.requestAirdrop(payer.address, lamports(2_000_000_000n)).send();
      const { value: latestBlockhash } = await rpc.getLatestBlockhash().send();
      const message = pipe(
        createTransactionMessage({ version: 0 }),
        (m) => setTransactionMessageFeePayerSigner(payer, m),
        (m) => setTransactionMessageLifetimeUsingBlockhash(latestBlockhash, m),
        (m) => appendTransactionMessageInstruction(transfer(payer, recipient, 1_000_000_000n), m),
      );
      const signed = await signTransactionMessageWithSigners(message);
      const signature = getSignatureFromTransaction(signed);
      const startSlot = await rpc.getSlot().send();

      const options = { abortSignal: abort.signal };
      const [onSignature, onAccount, onSlot, onLogs] = [
        firstOf(
          await subscriptions
            .signatureNotifications(signature, { commitment: "confirmed" })
            .subscribe(options),
        ),
        firstOf(
          await subscriptions
            .accountNotifications(recipient, { commitment: "confirmed", encoding: "base64" })
            .subscribe(options),
        ),
        firstOf(await subscriptions.slotNotifications().subscribe(options)),
        firstOf(await subscriptions.logsNotifications({ mentions: [recipient] }).subscribe(options)),
      ];

      await rpc.sendTransaction(getBase64EncodedWireTransaction(signed), { encoding: "base64" }).send();

      const landed = await onSignature;
      expect(landed.value.err).toBeNull();
      const account = await onAccount;
      expect(account.value.lamports).toBe(1_000_000_000n);
      expect(account.value.owner).toBe(SYSTEM_PROGRAM);
      const slot = await onSlot;
      expect(slot.slot > startSlot).toBe(true);
      expect(slot.parent).toBe(slot.slot - 1n);
      const logs = await onLogs;
      expect(logs.value.signature).toBe(signature);
      expect(logs.value.err).toBeNull();
      expect(logs.value.logs.join("\n")).toContain(SYSTEM_PROGRAM);
    } finally {
      abort.abort();
    }
  });
});
