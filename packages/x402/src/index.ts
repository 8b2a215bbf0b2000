export { PaymentFailedError, PaymentPendingError, PaymentRefusedError } from "./errors.js";
export { type PayingFetchOptions, payingFetch, resumePayments, submit } from "./fetch.js";
export {
  isUnfinished,
  type JournalEntry,
  type JournalStatus,
  MemoryJournal,
  type PaymentJournal,
  spentOf,
} from "./journal.js";
export { confirm, type PayOptions, payOption, type TransactionSigner } from "./pay.js";
export {
  encodePaymentSignature,
  type PaymentOption,
  type PaymentRequired,
  parsePaymentRequired,
} from "./payment-required.js";
export {
  checkOption,
  chooseOption,
  DEFAULT_NETWORKS,
  type SpendingPolicy,
  USDC_DECIMALS,
  USDC_MINT,
} from "./policy.js";
