/**
 * Business rules of a request body that a JSON Schema cannot say, made machine-readable as two
 * extensions on the body's (object) schema:
 *
 * ```yaml
 * x-specyard-rules:
 *   - rule: "`schema_definition` is required unless `status` is `draft`"   # the documented rule, in words
 *     if: { properties: { status: { not: { enum: [draft] } } } }           # a JSON Schema: when the body matches it …
 *     then:                                                                  # … the body must also
 *       required: [schema_definition]                                        #   have these properties,
 *       absent: [one_time_price_cents]                                       #   leave these out,
 *       properties: { price_per_1k: { enum: [0] } }                          #   and give these (when present) values that match
 * x-specyard-unique: [endpoint_path, name]
 * ```
 *
 * `if` is an OpenAPI 3.0 schema object judged by Ajv like every other schema (left out: always);
 * a property condition holds when the property is absent, as in JSON Schema, which matches APIs
 * that read an absent field as its default. `then` takes exactly the three keywords above.
 *
 * `x-specyard-unique` names the top-level string properties that identify what a request
 * creates: the API refuses a repeat (a duplicate path, a taken name), and a user looks for them on
 * a real account. The suite fills each with a fresh `specyard-contract-<run>-<n>` on every request
 * (see `src/generate/unique.ts`).
 */
import { type Schema, SpecError } from "./openapi.js";
import { isValid } from "./validate.js";

export interface BodyRule {
  /** The rule as the documentation words it (shown in reports). */
  rule: string;
  /** When the body matches this schema, `then` applies. */
  if: Schema;
  must: { required: string[]; absent: string[]; properties: Record<string, Schema> };
}

const THEN_KEYS = ["required", "absent", "properties"];

const names = (value: unknown, where: string): string[] => {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string"))
    throw new SpecError(`${where} must be a list of property names`);
  return value;
};

/** The `x-specyard-rules` of a body schema (memoized by identity); a malformed rule is a `SpecError`. */
export function bodyRules(schema: Schema | undefined): BodyRule[] {
  if (!schema || typeof schema !== "object") return [];
  let found = ruleCache.get(schema);
  if (!found) {
    found = parseRules(schema["x-specyard-rules"]);
    ruleCache.set(schema, found);
  }
  return found;
}
const ruleCache = new WeakMap<Schema, BodyRule[]>();

function parseRules(raw: unknown): BodyRule[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw new SpecError("x-specyard-rules must be a list of rules");
  return raw.map((r: Schema, i) => {
    const at = `x-specyard-rules[${i}]`;
    if (!r || typeof r !== "object" || typeof r.rule !== "string")
      throw new SpecError(`${at} needs a 'rule' in words`);
    const then = r.then as Schema | undefined;
    if (!then || typeof then !== "object") throw new SpecError(`${at} needs a 'then'`);
    const unknown = Object.keys(then).filter((k) => !THEN_KEYS.includes(k));
    if (unknown.length)
      throw new SpecError(`${at}.then: unknown ${unknown.join(", ")} (${THEN_KEYS.join(", ")})`);
    const properties = then.properties ?? {};
    if (typeof properties !== "object" || Array.isArray(properties))
      throw new SpecError(`${at}.then.properties must map property names to schemas`);
    if (r.if !== undefined && (typeof r.if !== "object" || Array.isArray(r.if)))
      throw new SpecError(`${at}.if must be a schema`);
    return {
      rule: r.rule,
      if: r.if ?? {},
      must: {
        required: names(then.required, `${at}.then.required`),
        absent: names(then.absent, `${at}.then.absent`),
        properties,
      },
    };
  });
}

/** The `x-specyard-unique` property names of a body schema. */
export function uniqueFields(schema: Schema | undefined): string[] {
  if (!schema || typeof schema !== "object") return [];
  return names(schema["x-specyard-unique"], "x-specyard-unique");
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v);

/** Whether a rule's `if` holds for a body (rules speak of objects only). */
export const applies = (rule: BodyRule, value: unknown): boolean =>
  isObject(value) && isValid(rule.if, value);

/** Whether a body meets a rule's `then`. */
export function meets(rule: BodyRule, value: Record<string, unknown>): boolean {
  const { required, absent, properties } = rule.must;
  return (
    required.every((name) => name in value) &&
    absent.every((name) => !(name in value)) &&
    Object.entries(properties).every(([name, schema]) => !(name in value) || isValid(schema, value[name]))
  );
}

/** The rules a body breaks. */
export const brokenRules = (schema: Schema | undefined, value: unknown): BodyRule[] =>
  bodyRules(schema).filter((rule) => applies(rule, value) && !meets(rule, value as Record<string, unknown>));
