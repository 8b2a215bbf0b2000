import { SpecyardError } from "@specyard/http";
import type { components } from "./generated/schema.js";

type X402PaymentRequired = components["schemas"]["X402PaymentRequired"];
type X402PaymentSignature = components["schemas"]["X402PaymentSignature"];

/** Response header of the x402 402 answer: base64 JSON `X402PaymentRequired`. */
export const PAYMENT_REQUIRED_HEADER = "Payment-Required";
/** Request header of the confirming x402 call: base64 JSON `X402PaymentSignature`. */
export const PAYMENT_SIGNATURE_HEADER = "Payment-Signature";
/** The USDC mint on Solana mainnet. */
export const USDC_MINT = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v";
/** The longest `Payment-Required` header `decodePaymentRequired` reads, in bytes (as `@specyard/x402`). */
const MAX_PAYMENT_REQUIRED_BYTES = 16 * 1024;
/** USDC has 6 decimals: `amount_usdc_raw` 1_000_000 is 1 USDC. */
export const USDC_DECIMALS = 6;

function toBase64(text: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function fromBase64(base64: string): string {
  const binary = atob(base64.trim());
  return new TextDecoder().decode(Uint8Array.from(binary, (char) => char.charCodeAt(0)));
}

/**
 * Decodes the `Payment-Required` header value (base64 JSON) of an x402 402 answer.
 * Throws a `SpecyardError` when it is longer than 16 KiB, or not base64 JSON
 * with an `accepts` list.
 */
export function decodePaymentRequired(header: string): X402PaymentRequired {
  if (header.length > MAX_PAYMENT_REQUIRED_BYTES) {
    throw new SpecyardError(
      `Payment-Required header is ${header.length} bytes, over the ${MAX_PAYMENT_REQUIRED_BYTES}-byte limit`,
    );
  }
  let decoded: unknown;
  try {
    decoded = JSON.parse(fromBase64(header));
  } catch {
    throw new SpecyardError("Payment-Required header is not base64-encoded JSON");
  }
  if (!decoded || typeof decoded !== "object" || !Array.isArray((decoded as { accepts?: unknown }).accepts)) {
    throw new SpecyardError("Payment-Required header has no accepts list");
  }
  return decoded as X402PaymentRequired;
}

/** The payment details of a 402 answer, read from its `Payment-Required` header; undefined without one. */
export function paymentRequiredOf(response: Response): X402PaymentRequired | undefined {
  const header = response.headers.get(PAYMENT_REQUIRED_HEADER);
  return header ? decodePaymentRequired(header) : undefined;
}

/** Encodes `{intent_id, tx_sig}` as the `Payment-Signature` header value of the confirming x402 call. */
export function encodePaymentSignature(payload: X402PaymentSignature): string {
  return toBase64(JSON.stringify({ intent_id: payload.intent_id, tx_sig: payload.tx_sig }));
}
