import type { StoredOption } from "./payment-required.js";

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

/**
 * A paid request (a top-up), journaled under its idempotency key **before its first call**, so that
 * a rerun after a crash finds it and resumes it (or returns its outcome) instead of paying again.
 */
export interface RequestRecord {
  /** The idempotency key. */
  key: string;
  /** `open` until the outcome is known; `done` holds it; `failed` means nothing was paid (a rerun may start over). */
  state: "open" | "done" | "failed";
  /** Raw units, as a decimal string. */
  amount: string;
  /** The intent this request pays, once the server named one. */
  intentId?: string;
  /** The option the server offered for `intentId`, as JSON (see `storeOption`). */
  option?: StoredOption;
  /** The outcome handed back to every rerun, as JSON. */
  outcome?: Record<string, unknown>;
  /** Why it failed (redacted): nothing was paid. */
  error?: string;
  createdAt: number;
  updatedAt: number;
}

export interface PaymentJournal {
  get(intentId: string): Promise<JournalEntry | undefined>;
  put(entry: JournalEntry): Promise<void>;
  list(): Promise<JournalEntry[]>;
  /**
   * Requests journaled before their first call (`topUp` needs these three; `MemoryJournal` and
   * `FileJournal` have them). Optional so that journals written for payments alone still type-check.
   */
  getRequest?(key: string): Promise<RequestRecord | undefined>;
  putRequest?(record: RequestRecord): Promise<void>;
  listRequests?(): Promise<RequestRecord[]>;
}

/** A journal that also keeps requests. */
export type RequestJournal = PaymentJournal &
  Required<Pick<PaymentJournal, "getRequest" | "putRequest" | "listRequests">>;

export function keepsRequests(journal: PaymentJournal): journal is RequestJournal {
  return (
    typeof journal.getRequest === "function" &&
    typeof journal.putRequest === "function" &&
    typeof journal.listRequests === "function"
  );
}

const copy = <T>(value: T): T => structuredClone(value);

/** In memory: for tests and for callers that persist elsewhere. */
export class MemoryJournal implements RequestJournal {
  readonly #entries = new Map<string, JournalEntry>();
  readonly #requests = new Map<string, RequestRecord>();
  async get(intentId: string) {
    const entry = this.#entries.get(intentId);
    return entry && copy(entry);
  }
  async put(entry: JournalEntry) {
    this.#entries.set(entry.intentId, copy(entry));
  }
  async list() {
    return [...this.#entries.values()].map(copy);
  }
  async getRequest(key: string) {
    const record = this.#requests.get(key);
    return record && copy(record);
  }
  async putRequest(record: RequestRecord) {
    this.#requests.set(record.key, copy(record));
  }
  async listRequests() {
    return [...this.#requests.values()].map(copy);
  }
}

/** Everything paid or being paid, in raw units: what counts against the budget. */
export function spentOf(entries: readonly JournalEntry[]): bigint {
  return entries
    .filter((entry) => entry.status !== "failed")
    .reduce((sum, entry) => sum + BigInt(entry.amount), 0n);
}

/** Not yet credited and not failed: money may have moved, so it must be finished, never rebuilt. */
export function isUnfinished(entry: JournalEntry): boolean {
  return entry.status !== "credited" && entry.status !== "failed";
}
