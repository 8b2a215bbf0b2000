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
