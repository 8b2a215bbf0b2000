import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { run } from "../src/fetch-specs.js";
import { curatedSpec, tempRoot } from "./fixtures.js";

/** The upstream differs from the curated spec in known ways. */
function upstreamSpec() {
  const doc = curatedSpec();
  delete doc.paths["/feeds/{id}"]; // an operation only the curated spec has
  doc.paths["/feeds/{feedId}/push"] = { post: { responses: { "200": { description: "ok" } } } }; // only upstream
  doc.components.schemas.Feed.properties.price = { type: "string" }; // a type that differs
  doc.components.schemas.Feed.properties.owner.properties.handle = { type: "string" }; // a nested field only upstream
  delete doc.paths["/feeds"].get.parameters; // a parameter only the curated spec has
  return doc;
}

let server: Server;
let base: string;
const bodies: Record<string, { status: number; body: string }> = {
  "/openapi.yaml": { status: 200, body: stringify(upstreamSpec()) },
  "/same.yaml": { status: 200, body: stringify(curatedSpec()) },
  "/not-openapi.yaml": { status: 200, body: "hello: world\n" },
  "/broken.yaml": { status: 200, body: "openapi: [unclosed\n" },
  "/missing.yaml": { status: 404, body: "no" },
};

beforeAll(async () => {
  server = createServer((req, res) => {
    const entry = bodies[req.url ?? ""] ?? { status: 404, body: "" };
    res.writeHead(entry.status, { "content-type": "application/yaml" }).end(entry.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** A loopback port that nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, log: (l: string) => out.push(l), error: (l: string) => err.push(l) };
}

const digest = (root: string) =>
  createHash("sha256")
    .update(readFileSync(join(root, "specs/demo/openapi.yaml")))
    .update(readFileSync(join(root, "specs/demo/source.json")))
    .digest("hex");

describe("fetch-specs", () => {
  it("reports every operation and field that differs, and nothing else", async () => {
    const root = tempRoot(curatedSpec(), `${base}/openapi.yaml`);
    const io = capture();
    const { code, drifts } = await run({ root, ...io });
    expect(code).toBe(0);
    const [drift] = drifts;
    expect(drift?.onlyUpstream).toEqual(["POST /feeds/{}/push"]);
    expect(drift?.onlyCurated).toEqual(["DELETE /feeds/{}"]);
    expect(Object.fromEntries(drift?.fieldChanges ?? [])).toEqual({
      "GET /feeds": [
        "+ response 200(application/json).items[].owner.handle: string",
        "- query.limit: integer",
        "~ response 200(application/json).items[].price: number → string",
      ],
      "POST /feeds": [
        "+ response 201(application/json).owner.handle: string",
        "~ response 201(application/json).price: number → string",
      ],
    });
    expect(io.out.join("\n")).toContain("+ operation POST /feeds/{}/push (upstream only)");
  });

  it("says so when the upstream matches", async () => {
    const root = tempRoot(curatedSpec(), `${base}/same.yaml`);
    const io = capture();
    const { code } = await run({ root, ...io });
    expect(code).toBe(0);
    expect(io.out.join("\n")).toContain("no differences");
  });

  it.each([
    [
      "an unreachable host",
      "closed",
      /demo: cannot fetch http:\/\/127\.0\.0\.1:\d+\/openapi\.yaml: ECONNREFUSED/,
    ],
    ["an HTTP error", "/missing.yaml", /demo: cannot fetch .*: HTTP 404/],
    [
      "a document that is not OpenAPI",
      "/not-openapi.yaml",
      /demo: invalid document at .*not an OpenAPI 3 document/,
    ],
    ["a document that does not parse", "/broken.yaml", /demo: invalid document at .*not yaml/],
  ])("turns %s into one clear line and leaves the curated files untouched", async (_, path, message) => {
    const url = path === "closed" ? `http://127.0.0.1:${await closedPort()}/openapi.yaml` : `${base}${path}`;
    const root = tempRoot(curatedSpec(), url);
    const before = digest(root);
    const io = capture();
    const { code } = await run({ root, ...io });
    expect(code).toBe(2);
    expect(io.err).toHaveLength(1);
    expect(io.err[0]).toMatch(message);
    expect(io.err[0]).not.toContain("\n");
    expect(digest(root)).toBe(before);
  });

  it("skips providers that publish no spec", async () => {
    const root = tempRoot(curatedSpec(), null);
    const io = capture();
    const { code, drifts } = await run({ root, ...io });
    expect(code).toBe(0);
    expect(drifts).toEqual([]);
    expect(io.out.join("\n")).toContain("no published spec");
  });
});
