/**
 * CORS on every sandbox: preflights answered with the spec's methods for the path, the origin
 * echoed on every answer to an admitted origin (the framework's own 404, 405, 429 and admin
 * answers included), nothing for any other origin; PipedAI's credentialed CORS kept, never doubled.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ProviderName, type Sandbox, startSandbox } from "../src/index.js";

const PAGE = "http://localhost:5173";
const EVIL = "https://evil.example";

interface Case {
  provider: ProviderName;
  /** A path with more than one method, and what a preflight / 405 lists for it. */
  path: string;
  methods: string;
  /** A method the spec does not have on `path`. */
  wrong: string;
  /** A GET route (any answer: a 200 or the provider's 401). */
  read: string;
}

const CASES: Case[] = [
  {
    provider: "pipe-storage",
    path: "/api/s3/keys",
    methods: "GET, POST, OPTIONS",
    wrong: "PUT",
    read: "/api/credits/status",
  },
  {
    provider: "pipeagent",
    path: "/api/v1/provider/feed/create",
    methods: "POST, OPTIONS",
    wrong: "GET",
    read: "/v1/catalog",
  },
  {
    provider: "pipedai",
    path: "/api/v1/workspaces",
    methods: "GET, POST, OPTIONS",
    wrong: "DELETE",
    read: "/api/v1/auth/me",
  },
  {
    provider: "atelier",
    path: "/agents/me",
    methods: "GET, PATCH, OPTIONS",
    wrong: "DELETE",
    read: "/agents/me",
  },
  {
    provider: "pinata-agents",
    path: "/v0/agents",
    methods: "GET, POST, OPTIONS",
    wrong: "DELETE",
    read: "/v0/agents",
  },
];

const running: Sandbox[] = [];
const boxes = new Map<ProviderName, Sandbox>();
beforeAll(async () => {
  for (const { provider } of CASES) {
    const sandbox = await startSandbox(provider, { corsOrigins: ["https://App.example/"] });
    running.push(sandbox);
    boxes.set(provider, sandbox);
  }
});
afterAll(async () => {
  await Promise.all(running.map((sandbox) => sandbox.close()));
});

const box = (provider: ProviderName) => boxes.get(provider) as Sandbox;
const preflight = (url: string, origin: string, method = "POST") =>
  fetch(url, {
    method: "OPTIONS",
    headers: {
      origin,
      "access-control-request-method": method,
      "access-control-request-headers": "content-type, authorization, x-csrf-token",
    },
  });
const exposed = (response: Response) =>
  (response.headers.get("access-control-expose-headers") ?? "").toLowerCase().split(/,\s*/);

describe.each(CASES)("CORS on the $provider sandbox", ({ provider, path, methods, wrong, read }) => {
  it("answers a preflight from a loopback page with the path's methods and the asked headers", async () => {
    const answer = await preflight(`${box(provider).url}${path}`, PAGE);
    expect(answer.status).toBe(204);
    expect(answer.headers.get("access-control-allow-origin")).toBe(PAGE);
    expect(answer.headers.get("access-control-allow-methods")).toBe(methods);
    expect(answer.headers.get("access-control-allow-headers")).toBe(
      "content-type, authorization, x-csrf-token",
    );
    expect(Number(answer.headers.get("access-control-max-age"))).toBeGreaterThan(0);
    expect(answer.headers.get("vary")?.split(/,\s*/)).toContain("Origin");
    expect(await answer.text()).toBe("");
  });

  it("echoes the origin on actual answers and exposes the headers clients read", async () => {
    const answer = await fetch(`${box(provider).url}${read}`, { headers: { origin: PAGE } });
    expect(answer.headers.get("access-control-allow-origin")).toBe(PAGE);
    for (const name of [
      "retry-after",
      "x-ratelimit-remaining",
      "x-ratelimit-reset",
      "location",
      "x-request-id",
    ])
      expect(exposed(answer)).toContain(name);
    // Other loopback spellings and the configured origin (written with a capital and a slash) too.
    for (const origin of ["http://127.0.0.1:8080", "http://[::1]:3000", "https://app.example"]) {
      const other = await fetch(`${box(provider).url}${read}`, { headers: { origin } });
      expect(other.headers.get("access-control-allow-origin")).toBe(origin);
    }
  });

  it("gives an origin it does not admit no CORS headers, preflight or not", async () => {
    const refused = await preflight(`${box(provider).url}${path}`, EVIL);
    expect(refused.headers.get("access-control-allow-origin")).toBeNull();
    expect(refused.headers.get("access-control-allow-methods")).toBeNull();
    const actual = await fetch(`${box(provider).url}${read}`, { headers: { origin: EVIL } });
    expect(actual.headers.get("access-control-allow-origin")).toBeNull();
    expect(actual.headers.get("access-control-expose-headers")).toBeNull();
    // Look-alikes of loopback are other origins.
    for (const origin of [
      "http://localhost.evil.example",
      "https://localhost:5173",
      "http://127.0.0.1.nip.io",
    ]) {
      const lookalike = await fetch(`${box(provider).url}${read}`, { headers: { origin } });
      expect(lookalike.headers.get("access-control-allow-origin")).toBeNull();
    }
  });

  it("puts the headers on the framework's own 404, 405 (with Allow), 429 and admin answers", async () => {
    const { url } = box(provider);
    const missing = await fetch(`${url}/no/such/route`, { headers: { origin: PAGE } });
    expect(missing.status).toBe(404);
    expect(missing.headers.get("access-control-allow-origin")).toBe(PAGE);

    const notAllowed = await fetch(`${url}${path}`, { method: wrong, headers: { origin: PAGE } });
    expect(notAllowed.status).toBe(405);
    expect(notAllowed.headers.get("allow")).toBe(methods);
    expect(notAllowed.headers.get("access-control-allow-origin")).toBe(PAGE);
    expect(exposed(notAllowed)).toContain("allow");

    box(provider).admin.setFaults([
      { route: "*", sequence: [{ kind: "rate-limit", hint: "retry-after", ms: 2000 }] },
    ]);
    // PipeAgent checks keys in a route of its own, before faults apply: it gets its read key.
    const key: Record<string, string> =
      provider === "pipeagent"
        ? { "x-api-key": ((await box(provider).admin.act("keys")) as { readKey: string }).readKey }
        : {};
    const limited = await fetch(`${url}${read}`, { headers: { origin: PAGE, ...key } });
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("2");
    expect(limited.headers.get("access-control-allow-origin")).toBe(PAGE);
    expect(exposed(limited)).toContain("retry-after");

    const stats = await fetch(`${url}/__sandbox/stats`, { headers: { origin: PAGE } });
    expect(stats.status).toBe(200);
    expect(stats.headers.get("access-control-allow-origin")).toBe(PAGE);
    const adminPreflight = await preflight(`${url}/__sandbox/faults`, PAGE, "PUT");
    expect(adminPreflight.status).toBe(204);
    expect(adminPreflight.headers.get("access-control-allow-methods")).toBe("GET, PUT, OPTIONS");
  });
});

describe("CORS options", () => {
  it("admits any origin with *, echoing it rather than answering a bare *", async () => {
    const sandbox = await startSandbox("pipeagent", { corsOrigins: ["*"] });
    try {
      const answer = await fetch(`${sandbox.url}/v1/catalog`, { headers: { origin: EVIL } });
      expect(answer.headers.get("access-control-allow-origin")).toBe(EVIL);
      const without = await fetch(`${sandbox.url}/v1/catalog`);
      expect(without.headers.get("access-control-allow-origin")).toBeNull();
    } finally {
      await sandbox.close();
    }
  });

  it("admits only loopback origins by default", async () => {
    const sandbox = await startSandbox("atelier");
    try {
      const answer = await fetch(`${sandbox.url}/agents/me`, { headers: { origin: "https://app.example" } });
      expect(answer.headers.get("access-control-allow-origin")).toBeNull();
      const local = await fetch(`${sandbox.url}/agents/me`, { headers: { origin: "http://localhost" } });
      expect(local.headers.get("access-control-allow-origin")).toBe("http://localhost");
    } finally {
      await sandbox.close();
    }
  });
});

describe("PipedAI's credentialed CORS beside the framework's", () => {
  const pipedai = () => box("pipedai");

  it("is credentialed for every admitted origin, its dashboard origins included, with each header once", async () => {
    await fetch(`${pipedai().url}/__sandbox/actions/setAllowedOrigins`, {
      method: "POST",
      body: JSON.stringify({ origins: ["https://dash.example"] }),
    });
    for (const origin of [PAGE, "https://dash.example", "https://app.example"]) {
      const answer = await fetch(`${pipedai().url}/api/v1/auth/me`, { headers: { origin } });
      expect(answer.status).toBe(401);
      expect(answer.headers.get("access-control-allow-origin")).toBe(origin);
      expect(answer.headers.get("access-control-allow-credentials")).toBe("true");
      expect(answer.headers.get("vary")).toBe("Origin");
      expect(exposed(answer)).toContain("retry-after");

      const pre = await preflight(`${pipedai().url}/api/v1/workspaces`, origin);
      expect(pre.status).toBe(204);
      expect(pre.headers.get("access-control-allow-origin")).toBe(origin);
      expect(pre.headers.get("access-control-allow-credentials")).toBe("true");
      expect(pre.headers.get("access-control-allow-methods")).toContain("POST");
    }
    const refused = await preflight(`${pipedai().url}/api/v1/workspaces`, EVIL);
    expect(refused.status).toBe(403); // PipedAI's own answer to an origin nobody admits
    expect(refused.headers.get("access-control-allow-origin")).toBeNull();
    expect(refused.headers.get("access-control-allow-credentials")).toBeNull();
  });
});
