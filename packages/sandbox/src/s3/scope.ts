import type { IncomingHttpHeaders } from "node:http";
import { S3Error } from "./errors.js";

/** A decoded query string; a name given twice maps to an array. */
export type Query = Record<string, string | string[]>;

/** An access key and what it may touch: one bucket, keys under one prefix. */
export interface S3KeyScope {
  accessKeyId: string;
  secretAccessKey: string;
  bucket: string;
  prefix: string;
}

/** What a request does, as far as scoping is concerned. */
export type S3Operation =
  | "list-buckets"
  | "bucket-head"
  | "bucket-list"
  | "batch-delete"
  | "bucket-admin"
  | "read"
  | "put"
  | "copy"
  | "delete"
  | "multipart-create"
  | "multipart-part"
  | "multipart-complete"
  | "multipart-abort"
  | "unsupported";

/** The bucket and key a path-style request addresses (key "" for bucket-level requests). */
export interface S3Target {
  bucket?: string;
  key: string;
}

const invalidUri = () => new S3Error("InvalidURI", "Couldn't parse the specified URI.", 400);

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw invalidUri();
  }
}

/** Splits a raw (still percent-encoded) path-style path into bucket and key, decoding each once. */
export function parseTarget(rawPath: string): S3Target {
  if (!rawPath.startsWith("/") || rawPath.includes("#")) throw invalidUri();
  const rest = rawPath.slice(1);
  if (rest === "") return { key: "" };
  const slash = rest.indexOf("/");
  if (slash < 0) return { bucket: decode(rest), key: "" };
  return { bucket: decode(rest.slice(0, slash)), key: decode(rest.slice(slash + 1)) };
}

/**
 * Decodes a raw query string. A raw `+` is refused: backends read it as a space while SigV4 reads it
 * as a plus, and the gateway must check exactly what the backend will see.
 */
export function parseQuery(raw: string): Query {
  if (raw.includes("+")) throw new S3Error("InvalidArgument", "Encode '+' in the query string as %2B.", 400);
  const query: Query = {};
  for (const part of raw.split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const name = decode(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? "" : decode(part.slice(eq + 1));
    const previous = Object.hasOwn(query, name) ? query[name] : undefined;
    query[name] = previous === undefined ? value : [...[previous].flat(), value];
  }
  return query;
}

/** Names what a request does; unknown combinations are "unsupported" and refused for scoped keys. */
export function classify(
  method: string,
  target: S3Target,
  query: Query,
  headers: IncomingHttpHeaders,
): S3Operation {
  if (target.bucket === undefined) return method === "GET" ? "list-buckets" : "unsupported";
  if (target.key === "") {
    if (method === "HEAD") return "bucket-head";
    if (method === "GET") return "bucket-list";
    if (method === "POST") return "batch-delete";
    return method === "PUT" || method === "DELETE" ? "bucket-admin" : "unsupported";
  }
  const has = (name: string) => Object.hasOwn(query, name);
  switch (method) {
    case "GET":
    case "HEAD":
      return "read";
    case "PUT":
      if (has("uploadId") && has("partNumber")) return "multipart-part";
      return headers["x-amz-copy-source"] === undefined ? "put" : "copy";
    case "DELETE":
      return has("uploadId") ? "multipart-abort" : "delete";
    case "POST":
      if (has("uploads")) return "multipart-create";
      return has("uploadId") ? "multipart-complete" : "unsupported";
    default:
      return "unsupported";
  }
}

/** True when a key has a `.` or `..` path segment (refused: backends and tools may resolve them). */
export function hasDotSegment(key: string): boolean {
  return key.split("/").some((segment) => segment === "." || segment === "..");
}

/** True when the key lies inside the scope: under its prefix, with no `.`/`..` segments. */
export function keyInScope(
  scope: Pick<S3KeyScope, "bucket" | "prefix">,
  bucket: string,
  key: string,
): boolean {
  return bucket === scope.bucket && key.startsWith(scope.prefix) && !hasDotSegment(key);
}

/** Reads `x-amz-copy-source` (`[/]bucket/key`, percent-encoded) as a backend reads it. */
export function parseCopySource(header: string | string[] | undefined): { bucket: string; key: string } {
  const raw = decode(Array.isArray(header) ? header.join(",") : (header ?? ""));
  const path = raw.startsWith("/") ? raw.slice(1) : raw;
  const slash = path.indexOf("/");
  if (slash <= 0) throw new S3Error("InvalidArgument", "Invalid copy source.", 400);
  return { bucket: path.slice(0, slash), key: path.slice(slash + 1) };
}

const namedEntities: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

/**
 * The keys of a DeleteObjects body as fauxqs reads them (named entities, replaced one after another),
 * and every reading to check: each key is also read once, as an XML parser does, with and without
 * numeric character references. A `<Key` tag that the simple reading would miss is refused.
 */
export function batchDeleteKeys(xml: string): { keys: string[]; readings: string[] } {
  const keys: string[] = [];
  const readings: string[] = [];
  for (const match of xml.matchAll(/<Key>([\s\S]*?)<\/Key>/g)) {
    const text = match[1] ?? "";
    let fauxqs = text;
    for (const [name, char] of Object.entries(namedEntities)) fauxqs = fauxqs.replaceAll(`&${name};`, char);
    const named = text.replace(/&(amp|lt|gt|quot|apos);/g, (_, name: string) => namedEntities[name] ?? "");
    const full = text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);/g, (_, ref: string) => {
      if (!ref.startsWith("#")) return namedEntities[ref] ?? "";
      const code = ref[1] === "x" ? Number.parseInt(ref.slice(2), 16) : Number.parseInt(ref.slice(1), 10);
      return code <= 0x10ffff ? String.fromCodePoint(code) : "\uFFFD";
    });
    keys.push(fauxqs);
    readings.push(fauxqs, named, full);
  }
  if ((xml.match(/<Key[\s>/]/g)?.length ?? 0) !== keys.length)
    throw new S3Error("MalformedXML", "The XML you provided was not well-formed.", 400);
  return { keys, readings };
}
