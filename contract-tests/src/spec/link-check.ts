/**
 * Whether every link of a spec resolves: its `operationId` exists, each parameter names a real
 * parameter of the target operation, each runtime expression points at something the source
 * operation has (`$response.body#/…` a field of the response's schema, `$request.path.…` a path
 * parameter), and the `x-specyard-*` extensions (see `links.ts`) name real operations and fields.
 */

import { byOperationId, resourceLinks } from "./links.js";
import { type ApiSpec, type Operation, type ResponseSpec, type Schema, SpecError } from "./openapi.js";
import { type Expression, expression, segments } from "./pointer.js";

const isJson = (mediaType: string) => /^application\/(.+\+)?json$/i.test(mediaType.split(";")[0] ?? "");

/** The JSON body schemas of a response. */
const jsonSchemas = (response: ResponseSpec | undefined): Schema[] =>
  Object.entries(response?.content ?? {}).flatMap(([type, media]) =>
    isJson(type) && media.schema ? [media.schema] : [],
  );

const success = (op: Operation) =>
  Object.entries(op.responses)
    .filter(([status]) => status.startsWith("2"))
    .map(([, response]) => response);

/** The schema a JSON pointer reaches inside values of `schema`, or undefined. */
export function schemaAt(schema: Schema | undefined, path: string[]): Schema | undefined {
  if (!schema || path.length === 0) return schema;
  for (const branch of [...(schema.allOf ?? []), ...(schema.oneOf ?? []), ...(schema.anyOf ?? [])]) {
    const found = schemaAt(branch, path);
    if (found) return found;
  }
  const [head = "", ...rest] = path;
  if (/^(0|[1-9][0-9]*)$/.test(head) && schema.items) return schemaAt(schema.items, rest);
  const extra = typeof schema.additionalProperties === "object" ? schema.additionalProperties : undefined;
  return schemaAt(schema.properties?.[head] ?? extra, rest);
}

const reaches = (schemas: Schema[], pointer: string) => schemas.some((s) => schemaAt(s, segments(pointer)));

/** What is wrong with a link parameter's value on `op`'s `response`, if anything. */
function expressionProblem(value: unknown, op: Operation, response: ResponseSpec): string | undefined {
  const e: Expression | undefined = expression(value);
  if (!e) return `${String(value)} is not a runtime expression the suite evaluates`;
  if (e.from === "response.body" && !reaches(jsonSchemas(response), e.pointer))
    return `${String(value)}: the response's schema has no ${e.pointer}`;
  if (e.from === "request.path" && !op.parameters.some((p) => p.in === "path" && p.name === e.name))
    return `${String(value)}: ${op.id} has no path parameter ${e.name}`;
  return undefined;
}

function linkProblems(spec: ApiSpec, op: Operation, response: ResponseSpec, link: Schema): string[] {
  if (link.operationRef !== undefined) return ["operationRef is not supported: name the operationId"];
  const target = byOperationId(spec, link.operationId);
  if (!target) return [`no operation has operationId ${link.operationId}`];
  const problems: string[] = [];
  for (const [key, value] of Object.entries<unknown>(link.parameters ?? {})) {
    const [, where, name] = /^(?:(path|query|header|cookie)\.)?(.*)$/.exec(key) ?? [];
    if (!target.parameters.some((p) => p.name === name && (!where || p.in === where)))
      problems.push(`${key} is not a parameter of ${target.id}`);
    const problem = expressionProblem(value, op, response);
    if (problem) problems.push(problem);
  }
  const listed = link["x-specyard-listed"] as Schema | undefined;
  if (listed) {
    const arrays = success(target)
      .flatMap(jsonSchemas)
      .map((s) => schemaAt(s, segments(String(listed.array ?? ""))))
      .filter((s): s is Schema => s?.type === "array" || s?.items !== undefined);
    if (!arrays.length) problems.push(`x-specyard-listed: ${target.id} answers no array at ${listed.array}`);
    else if (!arrays.some((a) => schemaAt(a.items, [String(listed.key)])))
      problems.push(`x-specyard-listed: the items at ${listed.array} have no field ${listed.key}`);
    const problem = expressionProblem(listed.value, op, response);
    if (problem) problems.push(`x-specyard-listed: ${problem}`);
  }
  const afterDelete = link["x-specyard-after-delete"];
  if (afterDelete !== undefined && typeof afterDelete !== "boolean")
    problems.push("x-specyard-after-delete must be true or false");
  return problems;
}

/** The problems of an operation's `x-specyard-setup` and `x-specyard-body`. */
function extensionProblems(spec: ApiSpec, op: Operation): string[] {
  const problems: string[] = [];
  const steps = op.extensions["x-specyard-setup"];
  for (const step of Array.isArray(steps) ? (steps as Schema[]) : []) {
    const target = byOperationId(spec, step.operationId);
    if (!target) {
      problems.push(`x-specyard-setup: no operation has operationId ${step.operationId}`);
      continue;
    }
    for (const [name, value] of Object.entries<unknown>(step.pick ?? {})) {
      const e = expression(value);
      if (e?.from !== "response.body" || !reaches(success(target).flatMap(jsonSchemas), e.pointer))
        problems.push(`x-specyard-setup: ${target.id} answers nothing at ${String(value)} (pick ${name})`);
    }
  }
  const body = op.extensions["x-specyard-body"] as { omit?: unknown[]; set?: Schema } | undefined;
  const bodySchemas = Object.entries(op.requestBody?.content ?? {}).flatMap(([type, media]) =>
    isJson(type) && media.schema ? [media.schema] : [],
  );
  for (const field of [...(body?.omit ?? []), ...Object.keys(body?.set ?? {})])
    if (!bodySchemas.some((s) => schemaAt(s, [String(field)])))
      problems.push(`x-specyard-body: the request body has no field ${String(field)}`);
  return problems;
}

/** Every problem with the spec's links, each naming the operation, status and link; [] when all resolve. */
export function linkCheck(spec: ApiSpec): string[] {
  const problems: string[] = [];
  for (const op of spec.operations) {
    for (const [status, response] of Object.entries(op.responses))
      for (const [name, link] of Object.entries(response.links))
        problems.push(
          ...linkProblems(spec, op, response, link).map((p) => `${op.id} ${status} ${name}: ${p}`),
        );
    problems.push(...extensionProblems(spec, op).map((p) => `${op.id}: ${p}`));
  }
  if (problems.length) return problems;
  try {
    resourceLinks(spec);
  } catch (error) {
    if (!(error instanceof SpecError)) throw error;
    problems.push(error.message);
  }
  return problems;
}
