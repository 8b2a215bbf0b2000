/**
 * The framework's CORS: which origins a sandbox admits (loopback on any port, `corsOrigins`),
 * preflight answers, the headers added to every answer to an admitted origin, and `Allow`.
 */
import type { SandboxRequest, SandboxResponse } from "./types.js";

/** What a preflight lists for paths outside the spec (a provider's own routes). */
export const USUAL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"];
/** Origins every sandbox admits: a page served from this machine, on any port. */
const LOOPBACK_ORIGIN = /^http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/i;
/** Headers a page may read besides the CORS-safelisted ones (each answer's own are added). */
const EXPOSED_HEADERS = [
  "Location",
  "Retry-After",
  "Retry-After-Ms",
  "X-Request-Id",
  "Request-Id",
  "X-RateLimit-Limit",
  "X-RateLimit-Remaining",
  "X-RateLimit-Reset",
  "RateLimit",
  "RateLimit-Policy",
  "ETag",
  "Link",
  "Content-Disposition",
];
const SAFELISTED = new Set([
  "cache-control",
  "content-language",
  "content-length",
  "content-type",
  "expires",
  "last-modified",
  "pragma",
  "set-cookie",
  "vary",
]);
const PREFLIGHT_MAX_AGE = "600";

/** The framework's CORS headers on an answer to `origin` (after the provider's `respond`). */
export function withCors(
  allowsOrigin: (origin: string) => boolean,
  origin: string | undefined,
  response: SandboxResponse,
): SandboxResponse {
  if (!origin) return response;
  const headers = { ...response.headers };
  addVary(headers, "Origin");
  const given = headerOf(headers, "access-control-allow-origin");
  if (given === undefined && !allowsOrigin(origin)) return { ...response, headers };
  if (given === undefined) headers["Access-Control-Allow-Origin"] = origin;
  if (headerOf(headers, "access-control-expose-headers") === undefined)
    headers["Access-Control-Expose-Headers"] = exposedHeaders(headers);
  return { ...response, headers };
}

/** The origins a sandbox admits: loopback ones on any port, the given exact origins, or any (`*`). */
export function corsPolicy(extra: readonly string[]): (origin: string) => boolean {
  const any = extra.includes("*");
  const exact = new Set(extra.filter((origin) => origin !== "*").map((origin) => normalizeOrigin(origin)));
  return (origin) => any || LOOPBACK_ORIGIN.test(origin) || exact.has(origin.toLowerCase());
}

/** `https://App.example/` as a browser sends it: `https://app.example`. */
function normalizeOrigin(origin: string): string {
  try {
    const parsed = new URL(origin);
    return parsed.origin === "null" ? origin.toLowerCase() : parsed.origin;
  } catch {
    return origin.toLowerCase();
  }
}

export function isPreflight(request: SandboxRequest): boolean {
  return request.method === "OPTIONS" && request.headers["access-control-request-method"] !== undefined;
}

/** 204 for a preflight from an admitted origin (the framework adds the origin afterwards). */
export function preflightAnswer(request: SandboxRequest, methods: readonly string[]): SandboxResponse {
  const asked = request.headers["access-control-request-headers"];
  return {
    status: 204,
    headers: {
      "Access-Control-Allow-Methods": allowHeader(methods),
      ...(asked ? { "Access-Control-Allow-Headers": asked } : {}),
      // Chrome's Private Network Access: a public page may call this loopback server once admitted.
      ...(request.headers["access-control-request-private-network"] === "true"
        ? { "Access-Control-Allow-Private-Network": "true" }
        : {}),
      "Access-Control-Max-Age": PREFLIGHT_MAX_AGE,
      Vary: "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
    },
  };
}

/** `Allow`: the methods answered on a path, OPTIONS included (the framework answers it). */
export function allowHeader(methods: readonly string[]): string {
  return [...new Set([...methods, "OPTIONS"])].join(", ");
}

function headerOf(headers: Record<string, string | string[]>, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers))
    if (key.toLowerCase() === name) return [value].flat().join(", ");
  return undefined;
}

/** Adds a token to `Vary`, once, whatever the case of the header name already there. */
function addVary(headers: Record<string, string | string[]>, token: string) {
  const tokens: string[] = [];
  for (const key of Object.keys(headers)) {
    if (key.toLowerCase() !== "vary") continue;
    tokens.push(...[headers[key] ?? []].flat().flatMap((value) => value.split(",")));
    delete headers[key];
  }
  const seen = new Set<string>();
  const merged = [...tokens.map((each) => each.trim()).filter(Boolean), token].filter((each) => {
    const key = each.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  headers.Vary = merged.join(", ");
}

/** The usual headers a client reads, and every header this answer carries beyond the safelisted. */
function exposedHeaders(headers: Record<string, string | string[]>): string {
  const names = new Map(EXPOSED_HEADERS.map((name) => [name.toLowerCase(), name]));
  for (const name of Object.keys(headers)) {
    const lower = name.toLowerCase();
    if (!SAFELISTED.has(lower) && !lower.startsWith("access-control-") && !names.has(lower))
      names.set(lower, name);
  }
  return [...names.values()].join(", ");
}
