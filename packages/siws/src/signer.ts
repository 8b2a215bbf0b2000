import bs58 from "bs58";
import nacl from "tweetnacl";

/** Anything that can sign bytes for a Solana address: a secret key, or a wallet adapter. */
export interface SiwsSigner {
  publicKey: string | { toBase58(): string };
  signMessage(message: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

export function addressOf(signer: SiwsSigner): string {
  return typeof signer.publicKey === "string" ? signer.publicKey : signer.publicKey.toBase58();
}

/**
 * A signer over a 64-byte ed25519 secret key (Solana's format) or a 32-byte seed. The key stays in
 * the closure: it is not a property, so it cannot be logged or serialized by accident.
 */
export function secretKeySigner(secretKey: Uint8Array): SiwsSigner {
  const pair =
    secretKey.length === 64
      ? nacl.sign.keyPair.fromSecretKey(secretKey)
      : secretKey.length === 32
        ? nacl.sign.keyPair.fromSeed(secretKey)
        : undefined;
  if (!pair) throw new TypeError("secretKeySigner: a Solana secret key has 64 bytes (or a 32-byte seed)");
  const publicKey = bs58.encode(pair.publicKey);
  const secret = pair.secretKey;
  return {
    publicKey,
    signMessage: (message) => nacl.sign.detached(message, secret),
    toJSON: () => ({ publicKey }),
  } as SiwsSigner;
}
