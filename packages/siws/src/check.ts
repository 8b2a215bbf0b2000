import { normalizeChain, type SolanaCluster } from "./chain.js";
import { SiwsRefusedError } from "./errors.js";
import type { SiwsMessage } from "./message.js";

export interface SiwsExpectations {
  /** The origin the client means to sign in to, e.g. `https://us-west-01-firestarter.pipenetwork.com`. */
  origin: string;
  /** The signer's address (base58). */
  address: string;
  /** The nonce the challenge response gave. */
  nonce: string;
  /** Now, in ms. */
  now: number;
  /** Allowed clock difference with the server (default 60 s). */
  clockSkewMs?: number;
  /** Shortest nonce accepted (default 8, as EIP-4361). */
  minNonceLength?: number;
  /** Longest validity window accepted (default 1 hour): a message good for days is refused. */
  maxLifetimeMs?: number;
  /**
   * The clusters the message's `Chain ID` may name, in any spelling (see `normalizeChain`).
   * Default: any known cluster (`signIn` passes mainnet for remote origins).
   */
  chains?: readonly SolanaCluster[];
  /** Refuse a message with no `Chain ID` at all (default false: the field is optional in SIWS). */
  requireChainId?: boolean;
}

/**
 * Refuses, with the field and the rule, any message whose domain, URI, address, chain, nonce or
 * time window does not match what the client expects.
 */
export function checkSiwsMessage(message: SiwsMessage, expected: SiwsExpectations): void {
  const origin = new URL(expected.origin);
  const skew = expected.clockSkewMs ?? 60_000;
  if (message.domain !== origin.host) {
    throw new SiwsRefusedError("domain", "origin", `is ${message.domain}, not ${origin.host}`);
  }
  let uri: URL;
  try {
    uri = new URL(message.uri);
  } catch {
    throw new SiwsRefusedError("uri", "format", "is not a URL");
  }
  if (uri.origin !== origin.origin)
    throw new SiwsRefusedError("uri", "origin", `is on ${uri.origin}, not ${origin.origin}`);
  if (message.address !== expected.address)
    throw new SiwsRefusedError("address", "signer", "is not the signer's address");
  if (message.nonce !== expected.nonce)
    throw new SiwsRefusedError("nonce", "challenge", "does not match the challenge's nonce");
  if (message.nonce.length < (expected.minNonceLength ?? 8) || !/^[A-Za-z0-9]+$/.test(message.nonce)) {
    throw new SiwsRefusedError("nonce", "strength", "is too short or not alphanumeric");
  }
  checkChain(message.chainId, expected);
  if (message.version !== "1")
    throw new SiwsRefusedError("version", "supported", `is ${message.version}, not 1`);
  const issuedAt = time(message.issuedAt, "issuedAt");
  if (issuedAt > expected.now + skew) throw new SiwsRefusedError("issuedAt", "window", "is in the future");
  if (message.notBefore !== undefined && time(message.notBefore, "notBefore") > expected.now + skew) {
    throw new SiwsRefusedError("notBefore", "window", "is in the future");
  }
  if (message.expirationTime !== undefined) {
    const expires = time(message.expirationTime, "expirationTime");
    if (expires < expected.now - skew) throw new SiwsRefusedError("expirationTime", "window", "has passed");
    if (expires - issuedAt > (expected.maxLifetimeMs ?? 3_600_000)) {
      throw new SiwsRefusedError("expirationTime", "window", "is too far after issuedAt");
    }
  } else if (expected.now - issuedAt > (expected.maxLifetimeMs ?? 3_600_000) + skew) {
    throw new SiwsRefusedError("issuedAt", "window", "is too old");
  }
}

function time(value: string, field: string): number {
  const ms = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(ms))
    throw new SiwsRefusedError(field, "format", "is not an ISO 8601 time");
  return ms;
}

function checkChain(chainId: string | undefined, expected: SiwsExpectations) {
  if (chainId === undefined) {
    if (expected.requireChainId) throw new SiwsRefusedError("chainId", "network", "is missing");
    return;
  }
  const cluster = normalizeChain(chainId);
  // "network", not "format": an unknown chain must never fall back to the unstructured checks.
  if (!cluster)
    throw new SiwsRefusedError(
      "chainId",
      "network",
      `${JSON.stringify(chainId.slice(0, 60))} names no known Solana cluster`,
    );
  const allowed = expected.chains;
  if (allowed && !allowed.includes(cluster))
    throw new SiwsRefusedError("chainId", "network", `is ${cluster}, not ${allowed.join(" or ")}`);
}
