import { PaymentRefusedError } from "./errors.js";
import { MAX_PAYMENT_REQUIRED_BYTES } from "./limits.js";

/** One way to pay, from an x402 `Payment-Required` document. */
export interface PaymentOption {
  scheme: string;
  network: string;
  /** Raw units of `asset`, exactly as asked. */
  amount: bigint;
  asset: string;
  payTo: string;
  maxTimeoutSeconds: number | undefined;
  extra: { intent_id: string; reference_pubkey: string } & Record<string, unknown>;
}

export interface PaymentRequired {
  x402Version: number;
  resource: unknown;
  accepts: PaymentOption[];
}

const BASE58_KEY = /^[1-9A-HJ-NP-Za-km-z]{32,44}$/;

/**
 * Parses a `Payment-Required` header strictly: base64 of JSON, an `accepts` list whose every entry
 * has the fields with the right types. Amounts become bigint; a non-integer amount is refused.
 */
export function parsePaymentRequired(header: string | null | undefined): PaymentRequired {
  if (!header) throw new PaymentRefusedError("Payment-Required", "present", "header is missing");
  if (header.length > MAX_PAYMENT_REQUIRED_BYTES) {
    throw new PaymentRefusedError(
      "Payment-Required",
      "size",
      `is ${header.length} bytes, over the ${MAX_PAYMENT_REQUIRED_BYTES}-byte limit`,
    );
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(header.trim())) {
    throw new PaymentRefusedError("Payment-Required", "format", "is not base64");
  }
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(base64Decode(header.trim())));
  } catch {
    throw new PaymentRefusedError("Payment-Required", "format", "is not base64-encoded JSON");
  }
  const record = object(doc, "Payment-Required");
  const version = record.x402Version;
  if (typeof version !== "number" || !Number.isInteger(version) || version < 1) {
    throw new PaymentRefusedError("x402Version", "type", "must be a positive integer");
  }
  if (!Array.isArray(record.accepts) || record.accepts.length === 0) {
    throw new PaymentRefusedError("accepts", "type", "must be a non-empty list");
  }
  return { x402Version: version, resource: record.resource, accepts: record.accepts.map(option) };
}

/**
 * The fields both x402 flavours check alike in one `accepts` entry: a positive integer amount of raw
 * units, and base58 keys for the asset and payee. `text` reads any other non-empty string field.
 */
export function requirementFields(entry: Record<string, unknown>, at: string) {
  const text = (name: string) => {
    const item = entry[name];
    if (typeof item !== "string" || item.length === 0)
      throw new PaymentRefusedError(`${at}.${name}`, "type", "must be a non-empty string");
    return item;
  };
  const amountText = text("amount");
  if (!/^[0-9]{1,20}$/.test(amountText))
    throw new PaymentRefusedError(`${at}.amount`, "format", "must be an integer string of raw units");
  const amount = BigInt(amountText);
  if (amount <= 0n) throw new PaymentRefusedError(`${at}.amount`, "range", "must be positive");
  const asset = text("asset");
  const payTo = text("payTo");
  for (const [name, key] of [
    ["asset", asset],
    ["payTo", payTo],
  ] as const) {
    if (!BASE58_KEY.test(key))
      throw new PaymentRefusedError(`${at}.${name}`, "format", "is not a base58 public key");
  }
  return { text, amount, asset, payTo };
}

function option(value: unknown, index: number): PaymentOption {
  const at = `accepts[${index}]`;
  const entry = object(value, at);
  const { text, amount, asset, payTo } = requirementFields(entry, at);
  const extra = object(entry.extra, `${at}.extra`);
  if (typeof extra.intent_id !== "string" || extra.intent_id.length === 0) {
    throw new PaymentRefusedError(`${at}.extra.intent_id`, "type", "must be a non-empty string");
  }
  if (typeof extra.reference_pubkey !== "string" || !BASE58_KEY.test(extra.reference_pubkey)) {
    throw new PaymentRefusedError(`${at}.extra.reference_pubkey`, "format", "is not a base58 public key");
  }
  const timeout = entry.maxTimeoutSeconds;
  if (timeout !== undefined && (typeof timeout !== "number" || !Number.isInteger(timeout) || timeout <= 0)) {
    throw new PaymentRefusedError(`${at}.maxTimeoutSeconds`, "type", "must be a positive integer");
  }
  return {
    scheme: text("scheme"),
    network: text("network"),
    amount,
    asset,
    payTo,
    maxTimeoutSeconds: timeout as number | undefined,
    extra: extra as PaymentOption["extra"],
  };
}

/** `value` as a JSON object, or a refusal naming `field`. */
export function object(value: unknown, field: string): Record<string, unknown> {
  if (!value || typeof value !== "object" || Array.isArray(value))
    throw new PaymentRefusedError(field, "type", "must be an object");
  return value as Record<string, unknown>;
}

function base64Decode(text: string): Uint8Array {
  const binary = atob(text);
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** `Payment-Signature`: base64 of JSON `{intent_id, tx_sig}` (Pipe's x402 confirmation). */
export function encodePaymentSignature(intentId: string, signature: string): string {
  return btoa(JSON.stringify({ intent_id: intentId, tx_sig: signature }));
}

/** A `PaymentOption` as JSON (the amount as a decimal string), for a journal. */
export interface StoredOption {
  scheme: string;
  network: string;
  amount: string;
  asset: string;
  payTo: string;
  maxTimeoutSeconds?: number;
  extra: PaymentOption["extra"];
}

export function storeOption(option: PaymentOption): StoredOption {
  return {
    scheme: option.scheme,
    network: option.network,
    amount: option.amount.toString(),
    asset: option.asset,
    payTo: option.payTo,
    ...(option.maxTimeoutSeconds === undefined ? {} : { maxTimeoutSeconds: option.maxTimeoutSeconds }),
    extra: option.extra,
  };
}

export function restoreOption(stored: StoredOption): PaymentOption {
  return {
    scheme: stored.scheme,
    network: stored.network,
    amount: BigInt(stored.amount),
    asset: stored.asset,
    payTo: stored.payTo,
    maxTimeoutSeconds: stored.maxTimeoutSeconds,
    extra: stored.extra,
  };
}
