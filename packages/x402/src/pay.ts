import {
  createTransferCheckedInstruction,
  getAccount,
  getAssociatedTokenAddressSync,
  getMint,
} from "@solana/spl-token";
import { type Connection, type Keypair, PublicKey, Transaction } from "@solana/web3.js";
import { AbortError, ConnectionError, redactUrl, SpecyardError, TimeoutError } from "@specyard/http";
import bs58 from "bs58";
import { PaymentFailedError, PaymentPendingError, PaymentRefusedError } from "./errors.js";
import { type FlowOptions, pause, within } from "./flow.js";
import { isUnfinished, type JournalEntry, type PaymentJournal, spentOf } from "./journal.js";
import { withJournalLock } from "./lock.js";
import type { PaymentOption } from "./payment-required.js";
import { checkOption, type SpendingPolicy, USDC_DECIMALS } from "./policy.js";

/** A wallet that signs transactions (wallet adapters), or a Keypair. */
export interface TransactionSigner {
  publicKey: PublicKey;
  signTransaction(transaction: Transaction): Transaction | Promise<Transaction>;
}

/**
 * The steps of one payment, each reported once it is durable: `signed` (the signed bytes are in
 * the journal, not yet sent), `sent` (handed to the RPC), `confirmed` (landed, journaled).
 */
export type PaymentStep = "signed" | "sent" | "confirmed";

/** What a step hook is told: the intent, and its journal entry as written. */
export interface PaymentStepInfo {
  intentId: string;
  entry: JournalEntry;
}

export interface PayOptions {
  connection: Connection;
  payer: Keypair | TransactionSigner;
  policy: SpendingPolicy;
  journal: PaymentJournal;
  /** How long to wait for the transfer to confirm (default 60 s, and never past `deadlineAt`). */
  confirmTimeoutMs?: number;
  pollIntervalMs?: number;
  /** Cancels at any await (ledger, journal, waits); what was done stays journaled for a resume. */
  signal?: AbortSignal;
  /**
   * The flow's deadline in ms since the epoch (on `now`): an await still pending then ends with
   * `TimeoutError`. `payingFetch` and `topUp` set it from their `deadlineMs`.
   */
  deadlineAt?: number;
  now?: () => number;
  /** Observes each durable step (metrics, tests that crash a process at a given point). */
  onStep?: (step: PaymentStep, info: PaymentStepInfo) => void | Promise<void>;
}

const flowOf = (options: PayOptions): FlowOptions => ({
  signal: options.signal,
  deadlineAt: options.deadlineAt,
  now: options.now,
});

/**
 * A ledger call within the flow's deadline and signal; a failure of the RPC itself (no answer, a
 * bad gateway) becomes a `ConnectionError` whose message has the RPC URL's credentials redacted.
 */
export async function onLedger<T>(options: PayOptions, what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await within(flowOf(options), what, work);
  } catch (error) {
    if (error instanceof SpecyardError) throw error;
    throw new ConnectionError(`${what} on the Solana RPC failed: ${rpcText(error, options.connection)}`, {
      notSent: false,
    });
  }
}

/**
 * Pays one option exactly once. A journal entry for the intent means a transfer was already
 * built: it is resumed (confirmed, or its same signed bytes sent again), never rebuilt. Otherwise
 * the policy is checked in full — the local checks, then the mint's decimals and the `payTo`
 * account's mint and owner on chain, then `onBeforePay` — before the key signs anything.
 */
export async function payOption(
  option: PaymentOption,
  options: PayOptions,
  resource?: JournalEntry["resource"],
): Promise<JournalEntry> {
  // The decision — resume, or check the budget and journal a new transfer — is taken under the
  // journal's lock: concurrent payments neither overdraw the budget nor build two transfers for
  // one intent.
  const { entry, fresh } = await withJournalLock(options.journal, () => decide(option, options, resource));
  if (fresh) await options.onStep?.("signed", { intentId: entry.intentId, entry });
  return isUnfinished(entry) ? confirm(entry, options) : entry;
}

async function decide(
  option: PaymentOption,
  options: PayOptions,
  resource: JournalEntry["resource"] | undefined,
): Promise<{ entry: JournalEntry; fresh: boolean }> {
  const flow = flowOf(options);
  const intentId = option.extra.intent_id;
  const existing = await options.journal.get(intentId);
  if (existing && existing.status !== "failed") return { entry: existing, fresh: false };
  if (existing) {
    // A failed transfer never moved money, unless it landed after all: look once more before
    // building another one.
    const landed = await landedOk(existing, options);
    if (landed) return { entry: { ...existing, status: "sent", error: undefined }, fresh: false };
  }

  checkOption(option, options.policy, spentOf(await options.journal.list()));
  await within(flow, "checking the payment on chain", () => checkOnChain(option, options));
  if (
    options.policy.onBeforePay &&
    !(await within(flow, "onBeforePay", async () => options.policy.onBeforePay?.(option)))
  ) {
    throw new PaymentRefusedError("payment", "onBeforePay", "was refused by the onBeforePay hook");
  }

  const { connection, payer } = options;
  const mint = new PublicKey(option.asset);
  const source = getAssociatedTokenAddressSync(mint, payer.publicKey);
  const transfer = createTransferCheckedInstruction(
    source,
    mint,
    new PublicKey(option.payTo),
    payer.publicKey,
    option.amount,
    USDC_DECIMALS,
  );
  // Solana Pay: the reference rides along read-only, so the server can find the payment.
  transfer.keys.push({
    pubkey: new PublicKey(option.extra.reference_pubkey),
    isSigner: false,
    isWritable: false,
  });
  const { blockhash, lastValidBlockHeight } = await onLedger(options, "getLatestBlockhash", () =>
    connection.getLatestBlockhash("confirmed"),
  );
  let transaction = new Transaction({ feePayer: payer.publicKey, blockhash, lastValidBlockHeight }).add(
    transfer,
  );
  if ("secretKey" in payer) transaction.sign(payer);
  else transaction = await within(flow, "signTransaction", async () => payer.signTransaction(transaction));
  if (!transaction.signature)
    throw new PaymentFailedError(intentId, "the wallet returned an unsigned transaction");
  const now = options.now ?? Date.now;
  const entry: JournalEntry = {
    intentId,
    reference: option.extra.reference_pubkey,
    amount: option.amount.toString(),
    mint: option.asset,
    payTo: option.payTo,
    payer: payer.publicKey.toBase58(),
    signedTransaction: Buffer.from(transaction.serialize()).toString("base64"),
    signature: bs58.encode(transaction.signature),
    lastValidBlockHeight,
    status: "signed",
    ...(resource ? { resource } : {}),
    createdAt: now(),
    updatedAt: now(),
  };
  // Written down before it is sent: from here on, a restart resumes this transfer.
  await options.journal.put(entry);
  return { entry, fresh: true };
}

/**
 * A transfer on chain that names `reference` and succeeded: the intent was paid already (by a
 * payment this journal may not hold). Its signature, or undefined.
 */
export async function paidOnChain(reference: string, options: PayOptions): Promise<string | undefined> {
  let key: PublicKey;
  try {
    key = new PublicKey(reference);
  } catch {
    return undefined;
  }
  const found = await onLedger(options, "getSignaturesForAddress", () =>
    options.connection.getSignaturesForAddress(key, { limit: 20 }, "confirmed"),
  );
  return found.find((signature) => !signature.err)?.signature;
}

/** Whether a journaled transfer landed without error after all. */
async function landedOk(entry: JournalEntry, options: PayOptions): Promise<boolean> {
  if (!entry.signature) return false;
  const { value } = await onLedger(options, "getSignatureStatuses", () =>
    options.connection.getSignatureStatuses([entry.signature], { searchTransactionHistory: true }),
  );
  const status = value[0];
  return Boolean(status && !status.err);
}

/** spl-token's own errors (no such account, wrong owner or size): the answer, not a failed RPC. */
const isTokenError = (error: unknown) => /^Token[A-Za-z]*Error$/.test(String((error as Error)?.name));

async function checkOnChain(option: PaymentOption, options: PayOptions): Promise<void> {
  const { connection, policy, payer } = options;
  const mint = new PublicKey(option.asset);
  const rpcFailure = (what: string, error: unknown) =>
    new ConnectionError(`${what} on the Solana RPC failed: ${rpcText(error, connection)}`, {
      notSent: false,
    });
  let decimals: number;
  try {
    decimals = (await getMint(connection, mint)).decimals;
  } catch (error) {
    if (!isTokenError(error)) throw rpcFailure("reading the mint", error);
    throw new PaymentRefusedError("asset", "mint", "is not a token mint on this network");
  }
  if (decimals !== USDC_DECIMALS)
    throw new PaymentRefusedError("asset", "decimals", `has ${decimals} decimals, not ${USDC_DECIMALS}`);
  let account: Awaited<ReturnType<typeof getAccount>>;
  try {
    account = await getAccount(connection, new PublicKey(option.payTo));
  } catch (error) {
    if (!isTokenError(error)) throw rpcFailure("reading the payTo account", error);
    throw new PaymentRefusedError("payTo", "tokenAccount", "is not a token account");
  }
  if (!account.mint.equals(mint))
    throw new PaymentRefusedError("payTo", "mint", "is a token account of another mint");
  if (account.owner.toBase58() !== policy.treasuryOwner) {
    throw new PaymentRefusedError("payTo", "treasuryOwner", "is not owned by the expected treasury");
  }
  const source = getAssociatedTokenAddressSync(mint, payer.publicKey);
  const balance = await getAccount(connection, source).then(
    (a) => a.amount,
    (error: unknown) => {
      if (isTokenError(error)) return 0n;
      throw rpcFailure("reading the payer's balance", error);
    },
  );
  if (balance < option.amount)
    throw new PaymentRefusedError("amount", "balance", `is more than the payer's ${balance} raw units`);
}

/** The RPC answered the send with an error of its own (a failed simulation, a refused transaction). */
function refusedByRpc(error: unknown): boolean {
  const e = error as { name?: unknown; transactionMessage?: unknown } | undefined;
  return e?.name === "SendTransactionError" || typeof e?.transactionMessage === "string";
}

/** An RPC error's text without the RPC URL's credentials (providers put API keys in the URL). */
function rpcText(error: unknown, connection: Connection): string {
  const text = String((error as Error)?.message ?? error).slice(0, 300);
  const endpoint = connection.rpcEndpoint;
  return endpoint ? text.split(endpoint).join(redactUrl(endpoint)) : text;
}

/**
 * Sends the journaled bytes (again, if need be: the same signature cannot land twice) and polls
 * the signature status until confirmed, failed, expired, `confirmTimeoutMs` (`PaymentPendingError`)
 * or the flow's deadline (`TimeoutError`). Only an RPC's own refusal or an expired blockhash marks
 * the entry failed; a send that got no answer may have landed, so it is sent again, never rebuilt.
 */
export async function confirm(entry: JournalEntry, options: PayOptions): Promise<JournalEntry> {
  const { connection, journal } = options;
  const flow = flowOf(options);
  const now = options.now ?? Date.now;
  const confirmBy = now() + (options.confirmTimeoutMs ?? 60_000);
  const bytes = Buffer.from(entry.signedTransaction, "base64");
  let current = { ...entry };
  const update = async (patch: Partial<JournalEntry>) => {
    current = { ...current, ...patch, updatedAt: now() };
    await journal.put(current);
  };
  for (let sent = false; ; ) {
    const { value } = await onLedger(options, "getSignatureStatuses", () =>
      connection.getSignatureStatuses([current.signature], { searchTransactionHistory: true }),
    );
    const status = value[0];
    if (status?.err) {
      await update({ status: "failed", error: JSON.stringify(status.err) });
      throw new PaymentFailedError(
        current.intentId,
        `the transfer failed on chain: ${JSON.stringify(status.err)}`,
      );
    }
    if (status?.confirmationStatus === "confirmed" || status?.confirmationStatus === "finalized") {
      if (current.status === "signed" || current.status === "sent") {
        await update({ status: "confirmed" });
        await options.onStep?.("confirmed", { intentId: current.intentId, entry: current });
      }
      return current;
    }
    const height = await onLedger(options, "getBlockHeight", () => connection.getBlockHeight("confirmed"));
    if (!status && height > current.lastValidBlockHeight) {
      // It can no longer land: the intent may be paid again with a fresh transfer.
      await update({ status: "failed", error: "blockhash expired before the transfer landed" });
      throw new PaymentFailedError(current.intentId, "the transfer expired before it landed");
    }
    if (!status && !sent) {
      try {
        await within(flow, "sendRawTransaction", () =>
          connection.sendRawTransaction(bytes, { skipPreflight: false, maxRetries: 0 }),
        );
        sent = true;
      } catch (error) {
        if (error instanceof TimeoutError || error instanceof AbortError) throw error;
        const text = rpcText(error, connection);
        if (/already (been )?processed/i.test(text)) sent = true;
        else if (refusedByRpc(error)) {
          await update({ status: "failed", error: text.slice(0, 200) });
          throw new PaymentFailedError(current.intentId, `the transfer was rejected: ${text.slice(0, 200)}`);
        }
        // No answer from the RPC: the bytes may or may not have gone out. Send them again next round.
      }
      if (sent && current.status === "signed") {
        await update({ status: "sent" });
        await options.onStep?.("sent", { intentId: current.intentId, entry: current });
      }
      if (sent) continue;
    }
    if (now() > confirmBy) {
      throw new PaymentPendingError(
        current.intentId,
        current.signature,
        "the transfer did not confirm in time; resume it later",
      );
    }
    await pause(flow, "waiting for the transfer to confirm", options.pollIntervalMs ?? 250);
  }
}
