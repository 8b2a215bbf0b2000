import { execFileSync } from "node:child_process";
import { describe, expect, test } from "vitest";
import type { Case } from "../src/cases/cases.js";
import { credentialVariable, prepareRequest, shellQuote } from "../src/exchange/http.js";
import { buildSpec } from "../src/spec/openapi.js";

const SECRET = "raw-secret-value-0123456789";

const spec = buildSpec(
  {
    openapi: "3.0.3",
    info: { title: "auth", version: "1" },
    components: {
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer" },
        basic: { type: "http", scheme: "basic" },
        appKey: { type: "apiKey", in: "header", name: "Authorization" },
        readKey: { type: "apiKey", in: "header", name: "x-api-key" },
        queryToken: { type: "apiKey", in: "query", name: "token" },
        session: { type: "apiKey", in: "cookie", name: "sid" },
      },
    },
    paths: Object.fromEntries(
      ["bearer", "basic", "appKey", "readKey", "queryToken", "session"].map((scheme) => [
        `/${scheme}/{id}`,
        {
          get: {
            security: [{ [scheme]: [] }],
            parameters: [
              { name: "id", in: "path", required: true, schema: { type: "string" } },
              {
                name: "tags",
                in: "query",
                schema: { type: "array", items: { type: "string" } },
                explode: false,
              },
            ],
            responses: { "200": { description: "ok" } },
          },
        },
      ]),
    ),
  },
  "auth-demo",
);

const request = (scheme: string, auth: Case["auth"] = "valid") => {
  const op = spec.operations.find((o) => o.path === `/${scheme}/{id}`);
  if (!op) throw new Error(scheme);
  const c: Case = {
    path: { id: "a b/c" },
    query: { tags: ["x", "y"] },
    headers: {},
    cookies: {},
    body: undefined,
    auth,
  };
  return prepareRequest(c, { spec, op, baseUrl: "http://127.0.0.1:9", source: { credential: () => SECRET } });
};

describe("credentials are placed per security scheme and redacted in what is shown", () => {
  const variable = (scheme: string) => `\${${credentialVariable("auth-demo", scheme)}}`;
  const headers = (scheme: string) => (request(scheme).init.headers ?? {}) as Record<string, string>;

  test.each([
    ["bearer", () => expect(headers("bearer").authorization).toBe(`Bearer ${SECRET}`)],
    [
      "basic",
      () =>
        expect(headers("basic").authorization).toBe(
          `Basic ${Buffer.from(`specyard:${SECRET}`).toString("base64")}`,
        ),
    ],
    ["appKey", () => expect(headers("appKey").authorization).toBe(`ApiKey ${SECRET}`)],
    ["readKey", () => expect(headers("readKey")["x-api-key"]).toBe(SECRET)],
    ["queryToken", () => expect(request("queryToken").url).toContain(`token=${SECRET}`)],
    ["session", () => expect(headers("session").cookie).toBe(`sid=${SECRET}`)],
  ])("%s", (scheme, placed) => {
    placed();
    const prepared = request(scheme);
    expect(prepared.url).toContain("/a%20b%2Fc?tags=x%2Cy");
    expect(JSON.stringify(prepared.shown) + prepared.curl).not.toContain(SECRET);
    expect(prepared.curl).toContain(variable(scheme));
  });

  test("no credentials, or wrong ones", () => {
    expect(request("bearer", "none").init.headers).not.toHaveProperty("authorization");
    expect((request("bearer", "bad").init.headers as Record<string, string>).authorization).toBe(
      "Bearer specyard-wrong-credential",
    );
  });
});

test("curl arguments survive a POSIX shell, placeholders expanded", () => {
  const placeholder = `\${SPECYARD_LIVE_X_Y}`;
  const tricky = `it's "quoted" $HOME \`cmd\` \\ ${placeholder}!`;
  const printed = execFileSync("sh", ["-c", `printf '%s' ${shellQuote(tricky)}`], {
    env: { PATH: process.env.PATH, SPECYARD_LIVE_X_Y: "value" },
    encoding: "utf8",
  });
  expect(printed).toBe(`it's "quoted" $HOME \`cmd\` \\ value!`);
});
