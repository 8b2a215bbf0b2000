/** The public types of `topUp`: options, steps, results and its conflict error. */
import { type ApiErrorInit, ConflictError } from "@specyard/http";
import type { JournalEntry, PayingFetchOptions, PaymentStep } from "@specyard/x402";

/** The default budget of one `topUp` call, everything included (resume, ask, pay, confirm, resend, poll). */
export const TOPUP_DEADLINE_MS = 120_000;

/**
 * The steps of one top-up, each reported once it is durable (or, for `payment-required` and
 * `accepted`, once the server's answer is in hand and not yet journaled):
 * `journaled` (the top-up is in the journal, nothing sent), `payment-required` (the 402 is read),
 * `intent` (its intent and option are journaled), `signed` / `sent` / `confirmed` (the transfer),
 * `accepted` (the server answered the `Payment-Signature`), `credited` (the payment is journaled
 * credited), `done` (the outcome is journaled; `topUp` returns next).
 */
export type TopUpStep =
  | "journaled"
  | "payment-required"
  | "intent"
  | PaymentStep
  | "accepted"
  | "credited"
  | "done";

/** What a step hook is told (a `PaymentStepInfo` for the transfer's steps, so one hook fits both). */
export interface TopUpStepInfo {
  /** The top-up's idempotency key (given, or derived); `topUp` always sets it. */
  key?: string;
  intentId: string | undefined;
  /** The journal entry, at the transfer's steps. */
  entry?: JournalEntry;
}

export interface TopUpOptions extends Omit<PayingFetchOptions, "runtime" | "deadlineAt"> {
  /** The API base URL (default `PIPE_BASE_URL`, else Pipe's). */
  baseUrl?: string;
  /**
   * The permanent app key (`Authorization: ApiKey`), which the document prefers for x402; default
   * `PIPE_APP_KEY` from the environment.
   */
  appKey?: string;
  /**
   * Exactly once per key: every later call with it, in this journal, returns the first outcome (or
   * finishes it when it was interrupted) instead of paying again. Without one, the key is derived:
   * see `topUp`.
   */
  idempotencyKey?: string;
  /** Part of the derived key: top-ups of the same amount with different labels are different top-ups. */
  label?: string;
  /** Budget of the whole call in ms (default `TOPUP_DEADLINE_MS`, 120 s): past it, `TimeoutError`. */
  deadlineMs?: number;
  /** How long to poll an intent the server is still confirming (default: the rest of the deadline). */
  settleTimeoutMs?: number;
  /** A fetch that takes a `Request` (a proxy, a mock); default the global `fetch`. */
  fetch?: (request: Request) => Promise<Response>;
  /** Observes each step (metrics; tests that kill the process at a given step). */
  onStep?: (step: TopUpStep, info: TopUpStepInfo) => void | Promise<void>;
}

export interface TopUpResult {
  intentId: string;
  status: string;
  creditedRaw: bigint;
  balanceRaw: bigint | undefined;
  /** The key this top-up ran under. */
  idempotencyKey: string;
  /** True when the outcome is an earlier call's, handed back instead of paying again. */
  resumed: boolean;
}

/**
 * Another credit intent is pending on the account, and this top-up could neither adopt it (it is
 * not for this amount and treasury), nor cancel it, nor wait it out.
 */
export class TopUpConflictError extends ConflictError {
  override name = "TopUpConflictError";
  readonly intentId: string | undefined;
  constructor(init: ApiErrorInit, intentId: string | undefined, reason: string) {
    super(init);
    this.intentId = intentId;
    const redact = init.redact ?? ((text: string) => text);
    this.message = redact(`another credit intent is pending (${intentId ?? "unknown"}): ${reason}`);
  }
}
