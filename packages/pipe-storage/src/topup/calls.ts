/** The calls a top-up makes (intents, confirmations, cancels) and its journal writes, on @specyard/http. */
import { AbortError, type ApiErrorInit, type CallOptions, SpecyardError, unwrap } from "@specyard/http";
import {
  checkFlow,
  type JournalEntry,
  PaymentFailedError,
  PaymentPendingError,
  type PayOptions,
  paidOnChain,
  pause,
  type RequestRecord,
  refusalOfOversizedHeaders,
  remaining,
  sizeLimitOf,
} from "@specyard/x402";
import type { PipeStorageClient } from "../client.js";
import { encodePaymentSignature } from "../x402.js";
import { type Context, type IntentView, isIntentView, outcomeOf, rawOf } from "./context.js";
import { TopUpConflictError, type TopUpResult, type TopUpStep, type TopUpStepInfo } from "./types.js";

export class TopUpCalls {
  readonly amount: bigint;
  protected readonly ctx: Context;
  protected record: RequestRecord | undefined;

  constructor(amount: bigint, ctx: Context, record?: RequestRecord) {
    this.amount = amount;
    this.ctx = ctx;
    this.record = record;
  }

  protected get record_(): RequestRecord {
    if (!this.record) throw new SpecyardError("topUp: no journaled top-up (internal error)");
    return this.record;
  }

  protected async putEntry(
    entry: JournalEntry,
    status: "submitted" | "credited",
    http: number,
  ): Promise<JournalEntry> {
    const next = { ...entry, status, updatedAt: this.ctx.now() };
    await this.ctx.journal.put(next);
    this.ctx.options.onPaid?.(next, http);
    return next;
  }

  /** The confirming call: `POST /api/credits/x402` with `Payment-Signature`. */
  protected async resend(intentId: string, signature: string) {
    const header = encodePaymentSignature({ intent_id: intentId, tx_sig: signature });
    const result = await this.call(
      "the Payment-Signature resend",
      (client) => client.POST("/api/credits/x402", { params: { header: { "Payment-Signature": header } } }),
      // The server credits an intent once, however often its signature is handed in.
      { idempotent: true },
    );
    const { response } = result;
    if (response.status === 200 && isIntentView(result.data))
      return { kind: "credited" as const, view: result.data };
    if (response.status === 202 || response.status === 200) return { kind: "accepted" as const };
    if (response.status >= 400 && response.status < 500) return { kind: "refused" as const, result };
    await unwrap(result);
    return { kind: "accepted" as const };
  }

  /**
   * A payment found on chain for the intent's reference, not in this journal: hand it in. The
   * credited intent, or undefined when the server does not take it as a payment.
   */
  protected async submitFound(intentId: string, signature: string): Promise<IntentView | undefined> {
    const answer = await this.resend(intentId, signature);
    if (answer.kind === "refused") return undefined;
    return answer.kind === "credited" ? answer.view : this.settle(intentId, true);
  }

  /** Polls the intent until credited. Not credited in time: `PaymentPendingError` (the journal keeps it). */
  protected async settle(intentId: string, own: boolean): Promise<IntentView> {
    const { options, now, flow } = this.ctx;
    const until = Math.min(
      flow.deadlineAt ?? Number.POSITIVE_INFINITY,
      now() + (options.settleTimeoutMs ?? Number.POSITIVE_INFINITY),
    );
    let wait = 250;
    for (;;) {
      const view = await this.getIntent(intentId);
      if (view.status === "credited") return view;
      if (!own && view.status !== "processing") return view;
      if (view.status === "pending" && view.error_message) {
        throw new PaymentFailedError(
          intentId,
          this.ctx.redactor.redact(
            `the intent was not credited: ${String(view.error_message).slice(0, 300)}`,
          ),
        );
      }
      if (view.status === "cancelled" || view.status === "expired") {
        throw new PaymentFailedError(intentId, `the intent is ${view.status}; nothing was credited`);
      }
      if (now() + wait >= until) {
        const entry = await this.ctx.journal.get(intentId);
        throw new PaymentPendingError(
          intentId,
          entry?.signature ?? "",
          "the intent is not credited yet; resume later",
        );
      }
      await pause(flow, "waiting for the intent to be credited", wait);
      wait = Math.min(5_000, wait * 2);
    }
  }

  protected async getIntent(intentId: string): Promise<IntentView> {
    const result = await this.call("reading the intent", (client) =>
      client.GET("/api/credits/intent/{intent_id}", { params: { path: { intent_id: intentId } } }),
    );
    const data = await unwrap(result);
    if (!isIntentView(data) || data.intent_id !== intentId) {
      throw new PaymentPendingError(
        intentId,
        "",
        "the server's answer for the intent is not a credit intent; resume later",
      );
    }
    return data;
  }

  /** A successful transfer on chain that names `reference`: someone paid this intent already. */
  protected paidOnChain(reference: string): Promise<string | undefined> {
    return paidOnChain(reference, this.pay());
  }

  protected async cancel(intentId: string, init: ApiErrorInit): Promise<void> {
    const result = await this.call("cancelling the pending intent", (client) =>
      client.POST("/api/credits/cancel", { body: { intent_id: intentId } }),
    );
    if (result.response.ok || result.response.status === 404) return;
    const view = await this.getIntent(intentId).catch(() => undefined);
    if (view?.status === "processing") {
      await this.settle(intentId, false);
      return;
    }
    if (view && view.status !== "pending") return;
    throw new TopUpConflictError(init, intentId, "it could not be cancelled");
  }

  /** Cancels an intent nothing was paid for, when it can; never throws. */
  protected async cancelQuietly(intentId: string): Promise<void> {
    try {
      checkFlow(this.ctx.flow, "cancelling");
      await this.call("cancelling the intent", (client) =>
        client.POST("/api/credits/cancel", { body: { intent_id: intentId } }),
      );
    } catch {
      // Best effort: a later top-up cancels or adopts it on its 409.
    }
  }

  protected async done(view: IntentView): Promise<TopUpResult> {
    const outcome = {
      intentId: view.intent_id,
      status: view.status,
      creditedRaw: (rawOf(view.credited_usdc_raw) ?? 0n).toString(),
      ...(rawOf(view.balance_usdc_raw) === undefined
        ? {}
        : { balanceRaw: String(rawOf(view.balance_usdc_raw)) }),
    };
    await this.save({ state: "done", intentId: view.intent_id, outcome });
    await this.step("done");
    return outcomeOf(this.record_, false);
  }

  protected async save(patch: Partial<RequestRecord>): Promise<void> {
    const next: RequestRecord = { ...this.record_, ...patch, updatedAt: this.ctx.now() };
    for (const key of Object.keys(next) as Array<keyof RequestRecord>)
      if (next[key] === undefined) delete next[key];
    this.record = next;
    await this.ctx.journal.putRequest(next);
  }

  protected async step(step: TopUpStep, intentId?: string, entry?: JournalEntry): Promise<void> {
    const info: TopUpStepInfo = {
      key: this.record_.key,
      intentId: intentId ?? this.record?.intentId,
      ...(entry ? { entry } : {}),
    };
    this.ctx.log?.debug(`top-up ${step}`, { key: info.key, intentId: info.intentId });
    await this.ctx.options.onStep?.(step, info);
  }

  /** What payOption and confirm need: the caller's options, this call's deadline and signal, the step hook. */
  protected pay(): PayOptions {
    const { options, flow } = this.ctx;
    const { onStep: _, ...rest } = options;
    return {
      ...rest,
      ...(flow.signal ? { signal: flow.signal } : {}),
      ...(flow.deadlineAt !== undefined ? { deadlineAt: flow.deadlineAt } : {}),
      onStep: (step, info) => this.step(step, info.intentId, info.entry),
    };
  }

  protected async call<R>(
    what: string,
    send: (client: PipeStorageClient) => Promise<R>,
    more: CallOptions = {},
    first = false,
  ): Promise<R> {
    const { client, flow } = this.ctx;
    try {
      const call: CallOptions = { deadlineMs: Math.max(1, remaining(flow, what)), ...more };
      if (flow.signal) call.signal = flow.signal;
      return await send(client.withOptions(call));
    } catch (error) {
      throw this.normalized(error, what, first);
    }
  }

  protected normalized(error: unknown, what: string, first: boolean): unknown {
    const { flow } = this.ctx;
    if (error instanceof AbortError && flow.signal?.aborted) {
      try {
        checkFlow(flow, what);
      } catch (typed) {
        return typed;
      }
    }
    const tooLarge = sizeLimitOf(error);
    if (tooLarge) return first ? refusalOfOversizedHeaders(tooLarge) : tooLarge;
    return error;
  }

  protected conflictInit(body: unknown, response?: Response): ApiErrorInit {
    return {
      status: 409,
      body,
      method: "POST",
      url: response?.url || `${this.ctx.base}/api/credits/x402`,
      ...(response ? { headers: response.headers } : {}),
      redact: this.ctx.redactor.redact,
    };
  }

  /** Anything untyped that escaped (a signer, a journal) keeps its type but loses any secret in its message. */
  protected typed(error: unknown): unknown {
    if (error instanceof Error && !(error instanceof SpecyardError)) {
      const redacted = this.ctx.redactor.redact(error.message);
      if (redacted !== error.message) error.message = redacted;
    }
    return error;
  }
}
