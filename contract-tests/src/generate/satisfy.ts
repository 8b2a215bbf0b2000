/**
 * Bodies that keep a schema's business rules (`x-specyard-rules`, see `src/spec/rules.ts`): a
 * generated body that breaks a rule is repaired, by the rule's `then`, with values generated for
 * the properties the rule names. The repair is a plain map of generated values, so a body still
 * shrinks.
 */
import fc from "fast-check";
import type { Schema } from "../spec/openapi.js";
import { applies, type BodyRule, bodyRules, brokenRules, meets } from "../spec/rules.js";
import { isValid } from "../spec/validate.js";
import { arbitraryFor, flatten, merge } from "./values.js";

type Fallbacks = Record<string, unknown>;

/** The replacement values a rule may need, keyed `<rule index>/<property>`. */
function fallbackArbitraries(schema: Schema, rules: BodyRule[]): Record<string, fc.Arbitrary<unknown>> {
  const properties: Record<string, Schema> = flatten(schema).properties ?? {};
  const out: Record<string, fc.Arbitrary<unknown>> = {};
  rules.forEach((rule, i) => {
    for (const name of new Set([...rule.must.required, ...Object.keys(rule.must.properties)])) {
      const base = properties[name] ?? {};
      const extra = rule.must.properties[name];
      out[`${i}/${name}`] = arbitraryFor(extra ? merge(flatten(base), flatten(extra)) : base);
    }
  });
  return out;
}

/** A body repaired by the rules that apply to it, as far as a few passes get (the caller checks the result). */
export function repair(rules: BodyRule[], value: unknown, fallbacks: Fallbacks): unknown {
  if (!value || typeof value !== "object" || Array.isArray(value)) return value;
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (let pass = 0; pass <= rules.length; pass++) {
    let changed = false;
    rules.forEach((rule, i) => {
      if (!applies(rule, out) || meets(rule, out)) return;
      changed = true;
      for (const name of rule.must.absent) delete out[name];
      for (const name of new Set([...rule.must.required, ...Object.keys(rule.must.properties)])) {
        const sub = rule.must.properties[name];
        const wanted = rule.must.required.includes(name) && !(name in out);
        if (wanted || (sub && name in out && !isValid(sub, out[name]))) out[name] = fallbacks[`${i}/${name}`];
      }
    });
    if (!changed) break;
  }
  return out;
}

/** `base` (values of `schema`) with every value made to keep the schema's rules. Memoized by schema. */
export function keepingRules(schema: Schema, base: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  const rules = bodyRules(schema);
  if (!rules.length) return base;
  let arb = cache.get(base);
  if (!arb) {
    arb = fc
      .tuple(base, fc.record(fallbackArbitraries(schema, rules)))
      .map(([value, fallbacks]) => repair(rules, value, fallbacks))
      .filter((value) => isValid(schema, value) && brokenRules(schema, value).length === 0);
    cache.set(base, arb);
  }
  return arb;
}
const cache = new WeakMap<fc.Arbitrary<unknown>, fc.Arbitrary<unknown>>();
