/** Test cases of one operation: valid requests, invalid ones, ones without a required header or credentials. */
import fc from "fast-check";
import { allowedTypes, describe, mutationsFor, wrongType } from "../generate/mutations.js";
import { parameterValid, received, sendable } from "../generate/parameters.js";
import { keepingRules } from "../generate/satisfy.js";
import { arbitraryFor } from "../generate/values.js";
import { bodyAdjustments } from "../spec/links.js";
import type { MediaType, Operation, Parameter, Schema } from "../spec/openapi.js";
import { brokenRules } from "../spec/rules.js";
import { isValid, isValidParameter } from "../spec/validate.js";

/**
 * `positive`: valid requests with credentials; `negative`: one part made invalid;
 * `missing_header`: a required header left out; `auth`: no (or wrong) credentials.
 */
export type Phase = "positive" | "negative" | "missing_header" | "auth";
export const PHASES: Phase[] = ["positive", "negative", "missing_header", "auth"];

export type AuthMode = "valid" | "none" | "bad";

export interface Case {
  path: Record<string, unknown>;
  query: Record<string, unknown>;
  headers: Record<string, unknown>;
  cookies: Record<string, unknown>;
  /** `undefined`: no body. */
  body: { mediaType: string; value: unknown } | undefined;
  auth: AuthMode;
  /** What makes a negative case invalid, or which header a `missing_header` case leaves out. */
  note?: string;
}

export type Location = "path" | "query" | "headers" | "cookies";
const LOCATION: Record<Parameter["in"], Location> = {
  path: "path",
  query: "query",
  header: "headers",
  cookie: "cookies",
};

/** How a body of this media type is encoded. */
export function bodyKind(mediaType: string): "json" | "form" | "multipart" | "raw" {
  const type = mediaType.split(";")[0]?.trim().toLowerCase() ?? "";
  if (type === "application/json" || type.endsWith("+json")) return "json";
  if (type === "multipart/form-data") return "multipart";
  if (type === "application/x-www-form-urlencoded") return "form";
  return "raw";
}

/** Whether an operation demands credentials (an empty alternative makes them optional). */
export const isSecured = (op: Operation) =>
  op.security.length > 0 && op.security.every((alt) => alt.length > 0);

export interface CaseOptions {
  verifiesCredentials: boolean;
  /**
   * Values known to exist on the target (the ids of resources the suite created, parent ids), per
   * parameter name: valid cases take one of them instead of a generated value.
   */
  known?: Record<string, string[]>;
}

/** The case arbitraries of an operation; a phase with nothing to test is absent. */
export function caseArbitraries(
  op: Operation,
  options: CaseOptions,
): Partial<Record<Phase, fc.Arbitrary<Case>>> {
  const positive = positiveCase(op, options.known ?? {});
  const result: Partial<Record<Phase, fc.Arbitrary<Case>>> = { positive };
  const negatives = negativeCases(op, positive);
  if (negatives.length) result.negative = fc.oneof(...negatives);
  const requiredHeaders = op.parameters.filter((p) => p.in === "header" && p.required).map((p) => p.name);
  if (requiredHeaders.length) {
    result.missing_header = fc.tuple(positive, fc.constantFrom(...requiredHeaders)).map(([c, name]) => {
      const { [name]: _left, ...headers } = c.headers;
      return { ...c, headers, note: `header '${name}' left out` };
    });
  }
  if (isSecured(op)) {
    const modes: AuthMode[] = options.verifiesCredentials ? ["none", "bad"] : ["none"];
    result.auth = fc
      .tuple(positive, fc.constantFrom(...modes))
      .map(([c, auth]) => ({ ...c, auth, note: auth === "none" ? "no credentials" : "wrong credentials" }));
  }
  return result;
}

function parameterArbitrary(op: Operation, p: Parameter): fc.Arbitrary<unknown> {
  let arb = arbitraryFor(p.schema);
  if (p.in === "query" && p.explode && p.schema.type === "object") {
    // An exploded object's keys become query names: keep them clear of the other parameters.
    const taken = new Set(op.parameters.filter((q) => q.in === "query" && q !== p).map((q) => q.name));
    arb = arb.map((o) =>
      o && typeof o === "object" ? Object.fromEntries(Object.entries(o).filter(([k]) => !taken.has(k))) : o,
    );
  }
  return arb.filter((v) => parameterValid(p, v));
}

/** The known values (see `CaseOptions.known`) that the parameter accepts. */
const knownValues = (p: Parameter, known: Record<string, string[]>) =>
  (Object.hasOwn(known, p.name) ? (known[p.name] ?? []) : []).filter((v) => parameterValid(p, v));

function parametersIn(
  op: Operation,
  where: Parameter["in"],
  known: Record<string, string[]>,
): fc.Arbitrary<Record<string, unknown>> {
  const list = op.parameters.filter((p) => p.in === where);
  const value = (p: Parameter) => {
    const values = knownValues(p, known);
    return values.length ? fc.constantFrom(...values) : parameterArbitrary(op, p);
  };
  return fc.record(Object.fromEntries(list.map((p) => [p.name, value(p)])), {
    requiredKeys: list.filter((p) => p.required).map((p) => p.name),
  });
}

/** A top-level JSON object body with the operation's `x-specyard-body` adjustments (see `links.ts`). */
export function adjustBody(op: Operation, value: unknown): unknown {
  const adjust = bodyAdjustments(op);
  if (!adjust || !value || typeof value !== "object" || Array.isArray(value)) return value;
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>), ...adjust.set };
  for (const name of adjust.omit ?? []) delete out[name];
  return out;
}

/** Whether a body value suits a media type's schema and business rules. */
const fits = (schema: Schema, value: unknown) =>
  isValid(schema, value) && brokenRules(schema, value).length === 0;

/**
 * The body values of a media type: generated, adjusted and kept to the business rules; for JSON
 * also the documented examples (adjusted), one case in four.
 */
function bodyValues(op: Operation, mediaType: string, media: MediaType): fc.Arbitrary<unknown> {
  let arb = bodyCache.get(media);
  if (!arb) {
    arb = buildBodyValues(op, mediaType, media);
    bodyCache.set(media, arb);
  }
  return arb;
}
const bodyCache = new WeakMap<MediaType, fc.Arbitrary<unknown>>();

function buildBodyValues(op: Operation, mediaType: string, media: MediaType): fc.Arbitrary<unknown> {
  const schema = media.schema ?? {};
  const json = bodyKind(mediaType) === "json";
  const generated = arbitraryFor(schema);
  if (!json) return generated;
  const adjusted = bodyAdjustments(op) ? generated.map((v) => adjustBody(op, v)) : generated;
  const kept = keepingRules(schema, adjusted);
  const examples = bodyExamples(op, mediaType, media);
  return examples.length
    ? fc.oneof({ arbitrary: kept, weight: 3 }, { arbitrary: fc.constantFrom(...examples), weight: 1 })
    : kept;
}

/** The documented examples of a JSON body that are valid once adjusted. */
export function bodyExamples(op: Operation, mediaType: string, media: MediaType): unknown[] {
  if (bodyKind(mediaType) !== "json") return [];
  let found = exampleCache.get(media);
  if (!found) {
    const schema = media.schema ?? {};
    found = media.examples.map((e) => adjustBody(op, e)).filter((e) => fits(schema, e));
    exampleCache.set(media, found);
  }
  return found;
}
const exampleCache = new WeakMap<MediaType, unknown[]>();

/** Media types a body can be generated for: JSON and forms always, other types for string schemas. */
function usableMediaTypes(op: Operation): [string, MediaType][] {
  return Object.entries(op.requestBody?.content ?? {}).filter(
    ([type, media]) => bodyKind(type) !== "raw" || (media.schema?.type ?? "string") === "string",
  );
}

function positiveCase(op: Operation, known: Record<string, string[]>): fc.Arbitrary<Case> {
  const media = usableMediaTypes(op);
  let body: fc.Arbitrary<Case["body"]> = fc.constant(undefined);
  if (media.length) {
    const required = op.requestBody?.required === true;
    const any = fc.oneof(
      ...media.map(([mediaType, m]) => {
        let values = bodyValues(op, mediaType, m);
        // An empty raw body is no body at all.
        if (required && bodyKind(mediaType) === "raw") values = values.filter((v) => v !== "");
        return values.map((value) => ({ mediaType, value }) as Case["body"]);
      }),
    );
    body = required ? any : fc.option(any, { nil: undefined, freq: 3 });
  }
  return fc
    .record({
      path: parametersIn(op, "path", known),
      query: parametersIn(op, "query", known),
      headers: parametersIn(op, "header", known),
      cookies: parametersIn(op, "cookie", known),
      body,
    })
    .map((parts): Case => ({ ...parts, auth: "valid" }));
}

/** One arbitrary per way of making a request invalid. */
function negativeCases(op: Operation, positive: fc.Arbitrary<Case>): fc.Arbitrary<Case>[] {
  const out: fc.Arbitrary<Case>[] = [];
  for (const p of op.parameters) {
    const at = LOCATION[p.in];
    const label = `${p.in} parameter '${p.name}'`;
    // A missing header is `missing_required_header`'s case; a path parameter cannot be missing.
    if (p.required && (p.in === "query" || p.in === "cookie")) {
      out.push(
        positive.map((c) => {
          const { [p.name]: _dropped, ...rest } = c[at];
          return { ...c, [at]: rest, note: `${label} missing` };
        }),
      );
    }
    const arrivesInvalid = (v: unknown) => sendable(p, v) && !isValidParameter(p.schema, received(p, v));
    for (const m of mutationsFor(p.schema)) {
      // Values must stay invalid as text (`5` is a fine string parameter) and be sendable (no empty
      // path segment): keep the mutations whose values mostly do, and filter out the rest.
      const probe = fc.sample(m.arbitrary, { numRuns: 20, seed: 1 });
      if (probe.filter(arrivesInvalid).length < 5) continue;
      out.push(
        fc
          .tuple(positive, m.arbitrary.filter(arrivesInvalid))
          .map(([c, bad]) => ({ ...c, [at]: { ...c[at], [p.name]: bad }, note: `${label}: ${describe(m)}` })),
      );
    }
  }
  if (op.requestBody?.required) {
    out.push(positive.map((c) => ({ ...c, body: undefined, note: "required body missing" })));
  }
  for (const [mediaType, media] of usableMediaTypes(op)) {
    const kind = bodyKind(mediaType);
    if (kind === "raw" || !media.schema) continue;
    for (const m of mutationsFor(media.schema)) {
      // Form fields arrive as text, so only a missing field is surely invalid there.
      if (kind !== "json" && !(m.path === "" && m.kind.startsWith("missing required"))) continue;
      let values: fc.Arbitrary<unknown> | undefined = m.arbitrary;
      if (m.path === "" && m.kind.startsWith("not of type") && !op.requestBody?.required) {
        // A JSON `null` body reads as no body to many servers: it proves nothing when a body is optional.
        values = wrongType(new Set([...(allowedTypes(media.schema) ?? []), "null"]));
      }
      if (!values) continue;
      out.push(
        fc
          .tuple(positive, values)
          .map(([c, value]) => ({ ...c, body: { mediaType, value }, note: `body: ${describe(m)}` })),
      );
    }
  }
  return out;
}

/**
 * The most plausible valid request of an operation, sent first among its positive cases: known
 * path values, required parameters only (their examples where valid), and the first documented
 * body example (else a generated body kept to the rules). Undefined when none can be made.
 */
export function seedCase(
  op: Operation,
  known: Record<string, string[]>,
  seed = 1,
  body?: unknown,
): Case | undefined {
  const sample = <T>(arb: fc.Arbitrary<T>): T | undefined => fc.sample(arb, { numRuns: 1, seed })[0];
  const parts: Case = { path: {}, query: {}, headers: {}, cookies: {}, body: undefined, auth: "valid" };
  for (const p of op.parameters) {
    if (!p.required) continue;
    const value =
      knownValues(p, known)[0] ??
      p.examples.find((e) => parameterValid(p, e)) ??
      sample(parameterArbitrary(op, p));
    if (value === undefined) return undefined;
    parts[LOCATION[p.in]][p.name] = value;
  }
  const media = usableMediaTypes(op);
  const first = media.find(([type]) => bodyKind(type) === "json") ?? media[0];
  if (first && (op.requestBody?.required || bodyKind(first[0]) === "json")) {
    const [mediaType, m] = first;
    const value = body ?? bodyExamples(op, mediaType, m)[0] ?? sample(bodyValues(op, mediaType, m));
    if (value === undefined || (bodyKind(mediaType) === "raw" && value === "")) return undefined;
    parts.body = { mediaType, value };
  }
  return parts;
}
