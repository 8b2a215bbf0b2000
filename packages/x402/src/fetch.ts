import { isUnfinished, type JournalEntry, spentOf } from "./journal.js";
import { confirm, type PayOptions, payOption } from "./pay.js";
import { encodePaymentSignature, parsePaymentRequired } from "./payment-required.js";
import { chooseOption } from "./policy.js";

export interface PayingFetchOptions extends PayOptions {
  /** Called once a payment is confirmed and submitted, with the server's answer status. */
  onPaid?: (entry: JournalEntry, status: number) => void;
}

type Fetch = (input: Request) => Promise<Response>;

/**
 * A fetch that answers this 402 scheme by itself: it reads `Payment-Required`, picks the option
 * the policy allows, pays it exactly once (journaled), and sends the request again with
 * `Payment-Signature`. Any other answer passes through untouched.
 */
export function payingFetch(
  baseFetch: Fetch,
  options: PayingFetchOptions,
): (input: Request | string, init?: RequestInit) => Promise<Response> {
  return async (input, init) => {
    const request = new Request(input, init);
    const first = await baseFetch(request.clone());
    if (first.status !== 402 || !first.headers.has("Payment-Required")) return first;
    const required = parsePaymentRequired(first.headers.get("Payment-Required"));
    const option = chooseOption(required.accepts, options.policy, spentOf(await options.journal.list()));
    await first.body?.cancel();
    const entry = await payOption(option, options, { url: request.url, method: request.method });
    return submit(baseFetch, request, entry, options);
  };
}

/** Sends the confirming request for a confirmed payment, and records what the server said. */
export async function submit(
  baseFetch: Fetch,
  request: Request,
  entry: JournalEntry,
  options: PayingFetchOptions,
): Promise<Response> {
  const retry = new Request(request, { headers: new Headers(request.headers) });
  retry.headers.set("Payment-Signature", encodePaymentSignature(entry.intentId, entry.signature));
  const answer = await baseFetch(retry);
  if (answer.status === 200 || answer.status === 202) {
    const status = answer.status === 200 ? "credited" : "submitted";
    await options.journal.put({ ...entry, status, updatedAt: (options.now ?? Date.now)() });
    options.onPaid?.({ ...entry, status }, answer.status);
  }
  return answer;
}

/**
 * After a restart: every journaled payment not yet credited is confirmed (its same bytes sent again
 * if they never landed) and submitted to the resource that asked for it. No new transfer is built.
 */
export async function resumePayments(
  baseFetch: Fetch,
  options: PayingFetchOptions,
): Promise<Array<{ entry: JournalEntry; status: number }>> {
  const out: Array<{ entry: JournalEntry; status: number }> = [];
  for (const entry of await options.journal.list()) {
    if (!isUnfinished(entry) || !entry.resource) continue;
    const confirmed = await confirm(entry, options);
    const request = new Request(entry.resource.url, { method: entry.resource.method });
    const answer = await submit(baseFetch, request, confirmed, options);
    out.push({ entry: (await options.journal.get(entry.intentId)) ?? confirmed, status: answer.status });
  }
  return out;
}
