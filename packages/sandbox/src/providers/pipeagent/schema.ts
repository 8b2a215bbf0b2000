/**
 * Schema lock: a feed's `schema_definition` compiled with Ajv (draft-07, or 2020-12 when the schema
 * says so), and its failures turned into JSON Pointer field paths into the request body.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";

export interface FieldError {
  path: string;
  message: string;
}

type AddFormats = (ajv: Ajv) => Ajv;
const addFormats: AddFormats =
  (addFormatsModule as unknown as { default?: AddFormats }).default ??
  (addFormatsModule as unknown as AddFormats);

/** Compiled validators by schema text; each schema gets its own Ajv so `$id`s never clash. */
const compiled = new Map<string, ValidateFunction>();

/** Compiles a feed schema; throws with Ajv's message when it is not a usable JSON Schema. */
export function compileSchema(schema: Record<string, unknown>): ValidateFunction {
  const text = JSON.stringify(schema);
  let validate = compiled.get(text);
  if (!validate) {
    const options = { strict: false, allErrors: true };
    const ajv = String(schema.$schema ?? "").includes("2020-12") ? new Ajv2020(options) : new Ajv(options);
    addFormats(ajv as Ajv);
    validate = ajv.compile(schema);
    compiled.set(text, validate);
  }
  return validate;
}

/** Why a schema cannot be compiled, or undefined when it can. */
export function schemaProblem(schema: Record<string, unknown>): string | undefined {
  try {
    compileSchema(schema);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** Validates one document; `at` is its JSON Pointer in the request body (e.g. `/payload/3`). */
export function validateAgainst(schema: Record<string, unknown>, value: unknown, at: string): FieldError[] {
  const validate = compileSchema(schema);
  if (validate(value)) return [];
  return (validate.errors ?? []).map((error) => ({
    path: `${at}${pointerOf(error)}`,
    message: error.message ?? error.keyword,
  }));
}

function pointerOf(error: ErrorObject): string {
  const params = error.params as { missingProperty?: string; additionalProperty?: string };
  const extra =
    params.missingProperty ??
    (error.keyword === "additionalProperties" ? params.additionalProperty : undefined);
  const escaped = extra === undefined ? "" : `/${extra.replace(/~/g, "~0").replace(/\//g, "~1")}`;
  return `${error.instancePath}${escaped}`;
}
