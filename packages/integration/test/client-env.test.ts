/**
 * Every client reads its base URL and credentials from its documented variables when the options
 * are left out, refuses an operation whose credential is missing or blank with an error naming the
 * option and the variable, and says who it is in `User-Agent`.
 */
import { readFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createAtelierClient } from "@specyard/atelier";
import { MissingCredentialError } from "@specyard/http";
import { createPinataAgentsClient } from "@specyard/pinata-agents";
import { createPipeStorageClient } from "@specyard/pipe-storage";
import { createPipeAgentClient } from "@specyard/pipeagent";
import { createPipedAIClient } from "@specyard/pipedai";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";

/** A loopback server that answers `{}` and records what it was sent. */
const server = { url: "", requests: [] as Array<{ headers: IncomingHttpHeaders }> };
let http: Server;
beforeAll(async () => {
  http = createServer((req, res) => {
    server.requests.push({ headers: req.headers });
    res.writeHead(200, { "content-type": "application/json" }).end("{}");
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  server.url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});
afterEach(() => {
  server.requests.length = 0;
  vi.unstubAllEnvs();
});
afterAll(() => new Promise<void>((resolve) => http.close(() => resolve())));

const versionOf = (pkg: string) =>
  (
    JSON.parse(readFileSync(new URL(`../../${pkg}/package.json`, import.meta.url), "utf8")) as {
      version: string;
    }
  ).version;

interface Case {
  pkg: string;
  baseVariable: string;
  variable: string;
  option: string;
  value: string;
  /** One secured call, made with a client built from the given options (or none). */
  call(options?: Record<string, unknown>): Promise<unknown>;
  /** Where the credential arrives. */
  header: [string, (value: string) => string];
}

const cases: Case[] = [
  {
    pkg: "pipe-storage",
    baseVariable: "PIPE_BASE_URL",
    variable: "PIPE_APP_KEY",
    option: "appKey",
    value: "app-key-123",
    call: (o) => createPipeStorageClient(o).GET("/api/credits/status"),
    header: ["authorization", (v) => `ApiKey ${v}`],
  },
  {
    pkg: "pipeagent",
    baseVariable: "PIPEAGENT_BASE_URL",
    variable: "PIPEAGENT_READ_KEY",
    option: "readKey",
    value: "read-key-123",
    call: (o) => createPipeAgentClient(o).GET("/v1/catalog"),
    header: ["x-api-key", (v) => v],
  },
  {
    pkg: "pipeagent",
    baseVariable: "PIPEAGENT_BASE_URL",
    variable: "PIPEAGENT_WRITE_KEY",
    option: "writeKey",
    value: "write-key-123",
    call: (o) =>
      createPipeAgentClient(o).PATCH("/api/v1/provider/feed/{feed_id}/edit", {
        params: { path: { feed_id: "3f0c1b8e-8f43-4d55-9a43-0c4a9f2f7a10" } },
        body: { description: "x" },
      }),
    header: ["authorization", (v) => `Bearer ${v}`],
  },
  {
    pkg: "pipedai",
    baseVariable: "PIPEDAI_BASE_URL",
    variable: "PIPEDAI_API_KEY",
    option: "apiKey",
    value: "pwk_123",
    call: (o) => createPipedAIClient(o).GET("/api/v1/workspaces"),
    header: ["authorization", (v) => `Bearer ${v}`],
  },
  {
    pkg: "atelier",
    baseVariable: "ATELIER_BASE_URL",
    variable: "ATELIER_API_KEY",
    option: "apiKey",
    value: "atelier_abc",
    call: (o) => createAtelierClient(o).GET("/agents/me"),
    header: ["authorization", (v) => `Bearer ${v}`],
  },
  {
    pkg: "pinata-agents",
    baseVariable: "PINATA_BASE_URL",
    variable: "PINATA_JWT",
    option: "jwt",
    value: "jwt.abc.def",
    call: (o) => createPinataAgentsClient(o).GET("/v0/agents"),
    header: ["authorization", (v) => `Bearer ${v}`],
  },
];

describe.each(cases)("$pkg: $option / $variable", (c) => {
  it("with no options, reads the base URL and the credential from the environment", async () => {
    vi.stubEnv(c.baseVariable, server.url);
    vi.stubEnv(c.variable, c.value);
    await c.call();
    const [name, expected] = c.header;
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]?.headers[name]).toBe(expected(c.value));
    expect(server.requests[0]?.headers["user-agent"]).toBe(`specyard-${c.pkg}/${versionOf(c.pkg)}`);
  });

  it("an option wins over its variable", async () => {
    vi.stubEnv(c.variable, c.value);
    await c.call({ baseUrl: server.url, [c.option]: `${c.value}-option` });
    expect(server.requests[0]?.headers[c.header[0]]).toBe(c.header[1](`${c.value}-option`));
  });

  it.each([
    ["left out", undefined],
    ["blank", ""],
  ])(
    "a credential %s (and no variable) is a MissingCredentialError naming option and variable",
    async (_, value) => {
      vi.stubEnv(c.variable, "");
      const thrown = await c.call({ baseUrl: server.url, [c.option]: value }).catch((e: unknown) => e);
      expect(thrown).toBeInstanceOf(MissingCredentialError);
      const error = thrown as MissingCredentialError;
      expect(error.options.flat()).toContain(c.option);
      expect(error.variables.flat()).toContain(c.variable);
      expect(error.message).toContain(`${c.option} (or ${c.variable})`);
      expect(server.requests).toHaveLength(0);
    },
  );
});

describe("a credential you pass turns the environment off for the others", () => {
  it("pipedai: an authToken alone sends no PIPEDAI_API_KEY from the environment", async () => {
    vi.stubEnv("PIPEDAI_API_KEY", "pwk_from_env");
    await createPipedAIClient({ baseUrl: server.url, authToken: "session" }).GET("/api/v1/workspaces");
    expect(server.requests[0]?.headers.authorization).toBeUndefined();
    expect(server.requests[0]?.headers.cookie).toBe("auth_token=session");
  });

  it("pinata: a gateway token alone sends no PINATA_JWT from the environment", async () => {
    vi.stubEnv("PINATA_JWT", "jwt-from-env");
    await createPinataAgentsClient({ baseUrl: server.url, gatewayToken: "gw" }).GET("/v0/agents/{agentId}", {
      params: { path: { agentId: "a1" } },
    });
    expect(server.requests[0]?.headers.authorization).toBe("Bearer gw");
  });

  it("pipeagent: a write key alone leaves the read key unset, so a read is refused locally", async () => {
    vi.stubEnv("PIPEAGENT_READ_KEY", "read-from-env");
    const client = createPipeAgentClient({ baseUrl: server.url, writeKey: "write" });
    await expect(client.GET("/v1/catalog")).rejects.toBeInstanceOf(MissingCredentialError);
    expect(server.requests).toHaveLength(0);
  });
});
