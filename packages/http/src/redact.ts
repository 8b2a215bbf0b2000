/** Query parameters whose values are credentials. */
const SECRET_QUERY_KEYS = new Set([
  "token",
  "access_token",
  "refresh_token",
  "api_key",
  "apikey",
  "key",
  "secret",
  "signature",
  "x-amz-signature",
  "x-amz-credential",
  "x-amz-security-token",
]);

/** Headers whose values are credentials. */
export const SECRET_HEADERS = new Set([
  "authorization",
  "proxy-authorization",
  "cookie",
  "set-cookie",
  "x-csrf-token",
  "x-api-key",
  "payment-signature",
]);

export const REDACTED = "[redacted]";

/** The URL with the value of every credential-bearing query parameter replaced. */
export function redactUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return raw.replace(/([?&][^=&]*(?:token|key|secret|signature)[^=&]*=)[^&#]*/gi, `$1${REDACTED}`);
  }
  for (const name of [...url.searchParams.keys()]) {
    if (SECRET_QUERY_KEYS.has(name.toLowerCase())) url.searchParams.set(name, REDACTED);
  }
  url.username = "";
  url.password = "";
  return url.toString();
}

/**
 * Keeps credentials out of text: every value registered with `add` (and its URL-encoded form) is
 * replaced wherever it appears. Credentials seen on requests are registered as they are sent, so a
 * token echoed back in an error body is caught too.
 */
export class Redactor {
  readonly #secrets = new Set<string>();

  constructor(secrets: Iterable<string> = []) {
    for (const secret of secrets) this.add(secret);
  }

  add(secret: string | undefined): void {
    // Very short values would redact ordinary words; credentials are never that short.
    if (!secret || secret.length < 6 || this.#secrets.has(secret)) return;
    this.#secrets.add(secret);
    const encoded = encodeURIComponent(secret);
    if (encoded !== secret) this.#secrets.add(encoded);
  }

  /** Registers the credential part of each secret header on a request. */
  addFromHeaders(headers: Headers): void {
    for (const [name, value] of headers) {
      if (!SECRET_HEADERS.has(name)) continue;
      this.add(value);
      const space = value.indexOf(" ");
      if (space > 0) this.add(value.slice(space + 1)); // "Bearer <token>"
      if (name === "cookie")
        for (const pair of value.split(/;\s*/)) this.add(pair.split("=").slice(1).join("="));
    }
  }

  /** Registers the values of credential-bearing query parameters. */
  addFromUrl(raw: string): void {
    const query = raw.indexOf("?");
    if (query < 0) return;
    for (const [name, value] of new URLSearchParams(raw.slice(query + 1))) {
      if (SECRET_QUERY_KEYS.has(name.toLowerCase())) this.add(value);
    }
  }

  redact = (text: string): string => {
    let out = text;
    for (const secret of this.#secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    return out;
  };

  /** Header pairs safe to log. */
  headers(headers: Headers): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, value] of headers) out[name] = SECRET_HEADERS.has(name) ? REDACTED : this.redact(value);
    return out;
  }
}
