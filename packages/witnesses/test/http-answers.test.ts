/**
 * How every sandbox answers requests that go wrong, as the documents and HTTP say: credentials are
 * checked before the body (401, not 400), a wrong method is 405 with an `Allow` header, and a malformed
 * request — bad JSON, or HTTP framing fetch would never send — is answered in the provider's error shape.
 */
import { type ProviderName, type Sandbox, startSandbox } from "@specyard/sandbox";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, jsonBody, parseRawAnswer, rawHttp } from "./support.js";

interface Case {
  provider: ProviderName;
  /** Does a parsed body have the provider's documented error shape? */
  errorShape: (body: unknown) => boolean;
  /** A route that needs credentials, and a body its schema refuses. */
  authed: { method: string; path: string; body: unknown };
  /** A route and a method it does not take, with the methods it does. */
  wrongMethod: { method: string; path: string; allowed: string[] };
  /** A route that reads JSON, with whatever credentials it needs. */
  json: { path: string; headers?: (sandbox: Sandbox) => Promise<Record<string, string>> };
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
// Pipe: `{ "error": "…" }` or `{ "message": "…", "details": … }`.
const pipeShape = (body: unknown) =>
  isRecord(body) && (typeof body.error === "string" || typeof body.message === "string");
// PipeAgent and PipedAI: `{ error: string }`, PipedAI's Zod failures with `details`.
const errorString = (body: unknown) => isRecord(body) && typeof body.error === "string";
// Atelier: `{ "success": false, "error": "…" }`.
const atelierShape = (body: unknown) =>
  isRecord(body) && body.success === false && typeof body.error === "string";
// Pinata: "Errors return JSON with a single `error` field".
const pinataShape = (body: unknown) =>
  isRecord(body) && typeof body.error === "string" && Object.keys(body).length === 1;

const CASES: Case[] = [
  {
    provider: "pipe-storage",
    errorShape: pipeShape,
    authed: { method: "POST", path: "/api/s3/keys", body: { key_name: 7 } },
    wrongMethod: { method: "PUT", path: "/auth/refresh", allowed: ["POST"] },
    json: { path: "/auth/siws/challenge" },
  },
  {
    provider: "pipeagent",
    errorShape: errorString,
    authed: { method: "POST", path: "/api/v1/provider/feed/create", body: { name: 7 } },
    wrongMethod: { method: "DELETE", path: "/api/v1/provider/feed/create", allowed: ["POST"] },
    json: {
      path: "/api/v1/provider/feed/create",
      headers: async (sandbox) => {
        const { writeKey } = (await sandbox.admin.act("keys")) as { writeKey: string };
        return { Authorization: `Bearer ${writeKey}` };
      },
    },
  },
  {
    provider: "pipedai",
    errorShape: errorString,
    authed: { method: "POST", path: "/api/v1/workspaces", body: { name: 7 } },
    wrongMethod: { method: "PUT", path: "/api/v1/auth/login", allowed: ["POST"] },
    json: { path: "/api/v1/auth/login" },
  },
  {
    provider: "atelier",
    errorShape: atelierShape,
    authed: { method: "PATCH", path: "/agents/me", body: { name: 7 } },
    wrongMethod: { method: "PUT", path: "/agents/register", allowed: ["POST"] },
    json: { path: "/agents/register" },
  },
  {
    provider: "pinata-agents",
    errorShape: pinataShape,
    authed: { method: "POST", path: "/v0/agents", body: { name: 7 } },
    wrongMethod: { method: "PATCH", path: "/v0/agents", allowed: ["GET", "POST"] },
    json: {
      path: "/v0/agents",
      headers: async (sandbox) => {
        const { jwt } = (await sandbox.admin.act("jwt")) as { jwt: string };
        return { Authorization: `Bearer ${jwt}` };
      },
    },
  },
];

describe.each(CASES)("$provider sandbox", (c) => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox(c.provider);
  });
  afterAll(() => sandbox?.close());

  it("checks credentials before the body: no credentials and an invalid body is 401", async () => {
    const answer = await call(`${sandbox.url}${c.authed.path}`, {
      method: c.authed.method,
      ...jsonBody(c.authed.body),
    });
    expect(answer.status, answer.text).toBe(401);
    expect(c.errorShape(answer.json), answer.text).toBe(true);
  });

  it("answers a wrong method with 405 and an Allow header naming the route's methods", async () => {
    const answer = await call(`${sandbox.url}${c.wrongMethod.path}`, { method: c.wrongMethod.method });
    expect(answer.status).toBe(405);
    const allow = (answer.headers.get("allow") ?? "").split(",").map((method) => method.trim().toUpperCase());
    for (const method of c.wrongMethod.allowed) expect(allow, `Allow: ${allow.join(", ")}`).toContain(method);
    expect(allow).not.toContain(c.wrongMethod.method);
    expect(c.errorShape(answer.json), answer.text).toBe(true);
  });

  it("answers a body that is not JSON with 400 in the provider's error shape", async () => {
    const headers = { ...(await c.json.headers?.(sandbox)), "Content-Type": "application/json" };
    const answer = await call(`${sandbox.url}${c.json.path}`, { method: "POST", headers, body: "{not json" });
    expect(answer.status, answer.text).toBe(400);
    expect(c.errorShape(answer.json), answer.text).toBe(true);
  });

  it("answers malformed HTTP (a Content-Length that is not a number) with 400 in the provider's error shape", async () => {
    const raw = await rawHttp(
      sandbox.url,
      `POST ${c.json.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ten\r\nConnection: close\r\n\r\n{}`,
    );
    const answer = parseRawAnswer(raw);
    expect(answer.status, raw).toBe(400);
    expect(answer.headers["content-type"] ?? "", raw).toContain("json");
    let body: unknown;
    try {
      body = JSON.parse(answer.body);
    } catch {
      body = undefined;
    }
    expect(c.errorShape(body), raw).toBe(true);
  });
});
