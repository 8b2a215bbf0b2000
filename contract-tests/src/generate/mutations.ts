/**
 * Negative data: mutations of a schema, each an arbitrary of values the schema rejects — a wrong
 * type, a step past a bound, a value outside the enum, a broken format or pattern, a dropped
 * required property, an unexpected property — nested into objects and arrays.
 *
 * Every mutation is invalid by construction: a nested mutation is only made under plain objects
 * and arrays, where one invalid member makes the whole value invalid; under `oneOf`, `anyOf` and
 * `not` only a type that no branch accepts is used.
 */
import fc from "fast-check";
import type { Schema } from "../spec/openapi.js";
import { isValid } from "../spec/validate.js";
import {
  arbitraryFor,
  branches,
  flatten,
  inferType,
  integerRange,
  integers,
  LIMITS,
  nonNull,
} from "./values.js";

export interface Mutation {
  /** JSON Pointer-like location of the broken value inside the whole value (`` for the root). */
  path: string;
  /** What is broken, e.g. `below minimum 1`. */
  kind: string;
  arbitrary: fc.Arbitrary<unknown>;
}

/** `kind at path`, for reports. */
export const describe = (m: Mutation, root = "") =>
  `${m.kind}${m.path || root ? ` at ${root}${m.path}` : ""}`;

/** The mutations of a schema (memoized by schema identity). */
export function mutationsFor(schema: Schema): Mutation[] {
  let found = cache.get(schema);
  if (!found) {
    found = build(schema);
    cache.set(schema, found);
  }
  return found;
}
const cache = new WeakMap<Schema, Mutation[]>();

function build(original: Schema): Mutation[] {
  const s = flatten(original);
  const out: Mutation[] = [];
  const allowed = allowedTypes(original);
  if (allowed) {
    const wrong = wrongType(allowed);
    if (wrong) out.push({ path: "", kind: `not of type ${[...allowed].join("|")}`, arbitrary: wrong });
  }
  // Below a composite, one broken member may still match another branch: only the type is certain.
  if (s.oneOf || s.anyOf || s.not) return out;
  if (s.enum) {
    const outside = outsideEnum(s.enum);
    if (outside) out.push({ path: "", kind: "not in enum", arbitrary: outside });
    return out;
  }
  switch (s.type ?? inferType(s)) {
    case "string":
      out.push(...stringMutations(s));
      break;
    case "integer":
    case "number":
      out.push(...numberMutations(s));
      break;
    case "array":
      out.push(...arrayMutations(s));
      break;
    case "object":
      out.push(...objectMutations(s));
      break;
  }
  return out;
}

const jsonType = (v: unknown) =>
  v === null ? "null" : Array.isArray(v) ? "array" : Number.isInteger(v) ? "integer" : typeof v;

/** The JSON types a schema accepts, or undefined when it accepts every type. */
export function allowedTypes(original: Schema): Set<string> | undefined {
  const s = flatten(original);
  let types: Set<string> | undefined;
  if (s.oneOf || s.anyOf) {
    types = new Set();
    for (const branch of branches(s)) {
      const t = allowedTypes(branch);
      if (!t) return undefined;
      for (const x of t) types.add(x);
    }
  } else if (s.type) {
    types = new Set([s.type]);
  } else if (s.enum) {
    types = new Set((s.enum as unknown[]).map(jsonType));
  } else {
    return undefined;
  }
  if (types.has("number")) types.add("integer");
  if (isValid(original, null)) types.add("null");
  return types;
}

/** Values of every JSON type not in `allowed`, or undefined when every type is allowed. */
export function wrongType(allowed: Set<string>): fc.Arbitrary<unknown> | undefined {
  const options: fc.Arbitrary<unknown>[] = [];
  if (!allowed.has("string")) options.push(fc.string({ maxLength: 8 }));
  if (!allowed.has("integer")) options.push(fc.integer({ min: -1000, max: 1000 }));
  else if (!allowed.has("number")) options.push(fc.integer({ min: -1000, max: 1000 }).map((n) => n + 0.5));
  if (!allowed.has("boolean")) options.push(fc.boolean());
  if (!allowed.has("object")) options.push(fc.constant({}));
  if (!allowed.has("array")) options.push(fc.array(fc.integer({ min: 0, max: 9 }), { maxLength: 2 }));
  if (!allowed.has("null")) options.push(fc.constant(null));
  return options.length ? fc.oneof(...options) : undefined;
}

function outsideEnum(values: unknown[]): fc.Arbitrary<unknown> | undefined {
  const listed = (v: unknown) => values.some((w) => JSON.stringify(w) === JSON.stringify(v));
  const types = new Set(values.map(jsonType));
  if (types.has("string")) return fc.string({ maxLength: 12 }).filter((v) => !listed(v));
  if (types.has("integer") || types.has("number")) return fc.integer().filter((v) => !listed(v));
  if (types.has("boolean") && values.length === 1) return fc.constant(!values[0]);
  return undefined;
}

/** A few strings, to find ones that break a format or a pattern. */
const PROBES = ["", "!", " ", "%%", "0", "a", "-", "not valid", "~specyard~"];

function stringMutations(s: Schema): Mutation[] {
  const out: Mutation[] = [];
  const min: number = s.minLength ?? 0;
  const max: number | undefined = s.maxLength;
  if (min > 0) {
    out.push({
      path: "",
      kind: `shorter than minLength ${min}`,
      arbitrary: fc.string({ maxLength: min - 1 }),
    });
  }
  if (max !== undefined && max < LIMITS.boundaryString) {
    out.push({
      path: "",
      kind: `longer than maxLength ${max}`,
      arbitrary: fc.string({ minLength: max + 1, maxLength: max + 3 }),
    });
  }
  if (s.format) {
    // Formats Ajv does not check (binary, password, unknown ones) accept every probe: no mutation.
    const broken = PROBES.filter((p) => !isValid(formatOnly(s.format), p));
    if (broken.length) {
      out.push({
        path: "",
        kind: `not a valid ${s.format}`,
        arbitrary: fc.constantFrom(...broken.slice(0, 3)),
      });
    }
  }
  if (s.pattern) {
    const regex = new RegExp(s.pattern, "u");
    const broken = PROBES.filter((p) => !regex.test(p));
    if (broken.length) {
      out.push({
        path: "",
        kind: `not matching pattern ${s.pattern}`,
        arbitrary: fc.constantFrom(...broken.slice(0, 3)),
      });
    }
  }
  return out;
}

const formats = new Map<string, Schema>();
function formatOnly(format: string): Schema {
  let schema = formats.get(format);
  if (!schema) {
    schema = { type: "string", format };
    formats.set(format, schema);
  }
  return schema;
}

function numberMutations(s: Schema): Mutation[] {
  const out: Mutation[] = [];
  const integer = (s.type ?? "integer") === "integer";
  if (s.minimum !== undefined) {
    const m = s.minimum as number;
    const excluded = s.exclusiveMinimum === true;
    out.push({
      path: "",
      kind: `below ${excluded ? "exclusive " : ""}minimum ${m}`,
      arbitrary: integer
        ? integers(Math.max(integerRange(s)[0] - 1000, -Number.MAX_SAFE_INTEGER), integerRange(s)[0] - 1)
        : fc
            .double({ min: m - Math.max(1000, Math.abs(m)), max: m, noNaN: true })
            .filter((v) => (excluded ? v <= m : v < m) && !Object.is(v, -0)),
    });
  }
  if (s.maximum !== undefined) {
    const m = s.maximum as number;
    const excluded = s.exclusiveMaximum === true;
    out.push({
      path: "",
      kind: `above ${excluded ? "exclusive " : ""}maximum ${m}`,
      arbitrary: integer
        ? integers(integerRange(s)[1] + 1, Math.min(integerRange(s)[1] + 1000, Number.MAX_SAFE_INTEGER))
        : fc
            .double({ min: m, max: m + Math.max(1000, Math.abs(m)), noNaN: true })
            .filter((v) => (excluded ? v >= m : v > m) && !Object.is(v, -0)),
    });
  }
  return out;
}

function arrayMutations(s: Schema): Mutation[] {
  const out: Mutation[] = [];
  const items = s.items ? arbitraryFor(s.items) : fc.jsonValue({ maxDepth: 1 });
  const min: number = s.minItems ?? 0;
  const max: number | undefined = s.maxItems;
  if (min > 0) {
    out.push({
      path: "",
      kind: `fewer than minItems ${min}`,
      arbitrary: fc.array(items, { maxLength: min - 1 }),
    });
  }
  if (max !== undefined && max < 1000) {
    out.push({
      path: "",
      kind: `more than maxItems ${max}`,
      arbitrary: fc.array(items, { minLength: max + 1, maxLength: max + 1 }),
    });
  }
  if (s.items) {
    // One broken item among valid ones.
    const others = fc.array(items, { minLength: Math.max(0, min - 1), maxLength: Math.max(0, min - 1) + 1 });
    for (const m of mutationsFor(s.items)) {
      out.push({
        path: `/[]${m.path}`,
        kind: m.kind,
        arbitrary: fc.tuple(others, m.arbitrary, fc.nat()).map(([rest, bad, at]) => {
          const i = at % (rest.length + 1);
          return [...rest.slice(0, i), bad, ...rest.slice(i)];
        }),
      });
    }
  }
  return out;
}

const pointer = (name: string) => `/${name.replace(/~/g, "~0").replace(/\//g, "~1")}`;

function objectMutations(s: Schema): Mutation[] {
  const out: Mutation[] = [];
  const valid = nonNull(s) as fc.Arbitrary<Record<string, unknown>>;
  const properties: Record<string, Schema> = s.properties ?? {};
  for (const name of (s.required ?? []) as string[]) {
    out.push({
      path: "",
      kind: `missing required property '${name}'`,
      arbitrary: valid.map(({ [name]: _dropped, ...rest }) => rest),
    });
  }
  const unexpected = "specyard_unexpected";
  if (s.additionalProperties === false && !(unexpected in properties)) {
    out.push({
      path: "",
      kind: "unexpected property (additionalProperties: false)",
      arbitrary: valid.map((o) => ({ ...o, [unexpected]: true })),
    });
  }
  if (s.maxProperties !== undefined && s.maxProperties < 50) {
    const max = s.maxProperties as number;
    out.push({
      path: "",
      kind: `more than maxProperties ${max}`,
      arbitrary: valid.map((o) => {
        const bigger: Record<string, unknown> = { ...o };
        for (let i = 0; Object.keys(bigger).length <= max; i++) bigger[`specyard_extra_${i}`] = i;
        return bigger;
      }),
    });
  }
  if (s.minProperties !== undefined && s.minProperties > 0) {
    const min = s.minProperties as number;
    out.push({
      path: "",
      kind: `fewer than minProperties ${min}`,
      arbitrary: valid.map((o) => Object.fromEntries(Object.entries(o).slice(0, min - 1))),
    });
  }
  if (typeof s.additionalProperties === "object") {
    const key = unexpected in properties ? `${unexpected}_1` : unexpected;
    for (const m of mutationsFor(s.additionalProperties)) {
      out.push({
        path: `${pointer(key)}${m.path}`,
        kind: m.kind,
        arbitrary: fc.tuple(valid, m.arbitrary).map(([o, bad]) => ({ ...o, [key]: bad })),
      });
    }
  }
  for (const [name, sub] of Object.entries(properties)) {
    for (const m of mutationsFor(sub)) {
      out.push({
        path: `${pointer(name)}${m.path}`,
        kind: m.kind,
        arbitrary: fc.tuple(valid, m.arbitrary).map(([o, bad]) => ({ ...o, [name]: bad })),
      });
    }
  }
  return out;
}
