import { specPath } from "@specyard/testkit";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { bodyKind, type Case, caseArbitraries } from "../src/cases/cases.js";
import { describe as describeMutation, mutationsFor } from "../src/generate/mutations.js";
import { parameterValid } from "../src/generate/parameters.js";
import { arbitraryFor, length } from "../src/generate/values.js";
import { type Operation, readSpec, type Schema } from "../src/spec/openapi.js";
import { describeErrors, isValid, schemaErrors } from "../src/spec/validate.js";

const PROVIDERS = ["pipe-storage", "pipeagent", "pipedai", "atelier", "pinata-agents"];

/** What a value becomes on the wire and back. */
const roundTrip = (v: unknown) => JSON.parse(JSON.stringify(v) ?? "null");

/** Every schema an operation reaches: parameters, request bodies, responses and response headers. */
function schemasOf(op: Operation): [string, Schema][] {
  const found: [string, Schema][] = [];
  for (const p of op.parameters) found.push([`${p.in} ${p.name}`, p.schema]);
  for (const [type, media] of Object.entries(op.requestBody?.content ?? {})) {
    if (media.schema) found.push([`request ${type}`, media.schema]);
  }
  for (const [status, response] of Object.entries(op.responses)) {
    for (const [type, media] of Object.entries(response.content)) {
      if (media.schema) found.push([`${status} ${type}`, media.schema]);
    }
    for (const [name, header] of Object.entries(response.headers)) {
      if (header.schema) found.push([`${status} header ${name}`, header.schema]);
    }
  }
  return found;
}

/** Asserts with the schema's label in the message (fast-check adds the seed and counterexample). */
function check(label: string, run: () => void) {
  try {
    run();
  } catch (error) {
    throw new Error(`${label}: ${(error as Error).message}`);
  }
}

describe.each(PROVIDERS)("generated data for every schema of %s", (provider) => {
  const spec = readSpec(specPath(provider), provider);
  test.each(spec.operations.map((op) => [op.id, op] as const))("%s", (_, op) => {
    for (const [label, schema] of schemasOf(op)) {
      check(`${label} (positive)`, () =>
        fc.assert(
          fc.property(arbitraryFor(schema), (v) => {
            const errors = schemaErrors(schema, roundTrip(v));
            if (errors) throw new Error(describeErrors(errors));
          }),
          { numRuns: 15 },
        ),
      );
      for (const m of mutationsFor(schema)) {
        check(`${label} (${describeMutation(m)})`, () =>
          fc.assert(
            fc.property(m.arbitrary, (v) => !isValid(schema, roundTrip(v))),
            { numRuns: 5 },
          ),
        );
      }
    }
  });
});

/** Whether a case is a valid request for its operation, judged part by part. */
function requestValid(op: Operation, c: Case): boolean {
  for (const p of op.parameters) {
    const where = { path: c.path, query: c.query, header: c.headers, cookie: c.cookies }[p.in];
    if (!(p.name in where)) {
      if (p.required) return false;
      continue;
    }
    if (!parameterValid(p, where[p.name])) return false;
  }
  if (!c.body) return op.requestBody?.required !== true;
  const schema = op.requestBody?.content[c.body.mediaType]?.schema ?? {};
  const value = bodyKind(c.body.mediaType) === "json" ? roundTrip(c.body.value) : c.body.value;
  return isValid(schema, value);
}

describe.each(PROVIDERS)("request cases of %s", (provider) => {
  const spec = readSpec(specPath(provider), provider);
  test("positive cases are valid requests and negative cases are not", () => {
    for (const op of spec.operations) {
      const arbs = caseArbitraries(op, { verifiesCredentials: true });
      check(`${op.id} positive`, () =>
        fc.assert(
          fc.property(arbs.positive as fc.Arbitrary<Case>, (c) => requestValid(op, c)),
          { numRuns: 10 },
        ),
      );
      if (arbs.negative) {
        check(`${op.id} negative`, () =>
          fc.assert(
            fc.property(arbs.negative as fc.Arbitrary<Case>, (c) => !requestValid(op, c)),
            { numRuns: 10 },
          ),
        );
      }
    }
  });
});

describe("keywords the five specs do not use", () => {
  const cases: [string, Schema][] = [
    [
      "uniqueItems",
      { type: "array", uniqueItems: true, items: { type: "integer", minimum: 0, maximum: 20 }, maxItems: 5 },
    ],
    ["multipleOf", { type: "integer", multipleOf: 7, minimum: -50, maximum: 50 }],
    [
      "exclusive bounds",
      { type: "number", minimum: 0, exclusiveMinimum: true, maximum: 1, exclusiveMaximum: true },
    ],
    [
      "exclusive integer bounds",
      { type: "integer", minimum: 1, exclusiveMinimum: true, maximum: 5, exclusiveMaximum: true },
    ],
    [
      "additionalProperties: false",
      { type: "object", additionalProperties: false, required: ["a"], properties: { a: { type: "string" } } },
    ],
    [
      "min/maxProperties",
      { type: "object", minProperties: 1, maxProperties: 2, additionalProperties: { type: "boolean" } },
    ],
    ["nullable enum", { type: "string", nullable: true, enum: ["a", "b", null] }],
    [
      "nullable object",
      { type: "object", nullable: true, required: ["id"], properties: { id: { type: "integer" } } },
    ],
    [
      "oneOf with overlapping branches",
      { oneOf: [{ type: "integer" }, { type: "number", minimum: 10 }, { type: "string", maxLength: 3 }] },
    ],
    ["anyOf beside a type", { type: "object", anyOf: [{ required: ["a"] }, { required: ["b"] }] }],
    ["not", { type: "string", not: { enum: ["forbidden"] }, maxLength: 9 }],
    [
      "allOf with nullable parts",
      {
        allOf: [
          { type: "object", nullable: true, properties: { a: { type: "integer", minimum: 2 } } },
          { required: ["a"] },
        ],
      },
    ],
    ["pattern with lengths", { type: "string", pattern: "^[a-f]+$", minLength: 3, maxLength: 6 }],
    [
      "formats",
      {
        type: "object",
        required: ["email", "uri", "host", "ip", "date", "time", "byte"],
        properties: {
          email: { type: "string", format: "email" },
          uri: { type: "string", format: "uri" },
          host: { type: "string", format: "hostname" },
          ip: { type: "string", format: "ipv4" },
          date: { type: "string", format: "date" },
          time: { type: "string", format: "time" },
          byte: { type: "string", format: "byte" },
        },
      },
    ],
  ];
  test.each(cases)("%s", (_, schema) => {
    fc.assert(
      fc.property(arbitraryFor(schema), (v) => isValid(schema, roundTrip(v))),
      { numRuns: 100 },
    );
    for (const m of mutationsFor(schema)) {
      fc.assert(
        fc.property(m.arbitrary, (v) => !isValid(schema, roundTrip(v))),
        { numRuns: 30 },
      );
    }
  });

  test("each kind of mutation exists", () => {
    const schema: Schema = {
      type: "object",
      additionalProperties: false,
      required: ["n", "s"],
      properties: {
        n: { type: "integer", minimum: 1, maximum: 9 },
        s: { type: "string", minLength: 2, maxLength: 4, pattern: "^[a-z]+$" },
        e: { type: "string", enum: ["x", "y"] },
        d: { type: "string", format: "date-time" },
        l: { type: "array", minItems: 1, maxItems: 2, items: { type: "boolean" } },
      },
    };
    const kinds = mutationsFor(schema).map((m) => describeMutation(m));
    for (const expected of [
      "not of type object",
      "missing required property 'n'",
      "unexpected property (additionalProperties: false)",
      "below minimum 1 at /n",
      "above maximum 9 at /n",
      "shorter than minLength 2 at /s",
      "longer than maxLength 4 at /s",
      "not matching pattern ^[a-z]+$ at /s",
      "not in enum at /e",
      "not a valid date-time at /d",
      "fewer than minItems 1 at /l",
      "more than maxItems 2 at /l",
      "not of type boolean at /l/[]",
    ]) {
      expect(kinds).toContain(expected);
    }
  });
});

describe("boundary values", () => {
  const sample = (schema: Schema) => fc.sample(arbitraryFor(schema), { numRuns: 300, seed: 11 });

  test("numbers hit their minimum and maximum", () => {
    const values = sample({ type: "integer", minimum: 3, maximum: 90_000 });
    expect(values).toContain(3);
    expect(values).toContain(90_000);
    const doubles = sample({ type: "number", minimum: -2.5, maximum: 7.25 });
    expect(doubles).toContain(-2.5);
    expect(doubles).toContain(7.25);
  });

  test("strings hit their minimum and maximum length", () => {
    const lengths = sample({ type: "string", minLength: 2, maxLength: 300 }).map((v) => length(v as string));
    expect(lengths).toContain(2);
    expect(lengths).toContain(300);
  });

  test("arrays are empty where allowed, and full", () => {
    const lengths = sample({ type: "array", maxItems: 12, items: { type: "integer" } }).map(
      (v) => (v as unknown[]).length,
    );
    expect(lengths).toContain(0);
    expect(lengths).toContain(12);
  });

  test("a failure found at a boundary still shrinks to the smallest failing value", () => {
    const limit = fc.check(
      fc.property(arbitraryFor({ type: "integer", minimum: 1, maximum: 50 }), (v) => (v as number) <= 40),
      {
        seed: 3,
      },
    );
    expect(limit.counterexample).toEqual([41]);
    const header = fc.check(
      fc.property(
        arbitraryFor({ type: "string", minLength: 4, maxLength: 36 }),
        (v) => length(v as string) < 20,
      ),
      { seed: 3 },
    );
    expect(length(header.counterexample?.[0] as string)).toBe(20);
  });
});
