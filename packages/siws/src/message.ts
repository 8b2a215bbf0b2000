import { SiwsRefusedError } from "./errors.js";

/** A Sign-In With Solana message (the EIP-4361 layout that Solana wallets use). */
export interface SiwsMessage {
  domain: string;
  address: string;
  statement?: string;
  uri: string;
  version: string;
  chainId?: string;
  nonce: string;
  issuedAt: string;
  expirationTime?: string;
  notBefore?: string;
  requestId?: string;
  resources?: string[];
}

const HEADER = / wants you to sign in with your Solana account:$/;
const FIELDS: Record<string, keyof SiwsMessage> = {
  URI: "uri",
  Version: "version",
  "Chain ID": "chainId",
  Nonce: "nonce",
  "Issued At": "issuedAt",
  "Expiration Time": "expirationTime",
  "Not Before": "notBefore",
  "Request ID": "requestId",
};

/**
 * Parses a sign-in message strictly: the header line, the address, an optional statement, then
 * `Key: value` lines. Anything else — unknown keys, a repeated key, a missing required field —
 * is refused, so a message that does not parse is never signed.
 */
export function parseSiwsMessage(text: string): SiwsMessage {
  const lines = text.split("\n");
  const header = lines[0] ?? "";
  if (!HEADER.test(header))
    throw new SiwsRefusedError("message", "format", "is not a Sign-In With Solana message");
  const domain = header.replace(HEADER, "");
  const address = lines[1] ?? "";
  if (!/^[1-9A-HJ-NP-Za-km-z]{32,44}$/.test(address))
    throw new SiwsRefusedError("address", "format", "is not a base58 public key");
  const out: Partial<SiwsMessage> = { domain, address };
  let i = 2;
  if (lines[i] === "") {
    i++;
    if (lines[i] !== undefined && !/^[A-Z][A-Za-z ]+: /.test(lines[i] ?? "")) {
      out.statement = lines[i];
      i++;
      if (lines[i] === "") i++;
    }
  }
  for (; i < lines.length; i++) {
    const line = lines[i] ?? "";
    if (line === "Resources:") {
      out.resources = lines.slice(i + 1).map((r) => {
        if (!r.startsWith("- "))
          throw new SiwsRefusedError("resources", "format", "has a line that is not '- <uri>'");
        return r.slice(2);
      });
      break;
    }
    const at = line.indexOf(": ");
    const key = FIELDS[line.slice(0, at)];
    if (at < 0 || !key)
      throw new SiwsRefusedError(
        "message",
        "format",
        `has an unexpected line ${JSON.stringify(line.slice(0, 40))}`,
      );
    if (out[key] !== undefined) throw new SiwsRefusedError(key, "format", "appears twice");
    (out as Record<string, string>)[key] = line.slice(at + 2);
  }
  for (const field of ["uri", "version", "nonce", "issuedAt"] as const) {
    if (!out[field]) throw new SiwsRefusedError(field, "required", "is missing");
  }
  return out as SiwsMessage;
}
