import { readFileSync } from "node:fs";
import { Ajv, type ErrorObject } from "ajv";
import addFormats from "ajv-formats";
import { parse } from "yaml";
import { specPath } from "./paths.js";

// biome-ignore lint/suspicious/noExplicitAny: an OpenAPI document is untyped JSON here
export type OpenApiDocument = Record<string, any>;

/** Parses a provider's curated spec. */
export function loadSpec(provider: string): OpenApiDocument {
  return parse(readFileSync(specPath(provider), "utf8")) as OpenApiDocument;
}

const pointer = (segment: string) => segment.replace(/~/g, "~0").replace(/\//g, "~1");

function resolvePointer(doc: OpenApiDocument, ref: string): OpenApiDocument | undefined {
  return ref
    .replace(/^#\//, "")
    .split("/")
    .map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"))
    .reduce<OpenApiDocument | undefined>((node, part) => node?.[part], doc);
}

/**
 * Validates response bodies against the spec's response schemas (OpenAPI 3.0 schema objects,
 * `nullable` included), resolving the spec's own `$ref`s.
 */
export function responseValidator(provider: string) {
  const spec = loadSpec(provider);
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
  addFormats.default(ajv);
  ajv.addSchema(spec, "spec");
  return (
    path: string,
    method: string,
    status: number | string,
    body: unknown,
    mediaType = "application/json",
  ): ErrorObject[] | null => {
    const responses = spec.paths?.[path]?.[method.toLowerCase()]?.responses;
    if (!responses) throw new Error(`no operation ${method.toUpperCase()} ${path} in ${provider}`);
    const key = String(status) in responses ? String(status) : "default";
    // A response may be a `$ref` to components.responses: follow it to where its schema lives.
    let base = `#/paths/${pointer(path)}/${method.toLowerCase()}/responses/${key}`;
    let response = responses[key];
    while (typeof response?.$ref === "string") {
      base = response.$ref;
      response = resolvePointer(spec, base);
    }
    const content = response?.content?.[mediaType];
    if (!content?.schema) throw new Error(`no ${mediaType} schema for ${method} ${path} ${status}`);
    const ref = `spec${base}/content/${pointer(mediaType)}/schema`;
    const validate = ajv.getSchema(ref) ?? ajv.compile({ $ref: ref });
    return validate(body) ? null : (validate.errors ?? []);
  };
}
