/**
 * Random invalid requests for every PipedAI operation: the spec's example bodies mutated (fields
 * dropped, retyped, junk added), junk query parameters, real and made-up ids, and every kind of
 * credential (right, wrong kind, forged, none). None may get a 5xx; every answer must be a status
 * the spec documents for the operation, with a body that matches its schema.
 */
import { fc } from "@fast-check/vitest";
import { loadSpec, responseValidator } from "@specyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runSandbox, type Sandbox } from "../../src/framework/server.js";
import { type PipedAIState, pipedai } from "../../src/providers/pipedai/index.js";

const spec = loadSpec("pipedai");
const conforms = responseValidator("pipedai");

let sandbox: Sandbox<PipedAIState>;
beforeAll(async () => {
  sandbox = await runSandbox(pipedai, { seed: "pipedai-property" });
});
afterAll(() => sandbox?.close());

interface Op {
  operationId: string;
  method: string;
  path: string;
  statuses: string[];
  hasBody: boolean;
  example: unknown;
}

const OPERATIONS: Op[] = Object.entries(
  spec.paths as Record<string, Record<string, Record<string, unknown>>>,
).flatMap(([path, item]) =>
  Object.entries(item)
    .filter(([method]) => method !== "parameters")
    .map(([method, op]) => ({
      operationId: String(op.operationId),
      method: method.toUpperCase(),
      path,
      statuses: Object.keys(op.responses as object),
      hasBody: op.requestBody !== undefined,
      example: (op.requestBody as { content?: Record<string, { example?: unknown }> } | undefined)?.content?.[
        "application/json"
      ]?.example,
    })),
);

/** Real credentials and ids of one environment, fresh for each operation. */
interface Fixture {
  cookie: string;
  pwk: string;
  wkt: string;
  /** The real id for each path parameter name (`id` by the collection it follows). */
  byName: Record<string, string>;
  ids: string[];
}

async function fixture(): Promise<Fixture> {
  const made = (await sandbox.admin.act("credentials")) as {
    authTokenCookie: string;
    pwkApiKey: string;
    wktWorkerToken: string;
    userId: string;
    workspaceId: string;
    environmentId: string;
    workerId: string;
  };
  const call = async (path: string, body: unknown) => {
    const response = await fetch(`${sandbox.url}${path}`, {
      method: "POST",
      headers: { cookie: `auth_token=${made.authTokenCookie}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    expect(response.status).toBeLessThan(300);
    return (await response.json()) as Record<string, unknown>;
  };
  const created = await call(`/api/v1/environments/${made.environmentId}/triggers`, {
    name: "prop",
    type: "manual",
    workerId: made.workerId,
  });
  const triggerId = (created.trigger as { id: string }).id;
  const run = await call(`/api/v1/triggers/${triggerId}/run`, { input: { n: 1 } });
  const key = await call(`/api/v1/environments/${made.environmentId}/api-keys`, { name: "k", prefix: "pwk" });
  const byName = {
    wsId: made.workspaceId,
    envId: made.environmentId,
    environments: made.environmentId,
    triggers: triggerId,
    workers: made.workerId,
    runId: String(run.id),
    userId: made.userId,
    keyId: (key.apiKey as { id: string }).id,
  };
  return {
    cookie: made.authTokenCookie,
    pwk: made.pwkApiKey,
    wkt: made.wktWorkerToken,
    byName,
    ids: [...new Set(Object.values(byName))],
  };
}

const junkValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(
    -1,
    0,
    101,
    1e308,
    -0.5,
    "",
    "x".repeat(300),
    null,
    [],
    {},
    true,
    "__proto__",
    "wrk_x",
    "pwk_x",
  ),
);

/** A mutation of a valid body: unchanged, a field dropped or retyped, junk added, or junk instead. */
const mutatedBody = (valid: unknown) => {
  const record = (valid ?? {}) as Record<string, unknown>;
  const names = Object.keys(record);
  const at = (n: number) => names[n % Math.max(1, names.length)] ?? "x";
  return fc.oneof(
    fc.constant(valid),
    fc.nat().map((n) => {
      const copy = { ...record };
      delete copy[at(n)];
      return copy;
    }),
    fc.tuple(fc.nat(), junkValue).map(([n, value]) => ({ ...record, [at(n)]: value })),
    fc
      .tuple(
        fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom("id", "environmentId", "deletedAt")),
        junkValue,
      )
      .map(([key, value]) => ({ ...record, [key]: value })),
    junkValue,
  );
};

interface RawBody {
  text?: string;
  type?: string;
}

const body = (op: Op): fc.Arbitrary<RawBody> => {
  const json = (text: string): RawBody => ({ text, type: "application/json" });
  // Without a documented body, junk JSON is sent (and ignored); malformed JSON would get the
  // framework's 400, which those operations do not document (see the report).
  if (!op.hasBody)
    return fc.oneof(
      junkValue.map((value) => json(JSON.stringify(value))),
      fc.constant<RawBody>({}),
    );
  const valid = op.example ?? {};
  return fc.oneof(
    { weight: 6, arbitrary: mutatedBody(valid).map((value) => json(JSON.stringify(value))) },
    { weight: 1, arbitrary: fc.string().map(json) },
    { weight: 1, arbitrary: fc.constant<RawBody>({ text: JSON.stringify(valid), type: "text/plain" }) },
    { weight: 1, arbitrary: fc.constant<RawBody>({}) },
  );
};

/** Mostly the right real id for the parameter, else another real one, a UUID or junk. */
const id = (right: string, real: string[]) =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constant(right) },
    { weight: 1, arbitrary: fc.constantFrom(...real) },
    { weight: 1, arbitrary: fc.uuid() },
    {
      weight: 1,
      // "." and ".." would be resolved away by the URL parser before they are sent.
      arbitrary: fc
        .string({ minLength: 1, maxLength: 70 })
        .filter((s) => s !== "." && s !== "..")
        .map(encodeURIComponent),
    },
    { weight: 1, arbitrary: fc.constantFrom("%ZZ", "__proto__", "toString", "constructor", "%E0%A4%A") },
  );

/** The path's parameters, each with the fixture's real id for it. */
function paramIds(path: string, f: Fixture): fc.Arbitrary<string>[] {
  const segments = path.split("/");
  return segments
    .map((segment, i) => {
      const name = /^\{(.+)\}$/.exec(segment)?.[1];
      if (!name) return undefined;
      const right = f.byName[name === "id" ? (segments[i - 1] ?? "") : name] ?? "x";
      return id(right, f.ids);
    })
    .filter((arbitrary) => arbitrary !== undefined);
}

const queryValue = fc.oneof(
  fc.string({ maxLength: 10 }),
  fc.integer({ min: -5, max: 200 }).map(String),
  fc.constantFrom("2025-06-01T00:00:00Z", "not-a-date", "queued", "online", "member.add,x", "a@b.co", "%zz"),
);
const query = fc.array(
  fc.tuple(
    fc.oneof(
      fc.constantFrom(
        "limit",
        "cursor",
        "status",
        "from",
        "to",
        "workerId",
        "action",
        "actions",
        "targetId",
        "email",
      ),
      fc.string({ maxLength: 8 }),
    ),
    queryValue,
  ),
  { maxLength: 4 },
);

const WRONG_CALLERS = [
  "pwk key",
  "worker token",
  "cookie and pwk key",
  "none",
  "forged cookie",
  "unknown pwk key",
  "unknown worker token",
  "Basic auth",
  "cookie",
];

/** Who calls, by label (the credentials themselves stay out of counterexamples): mostly the right one. */
const caller = (op: Op) =>
  fc.oneof(
    {
      weight: 3,
      arbitrary: fc.constant(op.path.startsWith("/api/v1/workers/{id}") ? "worker token" : "cookie"),
    },
    { weight: 2, arbitrary: fc.constantFrom(...WRONG_CALLERS) },
  );

function headersFor(label: string, f: Fixture): Record<string, string> {
  switch (label) {
    case "cookie":
      return { cookie: `auth_token=${f.cookie}` };
    case "pwk key":
      return { authorization: `Bearer ${f.pwk}` };
    case "worker token":
      return { authorization: `Bearer ${f.wkt}` };
    case "cookie and pwk key":
      return { cookie: `auth_token=${f.cookie}`, authorization: `Bearer ${f.pwk}` };
    case "forged cookie":
      return { cookie: `auth_token=${f.cookie.slice(0, -4)}AAAA` };
    case "unknown pwk key":
      return { authorization: `Bearer pwk_${"0".repeat(40)}` };
    case "unknown worker token":
      return { authorization: `Bearer wkt_${"0".repeat(40)}` };
    case "Basic auth":
      return { authorization: "Basic YTpi" };
    default:
      return {};
  }
}

describe("PipedAI sandbox: random invalid requests", () => {
  it("covers every operation of the spec", () => {
    expect(OPERATIONS).toHaveLength(36);
    expect(new Set(OPERATIONS.map((op) => op.operationId)).size).toBe(36);
    for (const op of OPERATIONS) expect(pipedai.handlers[op.operationId], op.operationId).toBeDefined();
  });

  for (const op of OPERATIONS) {
    it(`${op.operationId}: never a 5xx, always a documented status and body`, async () => {
      const f = await fixture();
      const params = paramIds(op.path, f);
      await fc.assert(
        fc.asyncProperty(
          fc.tuple(...params),
          query,
          body(op),
          caller(op),
          async (values, pairs, payload, who) => {
            let i = 0;
            const path = op.path.replace(/\{[^}]+\}/g, () => values[i++] ?? "x");
            const search = pairs
              .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
              .join("&");
            const init: RequestInit = { method: op.method, headers: headersFor(who, f) };
            if (payload.text !== undefined && op.method !== "GET") {
              init.body = payload.text;
              if (payload.type) (init.headers as Record<string, string>)["content-type"] = payload.type;
            }
            const response = await fetch(`${sandbox.url}${path}${search ? `?${search}` : ""}`, init);
            const text = await response.text();
            expect(response.status, text).toBeLessThan(500);
            expect(op.statuses, `${response.status} ${text}`).toContain(String(response.status));
            if (text)
              expect(conforms(op.path, op.method, response.status, JSON.parse(text)), text).toBeNull();
            // Keep the rate-limit windows open: the property is about validation, not the limits.
            sandbox.admin.clock.advance(2_100);
          },
        ),
        { numRuns: 80 },
      );
    });
  }
});
