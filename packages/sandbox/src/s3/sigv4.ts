import { timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { Sha256 } from "@aws-crypto/sha256-js";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import type { Query } from "./scope.js";

/** The parts of an `AWS4-HMAC-SHA256` Authorization header. */
export interface SigV4Authorization {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

/** Parses an Authorization header, or returns undefined when it is not a well-formed SigV4 header. */
export function parseAuthorization(header: string): SigV4Authorization | undefined {
  const match = /^AWS4-HMAC-SHA256\s+(.*)$/s.exec(header.trim());
  if (!match?.[1]) return undefined;
  const fields = new Map<string, string>();
  for (const part of match[1].split(",")) {
    const eq = part.indexOf("=");
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = fields.get("Credential")?.split("/") ?? [];
  const signedHeaders = fields.get("SignedHeaders")?.split(";") ?? [];
  const signature = fields.get("Signature") ?? "";
  const [accessKeyId, date, region, service, terminator] = credential;
  if (
    credential.length !== 5 ||
    terminator !== "aws4_request" ||
    !accessKeyId ||
    !date ||
    !region ||
    !service
  )
    return undefined;
  if (!/^\d{8}$/.test(date) || !/^[0-9a-f]{64}$/.test(signature)) return undefined;
  if (signedHeaders.length === 0 || signedHeaders.some((h) => !/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(h)))
    return undefined;
  return { accessKeyId, date, region, service, signedHeaders, signature };
}

/** Parses an `x-amz-date` value (`YYYYMMDDTHHMMSSZ`). */
export function parseAmzDate(value: string | undefined): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value ?? "");
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** What both checks need of a received request. */
interface Received<A extends SigV4Authorization> {
  auth: A;
  secretAccessKey: string;
  method: string;
  rawPath: string;
  query: Query;
  headers: IncomingHttpHeaders;
}

/**
 * The request as S3 signs it (raw path, decoded query, only the signed headers, no path escaping)
 * and the SDK's own signer for its key; undefined when a signed header is missing.
 */
function rebuild(input: Received<SigV4Authorization>, query: Query) {
  const { auth } = input;
  const headers: Record<string, string> = {};
  for (const name of auth.signedHeaders) {
    const value = input.headers[name];
    if (value === undefined) return undefined;
    headers[name] = Array.isArray(value) ? value.join(",") : value;
  }
  const signer = new SignatureV4({
    credentials: { accessKeyId: auth.accessKeyId, secretAccessKey: input.secretAccessKey },
    region: auth.region,
    service: auth.service,
    sha256: Sha256,
    uriEscapePath: false,
    applyChecksum: false,
  });
  const request = new HttpRequest({
    method: input.method,
    protocol: "http:",
    hostname: "gateway",
    path: input.rawPath,
    query,
    headers,
  });
  return { signer, request };
}

/** Compares two hex signatures in constant time. */
function sameSignature(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Re-signs the request with the SDK's own signer and compares the signatures. */
export async function signatureMatches(
  input: Received<SigV4Authorization> & { signingDate: Date },
): Promise<boolean> {
  const rebuilt = rebuild(input, { ...input.query });
  if (!rebuilt) return false;
  const signed = await rebuilt.signer.sign(rebuilt.request, {
    signingDate: input.signingDate,
    signableHeaders: new Set(input.auth.signedHeaders),
  });
  const expected = /Signature=([0-9a-f]{64})/.exec(String(signed.headers.authorization))?.[1] ?? "";
  return sameSignature(expected, input.auth.signature);
}

/** The query parameters of a presigned (query-string signed) SigV4 request. */
export interface PresignedAuthorization extends SigV4Authorization {
  signingDate: Date;
  expiresInSeconds: number;
}

/** S3's longest presigned lifetime: seven days. */
export const MAX_PRESIGNED_SECONDS = 7 * 24 * 60 * 60;

const single = (value: string | string[] | undefined) => (typeof value === "string" ? value : undefined);

/** Reads a presigned request's `X-Amz-*` parameters, or undefined when they are not well formed. */
export function parsePresigned(query: Query): PresignedAuthorization | undefined {
  if (single(query["X-Amz-Algorithm"]) !== "AWS4-HMAC-SHA256") return undefined;
  const credential = single(query["X-Amz-Credential"]) ?? "";
  const signedHeaders = single(query["X-Amz-SignedHeaders"]) ?? "";
  const signature = single(query["X-Amz-Signature"]) ?? "";
  const auth = parseAuthorization(
    `AWS4-HMAC-SHA256 Credential=${credential}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
  );
  const signingDate = parseAmzDate(single(query["X-Amz-Date"]));
  const expires = single(query["X-Amz-Expires"]) ?? "";
  if (!auth || !signingDate || !/^\d{1,7}$/.test(expires)) return undefined;
  return { ...auth, signingDate, expiresInSeconds: Number(expires) };
}

/**
 * Presigns the request again with the SDK's own signer (the received query without its signature,
 * an unsigned payload, as S3 presigns) and compares the signatures.
 */
export async function presignedSignatureMatches(input: Received<PresignedAuthorization>): Promise<boolean> {
  const { auth } = input;
  const { "X-Amz-Signature": _signature, ...query } = input.query;
  const rebuilt = rebuild(input, query);
  if (!rebuilt) return false;
  const payload = "x-amz-content-sha256";
  rebuilt.request.headers[payload] ??= "UNSIGNED-PAYLOAD";
  const presigned = await rebuilt.signer.presign(rebuilt.request, {
    signingDate: auth.signingDate,
    expiresIn: auth.expiresInSeconds,
    signableHeaders: new Set(auth.signedHeaders),
    unsignableHeaders: new Set(auth.signedHeaders.includes(payload) ? [] : [payload]),
    // Headers stay where the client put them: what it hoisted is already in the query.
    unhoistableHeaders: new Set(Object.keys(rebuilt.request.headers)),
  });
  return sameSignature(String(presigned.query?.["X-Amz-Signature"] ?? ""), auth.signature);
}
