/**
 * What every witness shares: plain `fetch` calls shaped like the documents' curl lines, and the Pipe
 * sign-in exactly as the document's Python sample does it (challenge → sign the UTF-8 message with
 * the wallet's ed25519 key → standard base64 → verify). Nothing here comes from an @specyard client.
 */
import { connect } from "node:net";
import { Keypair } from "@solana/web3.js";
import nacl from "tweetnacl";

export interface Answer<T = unknown> {
  status: number;
  headers: Headers;
  text: string;
  json: T;
}

/** One HTTP call, like `curl -s -X METHOD URL -H … -d BODY`; `json` is undefined when the body is not JSON. */
export async function call<T = Record<string, unknown>>(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string | FormData } = {},
): Promise<Answer<T>> {
  const response = await fetch(url, {
    method: init.method ?? "GET",
    ...(init.headers ? { headers: init.headers } : {}),
    ...(init.body === undefined ? {} : { body: init.body }),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json: json as T };
}

/** `-H "Content-Type: application/json" -d '<json>'`. */
export const jsonBody = (value: unknown, headers: Record<string, string> = {}) => ({
  headers: { ...headers, "Content-Type": "application/json" },
  body: JSON.stringify(value),
});

export interface PipeTokens {
  access_token: string;
  refresh_token: string;
  csrf_token: string;
  token_type: string;
  expires_in: number;
}

/** The document's "Challenge → Sign → Verify". */
export async function pipeSignIn(api: string, kp: Keypair = Keypair.generate()) {
  const wallet = kp.publicKey.toBase58();
  const challenge = await call<{ nonce: string; message: string }>(`${api}/auth/siws/challenge`, {
    method: "POST",
    ...jsonBody({ wallet_public_key: wallet }),
  });
  if (challenge.status !== 200) throw new Error(`challenge answered ${challenge.status}: ${challenge.text}`);
  const { nonce, message } = challenge.json;
  const sig = nacl.sign.detached(new TextEncoder().encode(message), kp.secretKey);
  const verify = await call<PipeTokens>(`${api}/auth/siws/verify`, {
    method: "POST",
    ...jsonBody({
      wallet_public_key: wallet,
      nonce,
      message,
      signature_b64: Buffer.from(sig).toString("base64"),
    }),
  });
  if (verify.status !== 200) throw new Error(`verify answered ${verify.status}: ${verify.text}`);
  return { kp, wallet, challenge: challenge.json, tokens: verify.json };
}

/** `Authorization: Bearer $TOKEN` + `X-CSRF-Token: $CSRF`. */
export const bearer = (token: string, csrf?: string): Record<string, string> => ({
  Authorization: `Bearer ${token}`,
  ...(csrf === undefined ? {} : { "X-CSRF-Token": csrf }),
});

/**
 * Writes raw bytes to a server and reads what it answers until it closes the connection: for requests
 * `fetch` refuses to send (broken framing).
 */
export function rawHttp(baseUrl: string, request: string): Promise<string> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(request));
    let data = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      data += chunk;
    });
    socket.on("end", () => resolve(data));
    socket.on("error", reject);
  });
}

/** Splits a raw HTTP/1.1 answer into its status, headers and body. */
export function parseRawAnswer(raw: string): {
  status: number;
  headers: Record<string, string>;
  body: string;
} {
  const end = raw.indexOf("\r\n\r\n");
  const head = end < 0 ? raw : raw.slice(0, end);
  const [statusLine = "", ...lines] = head.split("\r\n");
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine.split(" ")[1]), headers, body: end < 0 ? "" : raw.slice(end + 4) };
}
