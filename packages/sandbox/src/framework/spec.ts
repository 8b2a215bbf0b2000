/**
 * Routing and request validation compiled from a provider's OpenAPI 3.0 spec: the sandbox never
 * hand-writes a validator. Path, query, header and cookie parameters are coerced and checked with
 * Ajv against their schemas, JSON bodies against the request body schema.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";

// biome-ignore lint/suspicious/noExplicitAny: OpenAPI documents are untyped JSON here
export type Doc = Record<string, any>;

const METHODS = ["get", "put", "post", "delete", "patch", "head", "options"] as const;

export interface Operation {
  operationId: string;
  method: string;
  /** The spec's path template, e.g. `/v1/feed/{id}`. */
  path: string;
  pattern: RegExp;
  paramNames: string[];
  op: Doc;
  /** Security requirements in force (operation level, else document level). */
  security: Array<Record<string, string[]>>;
}

export interface ValidationProblem {
  /** Where: `body.name`, `query.limit`, `path.id`, `header.x-api-key`. */
  field: string;
  message: string;
}

export interface ParsedInput {
  params: Record<string, unknown>;
  query: Record<string, unknown>;
  headers: Record<string, unknown>;
}

interface ParamDef {
  name: string;
  in: "path" | "query" | "header" | "cookie";
  required: boolean;
  schema: Doc;
  explode: boolean;
  style: string;
  isArray: boolean;
  isObject: boolean;
}

interface CompiledOperation extends Operation {
  params: ParamDef[];
  validators: Map<string, ValidateFunction>;
  body: { required: boolean; json: ValidateFunction | undefined; mediaTypes: string[] } | undefined;
}

type AddFormats = (ajv: Ajv) => Ajv;
const addFormats: AddFormats =
  (addFormatsModule as unknown as { default?: AddFormats }).default ??
  (addFormatsModule as unknown as AddFormats);

export class CompiledSpec {
  readonly doc: Doc;
  readonly operations: CompiledOperation[] = [];
  readonly #byId = new Map<string, CompiledOperation>();
  readonly #ajv: Ajv;

  constructor(doc: Doc) {
    this.doc = doc;
    this.#ajv = new Ajv({ strict: false, allErrors: true, coerceTypes: false, useDefaults: false });
    addFormats(this.#ajv);
    // ajv-formats' `byte` regex overflows the stack on multi-megabyte base64: a linear check instead.
    this.#ajv.addFormat("byte", {
      type: "string",
      validate: (text: string) => text.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(text),
    });
    this.#ajv.addSchema(doc, "spec");
    const coercing = new Ajv({ strict: false, allErrors: true, coerceTypes: "array" });
    addFormats(coercing);
    coercing.addSchema(doc, "spec");

    for (const [path, item] of Object.entries<Doc>(doc.paths ?? {})) {
      for (const method of METHODS) {
        const op = item[method];
        if (!op) continue;
        const paramNames: string[] = [];
        const source = path.replace(/[.*+?^${}()|[\]\\]/g, (c) => (c === "{" || c === "}" ? c : `\\${c}`));
        const pattern = new RegExp(
          `^${source.replace(/\{([^}]+)\}/g, (_, name: string) => {
            paramNames.push(name);
            return "([^/]+)";
          })}/?$`,
        );
        const params = new Map<string, Doc>();
        for (const raw of [...(item.parameters ?? []), ...(op.parameters ?? [])]) {
          const p = this.deref(raw);
          if (p) params.set(`${p.in}:${p.name}`, p);
        }
        const defs: ParamDef[] = [...params.values()].map((p: Doc) => {
          const schema = this.deref(p.schema) ?? {};
          return {
            name: p.in === "header" ? String(p.name).toLowerCase() : p.name,
            in: p.in,
            required: Boolean(p.required) || p.in === "path",
            schema: p.schema ?? {},
            explode: p.explode ?? (p.style ?? "form") === "form",
            style: p.style ?? (p.in === "query" || p.in === "cookie" ? "form" : "simple"),
            isArray: schema.type === "array",
            isObject: schema.type === "object",
          };
        });
        const validators = new Map<string, ValidateFunction>();
        for (const where of ["path", "query", "header", "cookie"] as const) {
          const mine = defs.filter((d) => d.in === where && !(where === "query" && d.isObject));
          if (!mine.length) continue;
          validators.set(
            where,
            coercing.compile({
              type: "object",
              properties: Object.fromEntries(mine.map((d) => [d.name, rebase(d.schema) as Doc])),
              required: mine.filter((d) => d.required).map((d) => d.name),
            }),
          );
        }
        const requestBody = this.deref(op.requestBody);
        let body: CompiledOperation["body"];
        if (requestBody) {
          const content = requestBody.content ?? {};
          const jsonType = Object.keys(content).find((type) => type.includes("json"));
          body = {
            required: Boolean(requestBody.required),
            json:
              jsonType && content[jsonType].schema
                ? this.#ajv.compile(rebase(content[jsonType].schema) as Doc)
                : undefined,
            mediaTypes: Object.keys(content),
          };
        }
        const compiled: CompiledOperation = {
          operationId: op.operationId ?? `${method} ${path}`,
          method: method.toUpperCase(),
          path,
          pattern,
          paramNames,
          op,
          security: op.security ?? doc.security ?? [],
          params: defs,
          validators,
          body,
        };
        this.operations.push(compiled);
        this.#byId.set(compiled.operationId, compiled);
      }
    }
    // Static segments win over templated ones (`/agents/me` before `/agents/{id}`).
    this.operations.sort((a, b) => templated(a.path) - templated(b.path));
  }

  deref(value: unknown): Doc | undefined {
    let current = value as Doc | undefined;
    const seen = new Set<string>();
    while (current && typeof current.$ref === "string") {
      if (seen.has(current.$ref)) return undefined;
      seen.add(current.$ref);
      current = resolvePointer(this.doc, current.$ref);
    }
    return current;
  }

  byId(operationId: string): Operation | undefined {
    return this.#byId.get(operationId);
  }

  /** The operation for a method and path, or whether the path exists under another method. */
  match(
    method: string,
    pathname: string,
  ): { operation: CompiledOperation; params: Record<string, string> } | "method" | undefined {
    let pathMatched = false;
    for (const operation of this.operations) {
      const m = operation.pattern.exec(pathname);
      if (!m) continue;
      pathMatched = true;
      if (operation.method !== method.toUpperCase()) continue;
      const params: Record<string, string> = {};
      try {
        operation.paramNames.forEach((name, i) => {
          params[name] = decodeURIComponent(m[i + 1] ?? "");
        });
      } catch {
        return undefined; // a malformed escape names no resource
      }
      return { operation, params };
    }
    return pathMatched ? "method" : undefined;
  }

  /**
   * The methods the spec has on a concrete path (upper case, in the spec's method order), or an
   * empty list when no path template matches: what a 405's `Allow` and a preflight list.
   */
  methodsOf(pathname: string): string[] {
    const found = new Set<string>();
    for (const operation of this.operations)
      if (operation.pattern.test(pathname)) found.add(operation.method);
    return METHODS.map((method) => method.toUpperCase()).filter((method) => found.has(method));
  }

  /** Coerces and validates parameters; returns the typed values or the problems. */
  validateParams(
    operation: CompiledOperation,
    raw: {
      path: Record<string, string>;
      query: URLSearchParams;
      headers: Record<string, string | string[] | undefined>;
      cookies: Record<string, string>;
    },
  ): { ok: true; input: ParsedInput } | { ok: false; problems: ValidationProblem[] } {
    const problems: ValidationProblem[] = [];
    const values = {
      path: { ...raw.path } as Record<string, unknown>,
      query: {} as Record<string, unknown>,
      header: {} as Record<string, unknown>,
      cookie: {} as Record<string, unknown>,
    };
    for (const def of operation.params) {
      if (def.in === "query") {
        if (def.isObject) {
          // Free-form filters (`?field=eq.value`): everything not declared elsewhere.
          continue;
        }
        const all = raw.query.getAll(def.name);
        // `?name=` with nothing after it is read as absent (as Prism reads it).
        if (!all.length || all.every((value) => value === "")) continue;
        values.query[def.name] = def.isArray ? (def.explode ? all : all.join(",").split(",")) : all[0];
      } else if (def.in === "header") {
        const value = raw.headers[def.name];
        if (value !== undefined) values.header[def.name] = Array.isArray(value) ? value.join(",") : value;
      } else if (def.in === "cookie") {
        const value = raw.cookies[def.name];
        if (value !== undefined) values.cookie[def.name] = value;
      }
    }
    for (const [where, validate] of operation.validators) {
      const target = values[where as keyof typeof values];
      if (!validate(target)) problems.push(...describe(validate.errors ?? [], where));
    }
    if (problems.length) return { ok: false, problems };
    return { ok: true, input: { params: values.path, query: values.query, headers: values.header } };
  }

  /** Validates a parsed JSON body (undefined = no body). */
  validateBody(
    operation: CompiledOperation,
    body: unknown,
    contentType: string | undefined,
  ): ValidationProblem[] {
    const spec = operation.body;
    if (!spec) return [];
    if (body === undefined)
      return spec.required ? [{ field: "body", message: "a request body is required" }] : [];
    const type = (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
    if (type && !spec.mediaTypes.some((media) => mediaMatches(media, type))) {
      return [{ field: "body", message: `content type ${type} is not one of ${spec.mediaTypes.join(", ")}` }];
    }
    if (!type.includes("json") || !spec.json) return [];
    return spec.json(body) ? [] : describe(spec.json.errors ?? [], "body");
  }
}

function mediaMatches(media: string, type: string): boolean {
  if (media === "*/*" || media === type) return true;
  const [a, b] = media.split("/");
  const [c] = type.split("/");
  return b === "*" && a === c;
}

function templated(path: string): number {
  return (path.match(/\{/g) ?? []).length;
}

function resolvePointer(doc: Doc, ref: string): Doc | undefined {
  return ref
    .replace(/^#\//, "")
    .split("/")
    .map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"))
    .reduce<Doc | undefined>((node, part) => node?.[part], doc);
}

/** Local `#/components/...` refs inside a schema are made relative to the added `spec` document. */
function rebase(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(rebase);
  if (schema && typeof schema === "object") {
    const out: Doc = {};
    for (const [key, value] of Object.entries(schema)) {
      out[key] =
        key === "$ref" && typeof value === "string" && value.startsWith("#/")
          ? `spec${value}`
          : rebase(value);
    }
    return out;
  }
  return schema;
}

function describe(errors: ErrorObject[], where: string): ValidationProblem[] {
  return errors
    .filter((error) => !["if", "anyOf", "oneOf"].includes(error.keyword) || errors.length === 1)
    .map((error) => {
      const path = error.instancePath
        .split("/")
        .filter(Boolean)
        .map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"));
      if (error.keyword === "required")
        path.push(String((error.params as { missingProperty: string }).missingProperty));
      if (error.keyword === "additionalProperties") {
        path.push(String((error.params as { additionalProperty: string }).additionalProperty));
      }
      const field = [where, ...path].join(".");
      return { field, message: error.message ?? error.keyword };
    });
}
