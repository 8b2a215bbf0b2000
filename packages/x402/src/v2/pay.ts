/**
 * Paying an x402 v2 `exact` 402 on Solana, exactly once, under the same spending policy and journal
 * as Pipe's flavour. Every check runs before the key signs; the budget is checked and the payment
 * journaled under one lock per journal, so concurrent payments cannot overdraw it. A payment is
 * journaled before `PAYMENT-SIGNATURE` is sent, under an id derived from the request and the
 * requirement: a second 402 for the same thing resends that payment, never a new one, until it
 * either delivered the resource or can no longer land (its blockhash expired and it did not land).
 */
import type { Connection, Keypair } from "@solana/web3.js";
import type { CallOptions, Runtime } from "@specyard/http";
import { PaymentFailedError, PaymentRefusedError } from "../errors.js";
import { sha256Hex } from "../flight.js";
import { isUnfinished, type JournalEntry, type PaymentJournal, spentOf } from "../journal.js";
import { withJournalLock } from "../lock.js";
import type { TransactionSigner } from "../pay.js";
import type { SpendingPolicy } from "../policy.js";
import { asOption, checkMint, chooseV2, type V2Plan } from "./check.js";
import { checkBalance, expired, landedSignature, onRpc, type V2Flow } from "./ledger.js";
import {
  encodeV2PaymentSignature,
  PAYMENT_REQUIRED_HEADER,
  PAYMENT_RESPONSE_HEADER,
  PAYMENT_SIGNATURE_HEADER,
  parseV2PaymentRequired,
  parseV2PaymentResponse,
  type V2PaymentRequired,
  type V2PaymentResponse,
} from "./required.js";
import { accountsOf, buildExact } from "./transaction.js";

/** Journal ids of x402 v2 payments start with this. */
export const V2_INTENT_PREFIX = "x402v2:";

export interface V2PayOptions {
  connection: Connection;
  payer: Keypair | TransactionSigner;
  policy: SpendingPolicy;
  journal: PaymentJournal;
  signal?: AbortSignal;
  now?: () => number;
  /** Timeout of one HTTP attempt in ms (default 20 s). */
  timeoutMs?: number;
  /** Called once the server delivered the paid answer, with its receipt when it sent one. */
  onPaid?: (entry: JournalEntry, receipt: V2PaymentResponse | undefined, status: number) => void;
}

/** One paid request: the runtime it is sent through and its deadline. */
export interface V2Call extends V2Flow {
  runtime: Runtime;
  timeoutMs: number;
}

/** The id prefix of payments of this requirement for this request: the same 402 maps to the same one. */
async function intentBase(method: string, required: V2PaymentRequired, raw: Record<string, unknown>) {
  const extra = (raw.extra ?? {}) as Record<string, unknown>;
  const fields = [method, required.resource.url, raw.scheme, raw.network, raw.asset, raw.amount, raw.payTo];
  return `${V2_INTENT_PREFIX}${(await sha256Hex(JSON.stringify([...fields, extra.feePayer]))).slice(0, 32)}:`;
}

/**
 * Decides under the journal's lock: the payment to (re)send for this 402, either the journaled one
 * still in flight, or a new one built, checked and journaled here.
 */
async function reserve(
  request: Request,
  required: V2PaymentRequired,
  options: V2PayOptions,
  call: V2Call,
): Promise<{ entry: JournalEntry; plan: V2Plan }> {
  const { journal, policy, payer } = options;
  const payerKey = payer.publicKey.toBase58();
  const entries = await journal.list();
  const bases = await Promise.all(required.accepts.map((a) => intentBase(request.method, required, a.raw)));
  const open = entries
    .filter((e) => isUnfinished(e) && bases.some((base) => e.intentId.startsWith(base)))
    .sort((a, b) => b.createdAt - a.createdAt)[0];
  if (open) {
    const index = bases.findIndex((base) => open.intentId.startsWith(base));
    const accepted = required.accepts.slice(index, index + 1);
    const spent = spentOf(entries.filter((e) => e.intentId !== open.intentId));
    const plan = chooseV2(accepted, required.resource.url, request.url, policy, spent, payerKey);
    if (await stillLive(open, call, journal))
      return { entry: (await journal.get(open.intentId)) ?? open, plan };
    entries.splice(entries.indexOf(open), 1, { ...open, status: "failed" });
  }
  const plan = chooseV2(
    required.accepts,
    required.resource.url,
    request.url,
    policy,
    spentOf(entries),
    payerKey,
  );
  const base = bases[required.accepts.indexOf(plan.requirement)] as string;
  const intentId = `${base}${entries.filter((e) => e.intentId.startsWith(base)).length}`;
  const program = await onRpc(call, "reading the mint", () =>
    checkMint(call.connection, plan.requirement.asset),
  );
  const { source, destination } = accountsOf(plan, program, payer.publicKey);
  await checkBalance(call, source.toBase58(), plan.requirement.amount);
  const option = asOption(plan.requirement, intentId, source.toBase58(), destination.toBase58());
  if (policy.onBeforePay && !(await policy.onBeforePay(option)))
    throw new PaymentRefusedError("payment", "onBeforePay", "was refused by the onBeforePay hook");
  const latest = await onRpc(call, "getLatestBlockhash", () =>
    call.connection.getLatestBlockhash("confirmed"),
  );
  const built = await buildExact(plan, program, payer, latest);
  const now = call.now();
  const entry: JournalEntry = {
    intentId,
    reference: built.source,
    amount: plan.requirement.amount.toString(),
    mint: plan.requirement.asset,
    payTo: built.destination,
    payer: payerKey,
    signedTransaction: built.transaction,
    signature: built.payerSignature,
    lastValidBlockHeight: latest.lastValidBlockHeight,
    status: "signed",
    createdAt: now,
    updatedAt: now,
  };
  // Written down before it is sent: from here on, a 402 for the same thing resends this payment.
  await journal.put(entry);
  return { entry, plan };
}

/** A journaled payment can still do something: it landed, or it may still land. */
async function stillLive(entry: JournalEntry, call: V2Call, journal: PaymentJournal): Promise<boolean> {
  if (entry.status !== "signed" && entry.status !== "sent") return true;
  const landed = await landedSignature(call, entry);
  const now = call.now();
  if (landed) {
    await journal.put({ ...entry, status: "confirmed", signature: landed, updatedAt: now });
    return true;
  }
  if (!(await expired(call, entry))) return true;
  await journal.put({
    ...entry,
    status: "failed",
    error: "its blockhash expired before it landed",
    updatedAt: now,
  });
  return false;
}

function callOf(call: V2Call, more: CallOptions = {}): CallOptions {
  return {
    deadlineMs: Math.max(1, call.deadlineAt - call.now()),
    timeoutMs: call.timeoutMs,
    ...(call.signal ? { signal: call.signal } : {}),
    ...more,
  };
}

/** A 402's own reason, if it gives one; never throws. */
function reasonOf(answer: Response): string | undefined {
  try {
    return parseV2PaymentRequired(answer.headers.get(PAYMENT_REQUIRED_HEADER)).error;
  } catch {
    return undefined;
  }
}

/** Sends the request with the journaled payment, and journals what the server made of it. */
async function submit(
  request: Request,
  required: V2PaymentRequired,
  plan: V2Plan,
  entry: JournalEntry,
  options: V2PayOptions,
  call: V2Call,
): Promise<Response> {
  const { journal } = options;
  const paid = new Request(request.clone(), { headers: new Headers(request.headers) });
  paid.headers.set(
    PAYMENT_SIGNATURE_HEADER,
    encodeV2PaymentSignature(required, plan.requirement, entry.signedTransaction),
  );
  let current = entry;
  if (current.status === "signed") {
    current = { ...current, status: "sent", updatedAt: call.now() };
    await journal.put(current);
  }
  // The same signed bytes can land once only: sending them again never pays twice.
  const answer = await call.runtime.fetch(paid, callOf(call, { idempotent: true }));
  if (answer.status === 402) {
    await answer.body?.cancel().catch(() => undefined);
    const reason = reasonOf(answer);
    const landed = current.status === "confirmed" ? current.signature : await landedSignature(call, current);
    if (landed) {
      await journal.put({ ...current, status: "confirmed", signature: landed, updatedAt: call.now() });
      throw new PaymentFailedError(
        current.intentId,
        `the server answered 402 again after the payment landed (${landed}); it is not paid again`,
      );
    }
    throw new PaymentFailedError(
      current.intentId,
      `the server refused the payment${reason ? ` (${reason})` : ""}; it stays journaled, and is not paid ` +
        "again, until its blockhash expires",
    );
  }
  if (answer.status >= 200 && answer.status < 300) {
    const receipt = parseV2PaymentResponse(answer.headers.get(PAYMENT_RESPONSE_HEADER));
    const settled = receipt?.success && receipt.transaction ? receipt.transaction : current.signature;
    current = { ...current, status: "credited", signature: settled, updatedAt: call.now() };
    await journal.put(current);
    options.onPaid?.(current, receipt, answer.status);
  }
  return answer;
}

/**
 * Answers an x402 v2 402 (`first`) to `request`: checks, pays once (or resends the journaled
 * payment for the same thing) and sends the request again with `PAYMENT-SIGNATURE`.
 */
export async function payV2Challenge(
  request: Request,
  first: Response,
  options: V2PayOptions,
  call: V2Call,
): Promise<Response> {
  const required = parseV2PaymentRequired(first.headers.get(PAYMENT_REQUIRED_HEADER));
  await first.body?.cancel().catch(() => undefined);
  const { entry, plan } = await withJournalLock(options.journal, () =>
    reserve(request, required, options, call),
  );
  return submit(request, required, plan, entry, options, call);
}
