/** JSON pointers (RFC 6901) and the OpenAPI runtime expressions the resource links use. */

/** The value at a JSON pointer, or undefined. */
export function pointer(value: unknown, path: string): unknown {
  if (path === "") return value;
  return segments(path).reduce<unknown>(
    (at, part) => (at && typeof at === "object" ? (at as Record<string, unknown>)[part] : undefined),
    value,
  );
}

/** A pointer's unescaped reference tokens. */
export const segments = (path: string): string[] =>
  path === ""
    ? []
    : path
        .slice(1)
        .split("/")
        .map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"));

/**
 * A runtime expression the suite can evaluate (or a constant): `$response.body#/…` (a pointer into
 * the answer's JSON body), `$request.path.<name>` (a path value of the request).
 */
export type Expression =
  | { from: "response.body"; pointer: string }
  | { from: "request.path"; name: string }
  | { from: "constant"; value: unknown };

/** Parses a link parameter value; undefined for a runtime expression the suite does not evaluate. */
export function expression(value: unknown): Expression | undefined {
  if (typeof value !== "string" || !value.startsWith("$")) return { from: "constant", value };
  const body = /^\$response\.body#(\/.*)?$/.exec(value);
  if (body) return { from: "response.body", pointer: body[1] ?? "" };
  const path = /^\$request\.path\.(.+)$/.exec(value);
  if (path?.[1]) return { from: "request.path", name: path[1] };
  return undefined;
}

/** An expression's value for one request (its path values) and its answer (the parsed body). */
export function evaluate(e: Expression, exchange: { path: Record<string, unknown>; body: unknown }): unknown {
  if (e.from === "response.body") return pointer(exchange.body, e.pointer);
  if (e.from === "request.path") return exchange.path[e.name];
  return e.value;
}
