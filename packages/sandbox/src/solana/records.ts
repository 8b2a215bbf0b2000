/**
 * What the local Solana ledger records and answers with: landed transactions (JSON-safe, u64
 * values as decimal strings), send outcomes, account views and the serializable snapshot.
 */
import type { VersionedTransaction } from "@solana/web3.js";
import type { TxError } from "./errors.js";

/** A token balance of one account of a transaction (raw amount as a decimal string). */
export interface TokenBalance {
  accountIndex: number;
  mint: string;
  owner: string;
  programId: string;
  amount: string;
  decimals: number;
}

/** What the ledger keeps of a landed transaction; JSON-safe (u64 values as decimal strings). */
export interface TxRecord {
  signature: string;
  /** The wire bytes, base64. */
  raw: string;
  slot: number;
  blockTime: number;
  err: TxError | null;
  fee: string;
  logs: string[];
  computeUnits: number;
  /** Addresses loaded from lookup tables (v0), in key order after the static keys. */
  loaded: { writable: string[]; readonly: string[] };
  preBalances: string[];
  postBalances: string[];
  preTokenBalances: TokenBalance[];
  postTokenBalances: TokenBalance[];
  innerInstructions: {
    index: number;
    instructions: { programIdIndex: number; accounts: number[]; data: string; stackHeight: number }[];
  }[];
}

/** A landed transaction: its record, decoded transaction and full account key list. */
export interface Landed {
  record: TxRecord;
  tx: VersionedTransaction;
  keys: string[];
}

/** The outcome of sending a transaction to the ledger. */
export interface Outcome {
  signature: string;
  err: TxError | null;
  logs: string[];
  unitsConsumed: number;
  /** Whether it was included (succeeded, or failed after paying its fee). */
  landed: boolean;
}

/** Serializable ledger state: touched accounts and transaction records (no keys, no secrets). */
export interface LedgerSnapshot {
  version: 1;
  height: number;
  genesisHash: string;
  treasuryOwner: string | null;
  blockhashes: [string, number][];
  accounts: { address: string; lamports: string; owner: string; data: string }[];
  transactions: TxRecord[];
}

export interface AccountState {
  lamports: bigint;
  owner: string;
  data: Uint8Array;
  executable: boolean;
}

export interface TokenAccountState {
  mint: string;
  owner: string;
  amount: bigint;
  decimals: number;
  programId: string;
}
