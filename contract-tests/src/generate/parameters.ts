/** Parameter serialization (OpenAPI `style` / `explode`) and what the server reads back. */
import type { Parameter } from "../spec/openapi.js";
import { isValidParameter } from "../spec/validate.js";

const text = (v: unknown): string => (v === null || v === undefined ? "" : String(v));

/** Query pairs for a `form` parameter (the only query style the specs use). */
export function queryPairs(p: Parameter, value: unknown): [string, string][] {
  if (Array.isArray(value)) {
    return p.explode ? value.map((v) => [p.name, text(v)]) : [[p.name, value.map(text).join(",")]];
  }
  if (value && typeof value === "object") {
    const entries = Object.entries(value);
    return p.explode
      ? entries.map(([k, v]) => [k, text(v)])
      : [[p.name, entries.flatMap(([k, v]) => [k, text(v)]).join(",")]];
  }
  return [[p.name, text(value)]];
}

/** A `simple` value (path and header parameters): `a,b,c`, `k,v,k,v` or `k=v,k=v` exploded. */
export function simpleValue(p: Parameter, value: unknown): string {
  if (Array.isArray(value)) return value.map(text).join(",");
  if (value && typeof value === "object") {
    const entries = Object.entries(value);
    return p.explode
      ? entries.map(([k, v]) => `${k}=${text(v)}`).join(",")
      : entries.flatMap(([k, v]) => [k, text(v)]).join(",");
  }
  return text(value);
}

/**
 * The value as the server reads it back: strings, arrays of strings, objects of strings, or
 * `undefined` when nothing arrives. An empty value of an optional query parameter counts as absent:
 * many servers (Prism among them) read `?limit=` as no limit at all.
 */
export function received(p: Parameter, value: unknown): unknown {
  const type = p.schema.type;
  if (p.in === "query") {
    const pairs = queryPairs(p, value);
    if (type === "array") {
      const parts = p.explode ? pairs.map(([, v]) => v) : (pairs[0]?.[1] ?? "").split(",");
      return parts.length === 1 && parts[0] === "" ? [] : parts;
    }
    if (type === "object" && p.explode) return Object.fromEntries(pairs);
    const first = pairs[0]?.[1];
    return first === "" && !p.required ? undefined : first;
  }
  const serialized = simpleValue(p, value);
  if (type === "array") return serialized === "" ? [] : serialized.split(",");
  return serialized;
}

/** Whether a value can travel in its location unchanged (fetch trims header values; `.` and `..` leave a path). */
export function sendable(p: Parameter, value: unknown): boolean {
  if (p.in === "path") {
    const v = simpleValue(p, value);
    return v !== "" && v !== "." && v !== "..";
  }
  if (p.in === "header") {
    const v = simpleValue(p, value);
    return /^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/.test(v) || v === "";
  }
  if (p.in === "cookie") {
    const v = simpleValue(p, value);
    return /^[\x21-\x7e]*$/.test(v) && !/[";,\\]/.test(v);
  }
  return true;
}

/** Whether a parameter value arrives valid: sendable, and valid once read back from its string form. */
export function parameterValid(p: Parameter, value: unknown): boolean {
  return sendable(p, value) && isValidParameter(p.schema, received(p, value));
}
