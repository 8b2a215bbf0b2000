/**
 * The framework's wire encoding: a Node request read into a `SandboxRequest` (headers, cookies, a
 * capped body), and a `SandboxResponse` written back whole, truncated (a fault), or on a bare socket.
 */
import { type IncomingMessage, type ServerResponse, STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import { toWireJson } from "./json.js";
import type { SandboxRequest, SandboxResponse } from "./types.js";

export const MAX_BODY = 64 * 1024 * 1024;

/** The request as handlers see it: one string per header, decoded cookies, the raw body. */
export function requestOf(req: IncomingMessage, url: URL, rawBody: Buffer): SandboxRequest {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(req.headers))
    headers[name] = Array.isArray(value) ? value.join(", ") : value;
  const cookies: Record<string, string> = {};
  for (const pair of (headers.cookie ?? "").split(/;\s*/)) {
    const at = pair.indexOf("=");
    if (at > 0) cookies[pair.slice(0, at).trim()] = safeDecode(pair.slice(at + 1).trim());
  }
  return {
    operationId: "",
    method: (req.method ?? "GET").toUpperCase(),
    path: url.pathname,
    url,
    params: {},
    query: {},
    rawQuery: url.searchParams,
    headers,
    cookies,
    body: undefined,
    rawBody,
    ip: req.socket.remoteAddress ?? "127.0.0.1",
    host: headers.host ?? "",
  };
}

/** The body, or `undefined` once it grows over `MAX_BODY` (the rest is drained unread). */
export function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        resolve(undefined);
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function encode(response: SandboxResponse): { body: Buffer; type: string } {
  if (response.raw !== undefined) {
    return { body: Buffer.from(response.raw), type: response.contentType ?? "application/octet-stream" };
  }
  if (response.body === undefined)
    return { body: Buffer.alloc(0), type: response.contentType ?? "application/json" };
  return { body: Buffer.from(toWireJson(response.body)), type: response.contentType ?? "application/json" };
}

/**
 * Writes a whole HTTP/1.1 answer on a bare socket, then closes it: a refused upgrade, or a request
 * Node's parser refused (no `ServerResponse` exists for either).
 */
export function writeRaw(socket: Duplex, response: SandboxResponse) {
  const { body, type } = encode(response);
  const lines = [`HTTP/1.1 ${response.status} ${STATUS_CODES[response.status] ?? ""}`];
  for (const [name, value] of Object.entries({ ...response.headers, "content-type": type }))
    for (const each of [value].flat()) lines.push(`${name}: ${each}`);
  lines.push(`content-length: ${body.length}`, "connection: close", "", "");
  socket.end(Buffer.concat([Buffer.from(lines.join("\r\n")), body]));
}

/** Writes the whole answer (a content type only when there is a body or one was set). */
export function send(res: ServerResponse, response: SandboxResponse) {
  const { body, type } = encode(response);
  const headers: Record<string, string | string[]> = { ...response.headers };
  if (body.length || response.body !== undefined || response.contentType) headers["content-type"] = type;
  headers["content-length"] = String(body.length);
  res.writeHead(response.status, headers);
  res.end(body);
}

/** The `truncated` fault: half the body under a longer `content-length`, then the socket closes. */
export function sendTruncated(res: ServerResponse, response: SandboxResponse) {
  const { body, type } = encode(response);
  res.writeHead(response.status, {
    ...response.headers,
    "content-type": type,
    "content-length": String(body.length + 64),
  });
  res.write(body.subarray(0, Math.floor(body.length / 2)));
  setTimeout(() => res.socket?.destroy(), 5);
}

/** `decodeURIComponent`, keeping a malformed escape as it came instead of throwing. */
export function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
