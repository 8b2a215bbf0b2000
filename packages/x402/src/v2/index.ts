/**
 * `@specyard/x402/v2`: x402 v2 (`PAYMENT-REQUIRED` / `PAYMENT-SIGNATURE` / `PAYMENT-RESPONSE`, CAIP-2
 * networks) on Solana's `exact` scheme, under the same spending policy and journal as Pipe's flavour.
 */
export {
  asOption,
  checkV2Requirement,
  chooseV2,
  DEFAULT_COMPUTE_UNIT_PRICE_MICROLAMPORTS,
  MAX_COMPUTE_UNIT_PRICE_MICROLAMPORTS,
  sameResource,
  type V2Plan,
} from "./check.js";
export {
  DEFAULT_V2_ATTEMPT_TIMEOUT_MS,
  DEFAULT_V2_DEADLINE_MS,
  isV2Challenge,
  type PayingFetchV2Options,
  payingFetchV2,
  runtimeForV2,
  sharedV2Payments,
  v2Call,
} from "./fetch.js";
export { payV2Challenge, V2_INTENT_PREFIX, type V2Call, type V2PayOptions } from "./pay.js";
export {
  encodeV2PaymentSignature,
  isV2PaymentRequired,
  MAX_V2_HEADER_BYTES,
  PAYMENT_REQUIRED_HEADER,
  PAYMENT_RESPONSE_HEADER,
  PAYMENT_SIGNATURE_HEADER,
  parseV2PaymentRequired,
  parseV2PaymentResponse,
  SOLANA_MAINNET,
  type V2PaymentRequired,
  type V2PaymentResponse,
  type V2Requirement,
  type V2Resource,
} from "./required.js";
export { type BuiltPayment, buildExact, COMPUTE_UNIT_LIMIT, UNIT_LIMIT_NONCE } from "./transaction.js";
