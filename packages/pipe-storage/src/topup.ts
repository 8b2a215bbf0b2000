/**
 * `topUp(amount)`: x402 credit top-ups paid in USDC on Solana, exactly once per top-up, on
 * `@specyard/x402`.
 *
 * Every top-up is journaled under an idempotency key before its first call; the payment under it is
 * journaled before it is sent. A rerun — after a crash, a timeout, a stalled server — finds both and
 * finishes that top-up instead of paying another one. Every HTTP call runs on `@specyard/http` (the
 * generated client: per-attempt timeout, a deadline for the whole top-up, retries where they are
 * safe, typed errors, the app key redacted everywhere).
 */
import { ApiError, type ApiErrorInit, NotFoundError, unwrap } from "@specyard/http";
import {
  chooseOption,
  confirm,
  DEFAULT_NETWORKS,
  isUnfinished,
  type JournalEntry,
  PaymentFailedError,
  type PaymentOption,
  PaymentRefusedError,
  parsePaymentRequired,
  payOption,
  type RequestRecord,
  restoreOption,
  spentOf,
  storeOption,
  USDC_MINT,
} from "@specyard/x402";
import { TopUpCalls } from "./topup/calls.js";
import {
  type Context,
  contextOf,
  driving,
  type IntentView,
  intentIn,
  isIntentView,
  journalId,
  outcomeOf,
  rawOf,
} from "./topup/context.js";
import { TopUpConflictError, type TopUpOptions, type TopUpResult } from "./topup/types.js";

export * from "./topup/types.js";

const MAX_ROUNDS = 8;
/** The top-ups running in this process, per journal: a second call with the same key joins the first. */
const running = new Map<unknown, Map<string, Promise<TopUpResult>>>();

/**
 * Tops up Pipe credits by `amount` raw USDC units, exactly once per top-up.
 *
 * **Which top-up a call is.** With `idempotencyKey`, the key names it: a call with a key already in
 * the journal returns that top-up's outcome (finishing it first if it was interrupted) and never
 * pays again. Without one, the key is derived from the amount, the treasury owner and `label`: a
 * call resumes the latest top-up with that key while it is unfinished (the plain rerun after a
 * crash), and starts a new one once it is done. (A crash after the outcome is journaled but before
 * the caller got it therefore pays again on a keyless rerun; pass a key to rule that out.)
 *
 * **What a rerun resumes.** The top-up is journaled before its first call, its intent as soon as
 * the 402 names it, its transfer before it is sent. A pending intent the journal does not know (a
 * crash between the 402 and the first journal write) is adopted when it asks for this amount to
 * this treasury — paid once, or credited with a payment already on chain for its reference —
 * and cancelled otherwise (or waited out while the server confirms a payment for it). Other
 * unfinished top-ups in the journal are finished first when money moved for them, else cancelled.
 *
 * Ends within `deadlineMs` (120 s by default) with `TimeoutError` if the server or the RPC stalls;
 * what was paid stays journaled, and the next call picks it up. Errors are typed: the `ApiError`
 * family (redacted), `PaymentRefusedError`, `PaymentFailedError`, `PaymentPendingError`,
 * `ResponseTooLargeError`, `TopUpConflictError`, `TimeoutError`, `AbortError`.
 */
export function topUp(amount: bigint, options: TopUpOptions): Promise<TopUpResult> {
  let run: TopUpRun;
  try {
    run = new TopUpRun(amount, options);
  } catch (error) {
    return Promise.reject(error);
  }
  const id = journalId(options.journal);
  const perJournal = running.get(id) ?? new Map<string, Promise<TopUpResult>>();
  running.set(id, perJournal);
  const before = perJournal.get(run.family);
  // The same key at the same time is the same top-up: the second call gets the first one's outcome.
  if (before && options.idempotencyKey !== undefined) return before;
  // Keyless top-ups of one amount run one after the other (the second is a top-up of its own).
  const promise = (before ? before.then(noop, noop) : Promise.resolve()).then(() => run.run());
  const settled = promise.finally(() => {
    if (perJournal.get(run.family) === settled) perJournal.delete(run.family);
    if (perJournal.size === 0) running.delete(id);
  });
  perJournal.set(run.family, settled);
  return settled;
}

const noop = () => undefined;

class TopUpRun extends TopUpCalls {
  /** The explicit key, or the derived key without its generation: calls of one family run one at a time. */
  readonly family: string;

  constructor(amount: bigint, options: TopUpOptions, ctx?: Context, record?: RequestRecord) {
    super(amount, ctx ?? contextOf(amount, options), record);
    const { idempotencyKey, label, policy } = this.ctx.options;
    this.family =
      idempotencyKey !== undefined
        ? `key:${idempotencyKey}`
        : `auto:${policy.treasuryOwner}:${amount}:${label ?? ""}`;
  }

  async run(): Promise<TopUpResult> {
    const { journal } = this.ctx;
    const found = await this.resolve();
    if ("resumed" in found) return found;
    this.record = found;
    const set = driving.get(journalId(journal)) ?? new Set<string>();
    driving.set(journalId(journal), set);
    set.add(found.key);
    try {
      // The top-up is written down before its first call: a rerun from here on resumes it.
      await this.save({});
      await this.step("journaled");
      await this.finishOthers();
      return await this.drive();
    } catch (error) {
      throw await this.failed(error);
    } finally {
      set.delete(found.key);
      if (set.size === 0) driving.delete(journalId(journal));
    }
  }

  /** The record this call continues, or the outcome to hand back. */
  protected async resolve(): Promise<RequestRecord | TopUpResult> {
    const { journal, options, now } = this.ctx;
    const fresh = (key: string): RequestRecord => ({
      key,
      state: "open",
      amount: this.amount.toString(),
      createdAt: now(),
      updatedAt: now(),
    });
    if (options.idempotencyKey !== undefined) {
      const existing = await journal.getRequest(this.family);
      if (!existing) return fresh(this.family);
      if (existing.amount !== this.amount.toString()) {
        throw new PaymentRefusedError(
          "idempotencyKey",
          "amount",
          `was used for a top-up of ${existing.amount} raw units, not ${this.amount}`,
        );
      }
      if (existing.state === "done") return outcomeOf(existing, true);
      return { ...existing, state: "open", error: undefined };
    }
    let latest: RequestRecord | undefined;
    let generation = 0;
    for (const record of await journal.listRequests()) {
      if (!record.key.startsWith(`${this.family}#`)) continue;
      const n = Number(record.key.slice(this.family.length + 1));
      if (Number.isSafeInteger(n) && n > generation) {
        generation = n;
        latest = record;
      }
    }
    if (latest && latest.state !== "done") return { ...latest, state: "open", error: undefined };
    return fresh(`${this.family}#${generation + 1}`);
  }

  protected async drive(): Promise<TopUpResult> {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const record = this.record_;
      if (record.intentId) {
        const entry = await this.ctx.journal.get(record.intentId);
        if (entry && entry.status !== "failed") return this.finish(entry);
        const outcome = await this.payKnownIntent(record.intentId);
        if (outcome) return outcome;
        continue;
      }
      const asked = await this.ask();
      if (asked.kind === "conflict") {
        await this.resolveConflict(asked.init, asked.intent);
        continue;
      }
      await this.step("payment-required", asked.option.extra.intent_id);
      await this.save({ intentId: asked.option.extra.intent_id, option: storeOption(asked.option) });
      await this.step("intent");
      return this.payAndFinish(asked.option);
    }
    throw new TopUpConflictError(
      this.conflictInit(undefined),
      undefined,
      `the server kept answering 409 after ${MAX_ROUNDS} rounds of adopting, cancelling and waiting`,
    );
  }

  /** `POST /api/credits/x402` with the amount: a 402 and its option, or a 409 and the pending intent. */
  protected async ask(): Promise<
    { kind: "pay"; option: PaymentOption } | { kind: "conflict"; init: ApiErrorInit; intent: unknown }
  > {
    const result = await this.call(
      "asking for a payment",
      (client) => client.POST("/api/credits/x402", { body: { amount_usdc_raw: Number(this.amount) } }),
      {},
      true,
    );
    const { response } = result;
    if (response.status === 409) {
      return {
        kind: "conflict",
        init: this.conflictInit(result.error, response),
        intent: intentIn(result.error),
      };
    }
    if (response.status === 402) {
      const required = parsePaymentRequired(response.headers.get("Payment-Required"));
      const { policy } = this.ctx.options;
      const spent = spentOf(await this.ctx.journal.list());
      const option = chooseOption(required.accepts, policy, spent);
      if (option.amount !== this.amount) {
        throw new PaymentRefusedError(
          "amount",
          "asked",
          `${option.amount} is not the ${this.amount} raw units this top-up asked for`,
        );
      }
      return { kind: "pay", option };
    }
    if (!response.ok) await unwrap(result);
    throw new PaymentRefusedError(
      "Payment-Required",
      "present",
      `header is missing: the first call answered ${response.status}, not 402`,
    );
  }

  /** A 409: adopt the pending intent, finish the journal's own, cancel a stranger's, or wait it out. */
  protected async resolveConflict(init: ApiErrorInit, given: unknown): Promise<void> {
    const { journal } = this.ctx;
    let view = isIntentView(given) ? given : undefined;
    if (!view) {
      const status = await this.call("reading the pending intent", (client) =>
        client.GET("/api/credits/status"),
      );
      const pending = status.response.ok ? intentIn(status.data) : undefined;
      view = isIntentView(pending) ? pending : undefined;
    }
    if (!view) return; // nothing pending any more: ask again
    const id = view.intent_id;
    const owner = (await journal.listRequests()).find((r) => r.intentId === id && r.key !== this.record_.key);
    if (owner && driving.get(journalId(journal))?.has(owner.key)) {
      throw new TopUpConflictError(init, id, "another top-up in this process is paying it");
    }
    if (owner && owner.state === "open") {
      await this.finishOther(owner);
      return;
    }
    const entry = await journal.get(id);
    if (entry && isUnfinished(entry)) {
      // A payment of this journal that no top-up claims (payingFetch, or a journal from before top-ups).
      if (BigInt(entry.amount) === this.amount) await this.save({ intentId: id, option: undefined });
      else await this.finishLegacy(entry);
      return;
    }
    if (this.matches(view) && view.status === "pending") {
      // Unknown to the journal but asking exactly this: a crash between its 402 and the journal.
      this.ctx.log?.info("adopting the pending intent this top-up asks for", {
        key: this.record_.key,
        intentId: id,
      });
      await this.save({ intentId: id, option: undefined });
      return;
    }
    if (view.status === "processing") {
      await this.settle(id, false);
      return;
    }
    if (view.status === "pending") {
      const paid = await this.paidOnChain(view.reference_pubkey);
      // Someone paid it and did not hand it in: credit it (it is this account's money), then go on.
      if (paid && (await this.submitFound(id, paid))) return;
      this.ctx.log?.info("cancelling a pending intent that is not this top-up's", { intentId: id });
      await this.cancel(id, init);
      return;
    }
    throw new TopUpConflictError(init, id, `it is ${view.status}, yet the server still answers 409`);
  }

  protected matches(view: IntentView): boolean {
    const { policy } = this.ctx.options;
    return (
      rawOf(view.requested_usdc_raw) === this.amount &&
      view.treasury_owner_pubkey === policy.treasuryOwner &&
      (policy.mints ?? [USDC_MINT]).includes(view.usdc_mint)
    );
  }

  /** The journal names the intent but holds no live payment for it. */
  protected async payKnownIntent(intentId: string): Promise<TopUpResult | undefined> {
    let view: IntentView;
    try {
      view = await this.getIntent(intentId);
    } catch (error) {
      // The server does not know it (another host, a reset sandbox); nothing was paid for it here.
      if (!(error instanceof NotFoundError)) throw error;
      await this.save({ intentId: undefined, option: undefined });
      return undefined;
    }
    if (view.status === "credited") return this.done(view);
    if (view.status === "processing") return this.done(await this.settle(intentId, true));
    if (view.status !== "pending") {
      // Cancelled or expired before anything was paid: ask for a new one.
      await this.save({ intentId: undefined, option: undefined });
      return undefined;
    }
    const paid = await this.paidOnChain(view.reference_pubkey);
    if (paid) {
      // Paid already, by a transfer this journal does not hold: hand that one in, pay nothing.
      const credited = await this.submitFound(intentId, paid);
      if (credited) return this.done(credited);
    }
    const stored = this.record_.option;
    const option = stored ? restoreOption(stored) : this.optionOf(view);
    if (option.amount !== this.amount || option.extra.intent_id !== intentId) {
      throw new PaymentRefusedError(
        "amount",
        "asked",
        `the intent asks ${option.amount}, not ${this.amount}`,
      );
    }
    return this.payAndFinish(option);
  }

  /** An intent view as a payment option (for an adopted intent, whose 402 this journal never saw). */
  protected optionOf(view: IntentView): PaymentOption {
    const { policy } = this.ctx.options;
    return {
      scheme: (policy.schemes ?? ["exact"])[0] ?? "exact",
      network: (policy.networks ?? DEFAULT_NETWORKS)[0] ?? "solana",
      amount: rawOf(view.requested_usdc_raw) ?? 0n,
      asset: view.usdc_mint,
      payTo: view.treasury_usdc_ata,
      maxTimeoutSeconds: undefined,
      extra: { intent_id: view.intent_id, reference_pubkey: view.reference_pubkey },
    };
  }

  protected async payAndFinish(option: PaymentOption): Promise<TopUpResult> {
    const entry = await payOption(option, this.pay(), {
      url: `${this.ctx.base}/api/credits/x402`,
      method: "POST",
    });
    return this.finish(entry);
  }

  /** A journaled payment: confirm it, hand in its signature, wait for the credit. */
  protected async finish(entry: JournalEntry): Promise<TopUpResult> {
    let current = entry;
    if (this.record_.intentId !== entry.intentId) await this.save({ intentId: entry.intentId });
    if (current.status === "signed" || current.status === "sent")
      current = await confirm(current, this.pay());
    let view: IntentView;
    if (current.status === "credited") view = await this.getIntent(current.intentId);
    else if (current.status === "submitted") view = await this.settle(current.intentId, true);
    else {
      const answer = await this.resend(current.intentId, current.signature);
      await this.step("accepted");
      if (answer.kind === "refused") {
        // Some servers refuse a second confirmation of a credited intent: ask the intent itself.
        view = await this.getIntent(current.intentId);
        if (view.status !== "credited") await unwrap(answer.result);
      } else if (answer.kind === "credited") view = answer.view;
      else {
        current = await this.putEntry(current, "submitted", 202);
        view = await this.settle(current.intentId, true);
      }
    }
    if (current.status !== "credited") await this.putEntry(current, "credited", 200);
    await this.step("credited");
    return this.done(view);
  }

  /** Other unfinished top-ups of this journal: finished when money moved for them, else cancelled. */
  protected async finishOthers(): Promise<void> {
    const { journal, base } = this.ctx;
    const busy = driving.get(journalId(journal));
    const records = await journal.listRequests();
    for (const other of records) {
      if (other.state !== "open" || other.key === this.record_.key || busy?.has(other.key)) continue;
      await this.finishOther(other);
    }
    const claimed = new Set(records.map((r) => r.intentId).filter(Boolean));
    claimed.add(this.record_.intentId);
    for (const entry of await journal.list()) {
      if (!isUnfinished(entry) || claimed.has(entry.intentId)) continue;
      if (entry.resource?.url !== `${base}/api/credits/x402`) continue;
      if (!this.record_.intentId && BigInt(entry.amount) === this.amount) {
        await this.save({ intentId: entry.intentId, option: undefined });
        claimed.add(entry.intentId);
        continue;
      }
      await this.finishLegacy(entry);
    }
  }

  protected async finishOther(other: RequestRecord): Promise<void> {
    const { journal } = this.ctx;
    const entry = other.intentId ? await journal.get(other.intentId) : undefined;
    if (entry && entry.status !== "failed") {
      await new TopUpRun(BigInt(other.amount), this.ctx.options, this.ctx, other).finish(entry);
      return;
    }
    if (other.intentId) await this.cancelQuietly(other.intentId);
    await journal.putRequest({
      ...other,
      state: "failed",
      error: `superseded by ${this.record_.key} before anything was paid`,
      updatedAt: this.ctx.now(),
    });
  }

  /** A payment this journal made that no top-up claims: finished under a record of its own. */
  protected async finishLegacy(entry: JournalEntry): Promise<void> {
    const record: RequestRecord = {
      key: `payment:${entry.intentId}`,
      state: "open",
      amount: entry.amount,
      intentId: entry.intentId,
      createdAt: this.ctx.now(),
      updatedAt: this.ctx.now(),
    };
    await this.ctx.journal.putRequest(record);
    await new TopUpRun(BigInt(entry.amount), this.ctx.options, this.ctx, record).finish(entry);
  }

  /** Nothing was paid and the failure is final: the record says so (a rerun starts over), the intent is cancelled. */
  protected async failed(error: unknown): Promise<unknown> {
    const typed = this.typed(error);
    const record = this.record;
    this.ctx.log?.warn(`top-up failed: ${(typed as Error)?.message}`, {
      key: record?.key,
      intentId: record?.intentId,
      error: (typed as Error)?.name,
    });
    if (record?.state !== "open") return typed;
    const definitive =
      typed instanceof PaymentRefusedError ||
      typed instanceof PaymentFailedError ||
      (typed instanceof ApiError &&
        typed.status >= 400 &&
        typed.status < 500 &&
        !(typed instanceof TopUpConflictError));
    if (!definitive) return typed;
    const entry = record.intentId
      ? await this.ctx.journal.get(record.intentId).catch(() => undefined)
      : undefined;
    if (entry && entry.status !== "failed") return typed; // money moved: a rerun must finish it
    if (record.intentId) await this.cancelQuietly(record.intentId);
    await this.save({
      state: "failed",
      error: this.ctx.redactor.redact((typed as Error).message).slice(0, 300),
    }).catch(() => undefined);
    return typed;
  }
}
