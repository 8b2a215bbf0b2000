/** A local Solana ledger (LiteSVM + JSON-RPC on 127.0.0.1) for Pipe's x402 USDC top-ups. */
export { USDC_DECIMALS, USDC_MINT } from "./chain.js";
export type { TxError } from "./errors.js";
export {
  type LedgerOptions,
  type PaymentCheck,
  type PaymentQuery,
  type PaymentRefusal,
  SolanaLedger,
} from "./ledger.js";
export type { LedgerSnapshot, TokenBalance, TxRecord } from "./records.js";
