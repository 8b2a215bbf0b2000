import { readFileSync } from "node:fs";
import { parse } from "yaml";

/** An OpenAPI 3.0 schema object after `$ref` resolution (plain JSON). */
// biome-ignore lint/suspicious/noExplicitAny: schema objects are untyped JSON
export type Schema = Record<string, any>;

export const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;

/** A spec that cannot be read or used: the CLI exits 2 on it. */
export class SpecError extends Error {
  override name = "SpecError";
}

export interface Parameter {
  name: string;
  in: "path" | "query" | "header" | "cookie";
  required: boolean;
  schema: Schema;
  style: string;
  explode: boolean;
  /** The parameter's `example` / `examples` values (and its schema's `example`), as written. */
  examples: unknown[];
}

export interface MediaType {
  schema: Schema | undefined;
  /** `encoding.<property>.contentType` of multipart bodies. */
  encoding: Record<string, { contentType?: string }>;
  /** The media type's `example` / `examples` values (and its schema's `example`), as written. */
  examples: unknown[];
}

export interface ResponseSpec {
  headers: Record<string, { required: boolean; schema: Schema | undefined }>;
  /** Media type → schema; empty when the response has no body. */
  content: Record<string, MediaType>;
  /** Its OpenAPI `links` by name, as written (with their `x-` extensions); see `links.ts`. */
  links: Record<string, Schema>;
}

/** One way to authenticate: every scheme named in it, all at once. */
export type SecurityAlternative = string[];

export interface SecurityScheme {
  type: "http" | "apiKey" | "oauth2" | "openIdConnect" | "mutualTLS";
  scheme?: string;
  in?: "header" | "query" | "cookie";
  name?: string;
}

export interface Operation {
  /** `GET /v1/catalog`. */
  id: string;
  method: string;
  path: string;
  operationId: string | undefined;
  parameters: Parameter[];
  requestBody: { required: boolean; content: Record<string, MediaType> } | undefined;
  /** Keyed as in the spec: `200`, `4XX`, `default`. */
  responses: Record<string, ResponseSpec>;
  /** Alternatives; `[]` means no security, an empty alternative means authentication is optional. */
  security: SecurityAlternative[];
  /**
   * Rules the spec states in words that a schema cannot (`x-conditional-rules`): a valid request
   * may still break one and get a 400, which `positive_data_acceptance` then accepts.
   */
  conditionalRules: string[];
  /** The operation's `x-` extensions, as written. */
  extensions: Record<string, unknown>;
}

export interface ApiSpec {
  provider: string;
  title: string;
  operations: Operation[];
  securitySchemes: Record<string, SecurityScheme>;
}

/** Reads and parses a spec file; any failure is a `SpecError`. */
export function readSpec(file: string, provider: string): ApiSpec {
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new SpecError(`cannot read the spec of ${provider} (${file}): ${(error as Error).message}`);
  }
  return buildSpec(doc, provider);
}

/** Builds the model of an already parsed OpenAPI 3.0 document. */
export function buildSpec(raw: unknown, provider: string): ApiSpec {
  if (!raw || typeof raw !== "object" || !String((raw as Schema).openapi ?? "").startsWith("3.")) {
    throw new SpecError(`the spec of ${provider} is not an OpenAPI 3.x document`);
  }
  const doc = dereference(raw as Schema, provider);
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries<Schema>(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      operations.push({
        id: `${method.toUpperCase()} ${path}`,
        method: method.toUpperCase(),
        path,
        operationId: op.operationId,
        parameters: mergeParameters(item.parameters ?? [], op.parameters ?? []),
        requestBody: op.requestBody
          ? { required: op.requestBody.required === true, content: mediaTypes(op.requestBody.content) }
          : undefined,
        responses: Object.fromEntries(
          Object.entries<Schema>(op.responses ?? {}).map(([status, response]) => [
            /^[1-5]xx$/i.test(status) ? status.toUpperCase() : status,
            {
              headers: Object.fromEntries(
                Object.entries<Schema>(response.headers ?? {}).map(([name, header]) => [
                  name,
                  { required: header.required === true, schema: header.schema },
                ]),
              ),
              content: mediaTypes(response.content),
              links: response.links ?? {},
            },
          ]),
        ),
        security: (op.security ?? doc.security ?? []).map((alternative: Schema) => Object.keys(alternative)),
        conditionalRules: Array.isArray(op["x-conditional-rules"])
          ? op["x-conditional-rules"].map(String)
          : [],
        extensions: Object.fromEntries(Object.entries(op).filter(([key]) => key.startsWith("x-"))),
      });
    }
  }
  return {
    provider,
    title: doc.info?.title ?? provider,
    operations,
    securitySchemes: doc.components?.securitySchemes ?? {},
  };
}

function mediaTypes(content: Schema | undefined): Record<string, MediaType> {
  return Object.fromEntries(
    Object.entries<Schema>(content ?? {}).map(([type, media]) => [
      type,
      { schema: media.schema, encoding: media.encoding ?? {}, examples: examplesOf(media, media.schema) },
    ]),
  );
}

/** `example`, the values of `examples` (OpenAPI Example objects) and the schema's `example`. */
function examplesOf(holder: Schema, schema: Schema | undefined): unknown[] {
  const out: unknown[] = [];
  if (holder.example !== undefined) out.push(holder.example);
  for (const e of Object.values<Schema>(holder.examples ?? {}))
    if (e && typeof e === "object" && e.value !== undefined) out.push(e.value);
  if (schema?.example !== undefined) out.push(schema.example);
  return out;
}

/** Operation parameters override path-item ones with the same name and location. */
function mergeParameters(shared: Schema[], own: Schema[]): Parameter[] {
  const byKey = new Map<string, Parameter>();
  for (const p of [...shared, ...own]) {
    const location = p.in as Parameter["in"];
    // OpenAPI: header parameters named Accept, Content-Type or Authorization are ignored.
    if (location === "header" && /^(accept|content-type|authorization)$/i.test(p.name)) continue;
    const style = p.style ?? (location === "query" || location === "cookie" ? "form" : "simple");
    const schema = p.schema ?? p.content?.[Object.keys(p.content)[0] ?? ""]?.schema ?? {};
    byKey.set(`${location}:${p.name}`, {
      name: p.name,
      in: location,
      required: location === "path" || p.required === true,
      schema,
      style,
      explode: p.explode ?? style === "form",
      examples: examplesOf(p, schema),
    });
  }
  return [...byKey.values()];
}

/**
 * Replaces every local `$ref` with the object it points to (the same object for the same ref, so
 * identity-keyed caches work). Recursive schemas are not supported: they are a `SpecError`.
 */
function dereference(doc: Schema, provider: string): Schema {
  const resolved = new Map<string, unknown>();
  const walk = (node: unknown, stack: string[]): unknown => {
    if (Array.isArray(node)) return node.map((item) => walk(item, stack));
    if (!node || typeof node !== "object") return node;
    const ref = (node as Schema).$ref;
    if (typeof ref === "string") {
      if (!ref.startsWith("#/")) throw new SpecError(`${provider}: only local $refs are supported (${ref})`);
      if (stack.includes(ref)) throw new SpecError(`${provider}: recursive $ref ${ref} is not supported`);
      if (!resolved.has(ref)) {
        const target = ref
          .slice(2)
          .split("/")
          .map((part) => decodeURIComponent(part).replace(/~1/g, "/").replace(/~0/g, "~"))
          .reduce<unknown>((at, part) => (at as Schema | undefined)?.[part], doc);
        if (target === undefined) throw new SpecError(`${provider}: unresolvable $ref ${ref}`);
        resolved.set(ref, walk(target, [...stack, ref]));
      }
      return resolved.get(ref);
    }
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, walk(value, stack)]));
  };
  return walk(doc, []) as Schema;
}

/** The documented response for a status: exact code, then `4XX`-style range, then `default`. */
export function responseFor(op: Operation, status: number): ResponseSpec | undefined {
  return op.responses[String(status)] ?? op.responses[`${String(status)[0]}XX`] ?? op.responses.default;
}
