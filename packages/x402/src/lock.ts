import type { PaymentJournal } from "./journal.js";

const locks = new WeakMap<PaymentJournal, Promise<unknown>>();

/**
 * Runs `work` alone among the payments that share this journal object in this process — Pipe's
 * flavour and x402 v2 alike — so that a budget check and the journal write that reserves the money
 * cannot interleave with another payment's: the budget holds under concurrency.
 */
export function withJournalLock<T>(journal: PaymentJournal, work: () => Promise<T>): Promise<T> {
  const previous = locks.get(journal) ?? Promise.resolve();
  const next = previous.then(work, work);
  locks.set(
    journal,
    next.catch(() => undefined),
  );
  return next;
}
