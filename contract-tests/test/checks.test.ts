import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, test } from "vitest";
import type { Failure } from "../src/exchange/exchange.js";
import type { TargetSession } from "../src/exchange/session.js";
import { type ProviderResult, replayFailure, runProvider } from "../src/run/runner.js";
import { readSpec } from "../src/spec/openapi.js";
import { type Defect, type DefectServer, startDefectServer, TOKEN } from "./defect-server.js";

const spec = readSpec(fileURLToPath(new URL("./fixtures/defects.yaml", import.meta.url)), "defects");
const PLACEHOLDER = `\${SPECYARD_LIVE_DEFECTS_BEARER_AUTH}`;

const servers: DefectServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function sessionFor(defect: Defect | undefined): Promise<TargetSession> {
  const server = await startDefectServer(defect);
  servers.push(server);
  return {
    baseUrl: server.url,
    credential: (scheme) => (scheme === "bearerAuth" ? TOKEN : undefined),
    close: async () => {},
  };
}

async function run(defect: Defect | undefined): Promise<ProviderResult> {
  return runProvider(spec, await sessionFor(defect), "live", { runs: 25, seed: 7 });
}

const failures = (result: ProviderResult): Failure[] =>
  result.operations.flatMap((op) =>
    Object.values(op.outcomes).flatMap((o) => (o.status === "fail" ? [o.failure] : [])),
  );

const header = (f: Failure, name: string) => f.request.headers[name];

test("a correct implementation passes every check that applies", async () => {
  const result = await run(undefined);
  expect(failures(result)).toEqual([]);
  const statuses = Object.fromEntries(
    result.operations.map((op) => [
      op.operation,
      Object.entries(op.outcomes)
        .filter(([, o]) => o.status === "pass")
        .map(([name]) => name),
    ]),
  );
  const common = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "ignored_auth",
  ];
  expect(statuses["GET /items"]).toEqual(expect.arrayContaining([...common, "missing_required_header"]));
  expect(statuses["POST /items"]).toEqual(expect.arrayContaining(common));
  expect(statuses["GET /items/{id}"]).toEqual(expect.arrayContaining(common));
  for (const op of result.operations) {
    expect(op.outcomes.use_after_free.status).toBe("n/a");
    expect(op.outcomes.ensure_resource_availability.status).toBe("n/a");
  }
});

/** Each planted defect, the (operation, check) pairs that must fail, and what the shrunk request looks like. */
const DEFECTS: [Defect, string[], (f: Failure) => void][] = [
  [
    "server-error",
    ["POST /items not_a_server_error"],
    (f) => {
      const body = JSON.parse(f.request.body ?? "{}");
      expect(body.count).toBe(501); // the smallest count that fails
      expect(Object.keys(body).sort()).toEqual(["count", "name"]); // optional tags shrunk away
      expect(body.name).toHaveLength(1);
    },
  ],
  [
    "wrong-field-type",
    ["GET /items/{id} response_schema_conformance"],
    (f) => {
      expect(f.message).toContain("/count: must be integer");
      // The server echoed the credential: the report shows the placeholder instead.
      expect(f.response?.body).toContain(PLACEHOLDER);
    },
  ],
  [
    "undocumented-status",
    ["GET /items status_code_conformance"],
    (f) => {
      expect(f.request.url).toMatch(/\/items\?limit=41$/);
      expect(header(f, "x-request-id")).toHaveLength(4);
      expect(f.response?.status).toBe(418);
    },
  ],
  [
    "missing-header-check",
    ["GET /items missing_required_header"],
    (f) => {
      expect(header(f, "x-request-id")).toBeUndefined();
      expect(f.request.url).toMatch(/\/items$/);
    },
  ],
  [
    "auth-ignored",
    ["GET /items ignored_auth", "POST /items ignored_auth", "GET /items/{id} ignored_auth"],
    (f) => {
      expect(header(f, "authorization")).toBeUndefined();
      expect(f.message).toContain("no credentials");
    },
  ],
  [
    "wrong-content-type",
    ["GET /items/{id} content_type_conformance"],
    (f) => {
      expect(f.message).toContain("text/plain");
    },
  ],
  [
    "missing-response-header",
    ["GET /items response_headers_conformance"],
    (f) => {
      expect(f.message).toContain("X-Total-Count");
      expect(f.request.url).toMatch(/\/items$/);
    },
  ],
  [
    "accepts-invalid-body",
    ["POST /items negative_data_rejection"],
    (f) => {
      expect(f.message).toMatch(/invalid request \(body: .+\) answered 201/);
    },
  ],
  [
    "rejects-valid-limit",
    ["GET /items positive_data_acceptance"],
    (f) => {
      expect(f.request.url).toMatch(/\/items\?limit=46$/);
    },
  ],
];

describe.each(DEFECTS)("defect %s", (defect, expected, shrunk) => {
  test("is reported by the right check only, shrunk, with a curl line free of credentials", async () => {
    const found = failures(await run(defect));
    expect(found.map((f) => `${f.operation} ${f.check}`).sort()).toEqual([...expected].sort());
    for (const f of found) {
      const text = JSON.stringify(f);
      expect(text).not.toContain(TOKEN);
      expect(f.curl).toMatch(/^curl -sS -X (GET|POST) '/);
      if (f.phase !== "auth") expect(f.curl).toContain(`'authorization: Bearer '"${PLACEHOLDER}"`);
      expect(f.seed).toEqual(expect.any(Number));
      expect(f.path).not.toBe("");
      shrunk(f);
    }
  });
});

test("a recorded failure replays while the defect is there, and passes once it is fixed", async () => {
  const [failure] = failures(await run("server-error"));
  expect(failure).toBeDefined();
  const again = await replayFailure(failure as Failure, spec, await sessionFor("server-error"));
  expect(again?.check).toBe("not_a_server_error");
  expect(again?.request.body).toBe(failure?.request.body);
  expect(await replayFailure(failure as Failure, spec, await sessionFor(undefined))).toBeUndefined();
});

test("an unreachable target fails not_a_server_error with the network error", async () => {
  const session = await sessionFor(undefined);
  await (servers.pop() as DefectServer).close(); // nothing listens there any more
  const result = await runProvider(spec, session, "live", { runs: 2, seed: 7 });
  const found = failures(result);
  expect(new Set(found.map((f) => f.check))).toEqual(new Set(["not_a_server_error"]));
  expect(found[0]?.message).toMatch(/^no response: /);
});
