/**
 * What the payer's side asks the Solana RPC during an x402 v2 payment, each call bounded by the
 * flow's deadline and signal: the mint, the payer's balance, a blockhash, and whether a journaled
 * payment landed (found by the payer's own signature among its token account's transactions, since
 * the transaction's signature is the fee payer's, unknown until it settles).
 */
import type { Connection } from "@solana/web3.js";
import { PublicKey } from "@solana/web3.js";
import { AbortError, ConnectionError, redactUrl, SpecyardError, TimeoutError } from "@specyard/http";
import { PaymentRefusedError } from "../errors.js";
import type { JournalEntry } from "../journal.js";

export interface V2Flow {
  connection: Connection;
  signal?: AbortSignal | undefined;
  /** In ms since the epoch, on `now`. */
  deadlineAt: number;
  now: () => number;
}

/** Awaits `work` no longer than the flow's deadline and signal allow; RPC failures become typed. */
export async function onRpc<T>(flow: V2Flow, what: string, work: () => Promise<T>): Promise<T> {
  if (flow.signal?.aborted) throw new AbortError(`${what}: aborted`);
  const left = flow.deadlineAt - flow.now();
  if (left <= 0) throw new TimeoutError(`${what}: the payment's deadline passed`, "deadline");
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const stop = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new TimeoutError(`${what}: no answer before the payment's deadline`, "deadline")),
      left,
    );
    onAbort = () => reject(new AbortError(`${what}: aborted`));
    flow.signal?.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([work(), stop]);
  } catch (error) {
    if (error instanceof SpecyardError || error instanceof PaymentRefusedError) throw error;
    // Providers put API keys in RPC URLs: the endpoint never reaches a message unredacted.
    const endpoint = flow.connection.rpcEndpoint;
    const text = String((error as Error)?.message ?? error)
      .split(endpoint)
      .join(redactUrl(endpoint))
      .slice(0, 200);
    throw new ConnectionError(`${what} on the Solana RPC failed: ${text}`, { notSent: false });
  } finally {
    clearTimeout(timer);
    if (onAbort) flow.signal?.removeEventListener("abort", onAbort);
  }
}

/** The payer holds at least `amount` of the mint in `source`. */
export async function checkBalance(flow: V2Flow, source: string, amount: bigint): Promise<void> {
  const balance = await onRpc(flow, "reading the payer's balance", async () => {
    const info = await flow.connection.getAccountInfo(new PublicKey(source), "confirmed");
    if (!info) return 0n;
    return (await flow.connection.getTokenAccountBalance(new PublicKey(source), "confirmed")).value.amount;
  });
  if (BigInt(balance) < amount)
    throw new PaymentRefusedError("amount", "balance", `is more than the payer's ${balance} raw units`);
}

/**
 * The signature of the landed transaction that carries this entry's payer signature, if any: it
 * is looked for among the latest transactions of the payer's token account (`entry.reference`).
 */
export async function landedSignature(flow: V2Flow, entry: JournalEntry): Promise<string | undefined> {
  const account = new PublicKey(entry.reference);
  const recent = await onRpc(flow, "getSignaturesForAddress", () =>
    flow.connection.getSignaturesForAddress(account, { limit: 20 }, "confirmed"),
  );
  for (const { signature, err } of recent) {
    if (err) continue;
    const tx = await onRpc(flow, "getTransaction", () =>
      flow.connection.getTransaction(signature, {
        commitment: "confirmed",
        maxSupportedTransactionVersion: 0,
      }),
    );
    if (tx?.transaction.signatures.includes(entry.signature)) return signature;
  }
  return undefined;
}

/** Whether the entry's blockhash has expired: past it, a payment that has not landed never will. */
export async function expired(flow: V2Flow, entry: JournalEntry): Promise<boolean> {
  const height = await onRpc(flow, "getBlockHeight", () => flow.connection.getBlockHeight("confirmed"));
  return height > entry.lastValidBlockHeight;
}
