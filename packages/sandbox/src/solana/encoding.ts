/** Account encodings shared by the JSON-RPC (HTTP) and its PubSub notifications. */
import bs58 from "bs58";
import type { AccountState, TokenBalance } from "./records.js";

/** Solana answers base58 data only up to this many bytes (base58 is slow). */
const MAX_BASE58_BYTES = 128;
const SYSTEM_PROGRAM = "11111111111111111111111111111111";

/** A requested encoding the ledger cannot produce. */
export class UnsupportedEncoding extends Error {}

function base58(data: Uint8Array): string {
  return data.length <= MAX_BASE58_BYTES ? bs58.encode(data) : "error: data too large for bs58 encoding";
}

/**
 * Account data in the requested encoding: `[b64, "base64"]`, `[b58, "base58"]`, or — with no
 * encoding — the legacy bare base58 string. `jsonParsed` falls back to base64, as Solana does for data
 * it has no parser for.
 */
export function accountData(data: Uint8Array, encoding: unknown): string | [string, string] {
  if (encoding === undefined || encoding === "binary") return base58(data);
  if (encoding === "base58") return [base58(data), "base58"];
  if (encoding === "base64" || encoding === "jsonParsed")
    return [Buffer.from(data).toString("base64"), "base64"];
  throw new UnsupportedEncoding(`encoding ${String(encoding)} is not supported by the sandbox ledger`);
}

/** An account as `getAccountInfo` and `accountNotification` show it; a missing account as an empty one. */
export function accountJson(account: AccountState | null, encoding: unknown) {
  const a = account ?? { lamports: 0n, owner: SYSTEM_PROGRAM, data: new Uint8Array(), executable: false };
  return {
    lamports: Number(a.lamports),
    owner: a.owner,
    data: accountData(a.data, encoding),
    executable: a.executable,
    rentEpoch: 0,
    space: a.data.length,
  };
}

/** A decimal string of `amount / 10^decimals`, without trailing zeros. */
export function uiAmountString(amount: bigint, decimals: number): string {
  if (decimals === 0) return amount.toString();
  const digits = amount.toString().padStart(decimals + 1, "0");
  const fraction = digits.slice(-decimals).replace(/0+$/, "");
  return fraction ? `${digits.slice(0, -decimals)}.${fraction}` : digits.slice(0, -decimals);
}

export function uiTokenAmount(amount: bigint, decimals: number) {
  const text = uiAmountString(amount, decimals);
  return { amount: amount.toString(), decimals, uiAmount: Number(text), uiAmountString: text };
}

export const tokenBalanceJson = (b: TokenBalance) => ({
  accountIndex: b.accountIndex,
  mint: b.mint,
  owner: b.owner,
  programId: b.programId,
  uiTokenAmount: uiTokenAmount(BigInt(b.amount), b.decimals),
});
