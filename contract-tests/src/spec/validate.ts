import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import type { Schema } from "./openapi.js";

/**
 * Ajv set up for OpenAPI 3.0 schema objects (`nullable`, `example`, `x-*` extensions, the
 * OpenAPI formats). `coerce` validates values the way a server reads path, query and header
 * parameters: from strings.
 */
function makeAjv(coerce: boolean): Ajv {
  const ajv = new Ajv({
    strict: false,
    allErrors: true,
    validateFormats: true,
    coerceTypes: coerce,
    logger: false,
  });
  addFormats.default(ajv);
  return ajv;
}

const plain = makeAjv(false);
const coercing = makeAjv(true);
const cache = new WeakMap<Schema, ValidateFunction>();
const coercingCache = new WeakMap<Schema, ValidateFunction>();

function compiled(schema: Schema, coerce: boolean): ValidateFunction {
  const map = coerce ? coercingCache : cache;
  let validate = map.get(schema);
  if (!validate) {
    validate = (coerce ? coercing : plain).compile(toJsonSchema(schema) as Schema);
    map.set(schema, validate);
  }
  return validate;
}

/**
 * The few OpenAPI 3.0 forms Ajv reads differently: boolean `exclusiveMinimum` / `exclusiveMaximum`
 * (draft 4 style) become the numeric bounds of later drafts. Everything else passes as is.
 */
function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (!node || typeof node !== "object") return node;
  const out: Schema = {};
  for (const [key, value] of Object.entries(node)) out[key] = toJsonSchema(value);
  for (const [flag, bound] of [
    ["exclusiveMinimum", "minimum"],
    ["exclusiveMaximum", "maximum"],
  ] as const) {
    if (typeof out[flag] !== "boolean") continue;
    if (out[flag] && typeof out[bound] === "number") {
      out[flag] = out[bound];
      delete out[bound];
    } else {
      delete out[flag];
    }
  }
  return out;
}

/** Whether `value` (JSON data) satisfies `schema`. */
export function isValid(schema: Schema, value: unknown): boolean {
  return compiled(schema, false)(value) === true;
}

/** Ajv's errors for `value`, or `null` when it is valid. */
export function schemaErrors(schema: Schema, value: unknown): ErrorObject[] | null {
  const validate = compiled(schema, false);
  return validate(value) ? null : [...(validate.errors ?? [])];
}

/**
 * Whether a parameter value, as the server receives it (a string, or an array / object of strings),
 * satisfies `schema` once read as the schema's type.
 */
export function isValidParameter(schema: Schema, received: unknown): boolean {
  let wrapped = wrappers.get(schema);
  if (!wrapped) {
    wrapped = { type: "object", properties: { value: schema } };
    wrappers.set(schema, wrapped);
  }
  // Coercion rewrites the data in place, so validate a copy inside a wrapper Ajv can write to.
  return compiled(wrapped, true)({ value: structuredClone(received) }) === true;
}

const wrappers = new WeakMap<Schema, Schema>();

/** One line per Ajv error: `/path: message`. */
export function describeErrors(errors: ErrorObject[], limit = 5): string {
  const lines = errors.slice(0, limit).map((e) => `${e.instancePath || "/"}: ${e.message ?? e.keyword}`);
  if (errors.length > limit) lines.push(`… ${errors.length - limit} more`);
  return lines.join("; ");
}
