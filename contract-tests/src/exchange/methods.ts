/**
 * `unsupported_method`: a request with a method the spec does not list on a path must be answered
 * 405, with an `Allow` header that lists the methods the spec does list there (RFC 9110 §15.5.6).
 */
import type { ApiSpec } from "../spec/openapi.js";
import type { Exchange, Verdict } from "./checks.js";

/** The methods probed: the usual ones. HEAD follows GET on most servers, OPTIONS is answered by CORS layers. */
export const PROBED_METHODS = ["GET", "PUT", "POST", "DELETE", "PATCH"] as const;

/** A path template as a regular expression over concrete paths (`{id}` is one segment). */
export function templatePattern(template: string): RegExp {
  const parts = template
    .split(/(\{[^}]+\})/)
    .map((part) =>
      part.startsWith("{") && part.endsWith("}") ? "[^/]+" : part.replace(/[.*+?^$()|[\]\\]/g, "\\$&"),
    );
  return new RegExp(`^${parts.join("")}$`);
}

/**
 * The methods the spec documents for a concrete path: those of every path template that matches it
 * (`/feeds/export` matches both `/feeds/export` and `/feeds/{id}`), upper case.
 */
export function documentedMethods(spec: ApiSpec, concretePath: string): string[] {
  const found = new Set<string>();
  for (const op of spec.operations) if (templatePattern(op.path).test(concretePath)) found.add(op.method);
  return [...found].sort();
}

/** One probe: a request with `method` on a path that documents `documented`. */
export interface MethodProbe {
  exchange: Exchange;
  method: string;
  /** The concrete path probed (`/feeds/abc`). */
  path: string;
  /** Upper-case methods the spec lists on the probed path. */
  documented: string[];
}

/** The methods an `Allow` header lists, upper case. */
export const allowList = (value: string): string[] =>
  value
    .split(",")
    .map((m) => m.trim().toUpperCase())
    .filter(Boolean);

export function judgeUnsupportedMethod({ exchange, method, path, documented }: MethodProbe): Verdict {
  const where = `${method} ${path}`;
  const listed = `the spec lists ${documented.join(", ")}`;
  if (exchange.error) return { fail: `${where}: no response: ${exchange.error}` };
  const response = exchange.response;
  if (!response) return "skip";
  if (response.status !== 405)
    return { fail: `${where} (${listed}) answered ${response.status}, expected 405` };
  const allow = response.headers.allow;
  if (allow === undefined) return { fail: `${where}: 405 without an Allow header (${listed})` };
  const allowed = allowList(allow);
  const missing = documented.filter((m) => !allowed.includes(m));
  if (missing.length)
    return { fail: `${where}: 405 with Allow: ${allow}, which leaves out ${missing.join(", ")}` };
  if (allowed.includes(method))
    return { fail: `${where}: 405 with Allow: ${allow}, which lists ${method} itself` };
  return "pass";
}
