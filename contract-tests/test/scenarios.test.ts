/**
 * The documents' stateful scenarios against the real sandboxes: all pass, and a planted defect (a
 * proxy in front of the PipeAgent sandbox that drops the last row of every feed read) fails the
 * scenario at its read-back step, with a redacted curl and the response.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { specPath } from "@specyard/testkit";
import { afterEach, expect, test } from "vitest";
import { htmlReport, junitXml, terminalReport } from "../src/report/report.js";
import { runScenario, type ScenarioSession } from "../src/run/scenario.js";
import { SCENARIOS } from "../src/run/scenarios/index.js";
import { readSpec } from "../src/spec/openapi.js";
import { sandboxTarget } from "../src/targets/sandbox.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of cleanups.splice(0).reverse()) await close();
});

async function sandboxSession(provider: string): Promise<ScenarioSession> {
  const session = await sandboxTarget().open(provider);
  cleanups.push(() => session.close());
  return session;
}

const scenarioOf = (provider: string) => {
  const found = SCENARIOS.find((s) => s.provider === provider);
  if (!found) throw new Error(`no scenario for ${provider}`);
  return found;
};

test.each(SCENARIOS.map((s) => [s.provider, s.name]))(
  "%s: scenario %s passes on its sandbox",
  async (provider) => {
    const result = await runScenario(
      scenarioOf(provider),
      readSpec(specPath(provider), provider),
      await sandboxSession(provider),
      "sandbox",
    );
    expect(result.failure).toBeUndefined();
    expect(result.status).toBe("pass");
  },
);

/** A proxy to `upstream` that drops the last row of every `GET /v1/feed/{id}` answer with a `data` list. */
async function droppingProxy(upstream: string): Promise<string> {
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers = Object.fromEntries(
      Object.entries(req.headers).filter(
        ([k, v]) => typeof v === "string" && !["host", "content-length"].includes(k),
      ),
    ) as Record<string, string>;
    const answer = await fetch(upstream + (req.url ?? "/"), {
      method: req.method,
      headers,
      body: chunks.length ? Buffer.concat(chunks) : undefined,
    });
    let body = await answer.text();
    if (req.method === "GET" && /^\/v1\/feed\/[^/]+$/.test(new URL(req.url ?? "/", upstream).pathname)) {
      const json = JSON.parse(body) as { data?: unknown[] };
      if (Array.isArray(json.data) && json.data.length > 1) {
        json.data.pop();
        body = JSON.stringify(json);
      }
    }
    res.writeHead(answer.status, {
      "content-type": answer.headers.get("content-type") ?? "application/json",
    });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => new Promise((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

test("a provider that drops a pushed row fails the PipeAgent scenario at its read-back step", async () => {
  const session = await sandboxSession("pipeagent");
  const proxied: ScenarioSession = { ...session, baseUrl: await droppingProxy(session.baseUrl) };
  const result = await runScenario(
    scenarioOf("pipeagent"),
    readSpec(specPath("pipeagent"), "pipeagent"),
    proxied,
    "sandbox",
  );
  expect(result.status).toBe("fail");
  expect(result.failure?.step).toBe("read back exactly what was pushed");
  expect(result.failure?.message).toContain("collection reads");
  expect(result.failure?.response?.status).toBe(200);
  const readKey = session.credential("ReadKeyHeader") as string;
  expect(result.failure?.curl).toMatch(/\$\{SPECYARD_LIVE_PIPEAGENT_READ_KEY_HEADER\}/);
  expect(result.failure?.curl).not.toContain(readKey);
  // Every report shows the row and the failing step.
  const text = terminalReport([], "out", "pnpm contract", [result]);
  expect(text).toContain("scenario: create feed → push each type → read back");
  expect(text).toContain("step: read back exactly what was pushed");
  expect(junitXml([], "pnpm contract", [result])).toContain('<failure type="scenario"');
  const html = htmlReport([], { seed: 1, runs: 1, startedAt: "now" }, "pnpm contract", [result]);
  expect(html).toContain("step: read back exactly what was pushed");
  expect(`${text}${html}`).not.toContain(readKey);
});

test("a scenario that needs the other party is n/a where there is no sandbox admin surface", async () => {
  const { adminUrl: _, ...live } = await sandboxSession("atelier");
  const result = await runScenario(
    scenarioOf("atelier"),
    readSpec(specPath("atelier"), "atelier"),
    live,
    "live",
  );
  expect(result.status).toBe("n/a");
  expect(result.reason).toContain("sandbox only");
});

test("a scenario without its credentials on the target is n/a, naming the variables to set", async () => {
  const session = await sandboxSession("pipedai");
  const bare: ScenarioSession = { ...session, credential: () => undefined };
  const result = await runScenario(
    scenarioOf("pipedai"),
    readSpec(specPath("pipedai"), "pipedai"),
    bare,
    "live",
  );
  expect(result.status).toBe("n/a");
  expect(result.reason).toBe("no credentials: set SPECYARD_LIVE_PIPEDAI_AUTH_TOKEN_COOKIE");
});
