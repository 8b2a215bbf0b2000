/**
 * `topUp(amount)`: x402 credit top-ups paid in USDC on Solana, exactly once, on `@specyard/x402`.
 */
import { PollTimeoutError, poll } from "@specyard/poll";
import {
  type JournalEntry,
  type PayingFetchOptions,
  PaymentPendingError,
  payingFetch,
  resumePayments,
} from "@specyard/x402";

export interface TopUpOptions extends PayingFetchOptions {
  /** The API base URL (default Pipe's). */
  baseUrl?: string;
  /** The permanent app key (`Authorization: ApiKey`), which the document prefers for x402. */
  appKey: string;
  /** How long to poll an intent the server is still confirming (default 2 minutes). */
  settleTimeoutMs?: number;
}

export interface TopUpResult {
  intentId: string;
  status: string;
  creditedRaw: bigint;
  balanceRaw: bigint | undefined;
}

export class TopUpConflictError extends Error {
  override name = "TopUpConflictError";
  readonly intentId: string | undefined;
  constructor(intentId: string | undefined) {
    super(`another credit intent is pending (${intentId ?? "unknown"}) and this journal did not pay it`);
    this.intentId = intentId;
  }
}

interface IntentBody {
  intent_id: string;
  status: string;
  credited_usdc_raw?: number;
  balance_usdc_raw?: number;
  error_message?: string;
}

/**
 * Tops up Pipe credits by `amount` raw USDC units. Payments journaled by an earlier run are
 * resumed first; a 202 is polled until the intent is credited.
 */
export async function topUp(amount: bigint, options: TopUpOptions): Promise<TopUpResult> {
  const base = (options.baseUrl ?? "https://us-west-01-firestarter.pipenetwork.com").replace(/\/+$/, "");
  const authed = (request: Request) => {
    request.headers.set("authorization", `ApiKey ${options.appKey}`);
    return fetch(request);
  };
  for (const { entry, status } of await resumePayments(authed, options)) {
    if (status === 200 || status === 202) await settle(entry.intentId);
  }

  const pay = payingFetch(authed, options);
  const answer = await pay(
    new Request(`${base}/api/credits/x402`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ amount_usdc_raw: Number(amount) }),
    }),
  );
  if (answer.status === 409) {
    const body = (await answer.json()) as { intent?: IntentBody };
    const mine: JournalEntry | undefined = body.intent
      ? await options.journal.get(body.intent.intent_id)
      : undefined;
    if (!mine) throw new TopUpConflictError(body.intent?.intent_id);
    return settle(mine.intentId);
  }
  if (answer.status !== 200 && answer.status !== 202) {
    throw new Error(`top-up answered ${answer.status}: ${(await answer.text()).slice(0, 200)}`);
  }
  const intent = (await answer.json()) as IntentBody;
  return answer.status === 200 ? result(intent) : settle(intent.intent_id);

  async function settle(intentId: string): Promise<TopUpResult> {
    let intent: IntentBody;
    try {
      intent = await poll(
        async () =>
          (await (
            await authed(new Request(`${base}/api/credits/intent/${encodeURIComponent(intentId)}`))
          ).json()) as IntentBody,
        {
          until: (i) => i.status === "credited" || (i.status === "pending" && Boolean(i.error_message)),
          intervalMs: 500,
          backoff: 2,
          maxIntervalMs: 5_000,
          deadlineMs: options.settleTimeoutMs ?? 120_000,
        },
      );
    } catch (error) {
      if (!(error instanceof PollTimeoutError)) throw error;
      const entry = await options.journal.get(intentId);
      throw new PaymentPendingError(
        intentId,
        entry?.signature ?? "",
        "the intent is not credited yet; resume later",
      );
    }
    if (intent.status !== "credited") throw new Error(`top-up not accepted: ${intent.error_message}`);
    const entry = await options.journal.get(intentId);
    if (entry) await options.journal.put({ ...entry, status: "credited", updatedAt: Date.now() });
    return result(intent);
  }
}

function result(intent: IntentBody): TopUpResult {
  return {
    intentId: intent.intent_id,
    status: intent.status,
    creditedRaw: BigInt(intent.credited_usdc_raw ?? 0),
    balanceRaw: intent.balance_usdc_raw === undefined ? undefined : BigInt(intent.balance_usdc_raw),
  };
}
