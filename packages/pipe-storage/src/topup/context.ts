/** What one top-up and the older ones it finishes share, and the pure helpers around it. */
import { type Logger, levelLogger, MissingCredentialError, Redactor, readEnv } from "@specyard/http";
import {
  boundedFetch,
  DEFAULT_ATTEMPT_TIMEOUT_MS,
  DEFAULT_MAX_BODY_BYTES,
  deadlineFrom,
  type FlowOptions,
  keepsRequests,
  type PaymentJournal,
  PaymentRefusedError,
  type RequestJournal,
  type RequestRecord,
} from "@specyard/x402";
import {
  type CreditIntent,
  createPipeStorageClient,
  PIPE_STORAGE_BASE_URL,
  type PipeStorageClient,
} from "../client.js";
import { TOPUP_DEADLINE_MS, type TopUpOptions, type TopUpResult } from "./types.js";

export type IntentView = CreditIntent;

export const SAFE_RAW = BigInt(Number.MAX_SAFE_INTEGER);
/** Record keys being driven in this process, per journal: never cancelled from under their run. */
export const driving = new Map<unknown, Set<string>>();

export const journalId = (journal: PaymentJournal) => (journal as { path?: unknown }).path ?? journal;

/** Shared by a top-up and the older ones it finishes on the way. */
export interface Context {
  options: TopUpOptions;
  journal: RequestJournal;
  client: PipeStorageClient;
  redactor: Redactor;
  flow: FlowOptions;
  base: string;
  now: () => number;
  /** The caller's logger behind the redactor, or undefined. */
  log: Logger | undefined;
}

export function contextOf(amount: bigint, options: TopUpOptions): Context {
  if (typeof amount !== "bigint")
    throw new PaymentRefusedError("amount", "type", "must be a bigint of raw units (1 USDC is 1_000_000n)");
  if (amount <= 0n || amount > SAFE_RAW)
    throw new PaymentRefusedError("amount", "range", `must be between 1 and ${SAFE_RAW} raw units`);
  const appKey = options.appKey ?? readEnv("PIPE_APP_KEY");
  if (typeof appKey !== "string" || appKey === "")
    throw new MissingCredentialError("POST /api/credits/x402", [["appKey"]], [["PIPE_APP_KEY"]]);
  const { policy, journal } = options;
  if (typeof policy?.maxPerPayment !== "bigint" || typeof policy.budget !== "bigint")
    throw new PaymentRefusedError("policy", "required", "needs bigint maxPerPayment and budget");
  if (amount > policy.maxPerPayment)
    throw new PaymentRefusedError(
      "amount",
      "maxPerPayment",
      `${amount} is over the per-payment cap ${policy.maxPerPayment}`,
    );
  if (!keepsRequests(journal)) {
    throw new PaymentRefusedError(
      "journal",
      "requests",
      "cannot keep top-ups (getRequest, putRequest, listRequests): use FileJournal or MemoryJournal",
    );
  }
  if (
    options.idempotencyKey !== undefined &&
    (typeof options.idempotencyKey !== "string" || !options.idempotencyKey)
  )
    throw new PaymentRefusedError("idempotencyKey", "format", "must be a non-empty string");
  const now = options.now ?? Date.now;
  const secrets = [appKey, ...(options.secrets ?? [])];
  const redactor = new Redactor(secrets);
  const base = (options.baseUrl ?? readEnv("PIPE_BASE_URL") ?? PIPE_STORAGE_BASE_URL).replace(/\/+$/, "");
  const inner = options.fetch ?? ((request: Request) => globalThis.fetch(request));
  const client = createPipeStorageClient({
    baseUrl: base,
    appKey,
    // Every answer is read whole, and capped, inside its attempt: a dripping body times out there.
    fetch: boundedFetch(inner, options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES),
    timeoutMs: options.timeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS,
    secrets,
    ...(options.maxRetries !== undefined ? { maxRetries: options.maxRetries } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.logLevel ? { logLevel: options.logLevel } : {}),
  });
  return {
    options,
    journal,
    client,
    redactor,
    log: options.logger
      ? levelLogger(options.logger, options.logLevel ?? "info", redactor.redact)
      : undefined,
    flow: {
      ...(options.signal ? { signal: options.signal } : {}),
      deadlineAt: deadlineFrom(options.deadlineMs ?? TOPUP_DEADLINE_MS, now),
      now,
    },
    base,
    now,
  };
}

export function outcomeOf(record: RequestRecord, resumed: boolean): TopUpResult {
  const outcome = (record.outcome ?? {}) as {
    intentId?: string;
    status?: string;
    creditedRaw?: string;
    balanceRaw?: string;
  };
  return {
    intentId: outcome.intentId ?? record.intentId ?? "",
    status: outcome.status ?? "credited",
    creditedRaw: BigInt(outcome.creditedRaw ?? "0"),
    balanceRaw: outcome.balanceRaw === undefined ? undefined : BigInt(outcome.balanceRaw),
    idempotencyKey: record.key.replace(/^key:/, ""),
    resumed,
  };
}

export function intentIn(body: unknown): unknown {
  return body && typeof body === "object" ? (body as { intent?: unknown }).intent : undefined;
}

export function isIntentView(value: unknown): value is IntentView {
  const v = value as Partial<IntentView> | undefined;
  return Boolean(
    v && typeof v === "object" && typeof v.intent_id === "string" && typeof v.status === "string",
  );
}

/** A raw amount from JSON (a safe integer or a decimal string), or undefined. */
export function rawOf(value: unknown): bigint | undefined {
  if (typeof value === "number" && Number.isSafeInteger(value)) return BigInt(value);
  if (typeof value === "string" && /^[0-9]{1,20}$/.test(value)) return BigInt(value);
  return undefined;
}
