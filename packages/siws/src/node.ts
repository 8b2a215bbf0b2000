/** Node-only helpers: load a Solana CLI `keypair.json` as a signer. */
import { readFile } from "node:fs/promises";
import { type SiwsSigner, secretKeySigner } from "./signer.js";

/** Reads a Solana CLI keypair file (a JSON array of 64 bytes). Errors never include the key. */
export async function keypairFileSigner(path: string): Promise<SiwsSigner> {
  let bytes: unknown;
  try {
    bytes = JSON.parse(await readFile(path, "utf8"));
  } catch (error) {
    throw new TypeError(`keypair file ${path}: ${(error as NodeJS.ErrnoException).code ?? "not JSON"}`);
  }
  if (
    !Array.isArray(bytes) ||
    bytes.length !== 64 ||
    !bytes.every((b) => Number.isInteger(b) && b >= 0 && b < 256)
  ) {
    throw new TypeError(`keypair file ${path}: expected a JSON array of 64 bytes`);
  }
  return secretKeySigner(Uint8Array.from(bytes as number[]));
}
