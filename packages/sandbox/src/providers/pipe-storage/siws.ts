/**
 * The sign-in message the Pipe sandbox issues (Sign-In With Solana, in the EIP-4361 layout that
 * Solana wallets use), and its verification.
 */
import bs58 from "bs58";
import nacl from "tweetnacl";

export interface SiwsFields {
  domain: string;
  address: string;
  statement: string;
  uri: string;
  version: "1";
  chainId: string;
  nonce: string;
  issuedAt: string;
  expirationTime: string;
}

export function siwsMessage(fields: SiwsFields): string {
  return [
    `${fields.domain} wants you to sign in with your Solana account:`,
    fields.address,
    "",
    fields.statement,
    "",
    `URI: ${fields.uri}`,
    `Version: ${fields.version}`,
    `Chain ID: ${fields.chainId}`,
    `Nonce: ${fields.nonce}`,
    `Issued At: ${fields.issuedAt}`,
    `Expiration Time: ${fields.expirationTime}`,
  ].join("\n");
}

/** True when `signatureB64` is the ed25519 signature of `message` (UTF-8) by `address`. */
export function verifySignature(message: string, signatureB64: string, address: string): boolean {
  let publicKey: Uint8Array;
  let signature: Uint8Array;
  try {
    publicKey = bs58.decode(address);
    signature = Uint8Array.from(Buffer.from(signatureB64, "base64"));
  } catch {
    return false;
  }
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  return nacl.sign.detached.verify(new TextEncoder().encode(message), signature, publicKey);
}
