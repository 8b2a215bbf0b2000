/**
 * S3 request authentication for the gateway: an `Authorization: AWS4-HMAC-SHA256` header or a
 * presigned URL, checked against the gateway's access keys, region, clock skew and expiry.
 */
import type { IncomingMessage } from "node:http";
import { accessDenied, S3Error, signatureMismatch } from "./errors.js";
import type { Query, S3KeyScope } from "./scope.js";
import {
  MAX_PRESIGNED_SECONDS,
  parseAmzDate,
  parseAuthorization,
  parsePresigned,
  presignedSignatureMatches,
  signatureMatches,
} from "./sigv4.js";

const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

/** What a request is checked against: the gateway's access keys and the region clients sign for. */
export interface GatewayKeys {
  scopes: ReadonlyMap<string, S3KeyScope>;
  region: string;
}

/** Returns the request's key scope, or undefined for an anonymous request; throws when the signature fails. */
export async function authenticate(
  req: IncomingMessage,
  rawPath: string,
  query: Query,
  keys: GatewayKeys,
): Promise<S3KeyScope | undefined> {
  const header = req.headers.authorization;
  if (header === undefined) {
    if ("X-Amz-Signature" in query) return authenticatePresigned(req, rawPath, query, keys);
    if (Object.keys(query).some((name) => /^x-amz-signature$|^signature$/i.test(name)))
      throw accessDenied("Only AWS4-HMAC-SHA256 presigned URLs are supported.");
    return undefined;
  }
  const auth = parseAuthorization(header);
  if (!auth)
    throw new S3Error("AuthorizationHeaderMalformed", "Use an AWS4-HMAC-SHA256 Authorization header.", 400);
  const scope = scopeOf(keys, auth.accessKeyId);
  const amzDate = req.headers["x-amz-date"];
  const signingDate = parseAmzDate(typeof amzDate === "string" ? amzDate : undefined);
  if (!signingDate || !auth.signedHeaders.includes("host") || !auth.signedHeaders.includes("x-amz-date"))
    throw accessDenied("Sign the host and x-amz-date headers.");
  if (auth.region !== keys.region || auth.service !== "s3" || auth.date !== String(amzDate).slice(0, 8))
    throw new S3Error(
      "AuthorizationHeaderMalformed",
      `The credential scope is wrong; expecting region '${keys.region}' and service 's3'.`,
      400,
    );
  if (Math.abs(Date.now() - signingDate.getTime()) > MAX_CLOCK_SKEW_MS)
    throw new S3Error(
      "RequestTimeTooSkewed",
      "The difference between the request time and the current time is too large.",
    );
  if (req.headers["x-amz-content-sha256"] === undefined)
    throw new S3Error(
      "InvalidRequest",
      "Missing required header for this request: x-amz-content-sha256",
      400,
    );
  const matches = await signatureMatches({
    auth,
    secretAccessKey: scope.secretAccessKey,
    method: req.method ?? "",
    rawPath,
    query,
    headers: req.headers,
    signingDate,
  });
  if (!matches) throw signatureMismatch();
  return scope;
}

/** The scope of a known access key. */
function scopeOf(keys: GatewayKeys, accessKeyId: string): S3KeyScope {
  const scope = keys.scopes.get(accessKeyId);
  if (!scope)
    throw new S3Error(
      "InvalidAccessKeyId",
      "The AWS Access Key Id you provided does not exist in our records.",
    );
  return scope;
}

/** A presigned URL: the key's scope, once the signature, the credential scope and the expiry hold. */
async function authenticatePresigned(
  req: IncomingMessage,
  rawPath: string,
  query: Query,
  keys: GatewayKeys,
): Promise<S3KeyScope> {
  const auth = parsePresigned(query);
  if (!auth)
    throw new S3Error(
      "AuthorizationQueryParametersError",
      "Presign with X-Amz-Algorithm=AWS4-HMAC-SHA256 and its Credential, Date, Expires, SignedHeaders and Signature.",
      400,
    );
  const scope = scopeOf(keys, auth.accessKeyId);
  if (!auth.signedHeaders.includes("host")) throw accessDenied("Sign the host header.");
  if (
    auth.region !== keys.region ||
    auth.service !== "s3" ||
    auth.date !== auth.signingDate.toISOString().slice(0, 10).replaceAll("-", "")
  )
    throw new S3Error(
      "AuthorizationQueryParametersError",
      `The credential scope is wrong; expecting region '${keys.region}' and service 's3'.`,
      400,
    );
  if (auth.expiresInSeconds < 1 || auth.expiresInSeconds > MAX_PRESIGNED_SECONDS)
    throw new S3Error(
      "AuthorizationQueryParametersError",
      `X-Amz-Expires must be between 1 and ${MAX_PRESIGNED_SECONDS} seconds.`,
      400,
    );
  const now = Date.now();
  if (auth.signingDate.getTime() - now > MAX_CLOCK_SKEW_MS) throw accessDenied("Request is not valid yet.");
  if (now > auth.signingDate.getTime() + auth.expiresInSeconds * 1000)
    throw accessDenied("Request has expired");
  const matches = await presignedSignatureMatches({
    auth,
    secretAccessKey: scope.secretAccessKey,
    method: req.method ?? "",
    rawPath,
    query,
    headers: req.headers,
  });
  if (!matches) throw signatureMismatch();
  return scope;
}
