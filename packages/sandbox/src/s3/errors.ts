/** An S3-style error answered by the gateway as `<Error><Code>…</Code>…</Error>`. Never carries a secret. */
export class S3Error extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 403,
  ) {
    super(message);
    this.name = "S3Error";
  }
}

export const accessDenied = (message = "Access Denied") => new S3Error("AccessDenied", message, 403);

/** S3's answer to an operation the endpoint does not offer (HTTP 501). */
export const notImplemented = (operation: string) =>
  new S3Error(
    "NotImplemented",
    `${operation} is not implemented. Supported: PutObject, GetObject, HeadObject, DeleteObject, ListObjectsV2, CopyObject and multipart uploads; delete objects one at a time.`,
    501,
  );

export const signatureMismatch = () =>
  new S3Error(
    "SignatureDoesNotMatch",
    "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
  );

/** Escapes text for an XML element. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The XML body of an S3 error response. */
export function errorXml(error: S3Error, resource: string, requestId: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${escapeXml(error.code)}</Code>` +
    `<Message>${escapeXml(error.message)}</Message><Resource>${escapeXml(resource)}</Resource>` +
    `<RequestId>${requestId}</RequestId></Error>`
  );
}
