/**
 * Random invalid requests for every PipeAgent operation: valid bodies mutated (required fields
 * dropped, wrong types, out-of-range values), junk query parameters, odd ids, keys and content
 * types. None may get a 5xx; every answer must be a status the spec documents for the operation,
 * with a body that matches its schema.
 */
import { fc } from "@fast-check/vitest";
import { loadSpec, responseValidator } from "@specyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../../src/index.js";

const spec = loadSpec("pipeagent");
const conforms = responseValidator("pipeagent");

interface Keys {
  writeKey: string;
  readKey: string;
}

let sandbox: Sandbox;
let keys: Keys;
const feeds: Record<"singleton" | "collection" | "stream", { id: string; endpoint_path: string }> =
  {} as never;

const SCHEMA = {
  type: "object",
  properties: { id: { type: ["string", "number"] }, name: { type: "string" } },
  required: ["id"],
};

beforeAll(async () => {
  sandbox = await startSandbox("pipeagent", { seed: "pipeagent-property" });
  keys = (await sandbox.admin.act("keys")) as Keys;
  await sandbox.admin.act("setFeedQuota", { max_feeds_allowed: 1_000_000 });
  for (const type of ["singleton", "collection", "stream"] as const) {
    const response = await fetch(`${sandbox.url}/api/v1/provider/feed/create`, {
      method: "POST",
      headers: { authorization: `Bearer ${keys.writeKey}`, "content-type": "application/json" },
      body: JSON.stringify({
        name: `prop ${type}`,
        endpoint_path: `prop-${type}`,
        feed_type: type,
        schema_definition: SCHEMA,
        schema_locked: true,
      }),
    });
    expect(response.status).toBe(200);
    feeds[type] = (await response.json()) as { id: string; endpoint_path: string };
  }
});
afterAll(() => sandbox?.close());

type Json = unknown;

/** A valid body per operation, to be mutated. */
const VALID: Record<string, () => Json> = {
  createFeed: () => ({
    name: "Feed",
    description: "d",
    endpoint_path: `p-${Math.random().toString(36).slice(2)}`,
    feed_type: "collection",
    schema_definition: SCHEMA,
    schema_locked: true,
    schema_version: 1,
    sync_interval_mins: 60,
    price_type: "one_time",
    one_time_price_cents: 1990,
    status: "inactive",
    draft_step: 1,
  }),
  editFeed: () => ({ description: "new", sync_interval_mins: 30, price_type: "metered", price_per_1k: 0.5 }),
  pushFeedData: () => ({
    payload: [{ id: "a", name: "x" }, { id: 2 }],
    batch_id: "b1",
    batch_complete: false,
  }),
};

const junkValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(-1, 0, 99, 1e308, -0.5, "", "x".repeat(300), null, [], {}, true),
);

/** A mutation of a valid body: drop a field, retype one, nest junk, or replace the body. */
const mutatedBody = (valid: Json) =>
  fc.oneof(
    fc.constant(valid),
    fc.nat().map((n) => {
      const copy = { ...(valid as Record<string, unknown>) };
      const names = Object.keys(copy);
      delete copy[names[n % names.length] as string];
      return copy;
    }),
    fc.tuple(fc.nat(), junkValue).map(([n, value]) => {
      const copy = { ...(valid as Record<string, unknown>) };
      const names = Object.keys(copy);
      copy[names[n % names.length] as string] = value;
      return copy;
    }),
    fc
      .tuple(
        fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom("__proto__", "is_public", "id")),
        junkValue,
      )
      .map(([key, value]) => ({ ...(valid as object), [key]: value })),
    fc
      .constantFrom("__proto__", "toString", "constructor")
      .map((name) => ({ ...(valid as object), batch_id: name, endpoint_path: name })),
    fc.tuple(fc.nat(), junkValue).map(([n, value]) => {
      // Junk inside the push rows.
      const copy = structuredClone(valid) as { payload?: unknown[] };
      if (Array.isArray(copy.payload)) copy.payload[n % copy.payload.length] = value;
      return copy;
    }),
    junkValue,
  );

interface RawBody {
  text?: string;
  type?: string;
}

const body = (operation: string): fc.Arbitrary<RawBody> => {
  const valid = VALID[operation];
  if (!valid) return fc.constant({});
  const json = (text: string): RawBody => ({ text, type: "application/json" });
  return fc.oneof(
    { weight: 6, arbitrary: mutatedBody(valid()).map((value) => json(JSON.stringify(value))) },
    { weight: 1, arbitrary: fc.string().map(json) },
    { weight: 1, arbitrary: fc.constant<RawBody>({ text: JSON.stringify(valid()), type: "text/plain" }) },
    { weight: 1, arbitrary: fc.constant<RawBody>({ text: JSON.stringify(valid()) }) },
    { weight: 1, arbitrary: fc.constant<RawBody>({}) },
  );
};

const feedRef = fc.oneof(
  fc.constantFrom(...(["singleton", "collection", "stream"] as const)).map((type) => feeds[type].id),
  fc
    .constantFrom(...(["singleton", "collection", "stream"] as const))
    .map((type) => feeds[type].endpoint_path),
  fc.uuid(),
  // "." and ".." would be resolved away by the URL parser before they are sent.
  fc
    .string({ minLength: 1, maxLength: 20 })
    .filter((s) => s !== "." && s !== "..")
    .map(encodeURIComponent),
  fc.constantFrom("%ZZ", "%", "%E0%A4%A", "metadata", "toString", "__proto__", "constructor"),
);

const queryValue = fc.oneof(
  fc.string({ maxLength: 10 }),
  fc.integer({ min: -5, max: 200 }).map(String),
  fc.constantFrom("eq.", "eq.x", "gt.1", "ilike.*a*", "2025-06-01T00:00:00Z", "not-a-date", "%zz"),
);
const query = fc.array(
  fc.tuple(
    fc.oneof(
      fc.constantFrom("limit", "offset", "cursor", "start_time", "end_time", "q", "id", "name"),
      fc.string({ maxLength: 8 }),
    ),
    queryValue,
  ),
  { maxLength: 4 },
);

/** Who calls, by label (the keys themselves stay out of counterexamples). */
const caller = fc.constantFrom(
  "right key",
  "right key as Bearer",
  "no key",
  "unknown key",
  "Basic auth",
  "other kind of key",
);

function headersFor(label: string, need: "read" | "write"): Record<string, string> {
  const mine = need === "write" ? keys.writeKey : keys.readKey;
  const other = need === "write" ? keys.readKey : keys.writeKey;
  switch (label) {
    case "right key":
      return need === "write" ? { authorization: `Bearer ${mine}` } : { "x-api-key": mine };
    case "right key as Bearer":
      return { authorization: `Bearer ${mine}` };
    case "unknown key":
      return { authorization: "Bearer pa_sandbox_write_unknown", "x-api-key": "pa_sandbox_read_unknown" };
    case "Basic auth":
      return { authorization: "Basic YTpi" };
    case "other kind of key":
      return need === "write" ? { authorization: `Bearer ${other}` } : { "x-api-key": other };
    default:
      return {};
  }
}

interface Op {
  operationId: string;
  method: string;
  path: string;
  need: "read" | "write";
  statuses: string[];
}

const OPERATIONS: Op[] = Object.entries(
  spec.paths as Record<string, Record<string, Record<string, unknown>>>,
).flatMap(([path, item]) =>
  Object.entries(item).map(([method, op]) => ({
    operationId: String(op.operationId),
    method: method.toUpperCase(),
    path,
    need: path.startsWith("/api/") ? ("write" as const) : ("read" as const),
    statuses: Object.keys(op.responses as object),
  })),
);

describe("PipeAgent sandbox: random invalid requests", () => {
  it("covers every operation of the spec", () => {
    expect(OPERATIONS.map((op) => op.operationId).sort()).toEqual(
      [
        "createFeed",
        "editFeed",
        "getFeedData",
        "getFeedMetadata",
        "listCatalog",
        "pushFeedData",
        "searchFeeds",
      ].sort(),
    );
  });

  for (const op of OPERATIONS) {
    it(`${op.operationId}: never a 5xx, always a documented status and body`, async () => {
      await fc.assert(
        fc.asyncProperty(feedRef, query, body(op.operationId), caller, async (ref, pairs, payload, who) => {
          const path = op.path.replace(/\{[^}]+\}/, ref);
          const search = pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&");
          const init: RequestInit = { method: op.method, headers: headersFor(who, op.need) };
          if (payload.text !== undefined && op.method !== "GET") {
            init.body = payload.text;
            if (payload.type) (init.headers as Record<string, string>)["content-type"] = payload.type;
          }
          const response = await fetch(`${sandbox.url}${path}${search ? `?${search}` : ""}`, init);
          const text = await response.text();
          expect(response.status, text).toBeLessThan(500);
          expect(op.statuses, `${response.status} ${text}`).toContain(String(response.status));
          const json = text ? JSON.parse(text) : undefined;
          expect(conforms(op.path, op.method, response.status, json), text).toBeNull();
          // Keep the push windows open: the property is about validation, not the rate limit.
          sandbox.admin.clock.advance(3_001);
        }),
        { numRuns: 150 },
      );
    });
  }
});
