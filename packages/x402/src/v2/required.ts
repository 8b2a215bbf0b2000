/**
 * The x402 v2 wire format (the official `@x402/core` HTTP transport): a 402 carries
 * `PAYMENT-REQUIRED` (base64 of JSON `{x402Version: 2, resource, accepts}`), the paid request
 * carries `PAYMENT-SIGNATURE` (base64 of JSON `{x402Version: 2, resource, accepted, payload}`) and
 * the answer `PAYMENT-RESPONSE` (base64 of JSON `{success, transaction, network, payer}`).
 * Everything read from the server is parsed strictly; a field of the wrong type is a refusal.
 */
import { PaymentRefusedError } from "../errors.js";
import { object, requirementFields } from "../payment-required.js";

export const PAYMENT_REQUIRED_HEADER = "PAYMENT-REQUIRED";
export const PAYMENT_SIGNATURE_HEADER = "PAYMENT-SIGNATURE";
export const PAYMENT_RESPONSE_HEADER = "PAYMENT-RESPONSE";
/** Solana mainnet's CAIP-2 id (its genesis hash, truncated), as x402 v2 names networks. */
export const SOLANA_MAINNET = "solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp";
/** The longest `PAYMENT-REQUIRED` / `PAYMENT-RESPONSE` header read, in bytes. */
export const MAX_V2_HEADER_BYTES = 16 * 1024;

/** The resource a 402 is about. */
export interface V2Resource {
  url: string;
  description?: string;
  mimeType?: string;
}

/** One way to pay (`PaymentRequirements`), checked; `raw` is echoed back as `accepted`. */
export interface V2Requirement {
  scheme: string;
  network: string;
  asset: string;
  /** Raw units of `asset`, exactly as asked. */
  amount: bigint;
  /** The wallet paid: the transfer credits its associated token account of `asset`. */
  payTo: string;
  maxTimeoutSeconds: number;
  extra: Record<string, unknown>;
  raw: Record<string, unknown>;
}

export interface V2PaymentRequired {
  x402Version: 2;
  resource: V2Resource;
  accepts: V2Requirement[];
  error?: string;
  extensions?: Record<string, unknown>;
}

/** What the server says it settled. */
export interface V2PaymentResponse {
  success: boolean;
  /** The settled transaction's signature (its fee payer's). */
  transaction: string;
  network: string;
  payer: string;
  errorReason?: string;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Decodes a base64 JSON header; undefined when it is not one (or is too long). */
function decodeHeader(header: string | null | undefined): unknown {
  if (!header || header.length > MAX_V2_HEADER_BYTES || !BASE64.test(header.trim())) return undefined;
  try {
    const bytes = Uint8Array.from(atob(header.trim()), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    return undefined;
  }
}

/** Whether a 402's `PAYMENT-REQUIRED` header is an x402 v2 document (Pipe's own flavour is not). */
export function isV2PaymentRequired(header: string | null | undefined): boolean {
  const doc = decodeHeader(header);
  if (!isRecord(doc) || doc.x402Version !== 2) return false;
  // Pipe's flavour also says version 2, but names its own intent in every option's `extra`.
  const accepts = Array.isArray(doc.accepts) ? doc.accepts : [];
  return !accepts.some((a) => isRecord(a) && isRecord(a.extra) && "intent_id" in a.extra);
}

/** Parses `PAYMENT-REQUIRED` strictly; amounts become bigint. */
export function parseV2PaymentRequired(header: string | null | undefined): V2PaymentRequired {
  if (!header) throw new PaymentRefusedError(PAYMENT_REQUIRED_HEADER, "present", "header is missing");
  if (header.length > MAX_V2_HEADER_BYTES) {
    throw new PaymentRefusedError(
      PAYMENT_REQUIRED_HEADER,
      "size",
      `is ${header.length} bytes, over the ${MAX_V2_HEADER_BYTES}-byte limit`,
    );
  }
  const doc = decodeHeader(header);
  if (!isRecord(doc))
    throw new PaymentRefusedError(PAYMENT_REQUIRED_HEADER, "format", "is not base64-encoded JSON object");
  if (doc.x402Version !== 2) throw new PaymentRefusedError("x402Version", "value", "must be 2");
  const resource = object(doc.resource, "resource");
  const url = resource.url;
  if (typeof url !== "string" || !URL.canParse(url))
    throw new PaymentRefusedError("resource.url", "format", "must be an absolute URL");
  if (!Array.isArray(doc.accepts) || doc.accepts.length === 0)
    throw new PaymentRefusedError("accepts", "type", "must be a non-empty list");
  return {
    x402Version: 2,
    resource: { ...resource, url } as V2Resource,
    accepts: doc.accepts.map(requirement),
    ...(typeof doc.error === "string" ? { error: doc.error.slice(0, 200) } : {}),
    ...(isRecord(doc.extensions) ? { extensions: doc.extensions } : {}),
  };
}

function requirement(value: unknown, index: number): V2Requirement {
  const at = `accepts[${index}]`;
  const raw = object(value, at);
  const { text, amount, asset, payTo } = requirementFields(raw, at);
  const timeout = raw.maxTimeoutSeconds;
  if (typeof timeout !== "number" || !Number.isInteger(timeout) || timeout <= 0)
    throw new PaymentRefusedError(`${at}.maxTimeoutSeconds`, "type", "must be a positive integer");
  const extra = raw.extra === undefined ? {} : object(raw.extra, `${at}.extra`);
  return {
    scheme: text("scheme"),
    network: text("network"),
    asset,
    amount,
    payTo,
    maxTimeoutSeconds: timeout,
    extra,
    raw,
  };
}

/** `PAYMENT-SIGNATURE` for a partially signed `exact` transaction (base64 wire bytes). */
export function encodeV2PaymentSignature(
  required: V2PaymentRequired,
  accepted: V2Requirement,
  transaction: string,
): string {
  const payload = {
    x402Version: 2,
    resource: required.resource,
    accepted: accepted.raw,
    payload: { transaction },
    ...(required.extensions ? { extensions: required.extensions } : {}),
  };
  return base64Json(payload);
}

/** Parses `PAYMENT-RESPONSE`; undefined when absent or not a settlement document. */
export function parseV2PaymentResponse(header: string | null | undefined): V2PaymentResponse | undefined {
  const doc = decodeHeader(header);
  if (!isRecord(doc) || typeof doc.success !== "boolean") return undefined;
  const text = (name: string) => (typeof doc[name] === "string" ? (doc[name] as string) : "");
  return {
    success: doc.success,
    transaction: text("transaction"),
    network: text("network"),
    payer: text("payer"),
    ...(typeof doc.errorReason === "string" ? { errorReason: doc.errorReason.slice(0, 200) } : {}),
  };
}

function base64Json(value: unknown): string {
  const bytes = new TextEncoder().encode(JSON.stringify(value));
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
