import {
  createTransferCheckedInstruction,
  getAccount,
  getAssociatedTokenAddressSync,
  getMint,
} from "@solana/spl-token";
import { type Connection, type Keypair, PublicKey, Transaction } from "@solana/web3.js";
import bs58 from "bs58";
import { PaymentFailedError, PaymentPendingError, PaymentRefusedError } from "./errors.js";
import { isUnfinished, type JournalEntry, type PaymentJournal, spentOf } from "./journal.js";
import type { PaymentOption } from "./payment-required.js";
import { checkOption, type SpendingPolicy, USDC_DECIMALS } from "./policy.js";

/** A wallet that signs transactions (wallet adapters), or a Keypair. */
export interface TransactionSigner {
  publicKey: PublicKey;
  signTransaction(transaction: Transaction): Transaction | Promise<Transaction>;
}

export interface PayOptions {
  connection: Connection;
  payer: Keypair | TransactionSigner;
  policy: SpendingPolicy;
  journal: PaymentJournal;
  /** How long to wait for the transfer to confirm (default 60 s). */
  confirmTimeoutMs?: number;
  pollIntervalMs?: number;
  signal?: AbortSignal;
  now?: () => number;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });

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
  const intentId = option.extra.intent_id;
  const existing = await options.journal.get(intentId);
  if (existing && existing.status !== "failed")
    return isUnfinished(existing) ? confirm(existing, options) : existing;

  checkOption(option, options.policy, spentOf(await options.journal.list()));
  await checkOnChain(option, options);
  if (options.policy.onBeforePay && !(await options.policy.onBeforePay(option))) {
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
  const { blockhash, lastValidBlockHeight } = await connection.getLatestBlockhash("confirmed");
  let transaction = new Transaction({ feePayer: payer.publicKey, blockhash, lastValidBlockHeight }).add(
    transfer,
  );
  if ("secretKey" in payer) transaction.sign(payer);
  else transaction = await payer.signTransaction(transaction);
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
  return confirm(entry, options);
}

async function checkOnChain(option: PaymentOption, { connection, policy, payer }: PayOptions): Promise<void> {
  const mint = new PublicKey(option.asset);
  let decimals: number;
  try {
    decimals = (await getMint(connection, mint)).decimals;
  } catch {
    throw new PaymentRefusedError("asset", "mint", "is not a token mint on this network");
  }
  if (decimals !== USDC_DECIMALS)
    throw new PaymentRefusedError("asset", "decimals", `has ${decimals} decimals, not ${USDC_DECIMALS}`);
  let account: Awaited<ReturnType<typeof getAccount>>;
  try {
    account = await getAccount(connection, new PublicKey(option.payTo));
  } catch {
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
    () => 0n,
  );
  if (balance < option.amount)
    throw new PaymentRefusedError("amount", "balance", `is more than the payer's ${balance} raw units`);
}

/**
 * Sends the journaled bytes (again, if need be: the same signature cannot land twice) and polls
 * the signature status until confirmed, failed, expired, or the timeout.
 */
export async function confirm(entry: JournalEntry, options: PayOptions): Promise<JournalEntry> {
  const { connection, journal } = options;
  const now = options.now ?? Date.now;
  const deadline = now() + (options.confirmTimeoutMs ?? 60_000);
  const bytes = Buffer.from(entry.signedTransaction, "base64");
  let current = { ...entry };
  const update = async (patch: Partial<JournalEntry>) => {
    current = { ...current, ...patch, updatedAt: now() };
    await journal.put(current);
  };
  for (let sent = false; ; ) {
    const { value } = await connection.getSignatureStatuses([current.signature], {
      searchTransactionHistory: true,
    });
    const status = value[0];
    if (status?.err) {
      await update({ status: "failed", error: JSON.stringify(status.err) });
      throw new PaymentFailedError(
        current.intentId,
        `the transfer failed on chain: ${JSON.stringify(status.err)}`,
      );
    }
    if (status?.confirmationStatus === "confirmed" || status?.confirmationStatus === "finalized") {
      if (current.status === "signed" || current.status === "sent") await update({ status: "confirmed" });
      return current;
    }
    const height = await connection.getBlockHeight("confirmed");
    if (!status && height > current.lastValidBlockHeight) {
      // It can no longer land: the intent may be paid again with a fresh transfer.
      await update({ status: "failed", error: "blockhash expired before the transfer landed" });
      throw new PaymentFailedError(current.intentId, "the transfer expired before it landed");
    }
    if (!status && !sent) {
      try {
        await connection.sendRawTransaction(bytes, { skipPreflight: false, maxRetries: 0 });
      } catch (error) {
        const text = String((error as Error).message ?? error);
        if (!/already (been )?processed/i.test(text)) {
          await update({ status: "failed", error: text.slice(0, 200) });
          throw new PaymentFailedError(current.intentId, `the transfer was rejected: ${text.slice(0, 200)}`);
        }
      }
      sent = true;
      if (current.status === "signed") await update({ status: "sent" });
      continue;
    }
    if (now() > deadline) {
      throw new PaymentPendingError(
        current.intentId,
        current.signature,
        "the transfer did not confirm in time; resume it later",
      );
    }
    await sleep(options.pollIntervalMs ?? 250, options.signal);
  }
}
