export { AbortError, SpecyardError, TimeoutError } from "@specyard/http";
export {
  PaymentFailedError,
  PaymentPendingError,
  PaymentRefusedError,
  ResponseTooLargeError,
} from "./errors.js";
export { checkResource, type PayingFetchOptions, payingFetch, resumePayments, submit } from "./fetch.js";
export { requestKey, sharedFlights } from "./flight.js";
export {
  checkFlow,
  DEFAULT_ATTEMPT_TIMEOUT_MS,
  DEFAULT_PAYMENT_DEADLINE_MS,
  deadlineFrom,
  type FlowOptions,
  pause,
  remaining,
  within,
} from "./flow.js";
export {
  isUnfinished,
  type JournalEntry,
  type JournalStatus,
  keepsRequests,
  MemoryJournal,
  type PaymentJournal,
  type RequestJournal,
  type RequestRecord,
  spentOf,
} from "./journal.js";
export {
  boundedFetch,
  CLIENT_HEADER_LIMIT_BYTES,
  DEFAULT_MAX_BODY_BYTES,
  MAX_PAYMENT_REQUIRED_BYTES,
  refusalOfOversizedHeaders,
  sizeLimitOf,
} from "./limits.js";
export { withJournalLock } from "./lock.js";
export {
  confirm,
  onLedger,
  type PaymentStep,
  type PaymentStepInfo,
  type PayOptions,
  paidOnChain,
  payOption,
  type TransactionSigner,
} from "./pay.js";
export {
  encodePaymentSignature,
  type PaymentOption,
  type PaymentRequired,
  parsePaymentRequired,
  restoreOption,
  type StoredOption,
  storeOption,
} from "./payment-required.js";
export {
  checkOption,
  chooseOption,
  DEFAULT_NETWORKS,
  type SpendingPolicy,
  USDC_DECIMALS,
  USDC_MINT,
} from "./policy.js";
