/**
 * Values that are new on every request and recognisable on a real account: the suite's
 * `specyard-contract-<run>-<n>` tag, fitted to a string schema (its pattern, length or format).
 */
import fc from "fast-check";
import type { Schema } from "../spec/openapi.js";
import { isValid } from "../spec/validate.js";
import { arbitraryFor, flatten } from "./values.js";

/** The prefix of everything a run creates: `specyard-contract-<run id>`. */
export const tagPrefix = (runId: string) => `specyard-contract-${runId}`;

/** The first form of `tag` that `schema` accepts, else a value generated from the tag (still distinct per tag). */
export function uniqueValue(schema: Schema, tag: string): unknown {
  const s = flatten(schema);
  const max: number = s.maxLength ?? Number.POSITIVE_INFINITY;
  const min: number = s.minLength ?? 0;
  const forms = [
    tag,
    tag.replace(/-/g, "_"),
    tag.replace(/[^A-Za-z0-9]/g, ""),
    tag.toUpperCase().replace(/-/g, "_"),
    `${tag}@example.com`,
    `https://example.com/${tag}`,
    `${tag}.example.com`,
  ];
  for (const form of forms) {
    // Too long: keep the end, where the counter is; too short: pad.
    const fitted = form.length > max ? form.slice(form.length - max) : form.padEnd(min, "x");
    if (isValid(schema, fitted)) return fitted;
  }
  let seed = 0;
  for (const ch of tag) seed = (seed * 31 + ch.charCodeAt(0)) | 0;
  return fc.sample(arbitraryFor(schema), { numRuns: 1, seed })[0];
}
