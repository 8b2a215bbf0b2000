/**
 * Positive data: fast-check arbitraries for values that satisfy an OpenAPI 3.0 schema object
 * (types, formats, enums, lengths, ranges, patterns, required, nested objects and arrays,
 * `oneOf` / `anyOf` / `allOf` / `not`, `nullable`), with boundary values favoured.
 */
import fc from "fast-check";
import type { Schema } from "../spec/openapi.js";
import { isValid } from "../spec/validate.js";

/** Size limits that keep generated requests small enough to send thousands of them. */
export const LIMITS = {
  /** Random strings are at most this much longer than their `minLength`. */
  stringSpread: 32,
  /** `maxLength` boundaries above this are not generated (a 50 MB upload is not a useful sample). */
  boundaryString: 10_000,
  /** Random arrays are at most this much longer than their `minItems`. */
  arraySpread: 3,
  /** `maxItems` boundaries above this are not generated. */
  boundaryArray: 50,
  /** Extra keys of free-form objects. */
  freeKeys: 3,
};

/** An `allOf`-free schema: `allOf` members are merged into one schema (memoized by identity). */
export function flatten(schema: Schema): Schema {
  if (!schema.allOf) return schema;
  let flat = flattened.get(schema);
  if (!flat) {
    const { allOf, ...rest } = schema;
    flat = (allOf as Schema[]).map(flatten).reduce((merged, part) => merge(merged, part), flatten(rest));
    flattened.set(schema, flat);
  }
  return flat;
}
const flattened = new WeakMap<Schema, Schema>();

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The conjunction of two schemas, as one schema. Throws when they cannot be combined simply. */
export function merge(a: Schema, b: Schema): Schema {
  const out: Schema = { ...a };
  for (const [key, value] of Object.entries(b)) {
    const mine = out[key];
    if (mine === undefined) {
      out[key] = value;
      continue;
    }
    switch (key) {
      case "properties": {
        const properties: Schema = { ...mine };
        for (const [name, sub] of Object.entries<Schema>(value)) {
          properties[name] = name in properties ? merge(flatten(properties[name]), flatten(sub)) : sub;
        }
        out.properties = properties;
        break;
      }
      case "required":
        out.required = [...new Set([...mine, ...value])];
        break;
      case "minimum":
      case "minLength":
      case "minItems":
      case "minProperties":
        out[key] = Math.max(mine, value);
        break;
      case "maximum":
      case "maxLength":
      case "maxItems":
      case "maxProperties":
        out[key] = Math.min(mine, value);
        break;
      case "enum":
        out.enum = (mine as unknown[]).filter((v) => (value as unknown[]).some((w) => same(v, w)));
        break;
      case "type":
        if (mine !== value) {
          if ([mine, value].includes("integer") && [mine, value].includes("number")) out.type = "integer";
          else throw new Error(`allOf: conflicting types ${mine} and ${value}`);
        }
        break;
      case "items":
        out.items = merge(flatten(mine), flatten(value));
        break;
      case "additionalProperties":
        out.additionalProperties =
          mine === false || value === false
            ? false
            : mine === true
              ? value
              : value === true
                ? mine
                : merge(flatten(mine), flatten(value));
        break;
      case "pattern":
      case "format":
      case "oneOf":
      case "anyOf":
      case "not":
      case "multipleOf":
      case "uniqueItems":
      case "exclusiveMinimum":
      case "exclusiveMaximum":
        if (!same(mine, value)) throw new Error(`allOf: cannot combine two different '${key}'`);
        break;
      default:
        break; // annotations (description, example, x-…): the first one stays
    }
  }
  // In OpenAPI 3.0 `null` passes only if every part that constrains the type says `nullable`.
  const nullOk = (s: Schema) => s.type === undefined || s.nullable === true;
  if (out.type !== undefined) out.nullable = nullOk(a) && nullOk(b);
  return out;
}

/** Values that satisfy `schema`. Memoized by schema identity. */
export function arbitraryFor(schema: Schema): fc.Arbitrary<unknown> {
  let arb = positives.get(schema);
  if (!arb) {
    arb = build(schema);
    positives.set(schema, arb);
  }
  return arb;
}
const positives = new WeakMap<Schema, fc.Arbitrary<unknown>>();

function build(original: Schema): fc.Arbitrary<unknown> {
  const s = flatten(original);
  let arb = s.enum ? enumArbitrary(original, s.enum) : nonNull(s);
  if (s.not) {
    const not = s.not as Schema;
    arb = arb.filter((v) => !isValid(not, v));
  }
  if (!s.enum && s.nullable === true && isValid(original, null)) {
    arb = fc.oneof({ arbitrary: arb, weight: 5 }, { arbitrary: fc.constant(null), weight: 1 });
  }
  return arb;
}

function enumArbitrary(original: Schema, values: unknown[]): fc.Arbitrary<unknown> {
  // Ajv is the judge of which listed values pass (e.g. `null` in an enum needs `nullable`).
  const allowed = values.filter((v) => isValid(original, v));
  if (allowed.length === 0)
    throw new Error(`no value of enum ${JSON.stringify(values)} satisfies its schema`);
  return fc.constantFrom(...allowed);
}

/** Values of a flattened schema, `null` aside (`nullable` and `not` are the caller's). */
export function nonNull(s: Schema): fc.Arbitrary<unknown> {
  if (s.oneOf || s.anyOf) return composite(s);
  switch (s.type ?? inferType(s)) {
    case "string":
      return stringArbitrary(s);
    case "integer":
      return integerArbitrary(s);
    case "number":
      return numberArbitrary(s);
    case "boolean":
      return fc.boolean();
    case "array":
      return arrayArbitrary(s);
    case "object":
      return objectArbitrary(s);
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** A type for schemas that leave it out but plainly describe one kind of value. */
export function inferType(s: Schema): string | undefined {
  if (s.properties || s.required || s.additionalProperties !== undefined) return "object";
  if (s.items) return "array";
  return undefined;
}

/** The branches of a `oneOf` / `anyOf`, each merged with the keywords beside it (memoized). */
export function branches(s: Schema): Schema[] {
  let result = branchCache.get(s);
  if (!result) {
    result = mergedBranches(s);
    branchCache.set(s, result);
  }
  return result;
}
const branchCache = new WeakMap<Schema, Schema[]>();

function mergedBranches(s: Schema): Schema[] {
  const { oneOf, anyOf, not: _not, nullable: _nullable, ...siblings } = s;
  const result: Schema[] = [];
  for (const branch of (oneOf ?? anyOf) as Schema[]) {
    try {
      result.push(merge(siblings, flatten(branch)));
    } catch {
      // A branch that contradicts its siblings matches nothing.
    }
  }
  return result;
}

function composite(s: Schema): fc.Arbitrary<unknown> {
  const options = branches(s);
  if (options.length === 0) throw new Error("no satisfiable oneOf/anyOf branch");
  const arbs = options.map((branch, i) => {
    const arb = arbitraryFor(branch);
    // oneOf: a value must match exactly one branch.
    if (!s.oneOf) return arb;
    const others = options.filter((_, j) => j !== i);
    return arb.filter((v) => others.every((other) => !isValid(other, v)));
  });
  return fc.oneof(...arbs);
}

/** Code points, as JSON Schema counts string length. */
export const length = (s: string) => [...s].length;

const FORMATS: Record<string, () => fc.Arbitrary<string>> = {
  "date-time": () => dates().map((d) => d.toISOString()),
  date: () => dates().map((d) => d.toISOString().slice(0, 10)),
  time: () => dates().map((d) => d.toISOString().slice(11)),
  uuid: () => fc.uuid(),
  email: () => fc.emailAddress(),
  uri: () => fc.webUrl(),
  url: () => fc.webUrl(),
  "uri-reference": () => fc.webUrl(),
  hostname: () => fc.domain(),
  ipv4: () => fc.ipV4(),
  ipv6: () => fc.ipV6(),
  byte: () => fc.base64String({ maxLength: 64 }),
};

const dates = () =>
  fc.date({
    min: new Date("1970-01-01T00:00:00Z"),
    max: new Date("2100-01-01T00:00:00Z"),
    noInvalidDate: true,
  });

function stringArbitrary(s: Schema): fc.Arbitrary<string> {
  const min: number = s.minLength ?? 0;
  const max: number | undefined = s.maxLength;
  const fits = (v: string) => length(v) >= min && (max === undefined || length(v) <= max);
  if (s.pattern) {
    const arb = fc.stringMatching(new RegExp(s.pattern, "u"));
    return min > 0 || max !== undefined ? arb.filter(fits) : arb;
  }
  const format = s.format ? FORMATS[s.format] : undefined;
  if (format) return format().filter(fits);
  const general = fc.string({
    minLength: min,
    maxLength: Math.min(max ?? Infinity, min + LIMITS.stringSpread),
  });
  const boundaries = ["x".repeat(min)];
  if (max !== undefined && max > min && max <= LIMITS.boundaryString) boundaries.push("x".repeat(max));
  // The boundary strings shrink as any string of their length range does.
  return favouring(
    general,
    boundaries,
    fc.string({ minLength: min, maxLength: max ?? min + LIMITS.stringSpread }),
  );
}

/** The general arbitrary, with boundary arbitraries mixed in (for arrays, whose items cannot shrink without context). */
function withBoundaries<T>(general: fc.Arbitrary<T>, boundaries: fc.Arbitrary<T>[]): fc.Arbitrary<T> {
  if (boundaries.length === 0) return general;
  return fc.oneof(
    { arbitrary: general, weight: 3 },
    ...boundaries.map((arbitrary) => ({ arbitrary, weight: 1 })),
  );
}

/**
 * `base`, except that one value in four is one of `favoured` (boundary values). Every value shrinks
 * as `shrinker` shrinks it, so a failure found at a boundary still shrinks to a minimal value.
 */
class Favouring<T> extends fc.Arbitrary<T> {
  constructor(
    private readonly base: fc.Arbitrary<T>,
    private readonly favoured: T[],
    private readonly shrinker: fc.Arbitrary<T>,
  ) {
    super();
  }
  generate(mrng: fc.Random, biasFactor: number | undefined): fc.Value<T> {
    if (mrng.nextInt(0, 3) === 0) {
      return new fc.Value(this.favoured[mrng.nextInt(0, this.favoured.length - 1)] as T, undefined);
    }
    return this.base.generate(mrng, biasFactor);
  }
  canShrinkWithoutContext(value: unknown): value is T {
    return this.base.canShrinkWithoutContext(value);
  }
  shrink(value: T, context: unknown): fc.Stream<fc.Value<T>> {
    if (context !== undefined) return this.base.shrink(value, context);
    return this.shrinker.canShrinkWithoutContext(value)
      ? this.shrinker.shrink(value, undefined)
      : fc.Stream.nil();
  }
}

function favouring<T>(
  base: fc.Arbitrary<T>,
  favoured: T[],
  shrinker: fc.Arbitrary<T> = base,
): fc.Arbitrary<T> {
  return favoured.length ? new Favouring(base, favoured, shrinker) : base;
}

const SAFE = Number.MAX_SAFE_INTEGER;

/** Integers in [lo, hi], beyond 32 bits too. */
export function integers(lo: number, hi: number): fc.Arbitrary<number> {
  if (lo >= -(2 ** 31) && hi <= 2 ** 31 - 1) return fc.integer({ min: lo, max: hi });
  return fc.bigInt({ min: BigInt(lo), max: BigInt(hi) }).map(Number);
}

/** The integer range a schema allows, clamped to safe integers; wide when unbounded. */
export function integerRange(s: Schema): [number, number] {
  let lo =
    s.minimum === undefined
      ? undefined
      : s.exclusiveMinimum === true
        ? Math.floor(s.minimum) + 1
        : Math.ceil(s.minimum);
  let hi =
    s.maximum === undefined
      ? undefined
      : s.exclusiveMaximum === true
        ? Math.ceil(s.maximum) - 1
        : Math.floor(s.maximum);
  if (s.format === "int32") {
    lo = Math.max(lo ?? -(2 ** 31), -(2 ** 31));
    hi = Math.min(hi ?? 2 ** 31 - 1, 2 ** 31 - 1);
  }
  lo ??= hi === undefined ? -(2 ** 31) : hi - 2 ** 32;
  hi ??= lo + 2 ** 32;
  return [Math.max(lo, -SAFE), Math.min(hi, SAFE)];
}

function integerArbitrary(s: Schema): fc.Arbitrary<number> {
  const [lo, hi] = integerRange(s);
  if (s.multipleOf) {
    const m = s.multipleOf as number;
    return integers(Math.ceil(lo / m), Math.floor(hi / m)).map((k) => k * m);
  }
  const bounds = [s.minimum === undefined ? undefined : lo, s.maximum === undefined ? undefined : hi].filter(
    (v): v is number => v !== undefined,
  );
  return favouring(integers(lo, hi), bounds);
}

function numberArbitrary(s: Schema): fc.Arbitrary<number> {
  if (s.multipleOf) {
    const m = s.multipleOf as number;
    const lo = Math.ceil((s.minimum ?? -(2 ** 31) * m) / m);
    const hi = Math.floor((s.maximum ?? (2 ** 31 - 1) * m) / m);
    return integers(lo, hi).map((k) => k * m);
  }
  const minExcluded = s.exclusiveMinimum === true;
  const maxExcluded = s.exclusiveMaximum === true;
  const general = fc.double({
    min: s.minimum,
    max: s.maximum,
    minExcluded,
    maxExcluded,
    noNaN: true,
    noDefaultInfinity: true,
  });
  const bounds = [minExcluded ? undefined : s.minimum, maxExcluded ? undefined : s.maximum].filter(
    (v): v is number => v !== undefined,
  );
  // JSON cannot tell -0 from 0: a generated -0 would come back as 0.
  return favouring(
    general.filter((v) => !Object.is(v, -0)),
    bounds,
  );
}

function arrayArbitrary(s: Schema): fc.Arbitrary<unknown[]> {
  const items = s.items ? arbitraryFor(s.items) : fc.jsonValue({ maxDepth: 1 });
  const min: number = s.minItems ?? 0;
  const max: number | undefined = s.maxItems;
  const sized = (minLength: number, maxLength: number) =>
    s.uniqueItems
      ? fc.uniqueArray(items, { minLength, maxLength, selector: (v) => JSON.stringify(v) })
      : fc.array(items, { minLength, maxLength });
  const boundaries: fc.Arbitrary<unknown[]>[] = [min === 0 ? fc.constant<unknown[]>([]) : sized(min, min)];
  if (max !== undefined && max > min + LIMITS.arraySpread && max <= LIMITS.boundaryArray) {
    boundaries.push(sized(max, max));
  }
  return withBoundaries(sized(min, Math.min(max ?? Infinity, min + LIMITS.arraySpread)), boundaries);
}

/** Keys for free-form objects: short, readable, never a declared property. */
export function freeKeys(declared: string[]): fc.Arbitrary<string> {
  return fc
    .string({ minLength: 1, maxLength: 8 })
    .filter((k) => !declared.includes(k) && k !== "__proto__" && k !== "constructor");
}

function objectArbitrary(s: Schema): fc.Arbitrary<Record<string, unknown>> {
  const properties: Record<string, Schema> = s.properties ?? {};
  const required: string[] = s.required ?? [];
  const extra = s.additionalProperties;
  const extraValues = typeof extra === "object" ? arbitraryFor(extra) : fc.jsonValue({ maxDepth: 1 });
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [name, sub] of Object.entries(properties)) model[name] = arbitraryFor(sub);
  // A required name without a declared schema takes any value the extra properties allow.
  for (const name of required) model[name] ??= extraValues;
  let arb: fc.Arbitrary<Record<string, unknown>> = fc.record(model, { requiredKeys: required });
  if (Object.keys(properties).length === 0 && extra !== false && s.maxProperties !== 0) {
    const free = fc.dictionary(freeKeys(Object.keys(model)), extraValues, { maxKeys: LIMITS.freeKeys });
    arb = fc.tuple(arb, free).map(([declared, rest]) => ({ ...rest, ...declared }));
  }
  const minProps: number = s.minProperties ?? 0;
  const maxProps: number = s.maxProperties ?? Infinity;
  if (minProps > 0 || maxProps < Infinity) {
    arb = arb.filter((o) => Object.keys(o).length >= minProps && Object.keys(o).length <= maxProps);
  }
  return arb;
}
