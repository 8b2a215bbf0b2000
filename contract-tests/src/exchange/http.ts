/** Turns a case into an HTTP request, sends it, and renders it (credentials redacted) as curl. */
import { bodyKind, type Case } from "../cases/cases.js";
import { queryPairs, simpleValue } from "../generate/parameters.js";
import type { ApiSpec, Operation, SecurityScheme } from "../spec/openapi.js";

/** Where credentials come from: the raw value of a security scheme, if any. */
export interface CredentialSource {
  credential(schemeName: string): string | undefined;
}

/** A request as shown in reports: credentials replaced by `${ENV_VAR}` placeholders. */
export interface ShownRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  /** The body as text (multipart: one `name=value` line per part). */
  body: string | undefined;
  /** Multipart parts as `name=value[;type=…]`. */
  parts?: string[];
  /** HTTP Basic credentials as `user:password` (placeholders), for `curl -u`. */
  basicAuth?: string;
}

export interface PreparedRequest {
  url: string;
  init: RequestInit;
  shown: ShownRequest;
  curl: string;
  /** Secret value → placeholder, for redacting responses that echo a credential. */
  secrets: Map<string, string>;
}

export interface ReceivedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A wrong but well-formed credential, for `ignored_auth`. */
export const WRONG_CREDENTIAL = "specyard-wrong-credential";

/** The environment variable that holds a scheme's credential on the live target. */
export function credentialVariable(provider: string, schemeName: string): string {
  const snake = (s: string) =>
    s
      .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
      .replace(/[^A-Za-z0-9]+/g, "_")
      .toUpperCase();
  return `SPECYARD_LIVE_${snake(provider)}_${snake(schemeName)}`;
}

/** The first security alternative whose every scheme has a credential, or undefined. */
export function usableAlternative(op: Operation, source: CredentialSource): string[] | undefined {
  return op.security.find((alt) => alt.every((name) => source.credential(name) !== undefined));
}

interface Options {
  spec: ApiSpec;
  op: Operation;
  baseUrl: string;
  /** Base URL written into curl lines (may hold `${VAR}` placeholders); default `baseUrl`. */
  curlBaseUrl?: string;
  source: CredentialSource;
}

export function prepareRequest(
  c: Case,
  { spec, op, baseUrl, curlBaseUrl, source }: Options,
): PreparedRequest {
  const secrets = new Map<string, string>();
  let path = op.path;
  for (const p of op.parameters.filter((q) => q.in === "path")) {
    path = path.replace(`{${p.name}}`, encodeURIComponent(simpleValue(p, c.path[p.name])));
  }
  const query: [string, string][] = [];
  const headers: Record<string, string> = {};
  const cookies: [string, string][] = [];
  for (const p of op.parameters) {
    if (p.in === "query" && p.name in c.query) query.push(...queryPairs(p, c.query[p.name]));
    if (p.in === "header" && p.name in c.headers)
      headers[p.name.toLowerCase()] = simpleValue(p, c.headers[p.name]);
    if (p.in === "cookie" && p.name in c.cookies) cookies.push([p.name, simpleValue(p, c.cookies[p.name])]);
  }

  let basicAuth: string | undefined;
  if (c.auth !== "none") {
    const alternative = usableAlternative(op, source) ?? [];
    for (const name of alternative) {
      const scheme = spec.securitySchemes[name];
      const raw = c.auth === "bad" ? WRONG_CREDENTIAL : source.credential(name);
      if (!scheme || raw === undefined) continue;
      const placed = place(scheme, raw);
      if (c.auth === "valid") {
        const variable = `\${${credentialVariable(spec.provider, name)}}`;
        secrets.set(raw, variable);
        if (placed.encoded !== raw) {
          secrets.set(placed.encoded, `<base64 of ${variable}>`);
          basicAuth = raw.includes(":") ? variable : `${BASIC_USER}:${variable}`;
        }
      }
      if (placed.in === "header") headers[placed.name.toLowerCase()] = placed.value;
      if (placed.in === "query") query.push([placed.name, placed.value]);
      if (placed.in === "cookie") cookies.push([placed.name, placed.value]);
    }
  }
  if (cookies.length) headers.cookie = cookies.map(([k, v]) => `${k}=${v}`).join("; ");

  let body: BodyInit | undefined;
  let bodyText: string | undefined;
  let parts: string[] | undefined;
  if (c.body) {
    const encoded = encodeBody(c.body.mediaType, c.body.value, op);
    body = encoded.body;
    parts = encoded.parts;
    bodyText = parts ? parts.join("\n") : encoded.text;
    if (encoded.contentType) headers["content-type"] = encoded.contentType;
  }

  const search = new URLSearchParams(query).toString();
  const target = `${path}${search ? `?${search}` : ""}`;
  const url = `${baseUrl.replace(/\/$/, "")}${target}`;
  const redact = (s: string) => redactText(s, secrets);
  const shown: ShownRequest = {
    method: op.method,
    url: redact(`${(curlBaseUrl ?? baseUrl).replace(/\/$/, "")}${target}`),
    headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, redact(v)])),
    body: bodyText === undefined ? undefined : redact(bodyText),
    ...(parts ? { parts: parts.map(redact) } : {}),
    ...(basicAuth ? { basicAuth } : {}),
  };
  return {
    url,
    init: { method: op.method, headers, body, redirect: "manual" },
    shown,
    curl: curlOf(shown),
    secrets,
  };
}

/** The user name sent with an HTTP Basic credential that is a password alone. */
const BASIC_USER = "specyard";

/** Where and how a credential travels, per the scheme's `in` / `name` / `scheme`. */
function place(
  scheme: SecurityScheme,
  raw: string,
): { in: "header" | "query" | "cookie"; name: string; value: string; encoded: string } {
  if (scheme.type === "apiKey") {
    const name = scheme.name ?? "";
    // `Authorization: ApiKey <key>` style: an apiKey in the Authorization header needs a scheme word.
    const value = /^authorization$/i.test(name) && !raw.includes(" ") ? `ApiKey ${raw}` : raw;
    return { in: scheme.in ?? "header", name, value, encoded: raw };
  }
  const word = (scheme.type === "http" ? (scheme.scheme ?? "bearer") : "bearer").toLowerCase();
  if (word === "basic") {
    const encoded = Buffer.from(raw.includes(":") ? raw : `${BASIC_USER}:${raw}`).toString("base64");
    return { in: "header", name: "Authorization", value: `Basic ${encoded}`, encoded };
  }
  const label = word === "bearer" ? "Bearer" : word.charAt(0).toUpperCase() + word.slice(1);
  return { in: "header", name: "Authorization", value: `${label} ${raw}`, encoded: raw };
}

function encodeBody(
  mediaType: string,
  value: unknown,
  op: Operation,
): { body: BodyInit; text?: string; parts?: string[]; contentType?: string } {
  switch (bodyKind(mediaType)) {
    case "json": {
      const text = JSON.stringify(value) ?? "null";
      return { body: text, text, contentType: mediaType };
    }
    case "form": {
      const form = new URLSearchParams();
      for (const [k, v] of Object.entries((value ?? {}) as Record<string, unknown>))
        form.append(k, fieldText(v));
      return { body: form.toString(), text: form.toString(), contentType: mediaType };
    }
    case "multipart": {
      // fetch sets the multipart content type, boundary included.
      const form = new FormData();
      const encoding = op.requestBody?.content[mediaType]?.encoding ?? {};
      const parts: string[] = [];
      for (const [k, v] of Object.entries((value ?? {}) as Record<string, unknown>)) {
        const partType = encoding[k]?.contentType?.split(",")[0]?.trim();
        if (partType) form.append(k, new Blob([fieldText(v)], { type: partType }), `${k}.bin`);
        else form.append(k, fieldText(v));
        parts.push(`${k}=${fieldText(v)}${partType ? `;type=${partType}` : ""}`);
      }
      return { body: form, parts };
    }
    case "raw": {
      const text = typeof value === "string" ? value : JSON.stringify(value);
      return { body: text, text, contentType: mediaType };
    }
  }
}

const fieldText = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));

/** Replaces every secret value (and its URL-encoded form) with its placeholder. */
export function redactText(text: string, secrets: Map<string, string>): string {
  let out = text;
  for (const [secret, placeholder] of secrets) {
    if (!secret) continue;
    out = out.split(secret).join(placeholder);
    const encoded = encodeURIComponent(secret);
    if (encoded !== secret) out = out.split(encoded).join(placeholder);
  }
  return out;
}

/** Single-quoted for a POSIX shell, with `${VAR}` placeholders left for the shell to expand. */
export function shellQuote(text: string): string {
  return text
    .split(/(\$\{[A-Z0-9_]+\})/)
    .filter((part) => part !== "")
    .map((part) => (/^\$\{[A-Z0-9_]+\}$/.test(part) ? `"${part}"` : `'${part.replace(/'/g, `'\\''`)}'`))
    .join("");
}

/** A curl command that repeats the request; credentials come from the environment variables named in it. */
export function curlOf(shown: ShownRequest): string {
  const args = ["curl", "-sS", "-X", shown.method, shellQuote(shown.url)];
  if (shown.basicAuth) args.push("-u", shellQuote(shown.basicAuth));
  for (const [k, v] of Object.entries(shown.headers)) {
    if (!(shown.basicAuth && k === "authorization")) args.push("-H", shellQuote(`${k}: ${v}`));
  }
  if (shown.parts) {
    // `-F` reads files for values starting with @ or <, and parses `;`: plain values go as --form-string.
    for (const part of shown.parts) {
      const plain = /^[^=]*=[^@<;"][^;"]*(;type=[^;"]+)?$/.test(part);
      args.push(plain ? "-F" : "--form-string", shellQuote(part));
    }
  } else if (shown.body !== undefined) {
    args.push("--data-binary", shellQuote(shown.body));
  }
  return args.join(" ");
}

/** Sends a prepared request; the body is read whole (reports truncate it). */
export async function send(prepared: PreparedRequest, timeoutMs = 30_000): Promise<ReceivedResponse> {
  const response = await fetch(prepared.url, { ...prepared.init, signal: AbortSignal.timeout(timeoutMs) });
  const headers: Record<string, string> = {};
  response.headers.forEach((value, key) => {
    headers[key] = value;
  });
  return { status: response.status, headers, body: await response.text() };
}
