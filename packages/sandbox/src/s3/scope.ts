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

/**
 * What a request does, as far as scoping is concerned: one of the S3 operations the Pipe document
 * lists as supported (PutObject, GetObject, HeadObject, DeleteObject, ListObjectsV2, CopyObject, and
 * the multipart upload calls), or "unsupported" — every other S3 operation, answered NotImplemented.
 */
export type S3Operation =
  | "bucket-list"
  | "read"
  | "put"
  | "copy"
  | "delete"
  | "multipart-create"
  | "multipart-part"
  | "multipart-complete"
  | "multipart-abort"
  | "unsupported";

/** The operation, and the S3 API name of the request (for the NotImplemented message). */
export interface Classified {
  operation: S3Operation;
  name: string;
}

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

/** Query names that select another S3 operation on the same path (sub-resources): none is supported. */
const SUBRESOURCES = new Set([
  "accelerate",
  "acl",
  "analytics",
  "attributes",
  "cors",
  "delete",
  "encryption",
  "intelligent-tiering",
  "inventory",
  "legal-hold",
  "lifecycle",
  "location",
  "logging",
  "metadataConfiguration",
  "metrics",
  "notification",
  "object-lock",
  "ownershipControls",
  "policy",
  "policyStatus",
  "publicAccessBlock",
  "renameObject",
  "replication",
  "requestPayment",
  "restore",
  "retention",
  "select",
  "session",
  "tagging",
  "torrent",
  "versioning",
  "versions",
  "website",
]);

const unsupported = (name: string): Classified => ({ operation: "unsupported", name });

/** Names what a request does; everything outside the document's list is "unsupported". */
export function classify(
  method: string,
  target: S3Target,
  query: Query,
  headers: IncomingHttpHeaders,
): Classified {
  const has = (name: string) => Object.hasOwn(query, name);
  const sub = Object.keys(query).find((name) => SUBRESOURCES.has(name));
  const subName = sub === undefined ? undefined : `${method} ?${sub}`;
  if (target.bucket === undefined) return unsupported(method === "GET" ? "ListBuckets" : `${method} /`);
  if (target.key === "") {
    if (method === "GET") {
      if (subName) return unsupported(subName);
      if (has("uploads")) return unsupported("ListMultipartUploads");
      return query["list-type"] === "2"
        ? { operation: "bucket-list", name: "ListObjectsV2" }
        : unsupported("ListObjects");
    }
    if (method === "POST" && has("delete")) return unsupported("DeleteObjects");
    const bucketOps: Record<string, string> = {
      HEAD: "HeadBucket",
      PUT: "CreateBucket",
      DELETE: "DeleteBucket",
      POST: "PostObject",
    };
    return unsupported(subName ?? bucketOps[method] ?? `${method} bucket`);
  }
  const copying = headers["x-amz-copy-source"] !== undefined;
  switch (method) {
    case "GET":
    case "HEAD":
      if (subName) return unsupported(subName);
      if (has("uploadId")) return unsupported("ListParts");
      return { operation: "read", name: method === "GET" ? "GetObject" : "HeadObject" };
    case "PUT":
      if (subName) return unsupported(subName);
      if (has("uploadId") && has("partNumber"))
        return copying ? unsupported("UploadPartCopy") : { operation: "multipart-part", name: "UploadPart" };
      if (has("uploadId") || has("partNumber")) return unsupported("PUT object with upload parameters");
      return copying ? { operation: "copy", name: "CopyObject" } : { operation: "put", name: "PutObject" };
    case "DELETE":
      if (subName) return unsupported(subName);
      return has("uploadId")
        ? { operation: "multipart-abort", name: "AbortMultipartUpload" }
        : { operation: "delete", name: "DeleteObject" };
    case "POST":
      if (subName) return unsupported(subName);
      if (has("uploads")) return { operation: "multipart-create", name: "CreateMultipartUpload" };
      if (has("uploadId")) return { operation: "multipart-complete", name: "CompleteMultipartUpload" };
      return unsupported(`POST object`);
    default:
      return unsupported(`${method} object`);
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
