/**
 * The payment journal: before a transfer is sent, `{intent, reference, signed transaction,
 * signature}` is written down, so that a crash at any point resumes the same transfer instead of
 * building a second one.
 */
export type JournalStatus = "signed" | "sent" | "confirmed" | "submitted" | "credited" | "failed";

export interface JournalEntry {
  intentId: string;
  reference: string;
  /** Raw units, as a decimal string (JSON has no bigint). */
  amount: string;
  mint: string;
  payTo: string;
  payer: string;
  /** The signed transaction, base64: resending it can never pay twice (same signature). */
  signedTransaction: string;
  signature: string;
  /** The block height after which the transaction can no longer land. */
  lastValidBlockHeight: number;
  status: JournalStatus;
  error?: string;
  /** Where and how the payment is confirmed (the request that asked for it). */
  resource?: { url: string; method: string };
  createdAt: number;
  updatedAt: number;
}

export interface PaymentJournal {
  get(intentId: string): Promise<JournalEntry | undefined>;
  put(entry: JournalEntry): Promise<void>;
  list(): Promise<JournalEntry[]>;
}

/** In memory: for tests and for callers that persist elsewhere. */
export class MemoryJournal implements PaymentJournal {
  readonly #entries = new Map<string, JournalEntry>();
  async get(intentId: string) {
    const entry = this.#entries.get(intentId);
    return entry && { ...entry };
  }
  async put(entry: JournalEntry) {
    this.#entries.set(entry.intentId, { ...entry });
  }
  async list() {
    return [...this.#entries.values()].map((entry) => ({ ...entry }));
  }
}

/** Everything paid or being paid, in raw units: what counts against the budget. */
export function spentOf(entries: readonly JournalEntry[]): bigint {
  return entries
    .filter((entry) => entry.status !== "failed")
    .reduce((sum, entry) => sum + BigInt(entry.amount), 0n);
}

export function isUnfinished(entry: JournalEntry): boolean {
  return entry.status !== "credited" && entry.status !== "failed";
}
