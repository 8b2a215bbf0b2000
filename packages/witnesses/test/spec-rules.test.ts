/**
 * Rules the documents state that a JSON Schema can state must be in the specs, so that tools which
 * read only the spec (validators, generators, mocks) refuse what the API refuses. Checked with a
 * stock JSON Schema validator (Ajv) reading the committed specs, and against the sandboxes.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const SPECS = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "specs");
const load = (provider: string) =>
  parse(readFileSync(join(SPECS, provider, "openapi.yaml"), "utf8")) as Record<string, unknown>;

/** Every `pattern` keyword in a document, with where it is. */
function patterns(node: unknown, at = "#"): Array<{ at: string; pattern: string }> {
  if (Array.isArray(node)) return node.flatMap((item, i) => patterns(item, `${at}/${i}`));
  if (typeof node !== "object" || node === null) return [];
  return Object.entries(node).flatMap(([key, value]) => [
    ...(key === "pattern" && typeof value === "string" ? [{ at, pattern: value }] : []),
    ...patterns(value, `${at}/${key}`),
  ]);
}

describe("spec patterns read the same in every regex dialect", () => {
  it.each(readdirSync(SPECS))(
    "%s has no \\d, \\w or \\s (Unicode classes in ECMA-262 u-mode, Python, .NET…)",
    (provider) => {
      const found = patterns(load(provider)).filter(({ pattern }) => /\\[dDwWsS]/.test(pattern));
      expect(found).toEqual([]);
    },
  );
});

describe("Pinata port forwarding and domain rules are in the schemas", () => {
  const doc = load("pinata-agents");
  const ajv = new Ajv({ strict: false, validateFormats: false, validateSchema: false });
  ajv.addSchema(doc, "pinata");
  const validator = (name: string) => ajv.compile({ $ref: `pinata#/components/schemas/${name}` });

  it("PortForwardRoute: ports 1025–65535 except 18789; unreserved paths of letters, digits, - and _", () => {
    const route = validator("PortForwardRoute");
    for (const port of [1025, 5173, 18788, 18790, 65535])
      expect(route({ port, path: "/app" }), `port ${port}`).toBe(true);
    for (const port of [1, 80, 1024, 18789, 65536])
      expect(route({ port, path: "/app" }), `port ${port}`).toBe(false);
    for (const path of ["/", "/app", "/my-app_2", "/api/v2", "/v0x", "/chatty"])
      expect(route({ port: 8080, path }), path).toBe(true);
    // Other characters, and the reserved prefixes /v0, /chat and /config.
    for (const path of [
      "app",
      "/a.b",
      "/with space",
      "/é",
      "/a//b",
      "/app/",
      "/%2e",
      "/v0",
      "/chat/x",
      "/config",
    ])
      expect(route({ port: 8080, path }), path).toBe(false);
  });

  it("PortForwarding holds at most 10 routes", () => {
    const forwarding = validator("PortForwarding");
    const routes = (n: number) => Array.from({ length: n }, (_, i) => ({ port: 3000 + i, path: `/r${i}` }));
    expect(forwarding({ routes: routes(10) })).toBe(true);
    expect(forwarding({ routes: routes(11) })).toBe(false);
  });

  it("domain requests: the same port rule", () => {
    const register = validator("RegisterDomainRequest");
    const update = validator("UpdateDomainRequest");
    expect(register({ port: 3000, subdomain: "my-app" })).toBe(true);
    expect(update({ port: 3000 })).toBe(true);
    for (const port of [80, 1024, 18789]) {
      expect(register({ port, subdomain: "my-app" }), `port ${port}`).toBe(false);
      expect(update({ port }), `port ${port}`).toBe(false);
    }
  });
});
