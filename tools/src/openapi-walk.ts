/** Small walks over OpenAPI 3 documents shared by fetch-specs and spec-diff. */

// biome-ignore lint/suspicious/noExplicitAny: OpenAPI documents are untyped JSON here
export type Doc = Record<string, any>;

export const HTTP_METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;

/** `GET /feeds/{}`: path parameters are renamed so that `{id}` and `{feedId}` match. */
export function operationKey(method: string, path: string): string {
  return `${method.toUpperCase()} ${path.replace(/\{[^}]+\}/g, "{}")}`;
}

export interface Operation {
  key: string;
  method: string;
  path: string;
  // biome-ignore lint/suspicious/noExplicitAny: an operation object
  op: Record<string, any>;
  // biome-ignore lint/suspicious/noExplicitAny: path-level parameters
  pathParameters: any[];
}

export function operations(doc: Doc): Map<string, Operation> {
  const out = new Map<string, Operation>();
  for (const [path, item] of Object.entries<Doc>(doc.paths ?? {})) {
    for (const method of HTTP_METHODS) {
      const op = item?.[method];
      if (!op) continue;
      const key = operationKey(method, path);
      out.set(key, { key, method, path, op, pathParameters: item.parameters ?? [] });
    }
  }
  return out;
}

/** Resolves a local `$ref` (`#/components/...`); external refs are left as they are. */
export function deref(doc: Doc, value: unknown, seen = new Set<string>()): Doc | undefined {
  let current = value as Doc | undefined;
  while (current && typeof current.$ref === "string" && current.$ref.startsWith("#/")) {
    const ref: string = current.$ref;
    if (seen.has(ref)) return undefined;
    seen.add(ref);
    current = ref
      .slice(2)
      .split("/")
      .map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"))
      .reduce<Doc | undefined>((node, part) => node?.[part], doc);
  }
  return current;
}

function typeOf(schema: Doc): string {
  if (schema.type) return schema.format ? `${schema.type}(${schema.format})` : String(schema.type);
  if (schema.oneOf) return "oneOf";
  if (schema.anyOf) return "anyOf";
  if (schema.allOf) return "object";
  if (schema.properties) return "object";
  return "any";
}

/**
 * The fields of a schema as `prefix.a.b[]: type` lines, following refs, `allOf`, `oneOf` and `anyOf`,
 * with a depth limit for recursive schemas.
 */
export function fields(
  doc: Doc,
  schemaOrRef: unknown,
  prefix: string,
  out = new Map<string, string>(),
  depth = 0,
) {
  const schema = deref(doc, schemaOrRef);
  if (!schema || depth > 8) return out;
  out.set(prefix, typeOf(schema));
  for (const part of [...(schema.allOf ?? []), ...(schema.oneOf ?? []), ...(schema.anyOf ?? [])]) {
    const merged = new Map<string, string>();
    fields(doc, part, prefix, merged, depth + 1);
    for (const [key, type] of merged) if (key !== prefix) out.set(key, type);
  }
  for (const [name, child] of Object.entries(schema.properties ?? {})) {
    fields(doc, child, `${prefix}.${name}`, out, depth + 1);
  }
  if (schema.items) fields(doc, schema.items, `${prefix}[]`, out, depth + 1);
  return out;
}

/** Every input and output field of one operation: parameters, request bodies, response bodies. */
export function operationFields(doc: Doc, operation: Operation): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of [...operation.pathParameters, ...(operation.op.parameters ?? [])]) {
    const param = deref(doc, raw);
    if (!param) continue;
    const name = param.in === "path" ? "{}" : param.name;
    out.set(`${param.in}.${name}`, typeOf(deref(doc, param.schema) ?? {}));
  }
  const body = deref(doc, operation.op.requestBody);
  for (const [media, content] of Object.entries<Doc>(body?.content ?? {})) {
    fields(doc, content.schema, `request(${media})`, out);
  }
  for (const [status, rawResponse] of Object.entries(operation.op.responses ?? {})) {
    const response = deref(doc, rawResponse);
    for (const [media, content] of Object.entries<Doc>(response?.content ?? {})) {
      fields(doc, content.schema, `response ${status}(${media})`, out);
    }
  }
  return out;
}
