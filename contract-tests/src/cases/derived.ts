/**
 * Negative cases derived from accepted requests: a request the target answered 2xx, with exactly
 * one thing broken — one required property dropped, one value of the wrong type, past a bound,
 * outside its enum or its format, one unexpected property, one required parameter left out or made
 * invalid. Everything else stays as the target accepted it, so a 2xx answer can only mean that the
 * target does not enforce what was broken (a negative built from a fresh body may be refused for
 * a reason of its own: a business rule, a quota, a duplicate).
 */
import fc from "fast-check";
import { describe, mutationsFor } from "../generate/mutations.js";
import { parameterValid, received, sendable } from "../generate/parameters.js";
import { flatten } from "../generate/values.js";
import type { Operation, Parameter, Schema } from "../spec/openapi.js";
import { isValid, isValidParameter } from "../spec/validate.js";
import { bodyKind, type Case, type Location } from "./cases.js";

const LOCATION: Record<Parameter["in"], Location> = {
  path: "path",
  query: "query",
  header: "headers",
  cookie: "cookies",
};

/** One way of breaking an accepted case. */
interface Break {
  note: string;
  /** Lower first: a dropped required part, then a wrong type, then the rest. */
  rank: number;
  cases: fc.Arbitrary<Case>;
}

/** Body nesting the derivation descends into. */
const DEPTH = 3;
/** Kinds of schema mutation that rebuild a whole object instead of changing one thing in it. */
const WHOLE = /^(missing required|unexpected property|more than maxProperties|fewer than minProperties)/;

const rankOf = (kind: string) => (kind.startsWith("missing") ? 0 : kind.startsWith("not of type") ? 1 : 2);

type Json = Record<string, unknown> | unknown[];

/** `value` with the node at `path` replaced (`undefined`: removed). */
function replaced(value: unknown, path: (string | number)[], next: unknown): unknown {
  if (path.length === 0) return next;
  const [head, ...rest] = path as [string | number, ...(string | number)[]];
  if (Array.isArray(value)) {
    const out = [...value];
    out[head as number] = replaced(out[head as number], rest, next);
    return out;
  }
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  if (rest.length === 0 && next === undefined) delete out[head];
  else out[head] = replaced(out[head], rest, next);
  return out;
}

const shown = (path: (string | number)[]) => path.map((p) => `/${p}`).join("");

/** The ways of breaking one value of `schema` found in an accepted body at `path`. */
function bodyBreaks(
  schema: Schema,
  value: unknown,
  path: (string | number)[],
  depth: number,
): {
  note: string;
  rank: number;
  values: fc.Arbitrary<unknown>;
  path: (string | number)[];
}[] {
  const s = flatten(schema);
  const out: ReturnType<typeof bodyBreaks> = [];
  if (path.length > 0) {
    for (const m of mutationsFor(schema)) {
      if (m.path !== "" || WHOLE.test(m.kind)) continue;
      out.push({ note: `${describe(m)} at ${shown(path)}`, rank: rankOf(m.kind), values: m.arbitrary, path });
    }
  }
  if (depth >= DEPTH || s.oneOf || s.anyOf || s.not) return out;
  if (value && typeof value === "object" && !Array.isArray(value)) {
    const object = value as Record<string, unknown>;
    const properties: Record<string, Schema> = s.properties ?? {};
    for (const name of (s.required ?? []) as string[]) {
      if (!(name in object)) continue;
      out.push({
        note: `missing required property '${name}'${path.length ? ` at ${shown(path)}` : ""}`,
        rank: 0,
        values: fc.constant(undefined),
        path: [...path, name],
      });
    }
    if (s.additionalProperties === false && !("specyard_unexpected" in properties)) {
      out.push({
        note: `unexpected property (additionalProperties: false)${path.length ? ` at ${shown(path)}` : ""}`,
        rank: 2,
        values: fc.constant(true),
        path: [...path, "specyard_unexpected"],
      });
    }
    for (const [name, sub] of Object.entries(properties))
      if (name in object) out.push(...bodyBreaks(sub, object[name], [...path, name], depth + 1));
  } else if (Array.isArray(value) && value.length && s.items) {
    out.push(...bodyBreaks(s.items, value[0], [...path, 0], depth + 1));
  }
  return out;
}

/** The ways of breaking one accepted case. */
function breaksOf(op: Operation, accepted: Case): Break[] {
  const out: Break[] = [];
  for (const p of op.parameters) {
    const at = LOCATION[p.in];
    const label = `${p.in} parameter '${p.name}'`;
    if (!(p.name in accepted[at])) continue;
    if (p.required && (p.in === "query" || p.in === "cookie")) {
      const { [p.name]: _dropped, ...rest } = accepted[at];
      out.push({ note: `${label} missing`, rank: 0, cases: fc.constant({ ...accepted, [at]: rest }) });
    }
    const arrivesInvalid = (v: unknown) => sendable(p, v) && !isValidParameter(p.schema, received(p, v));
    for (const m of mutationsFor(p.schema)) {
      if (m.path !== "") continue;
      const probe = fc.sample(m.arbitrary, { numRuns: 8, seed: 1 });
      if (probe.filter(arrivesInvalid).length < 3) continue;
      out.push({
        note: `${label}: ${describe(m)}`,
        rank: rankOf(m.kind),
        cases: m.arbitrary
          .filter(arrivesInvalid)
          .map((bad) => ({ ...accepted, [at]: { ...accepted[at], [p.name]: bad } })),
      });
    }
  }
  const body = accepted.body;
  const schema = body ? op.requestBody?.content[body.mediaType]?.schema : undefined;
  if (body && schema && bodyKind(body.mediaType) === "json" && body.value && typeof body.value === "object") {
    const invalid = (value: unknown) => !isValid(schema, value);
    for (const b of bodyBreaks(schema, body.value as Json, [], 0)) {
      const values = b.values.map((bad) => replaced(body.value, b.path, bad));
      // Keep the ways that mostly break the body (a filter that never passes would never end).
      if (fc.sample(values, { numRuns: 6, seed: 1 }).filter(invalid).length < 2) continue;
      const cases = values.filter(invalid).map((value) => ({ ...accepted, body: { ...body, value } }));
      out.push({ note: `body: ${b.note}`, rank: b.rank, cases });
    }
  }
  return out.map((b) => ({
    ...b,
    cases: b.cases.map((c) => ({ ...c, note: `${b.note} (of an accepted request)` })),
  }));
}

/** Whether a derived case is sure to be invalid (a mutation filter may let nothing through). */
const stillValid = (op: Operation, c: Case) =>
  op.parameters.every((p) => {
    const where = c[LOCATION[p.in]];
    return p.name in where ? parameterValid(p, where[p.name]) : !p.required;
  }) &&
  (!c.body || isValid(op.requestBody?.content[c.body.mediaType]?.schema ?? {}, c.body.value));

/**
 * The derived negative cases of an operation from the cases the target accepted: an arbitrary
 * over every way of breaking one of them, and one example of each way (dropped required parts
 * first, then wrong types, then the rest), which a run sends first.
 */
export function derivedNegatives(
  op: Operation,
  accepted: Case[],
  seed: number,
): { arbitrary: fc.Arbitrary<Case>; examples: Case[] } | undefined {
  const byNote = new Map<string, Break>();
  for (const c of accepted) for (const b of breaksOf(op, c)) if (!byNote.has(b.note)) byNote.set(b.note, b);
  const breaks = [...byNote.values()].sort((a, b) => a.rank - b.rank);
  if (!breaks.length) return undefined;
  const examples: Case[] = [];
  for (const b of breaks) {
    const [example] = fc.sample(b.cases, { numRuns: 1, seed });
    if (example && !stillValid(op, example)) examples.push(example);
  }
  return { arbitrary: fc.oneof(...breaks.map((b) => b.cases)), examples };
}
