/**
 * `update_applied`: once a documented update (PATCH / PUT) of a resource answered 2xx, a read of
 * the resource shows the fields the update sent. A field is compared when the read shows it, or
 * when the read's schema has it (then its absence is a failure); fields the read never shows
 * (write-only ones, secrets) are left out, and so are fields sent as null (a null may clear a field
 * or reset it to a default).
 */
import type { Exchange, Verdict } from "./checks.js";

export interface UpdateChain {
  /** `trigger`, `service`: for messages. */
  resource: string;
  /** The resource's id; undefined for a singleton (`/agents/me`). */
  id?: string;
  update: Exchange;
  /** The top-level fields the update sent. */
  sent: Record<string, unknown>;
  read?: Exchange;
  /** The resource as the read shows it (undefined: the read does not hold it). */
  found?: Record<string, unknown>;
  /** The fields the read's schema gives the resource (undefined: unknown). */
  fields?: Set<string>;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/;

/** Whether `actual` shows `sent`: objects by the fields sent, arrays item by item, numbers and dates by value. */
export function shows(actual: unknown, sent: unknown): boolean {
  if (sent === null) return actual === null || actual === undefined;
  if (Array.isArray(sent))
    return (
      Array.isArray(actual) && actual.length === sent.length && sent.every((s, i) => shows(actual[i], s))
    );
  if (typeof sent === "object")
    return (
      !!actual &&
      typeof actual === "object" &&
      !Array.isArray(actual) &&
      Object.entries(sent as Record<string, unknown>).every(([k, v]) =>
        shows((actual as Record<string, unknown>)[k], v),
      )
    );
  if (actual === sent) return true;
  const number = (v: unknown) =>
    typeof v === "number" || (typeof v === "string" && v.trim() !== "") ? Number(v) : Number.NaN;
  if (!Number.isNaN(number(sent)) && number(sent) === number(actual)) return true;
  if (typeof sent === "string" && typeof actual === "string" && ISO_DATE.test(sent) && ISO_DATE.test(actual))
    return Date.parse(sent) === Date.parse(actual);
  return false;
}

const short = (v: unknown) => {
  const text = JSON.stringify(v) ?? "undefined";
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
};

export function judgeUpdate(chain: UpdateChain): Verdict {
  const { update, read, resource, id } = chain;
  const code = update.response?.status ?? 0;
  if (code < 200 || code >= 300 || !read) return "skip";
  const readCode = read.response?.status ?? 0;
  const what = `${resource}${id === undefined ? "" : ` ${id}`} updated by ${update.op.id} (${code})`;
  if (readCode < 200 || readCode >= 300)
    return {
      fail: `${what}: the read ${read.op.id} ${read.response ? `answered ${readCode}` : `failed: ${read.error}`}`,
    };
  if (!chain.found) return { fail: `${what}: ${read.op.id} no longer shows it` };
  const found = chain.found;
  const wrong: string[] = [];
  let compared = 0;
  for (const [field, value] of Object.entries(chain.sent)) {
    // A null may clear a field or reset it to a default (Atelier's payout wallet): not compared.
    if (value === null) continue;
    if (!(field in found)) {
      if (chain.fields?.has(field)) {
        compared++;
        wrong.push(`${field} is missing (sent ${short(value)})`);
      }
      continue;
    }
    compared++;
    if (!shows(found[field], value)) wrong.push(`${field} is ${short(found[field])} (sent ${short(value)})`);
  }
  if (!compared) return "skip";
  return wrong.length ? { fail: `${what}, but ${read.op.id} shows ${wrong.join("; ")}` } : "pass";
}
