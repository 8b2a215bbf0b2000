/**
 * The Pinata Agents sandbox through the generated client: every documented flow and error, with
 * each answer's body checked against the spec's response schema for its status.
 */
import { type AgentDetail, cursorPages, type PinataAgentsClient, unwrap } from "@specyard/pinata-agents";
import { responseValidator } from "@specyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runSandbox, type Sandbox } from "../src/framework/server.js";
import {
  MAX_FILE_BYTES,
  type PinataState,
  pinataAgents,
  RATE_LIMITS,
  sandboxFetch,
} from "../src/providers/pinata-agents/index.js";
import { createPinataAgentsClient } from "./clients.js";

const conforms = responseValidator("pinata-agents");

type Result = { response: Response; data?: unknown; error?: unknown };

/** Awaits a call, checks its status and that its JSON body matches the spec; returns the body. */
async function expectStatus<T = Record<string, unknown>>(
  path: string,
  method: string,
  call: Promise<Result>,
  status: number,
): Promise<T> {
  const result = await call;
  const body = result.response.ok ? result.data : result.error;
  expect(result.response.status, `${method} ${path}: ${JSON.stringify(body)}`).toBe(status);
  expect(conforms(path, method, status, body), `${method} ${path} ${status} body`).toBeNull();
  return body as T;
}

let sandbox: Sandbox<PinataState>;
let jwt: string;
let pinata: PinataAgentsClient;

beforeAll(async () => {
  sandbox = await runSandbox(pinataAgents, { seed: "pinata-tests" });
  jwt = ((await sandbox.admin.act("jwt")) as { jwt: string }).jwt;
  await sandbox.admin.act("setAgentLimit", { agentLimit: 1000 });
  pinata = createPinataAgentsClient({ baseUrl: sandbox.url, jwt, maxRetries: 0 });
});
afterAll(() => sandbox?.close());

interface AgentInfo {
  agentId: string;
  gatewayToken: string;
}

let counter = 0;
async function newAgent(body: Record<string, unknown> = {}, client = pinata): Promise<AgentInfo> {
  counter++;
  const created = await expectStatus<{ agent: AgentInfo }>(
    "/v0/agents",
    "post",
    client.POST("/v0/agents", { body: { name: `Agent ${counter}`, ...body } as never }),
    201,
  );
  return created.agent;
}

const path = (agentId: string) => ({ params: { path: { agentId } } });

/** A client for one agent's own host, with the gateway token in one of its three transports. */
const agentClient = (agent: AgentInfo, transport: "bearer" | "query" | "cookie" = "bearer") =>
  createPinataAgentsClient({
    agentId: agent.agentId,
    gatewayToken: agent.gatewayToken,
    gatewayTokenAs: transport,
    fetch: sandboxFetch(sandbox.url),
    maxRetries: 0,
  });

describe("Pinata Agents sandbox: credentials and hosts", () => {
  it("needs the Pinata JWT on the management routes", async () => {
    const anonymous = createPinataAgentsClient({ baseUrl: sandbox.url, maxRetries: 0 });
    const none = await expectStatus<{ error: string }>("/v0/agents", "get", anonymous.GET("/v0/agents"), 401);
    expect(none.error).toBe("Unauthorized");
    const forged = createPinataAgentsClient({
      baseUrl: sandbox.url,
      jwt: `${jwt.slice(0, -4)}AAAA`,
      maxRetries: 0,
    });
    await expectStatus("/v0/agents", "get", forged.GET("/v0/agents"), 401);
    const agent = await newAgent();
    const byToken = createPinataAgentsClient({
      baseUrl: sandbox.url,
      gatewayToken: agent.gatewayToken,
      maxRetries: 0,
    });
    await expectStatus("/v0/secrets", "get", byToken.GET("/v0/secrets"), 401);
    await expectStatus(
      "/v0/agents/{agentId}/gateway-token",
      "get",
      byToken.GET("/v0/agents/{agentId}/gateway-token", path(agent.agentId)),
      401,
    );
  });

  it("refuses an expired JWT", async () => {
    const short = ((await sandbox.admin.act("jwt", { expiresInSeconds: 60 })) as { jwt: string }).jwt;
    const client = createPinataAgentsClient({ baseUrl: sandbox.url, jwt: short, maxRetries: 0 });
    await expectStatus("/v0/agents/engines", "get", client.GET("/v0/agents/engines"), 200);
    sandbox.admin.clock.advance(61_000);
    await expectStatus("/v0/agents/engines", "get", client.GET("/v0/agents/engines"), 401);
  });

  it("serves agent routes on the agent's own host with the token as Bearer, ?token= or gw_token cookie", async () => {
    const agent = await newAgent();
    for (const transport of ["bearer", "query", "cookie"] as const) {
      const own = agentClient(agent, transport);
      const detail = await expectStatus<{ agent: AgentInfo }>(
        "/v0/agents/{agentId}",
        "get",
        own.GET("/v0/agents/{agentId}", path(agent.agentId)),
        200,
      );
      expect(detail.agent.agentId).toBe(agent.agentId);
      const ran = await expectStatus<{ stdout: string }>(
        "/v0/agents/{agentId}/console/exec",
        "post",
        own.POST("/v0/agents/{agentId}/console/exec", { ...path(agent.agentId), body: { command: "pwd" } }),
        200,
      );
      expect(ran.stdout).toBe("/home/node/clawd\n");
      const wrong = createPinataAgentsClient({
        agentId: agent.agentId,
        gatewayToken: "gwt_not-the-token",
        gatewayTokenAs: transport,
        fetch: sandboxFetch(sandbox.url),
        maxRetries: 0,
      });
      const refused = await expectStatus<{ error: string }>(
        "/v0/agents/{agentId}",
        "get",
        wrong.GET("/v0/agents/{agentId}", path(agent.agentId)),
        401,
      );
      expect(refused.error).not.toContain("gwt_");
    }
  });

  it("takes the gateway token on the management host too, in all three transports", async () => {
    const agent = await newAgent();
    for (const transport of ["bearer", "query", "cookie"] as const) {
      const client = createPinataAgentsClient({
        baseUrl: sandbox.url,
        gatewayToken: agent.gatewayToken,
        gatewayTokenAs: transport,
        maxRetries: 0,
      });
      await expectStatus(
        "/v0/agents/{agentId}/skills",
        "get",
        client.GET("/v0/agents/{agentId}/skills", path(agent.agentId)),
        200,
      );
    }
  });

  it("keeps one agent's token and host to that agent", async () => {
    const a = await newAgent();
    const b = await newAgent();
    // A's token on B's route (management host): forbidden.
    const aToken = createPinataAgentsClient({
      baseUrl: sandbox.url,
      gatewayToken: a.gatewayToken,
      maxRetries: 0,
    });
    await expectStatus(
      "/v0/agents/{agentId}",
      "get",
      aToken.GET("/v0/agents/{agentId}", path(b.agentId)),
      403,
    );
    // A's token on B's host: forbidden; B's path on A's host: not found.
    const onB = createPinataAgentsClient({
      agentId: b.agentId,
      gatewayToken: a.gatewayToken,
      fetch: sandboxFetch(sandbox.url),
      maxRetries: 0,
    });
    await expectStatus("/v0/agents/{agentId}", "get", onB.GET("/v0/agents/{agentId}", path(b.agentId)), 403);
    await expectStatus(
      "/v0/agents/{agentId}",
      "get",
      agentClient(a).GET("/v0/agents/{agentId}", path(b.agentId)),
      404,
    );
    // The JWT belongs on the management host; management routes are not on the agent host.
    const jwtOnAgentHost = createPinataAgentsClient({
      baseUrl: `https://${a.agentId}.agents.pinata.cloud`,
      jwt,
      fetch: sandboxFetch(sandbox.url),
      maxRetries: 0,
    });
    await expectStatus(
      "/v0/agents/{agentId}",
      "get",
      jwtOnAgentHost.GET("/v0/agents/{agentId}", path(a.agentId)),
      401,
    );
    await expectStatus("/v0/secrets", "get", jwtOnAgentHost.GET("/v0/secrets"), 401);
  });

  it("hides agents of other workspaces", async () => {
    const mine = await newAgent();
    const other = (await sandbox.admin.act("createAccount", { agentLimit: 5 })) as { jwt: string };
    const stranger = createPinataAgentsClient({ baseUrl: sandbox.url, jwt: other.jwt, maxRetries: 0 });
    await expectStatus(
      "/v0/agents/{agentId}",
      "get",
      stranger.GET("/v0/agents/{agentId}", path(mine.agentId)),
      404,
    );
    const list = await expectStatus<{ agents: unknown[] }>(
      "/v0/agents",
      "get",
      stranger.GET("/v0/agents"),
      200,
    );
    expect(list.agents).toEqual([]);
  });

  it("rotates the gateway token: the old one stops working at once", async () => {
    const agent = await newAgent();
    const read = await expectStatus<{ gatewayToken: string }>(
      "/v0/agents/{agentId}/gateway-token",
      "get",
      pinata.GET("/v0/agents/{agentId}/gateway-token", path(agent.agentId)),
      200,
    );
    expect(read.gatewayToken === agent.gatewayToken).toBe(true);
    const rotated = await expectStatus<{ gatewayToken: string }>(
      "/v0/agents/{agentId}/gateway-token/rotate",
      "post",
      pinata.POST("/v0/agents/{agentId}/gateway-token/rotate", path(agent.agentId)),
      200,
    );
    expect(rotated.gatewayToken === agent.gatewayToken).toBe(false);
    await expectStatus(
      "/v0/agents/{agentId}",
      "get",
      agentClient(agent).GET("/v0/agents/{agentId}", path(agent.agentId)),
      401,
    );
    const fresh = agentClient({ ...agent, gatewayToken: rotated.gatewayToken });
    await expectStatus(
      "/v0/agents/{agentId}",
      "get",
      fresh.GET("/v0/agents/{agentId}", path(agent.agentId)),
      200,
    );
  });

  it("exchanges the gateway token for a 1-hour platform JWT that acts for the agent", async () => {
    const agent = await newAgent();
    const other = await newAgent();
    const own = agentClient(agent);
    const issued = await expectStatus<{ token: string; expiresAt: string }>(
      "/v0/platform/token",
      "post",
      own.POST("/v0/platform/token"),
      200,
    );
    expect(Date.parse(issued.expiresAt) - sandbox.admin.clock.now()).toBeGreaterThan(3_590_000);
    expect(Date.parse(issued.expiresAt) - sandbox.admin.clock.now()).toBeLessThanOrEqual(3_600_000);
    const byPath = await expectStatus<{ token: string }>(
      "/v0/agents/{agentId}/platform/token",
      "post",
      own.POST("/v0/agents/{agentId}/platform/token", path(agent.agentId)),
      200,
    );
    expect(byPath.token.split(".")).toHaveLength(3);
    const who = await expectStatus<{ agentId: string }>(
      "/v0/agents/{agentId}/platform/whoami",
      "get",
      own.GET("/v0/agents/{agentId}/platform/whoami", path(agent.agentId)),
      200,
    );
    expect(who.agentId).toBe(agent.agentId);

    const platform = createPinataAgentsClient({ baseUrl: sandbox.url, jwt: issued.token, maxRetries: 0 });
    await expectStatus(
      "/v0/secrets",
      "post",
      platform.POST("/v0/secrets", { body: { name: `PLATFORM_${counter}`, value: "v" } }),
      201,
    );
    await expectStatus(
      "/v0/agents/{agentId}",
      "get",
      platform.GET("/v0/agents/{agentId}", path(agent.agentId)),
      200,
    );
    await expectStatus(
      "/v0/agents/{agentId}",
      "get",
      platform.GET("/v0/agents/{agentId}", path(other.agentId)),
      403,
    );
    await expectStatus(
      "/v0/agents",
      "post",
      platform.POST("/v0/agents", { body: { name: "self-made" } }),
      403,
    );
    const listed = await expectStatus<{ agents: AgentInfo[] }>(
      "/v0/agents",
      "get",
      platform.GET("/v0/agents"),
      200,
    );
    expect(listed.agents.map((a) => a.agentId)).toEqual([agent.agentId]);
    // Gateway-only routes do not take JWTs.
    await expectStatus(
      "/v0/agents/{agentId}/platform/whoami",
      "get",
      createPinataAgentsClient({ baseUrl: sandbox.url, jwt, maxRetries: 0 }).GET(
        "/v0/agents/{agentId}/platform/whoami",
        path(agent.agentId),
      ),
      401,
    );

    sandbox.admin.clock.advance(3_600_001);
    await expectStatus("/v0/secrets", "get", platform.GET("/v0/secrets"), 401);
  });

  it("ends platform JWTs when the gateway token is rotated", async () => {
    const agent = await newAgent();
    const { token } = await unwrap(agentClient(agent).POST("/v0/platform/token"));
    const platform = createPinataAgentsClient({ baseUrl: sandbox.url, jwt: token, maxRetries: 0 });
    await expectStatus("/v0/secrets", "get", platform.GET("/v0/secrets"), 200);
    await unwrap(pinata.POST("/v0/agents/{agentId}/gateway-token/rotate", path(agent.agentId)));
    await expectStatus("/v0/secrets", "get", platform.GET("/v0/secrets"), 401);
  });
});

describe("Pinata Agents sandbox: agents", () => {
  it("creates an agent that starts, then runs; lists, details and deletes it", async () => {
    const created = await expectStatus<{ agent: Record<string, unknown> }>(
      "/v0/agents",
      "post",
      pinata.POST("/v0/agents", {
        body: {
          name: "My Agent",
          description: "Personal assistant",
          emoji: "🤖",
          skillCids: ["@pinata/api"],
        },
      }),
      201,
    );
    const agent = created.agent as unknown as AgentInfo & Record<string, unknown>;
    expect(agent).toMatchObject({ name: "My Agent", engine: "openclaw", status: "starting", emoji: "🤖" });
    expect(agent.agentId).toMatch(/^[a-z0-9]+$/);
    const detail = await expectStatus<AgentDetail>(
      "/v0/agents/{agentId}",
      "get",
      pinata.GET("/v0/agents/{agentId}", path(agent.agentId)),
      200,
    );
    expect(detail.processStatus).toEqual({ running: false, startedAt: null });
    expect(detail.skills).toEqual([expect.objectContaining({ cid: "@pinata/api", name: "Pinata API" })]);
    expect(detail).toMatchObject({ secrets: [], snapshots: [], portForwarding: [] });

    sandbox.admin.clock.advance(30_000);
    const running = await unwrap(pinata.GET("/v0/agents/{agentId}", path(agent.agentId)));
    expect(running.agent.status).toBe("running");
    expect(running.processStatus.running).toBe(true);

    await expectStatus(
      "/v0/agents/{agentId}/restart",
      "post",
      pinata.POST("/v0/agents/{agentId}/restart", path(agent.agentId)),
      200,
    );
    expect((await unwrap(pinata.GET("/v0/agents/{agentId}", path(agent.agentId)))).agent.status).toBe(
      "starting",
    );

    const list = await expectStatus<{ agents: AgentInfo[] }>(
      "/v0/agents",
      "get",
      pinata.GET("/v0/agents"),
      200,
    );
    expect(list.agents.map((a) => a.agentId)).toContain(agent.agentId);
    await expectStatus(
      "/v0/agents/{agentId}",
      "delete",
      pinata.DELETE("/v0/agents/{agentId}", path(agent.agentId)),
      200,
    );
    await expectStatus(
      "/v0/agents/{agentId}",
      "get",
      pinata.GET("/v0/agents/{agentId}", path(agent.agentId)),
      404,
    );
    await expectStatus(
      "/v0/agents/{agentId}",
      "delete",
      pinata.DELETE("/v0/agents/{agentId}", path(agent.agentId)),
      404,
    );
  });

  it("answers 403 at the plan's agent limit", async () => {
    const account = (await sandbox.admin.act("createAccount", { agentLimit: 2 })) as { jwt: string };
    const client = createPinataAgentsClient({ baseUrl: sandbox.url, jwt: account.jwt, maxRetries: 0 });
    await newAgent({}, client);
    await newAgent({}, client);
    const refused = await expectStatus<{ error: string }>(
      "/v0/agents",
      "post",
      client.POST("/v0/agents", { body: { name: "one too many" } }),
      403,
    );
    expect(refused.error).toBe("Agent limit reached for your plan");
  });

  it("validates creation: engines, skills (at most 10), secrets, Slack's appToken", async () => {
    const engines = await expectStatus<{ engines: Array<{ id: string }> }>(
      "/v0/agents/engines",
      "get",
      pinata.GET("/v0/agents/engines"),
      200,
    );
    expect(engines.engines.map((e) => e.id)).toEqual(["openclaw", "hermes"]);
    const hermes = await newAgent({ engine: "hermes" });
    expect((await unwrap(pinata.GET("/v0/agents/{agentId}", path(hermes.agentId)))).agent.engine).toBe(
      "hermes",
    );
    await expectStatus(
      "/v0/agents",
      "post",
      pinata.POST("/v0/agents", { body: { name: "x", engine: "nope" } }),
      400,
    );
    const eleven = Array.from({ length: 11 }, (_, i) => `skill-${i}`);
    const tooMany = await expectStatus<{ error: string }>(
      "/v0/agents",
      "post",
      pinata.POST("/v0/agents", { body: { name: "x", skillCids: eleven } }),
      400,
    );
    expect(tooMany.error).toBe("Validation failed: skills exceeds maximum of 10");
    await expectStatus(
      "/v0/agents",
      "post",
      pinata.POST("/v0/agents", { body: { name: "x", secretIds: ["nope"] } }),
      400,
    );
    await expectStatus("/v0/agents", "post", pinata.POST("/v0/agents", { body: { name: "" } }), 400);
    await expectStatus(
      "/v0/agents",
      "post",
      pinata.POST("/v0/agents", {
        body: { name: "x", channels: { slack: { botToken: "xoxb-1" } } } as never,
      }),
      400,
    );
    const withChannels = await newAgent({
      channels: { telegram: { botToken: "123:abc", dmPolicy: "pairing" } },
    });
    const channels = await unwrap(pinata.GET("/v0/agents/{agentId}/channels", path(withChannels.agentId)));
    expect(channels.channels.find((c) => c.channel === "telegram")).toMatchObject({
      configured: true,
      dmPolicy: "pairing",
    });
  });

  it("returns the last 100 log lines as one string", async () => {
    const agent = await newAgent();
    for (let i = 0; i < 150; i++)
      await sandbox.admin.act("emitLog", { agentId: agent.agentId, message: `line ${i}` });
    const logs = await expectStatus<string>(
      "/v0/agents/{agentId}/logs",
      "get",
      pinata.GET("/v0/agents/{agentId}/logs", path(agent.agentId)),
      200,
    );
    const lines = logs.split("\n");
    expect(lines).toHaveLength(100);
    expect(lines[99]).toMatch(/INFO +\[agent\] line 149$/);
    expect(lines[0]).toMatch(/line 50$/);
  });

  it("lists runtime versions, checks for an update and applies it", async () => {
    const agent = await newAgent();
    const versions = await expectStatus<{ currentVersion: string; versions: string[] }>(
      "/v0/agents/{agentId}/available-agent-versions",
      "get",
      pinata.GET("/v0/agents/{agentId}/available-agent-versions", path(agent.agentId)),
      200,
    );
    expect(versions.versions.length).toBeGreaterThan(0);
    const check = await expectStatus<{ updateAvailable: boolean; latestVersion: string }>(
      "/v0/agents/{agentId}/update",
      "get",
      pinata.GET("/v0/agents/{agentId}/update", path(agent.agentId)),
      200,
    );
    expect(check.updateAvailable).toBe(true);
    await expectStatus(
      "/v0/agents/{agentId}/update",
      "post",
      pinata.POST("/v0/agents/{agentId}/update", { ...path(agent.agentId), body: { version: "0.0.1" } }),
      400,
    );
    await expectStatus(
      "/v0/agents/{agentId}/update",
      "post",
      pinata.POST("/v0/agents/{agentId}/update", { ...path(agent.agentId), body: {} }),
      200,
    );
    const after = await unwrap(pinata.GET("/v0/agents/{agentId}/update", path(agent.agentId)));
    expect(after).toMatchObject({ updateAvailable: false, currentVersion: check.latestVersion });
    await expectStatus(
      "/v0/agents/{agentId}/scripts/retry",
      "post",
      pinata.POST("/v0/agents/{agentId}/scripts/retry", path(agent.agentId)),
      200,
    );
    expect(await unwrap(pinata.GET("/v0/agents/{agentId}/logs", path(agent.agentId)))).toContain(
      "running start script",
    );
  });
});

describe("Pinata Agents sandbox: secrets", () => {
  it("stores secrets (409 on a duplicate name), never returns values, attaches them to agents", async () => {
    const name = `API_KEY_${counter++}`;
    const secret = await expectStatus<{ id: string; name: string }>(
      "/v0/secrets",
      "post",
      pinata.POST("/v0/secrets", { body: { name, value: "s3cr3t-value" } }),
      201,
    );
    const dup = await expectStatus<{ error: string }>(
      "/v0/secrets",
      "post",
      pinata.POST("/v0/secrets", { body: { name, value: "other" } }),
      409,
    );
    expect(dup.error).toBe("A secret with this name already exists");
    await expectStatus(
      "/v0/secrets",
      "post",
      pinata.POST("/v0/secrets", { body: { name: "", value: "v" } }),
      400,
    );
    const list = await expectStatus("/v0/secrets", "get", pinata.GET("/v0/secrets"), 200);
    expect(JSON.stringify(list)).not.toContain("s3cr3t-value");
    expect(JSON.stringify(sandbox.admin.inspect())).not.toContain("s3cr3t-value");
    await expectStatus(
      "/v0/secrets/{id}",
      "put",
      pinata.PUT("/v0/secrets/{id}", { params: { path: { id: secret.id } }, body: { value: "new" } }),
      200,
    );
    await expectStatus(
      "/v0/secrets/{id}",
      "put",
      pinata.PUT("/v0/secrets/{id}", { params: { path: { id: "sec_nope" } }, body: { value: "new" } }),
      404,
    );

    const agent = await newAgent({ secretIds: [secret.id] });
    expect(
      (await unwrap(pinata.GET("/v0/agents/{agentId}", path(agent.agentId)))).secrets.map((s) => s.name),
    ).toEqual([name]);
    const detach = () =>
      pinata.DELETE("/v0/agents/{agentId}/secrets/{secretId}", {
        params: { path: { agentId: agent.agentId, secretId: secret.id } },
      });
    await expectStatus("/v0/agents/{agentId}/secrets/{secretId}", "delete", detach(), 200);
    await expectStatus("/v0/agents/{agentId}/secrets/{secretId}", "delete", detach(), 404);
    await expectStatus(
      "/v0/agents/{agentId}/secrets",
      "post",
      pinata.POST("/v0/agents/{agentId}/secrets", {
        ...path(agent.agentId),
        body: { secretIds: ["sec_nope"] },
      }),
      404,
    );
    await expectStatus(
      "/v0/agents/{agentId}/secrets",
      "post",
      pinata.POST("/v0/agents/{agentId}/secrets", {
        ...path(agent.agentId),
        body: { secretIds: [secret.id] },
      }),
      200,
    );
    await expectStatus(
      "/v0/secrets/{id}",
      "delete",
      pinata.DELETE("/v0/secrets/{id}", { params: { path: { id: secret.id } } }),
      200,
    );
    expect((await unwrap(pinata.GET("/v0/agents/{agentId}", path(agent.agentId)))).secrets).toEqual([]);
    await expectStatus(
      "/v0/secrets/{id}",
      "delete",
      pinata.DELETE("/v0/secrets/{id}", { params: { path: { id: secret.id } } }),
      404,
    );
  });
});

describe("Pinata Agents sandbox: skills and ClawHub", () => {
  it("registers a skill, publishes versions and moves an agent to the latest", async () => {
    const skill = await expectStatus<{ skillId: string; cid: string; version: string }>(
      "/v0/skills",
      "post",
      pinata.POST("/v0/skills", { body: { name: "My Skill", cid: "bafyskillv1", description: "d" } }),
      201,
    );
    expect(skill.version).toBe("1.0.0");
    const agent = await newAgent({ skillCids: ["bafyskillv1"] });
    const v2 = await expectStatus<{ version: string }>(
      "/v0/skills/{skillId}/versions",
      "post",
      pinata.POST("/v0/skills/{skillId}/versions", {
        params: { path: { skillId: skill.skillId } },
        body: { cid: "bafyskillv2" },
      }),
      201,
    );
    expect(v2.version).toBe("1.0.1");
    await expectStatus(
      "/v0/skills/{skillId}/versions",
      "post",
      pinata.POST("/v0/skills/{skillId}/versions", {
        params: { path: { skillId: skill.skillId } },
        body: { cid: "bafyx", version: "1.0.1" },
      }),
      400,
    );
    const versions = await expectStatus<{ versions: Array<{ version: string }> }>(
      "/v0/skills/{skillId}/versions",
      "get",
      pinata.GET("/v0/skills/{skillId}/versions", { params: { path: { skillId: skill.skillId } } }),
      200,
    );
    expect(versions.versions.map((v) => v.version)).toEqual(["1.0.1", "1.0.0"]);
    await expectStatus(
      "/v0/skills/{skillId}/versions",
      "get",
      pinata.GET("/v0/skills/{skillId}/versions", { params: { path: { skillId: "skl_nope" } } }),
      404,
    );

    const updates = await expectStatus<{ updates: unknown[] }>(
      "/v0/agents/{agentId}/skills/updates",
      "get",
      pinata.GET("/v0/agents/{agentId}/skills/updates", path(agent.agentId)),
      200,
    );
    expect(updates.updates).toEqual([
      { skillId: skill.skillId, name: "My Skill", currentVersion: "1.0.0", latestVersion: "1.0.1" },
    ]);
    const bump = (skillId: string) =>
      pinata.POST("/v0/agents/{agentId}/skills/{skillId}/update", {
        params: { path: { agentId: agent.agentId, skillId } },
      });
    await expectStatus("/v0/agents/{agentId}/skills/{skillId}/update", "post", bump(skill.skillId), 200);
    await expectStatus("/v0/agents/{agentId}/skills/{skillId}/update", "post", bump("skl_nope"), 404);
    const skills = await expectStatus<{ skills: Array<{ cid: string; version: string }> }>(
      "/v0/agents/{agentId}/skills",
      "get",
      pinata.GET("/v0/agents/{agentId}/skills", path(agent.agentId)),
      200,
    );
    expect(skills.skills).toEqual([expect.objectContaining({ cid: "bafyskillv2", version: "1.0.1" })]);

    const detach = () =>
      pinata.DELETE("/v0/agents/{agentId}/skills/{skillId}", {
        params: { path: { agentId: agent.agentId, skillId: skill.skillId } },
      });
    await expectStatus("/v0/agents/{agentId}/skills/{skillId}", "delete", detach(), 200);
    await expectStatus("/v0/agents/{agentId}/skills/{skillId}", "delete", detach(), 404);
    const list = await expectStatus<{ skills: Array<{ skillId: string }> }>(
      "/v0/skills",
      "get",
      pinata.GET("/v0/skills"),
      200,
    );
    expect(list.skills.map((s) => s.skillId)).toContain(skill.skillId);
    await expectStatus(
      "/v0/skills/{skillCid}",
      "delete",
      pinata.DELETE("/v0/skills/{skillCid}", { params: { path: { skillCid: "bafyskillv2" } } }),
      200,
    );
    await expectStatus(
      "/v0/skills/{skillCid}",
      "delete",
      pinata.DELETE("/v0/skills/{skillCid}", { params: { path: { skillCid: "bafyskillv2" } } }),
      404,
    );
  });

  it("attaches at most 10 skills to an agent", async () => {
    const agent = await newAgent();
    const hub = await unwrap(pinata.GET("/v0/clawhub", { params: { query: { sort: "name" } } }));
    const ids = hub.skills.map((s) => s.hubSkillId);
    await expectStatus(
      "/v0/agents/{agentId}/skills",
      "post",
      pinata.POST("/v0/agents/{agentId}/skills", {
        ...path(agent.agentId),
        body: { skillCids: ids.slice(0, 9) },
      }),
      200,
    );
    await expectStatus(
      "/v0/agents/{agentId}/skills",
      "post",
      pinata.POST("/v0/agents/{agentId}/skills", {
        ...path(agent.agentId),
        body: { skillCids: ["unknown-skill"] },
      }),
      404,
    );
    const over = await expectStatus<{ error: string }>(
      "/v0/agents/{agentId}/skills",
      "post",
      pinata.POST("/v0/agents/{agentId}/skills", {
        ...path(agent.agentId),
        body: { skillCids: ["@pinata/api", "@pinata/platform"] },
      }),
      400,
    );
    expect(over.error).toContain("skills exceeds maximum of 10");
    expect(
      (await unwrap(pinata.GET("/v0/agents/{agentId}/skills", path(agent.agentId)))).skills,
    ).toHaveLength(9);
  });

  it("pages through ClawHub with cursors, filters it and installs from it", async () => {
    const all = [];
    for await (const skill of cursorPages(
      (cursor) => unwrap(pinata.GET("/v0/clawhub", { params: { query: cursor ? { cursor } : {} } })),
      (page) => page.skills,
    ))
      all.push(skill);
    expect(all.length).toBeGreaterThan(10);
    expect(new Set(all.map((s) => s.hubSkillId)).size).toBe(all.length);
    const first = await expectStatus<{ skills: unknown[]; nextCursor: string | null }>(
      "/v0/clawhub",
      "get",
      pinata.GET("/v0/clawhub"),
      200,
    );
    expect(first.skills).toHaveLength(10);
    expect(first.nextCursor).toEqual(expect.any(String));
    const research = await unwrap(pinata.GET("/v0/clawhub", { params: { query: { category: "research" } } }));
    expect(research.skills.every((s) => s.category === "research")).toBe(true);
    expect(research.nextCursor).toBeNull();
    const featured = await unwrap(pinata.GET("/v0/clawhub", { params: { query: { featured: true } } }));
    expect(featured.skills.length).toBeGreaterThan(0);
    expect(featured.skills.every((s) => s.featured)).toBe(true);
    await expectStatus(
      "/v0/clawhub",
      "get",
      pinata.GET("/v0/clawhub", { params: { query: { sort: "random" as never } } }),
      400,
    );
    await expectStatus(
      "/v0/clawhub",
      "get",
      pinata.GET("/v0/clawhub", { params: { query: { cursor: "garbage" } } }),
      400,
    );

    const detail = await expectStatus<{ skill: { hubSkillId: string }; readme: string }>(
      "/v0/clawhub/{slug}",
      "get",
      pinata.GET("/v0/clawhub/{slug}", { params: { path: { slug: "web-search" } } }),
      200,
    );
    expect(detail.readme).toContain("Web Search");
    await expectStatus(
      "/v0/clawhub/{slug}",
      "get",
      pinata.GET("/v0/clawhub/{slug}", { params: { path: { slug: "nope" } } }),
      404,
    );
    const installed = await expectStatus<{ skill: { name: string } }>(
      "/v0/clawhub/{hubSkillId}/install",
      "post",
      pinata.POST("/v0/clawhub/{hubSkillId}/install", {
        params: { path: { hubSkillId: detail.skill.hubSkillId } },
      }),
      201,
    );
    expect(installed.skill.name).toBe("Web Search");
    await expectStatus(
      "/v0/clawhub/{hubSkillId}/install",
      "post",
      pinata.POST("/v0/clawhub/{hubSkillId}/install", { params: { path: { hubSkillId: "hub_nope" } } }),
      404,
    );
  });
});

describe("Pinata Agents sandbox: channels and devices", () => {
  it("configures, lists and removes channels; Slack needs appToken", async () => {
    const agent = await newAgent();
    const configure = (
      channel: "telegram" | "slack" | "discord" | "whatsapp",
      body: Record<string, unknown>,
    ) =>
      pinata.POST("/v0/agents/{agentId}/channels/{channel}", {
        params: { path: { agentId: agent.agentId, channel } },
        body: body as never,
      });
    await expectStatus(
      "/v0/agents/{agentId}/channels/{channel}",
      "post",
      configure("slack", { botToken: "xoxb-1" }),
      400,
    );
    await expectStatus(
      "/v0/agents/{agentId}/channels/{channel}",
      "post",
      configure("slack", { botToken: "xoxb-1", appToken: "xapp-1", allowFrom: ["U1"] }),
      200,
    );
    await expectStatus("/v0/agents/{agentId}/channels/{channel}", "post", configure("discord", {}), 400);
    const list = await expectStatus<{ channels: Array<Record<string, unknown>> }>(
      "/v0/agents/{agentId}/channels",
      "get",
      pinata.GET("/v0/agents/{agentId}/channels", path(agent.agentId)),
      200,
    );
    expect(list.channels.map((c) => [c.channel, c.configured])).toEqual([
      ["telegram", false],
      ["slack", true],
      ["discord", false],
      ["whatsapp", false],
    ]);
    expect(list.channels[1]).toMatchObject({ dmPolicy: "open" });
    expect(JSON.stringify(sandbox.admin.inspect())).not.toContain("xoxb-1");
    const remove = () =>
      pinata.DELETE("/v0/agents/{agentId}/channels/{channel}", {
        params: { path: { agentId: agent.agentId, channel: "slack" } },
      });
    await expectStatus("/v0/agents/{agentId}/channels/{channel}", "delete", remove(), 200);
    await expectStatus("/v0/agents/{agentId}/channels/{channel}", "delete", remove(), 404);
  });

  it("pairs devices that asked (the devices are the other party)", async () => {
    const agent = await newAgent();
    const phone = (await sandbox.admin.act("requestDevicePairing", {
      agentId: agent.agentId,
      name: "Phone",
    })) as {
      requestId: string;
    };
    await sandbox.admin.act("requestDevicePairing", {
      agentId: agent.agentId,
      name: "Laptop",
      platform: "macos",
    });
    await sandbox.admin.act("requestDevicePairing", { agentId: agent.agentId, name: "Tablet" });
    const before = await expectStatus<{ pending: Array<{ name: string }>; paired: unknown[] }>(
      "/v0/agents/{agentId}/devices",
      "get",
      pinata.GET("/v0/agents/{agentId}/devices", path(agent.agentId)),
      200,
    );
    expect(before.pending.map((d) => d.name)).toEqual(["Phone", "Laptop", "Tablet"]);
    const approve = (requestId: string) =>
      pinata.POST("/v0/agents/{agentId}/devices/{requestId}/approve", {
        params: { path: { agentId: agent.agentId, requestId } },
      });
    await expectStatus(
      "/v0/agents/{agentId}/devices/{requestId}/approve",
      "post",
      approve(phone.requestId),
      200,
    );
    await expectStatus(
      "/v0/agents/{agentId}/devices/{requestId}/approve",
      "post",
      approve(phone.requestId),
      404,
    );
    const all = await expectStatus<{ approved: number }>(
      "/v0/agents/{agentId}/devices/approve-all",
      "post",
      pinata.POST("/v0/agents/{agentId}/devices/approve-all", path(agent.agentId)),
      200,
    );
    expect(all.approved).toBe(2);
    const after = await unwrap(pinata.GET("/v0/agents/{agentId}/devices", path(agent.agentId)));
    expect(after.pending).toEqual([]);
    expect(after.paired.map((d) => d.name)).toEqual(["Phone", "Laptop", "Tablet"]);
  });
});

describe("Pinata Agents sandbox: routes and domains", () => {
  it("replaces path routes with validation, and forwards them on the agent host", async () => {
    const agent = await newAgent();
    const put = (routes: Array<{ port: number; path: string; protected?: boolean }>) =>
      pinata.PUT("/v0/agents/{agentId}/port-forwarding", { ...path(agent.agentId), body: { routes } });
    for (const bad of [
      [{ port: 18789, path: "/gw" }],
      [{ port: 80, path: "/low" }],
      [{ port: 5173, path: "/v0" }],
      [{ port: 5173, path: "/a b" }],
      [
        { port: 5173, path: "/app" },
        { port: 5174, path: "/app" },
      ],
      Array.from({ length: 11 }, (_, i) => ({ port: 3000 + i, path: `/r${i}` })),
    ])
      await expectStatus("/v0/agents/{agentId}/port-forwarding", "put", put(bad), 400);
    const done = await expectStatus<{ routes: unknown[] }>(
      "/v0/agents/{agentId}/port-forwarding",
      "put",
      put([
        { port: 5173, path: "/app" },
        { port: 8080, path: "/api", protected: true },
      ]),
      200,
    );
    expect(done.routes).toEqual([
      { port: 5173, path: "/app", protected: false },
      { port: 8080, path: "/api", protected: true },
    ]);
    await expectStatus(
      "/v0/agents/{agentId}/port-forwarding",
      "get",
      pinata.GET("/v0/agents/{agentId}/port-forwarding", path(agent.agentId)),
      200,
    );
    const onHost = sandboxFetch(sandbox.url);
    const base = `https://${agent.agentId}.agents.pinata.cloud`;
    expect((await onHost(new Request(`${base}/app/users/1`))).status).toBe(502);
    expect((await onHost(new Request(`${base}/api/x`))).status).toBe(401);
    expect((await onHost(new Request(`${base}/api/x?token=${agent.gatewayToken}`))).status).toBe(502);
    expect((await onHost(new Request(`${base}/elsewhere`))).status).toBe(404);
  });

  it("registers subdomains and custom domains: not both (409), at most 5, TXT verification", async () => {
    const agent = await newAgent();
    const register = (body: Record<string, unknown>) =>
      pinata.POST("/v0/agents/{agentId}/domains", { ...path(agent.agentId), body: body as never });
    const label = `shop-${agent.agentId}`;
    const sub = await expectStatus<{ hostname: string; verified: boolean; domainId: string }>(
      "/v0/agents/{agentId}/domains",
      "post",
      register({ subdomain: label, port: 3000 }),
      201,
    );
    expect(sub).toMatchObject({ hostname: `${label}.apps.pinata.cloud`, verified: true, protected: false });
    await expectStatus(
      "/v0/agents/{agentId}/domains",
      "post",
      register({ subdomain: label, port: 3001 }),
      409,
    );
    const both = await expectStatus<{ error: string }>(
      "/v0/agents/{agentId}/domains",
      "post",
      register({ subdomain: "x", customDomain: "app.example.com", port: 3000 }),
      409,
    );
    expect(both.error).toContain("not both");
    await expectStatus(
      "/v0/agents/{agentId}/domains",
      "post",
      register({ subdomain: "Bad_Label", port: 3000 }),
      400,
    );
    await expectStatus("/v0/agents/{agentId}/domains", "post", register({ port: 18789 }), 400);
    const random = await expectStatus<{ subdomain: string }>(
      "/v0/agents/{agentId}/domains",
      "post",
      register({ port: 3000 }),
      201,
    );
    expect(random.subdomain).toMatch(/^[a-z]+-[a-z]+-\d{3}$/);

    const domain = `app-${agent.agentId}.example.com`;
    const challenge = await expectStatus<{ name: string; value: string }>(
      "/v0/agents/{agentId}/domains/challenge",
      "post",
      pinata.POST("/v0/agents/{agentId}/domains/challenge", {
        ...path(agent.agentId),
        body: { customDomain: domain },
      }),
      200,
    );
    expect(challenge.name).toBe(`_pinata-verify.${domain}`);
    const again = await unwrap(
      pinata.POST("/v0/agents/{agentId}/domains/challenge", {
        ...path(agent.agentId),
        body: { customDomain: domain },
      }),
    );
    expect(again).toEqual(challenge);
    const custom = await expectStatus<{ domainId: string; verified: boolean }>(
      "/v0/agents/{agentId}/domains",
      "post",
      register({ customDomain: domain, port: 8080, protected: true }),
      201,
    );
    expect(custom.verified).toBe(false);
    const verify = () =>
      pinata.POST("/v0/agents/{agentId}/domains/{domainId}/verify", {
        params: { path: { agentId: agent.agentId, domainId: custom.domainId } },
      });
    expect(
      (
        await expectStatus<{ verified: boolean }>(
          "/v0/agents/{agentId}/domains/{domainId}/verify",
          "post",
          verify(),
          200,
        )
      ).verified,
    ).toBe(false);
    await sandbox.admin.act("setDnsTxt", { name: challenge.name, value: challenge.value });
    expect(
      (
        await expectStatus<{ verified: boolean }>(
          "/v0/agents/{agentId}/domains/{domainId}/verify",
          "post",
          verify(),
          200,
        )
      ).verified,
    ).toBe(true);
    // A verified, protected domain answers on its own hostname: the token is needed.
    const onDomain = sandboxFetch(sandbox.url);
    expect((await onDomain(new Request(`https://${domain}/`))).status).toBe(401);
    expect((await onDomain(new Request(`https://${domain}/?token=${agent.gatewayToken}`))).status).toBe(502);

    const updated = await expectStatus<{ port: number; protected: boolean }>(
      "/v0/agents/{agentId}/domains/{domainId}",
      "put",
      pinata.PUT("/v0/agents/{agentId}/domains/{domainId}", {
        params: { path: { agentId: agent.agentId, domainId: sub.domainId } },
        body: { port: 4000, protected: true },
      }),
      200,
    );
    expect(updated).toMatchObject({ port: 4000, protected: true });
    await expectStatus(
      "/v0/agents/{agentId}/domains/{domainId}",
      "put",
      pinata.PUT("/v0/agents/{agentId}/domains/{domainId}", {
        params: { path: { agentId: agent.agentId, domainId: "dom_nope" } },
        body: { port: 4000 },
      }),
      404,
    );
    await expectStatus(
      "/v0/agents/{agentId}/domains/{domainId}",
      "put",
      pinata.PUT("/v0/agents/{agentId}/domains/{domainId}", {
        params: { path: { agentId: agent.agentId, domainId: sub.domainId } },
        body: {} as never,
      }),
      400,
    );
    await register({ subdomain: `c-${agent.agentId}`, port: 3000 });
    await register({ subdomain: `d-${agent.agentId}`, port: 3000 });
    const sixth = await expectStatus<{ error: string }>(
      "/v0/agents/{agentId}/domains",
      "post",
      register({ subdomain: `e-${agent.agentId}`, port: 3000 }),
      409,
    );
    expect(sixth.error).toContain("at most 5");
    const list = await expectStatus<{ domains: unknown[] }>(
      "/v0/agents/{agentId}/domains",
      "get",
      pinata.GET("/v0/agents/{agentId}/domains", path(agent.agentId)),
      200,
    );
    expect(list.domains).toHaveLength(5);
    const remove = () =>
      pinata.DELETE("/v0/agents/{agentId}/domains/{domainId}", {
        params: { path: { agentId: agent.agentId, domainId: sub.domainId } },
      });
    await expectStatus("/v0/agents/{agentId}/domains/{domainId}", "delete", remove(), 200);
    await expectStatus("/v0/agents/{agentId}/domains/{domainId}", "delete", remove(), 404);
  });
});

describe("Pinata Agents sandbox: tasks", () => {
  it("validates the cron schedule", async () => {
    const agent = await newAgent();
    for (const schedule of [
      "every day",
      "61 * * * *",
      "* * * *",
      "0 0 30 2 *",
      "*/0 * * * *",
      "5-1 * * * *",
    ]) {
      const refused = await expectStatus<{ error: string }>(
        "/v0/agents/{agentId}/tasks",
        "post",
        pinata.POST("/v0/agents/{agentId}/tasks", {
          ...path(agent.agentId),
          body: { name: "t", schedule, prompt: "p" },
        }),
        400,
      );
      expect(refused.error).toContain("invalid schedule");
    }
  });

  it("runs on schedule, runs now, toggles, updates and keeps the run history", async () => {
    const agent = await newAgent();
    sandbox.admin.clock.advance(30_000); // the gateway is up
    const task = await expectStatus<{ jobId: string; nextRunAt: string; enabled: boolean }>(
      "/v0/agents/{agentId}/tasks",
      "post",
      pinata.POST("/v0/agents/{agentId}/tasks", {
        ...path(agent.agentId),
        body: { name: "digest", schedule: "@hourly", prompt: "Summarise my inbox" },
      }),
      201,
    );
    expect(task.enabled).toBe(true);
    expect(new Date(task.nextRunAt).getUTCMinutes()).toBe(0);
    const job = { params: { path: { agentId: agent.agentId, jobId: task.jobId } } };
    const runs = () => unwrap(pinata.GET("/v0/agents/{agentId}/tasks/{jobId}/runs", job));
    expect((await runs()).runs).toEqual([]);

    sandbox.admin.clock.advance(3_600_000);
    const fired = await expectStatus<{ runs: Array<{ status: string; startedAt: string }> }>(
      "/v0/agents/{agentId}/tasks/{jobId}/runs",
      "get",
      pinata.GET("/v0/agents/{agentId}/tasks/{jobId}/runs", job),
      200,
    );
    expect(fired.runs).toHaveLength(1);
    expect(fired.runs[0]).toMatchObject({ status: "succeeded", startedAt: task.nextRunAt });

    const started = await expectStatus<{ status: string; runId: string }>(
      "/v0/agents/{agentId}/tasks/{jobId}/run",
      "post",
      pinata.POST("/v0/agents/{agentId}/tasks/{jobId}/run", job),
      200,
    );
    expect(started.status).toBe("running");
    sandbox.admin.clock.advance(2_000);
    const history = (await runs()).runs;
    expect(history[0]).toMatchObject({ runId: started.runId, status: "succeeded" });
    expect(history[0]?.output).toContain("Summarise my inbox");

    const off = await expectStatus<{ enabled: boolean; nextRunAt: string | null }>(
      "/v0/agents/{agentId}/tasks/{jobId}/toggle",
      "post",
      pinata.POST("/v0/agents/{agentId}/tasks/{jobId}/toggle", { ...job, body: {} }),
      200,
    );
    expect(off).toMatchObject({ enabled: false, nextRunAt: null });
    sandbox.admin.clock.advance(3_600_000);
    expect((await runs()).runs).toHaveLength(2);
    const on = await unwrap(
      pinata.POST("/v0/agents/{agentId}/tasks/{jobId}/toggle", { ...job, body: { enabled: true } }),
    );
    expect(on.enabled).toBe(true);

    const updated = await expectStatus<{ schedule: string; name: string }>(
      "/v0/agents/{agentId}/tasks/{jobId}",
      "put",
      pinata.PUT("/v0/agents/{agentId}/tasks/{jobId}", {
        ...job,
        body: { schedule: "30 9 * * MON-FRI", name: "weekday" },
      }),
      200,
    );
    expect(updated).toMatchObject({ schedule: "30 9 * * MON-FRI", name: "weekday" });
    await expectStatus(
      "/v0/agents/{agentId}/tasks/{jobId}",
      "put",
      pinata.PUT("/v0/agents/{agentId}/tasks/{jobId}", { ...job, body: { schedule: "nope" } }),
      400,
    );
    const read = await expectStatus<{ nextRunAt: string }>(
      "/v0/agents/{agentId}/tasks/{jobId}",
      "get",
      pinata.GET("/v0/agents/{agentId}/tasks/{jobId}", job),
      200,
    );
    const next = new Date(read.nextRunAt);
    expect([next.getUTCHours(), next.getUTCMinutes()]).toEqual([9, 30]);
    expect([1, 2, 3, 4, 5]).toContain(next.getUTCDay());
    const list = await expectStatus<{ tasks: unknown[] }>(
      "/v0/agents/{agentId}/tasks",
      "get",
      pinata.GET("/v0/agents/{agentId}/tasks", path(agent.agentId)),
      200,
    );
    expect(list.tasks).toHaveLength(1);
    await expectStatus(
      "/v0/agents/{agentId}/tasks/{jobId}",
      "delete",
      pinata.DELETE("/v0/agents/{agentId}/tasks/{jobId}", job),
      200,
    );
    await expectStatus(
      "/v0/agents/{agentId}/tasks/{jobId}",
      "get",
      pinata.GET("/v0/agents/{agentId}/tasks/{jobId}", job),
      404,
    );
    await expectStatus(
      "/v0/agents/{agentId}/tasks/{jobId}/run",
      "post",
      pinata.POST("/v0/agents/{agentId}/tasks/{jobId}/run", job),
      404,
    );
  });

  it("fails a run while the agent is not running", async () => {
    const agent = await newAgent();
    const task = await unwrap(
      pinata.POST("/v0/agents/{agentId}/tasks", {
        ...path(agent.agentId),
        body: { name: "t", schedule: "0 0 1 1 *", prompt: "p", enabled: false },
      }),
    );
    await sandbox.admin.act("setAgentStatus", { agentId: agent.agentId, status: "not_running" });
    const run = await unwrap(
      pinata.POST("/v0/agents/{agentId}/tasks/{jobId}/run", {
        params: { path: { agentId: agent.agentId, jobId: task.jobId } },
      }),
    );
    expect(run).toMatchObject({ status: "failed", output: "The agent is not running" });
  });
});

describe("Pinata Agents sandbox: files, console, snapshots, config", () => {
  it("uploads base64 files into workspace/uploads and reads them back (413 over the limit)", async () => {
    const agent = await newAgent();
    const uploaded = await expectStatus<{ path: string; size: number }>(
      "/v0/agents/{agentId}/files/upload",
      "post",
      pinata.POST("/v0/agents/{agentId}/files/upload", {
        ...path(agent.agentId),
        body: { filename: "notes.txt", contentBase64: Buffer.from("héllo\n").toString("base64") },
      }),
      200,
    );
    expect(uploaded).toEqual({ path: "workspace/uploads/notes.txt", filename: "notes.txt", size: 7 });
    const read = (p: string) =>
      pinata.GET("/v0/agents/{agentId}/files", {
        ...path(agent.agentId),
        params: { ...path(agent.agentId).params, query: { path: p } },
      });
    expect(await expectStatus("/v0/agents/{agentId}/files", "get", read(uploaded.path), 200)).toEqual({
      path: "workspace/uploads/notes.txt",
      content: "héllo\n",
      encoding: "utf8",
      size: 7,
    });
    const binary = Buffer.from([0, 1, 2, 255]);
    await unwrap(
      pinata.POST("/v0/agents/{agentId}/files/upload", {
        ...path(agent.agentId),
        body: { filename: "blob.bin", contentBase64: binary.toString("base64") },
      }),
    );
    expect(await unwrap(read("/home/node/clawd/workspace/uploads/blob.bin"))).toMatchObject({
      content: binary.toString("base64"),
      encoding: "base64",
      size: 4,
    });
    expect((await unwrap(read("workspace/IDENTITY.md"))).content).toContain("# Agent");
    await expectStatus("/v0/agents/{agentId}/files", "get", read("workspace/missing.md"), 404);
    await expectStatus("/v0/agents/{agentId}/files", "get", read("workspace"), 400);
    await expectStatus(
      "/v0/agents/{agentId}/files/upload",
      "post",
      pinata.POST("/v0/agents/{agentId}/files/upload", {
        ...path(agent.agentId),
        body: { filename: "../escape.txt", contentBase64: "aGk=" },
      }),
      400,
    );
    const big = Buffer.alloc(MAX_FILE_BYTES + 1, 7).toString("base64");
    const tooBig = await expectStatus<{ error: string }>(
      "/v0/agents/{agentId}/files/upload",
      "post",
      pinata.POST("/v0/agents/{agentId}/files/upload", {
        ...path(agent.agentId),
        body: { filename: "big.bin", contentBase64: big },
      }),
      413,
    );
    expect(tooBig.error).toContain("File too large");
    const atLimit = Buffer.alloc(MAX_FILE_BYTES, 7).toString("base64");
    await expectStatus(
      "/v0/agents/{agentId}/files/upload",
      "post",
      pinata.POST("/v0/agents/{agentId}/files/upload", {
        ...path(agent.agentId),
        body: { filename: "max.bin", contentBase64: atLimit },
      }),
      200,
    );
  });

  it("answers ls, cat, pwd and echo from the files, and 127 for anything else", async () => {
    const agent = await newAgent();
    const exec = async (command: string, cwd?: string) =>
      expectStatus<{ stdout: string; stderr: string; exitCode: number; command: string }>(
        "/v0/agents/{agentId}/console/exec",
        "post",
        pinata.POST("/v0/agents/{agentId}/console/exec", {
          ...path(agent.agentId),
          body: { command, ...(cwd ? { cwd } : {}) },
        }),
        200,
      );
    expect(await exec("ls workspace", "/home/node/clawd")).toMatchObject({
      stdout: "IDENTITY.md\nSOUL.md\n",
      exitCode: 0,
      command: "ls workspace",
    });
    expect((await exec("cat SOUL.md", "/home/node/clawd/workspace")).stdout).toBe(
      "Be helpful, be brief, be kind.\n",
    );
    expect((await exec("pwd", "workspace")).stdout).toBe("/home/node/clawd/workspace\n");
    expect((await exec('echo "hello   world" again')).stdout).toBe("hello   world again\n");
    expect(await exec("cat nope.txt")).toMatchObject({
      exitCode: 1,
      stderr: "cat: nope.txt: No such file or directory\n",
    });
    expect(await exec("ls /nowhere")).toMatchObject({ exitCode: 2 });
    expect(await exec("rm -rf /")).toMatchObject({ exitCode: 127, stdout: "" });
    expect(await exec("ls | wc -l")).toMatchObject({ exitCode: 127 });
    expect(await exec("echo $(id)")).toMatchObject({ exitCode: 127 });
    await expectStatus(
      "/v0/agents/{agentId}/console/exec",
      "post",
      pinata.POST("/v0/agents/{agentId}/console/exec", { ...path(agent.agentId), body: { command: "" } }),
      400,
    );
  });

  it("takes content-addressed snapshots, lists the latest 10 and resets to one", async () => {
    const agent = await newAgent();
    const sync = () =>
      expectStatus<{ cid: string; createdAt: string }>(
        "/v0/agents/{agentId}/snapshots/sync",
        "post",
        pinata.POST("/v0/agents/{agentId}/snapshots/sync", path(agent.agentId)),
        200,
      );
    const status0 = await expectStatus<{ syncing: boolean; lastSnapshotCid: string | null }>(
      "/v0/agents/{agentId}/snapshots/sync",
      "get",
      pinata.GET("/v0/agents/{agentId}/snapshots/sync", path(agent.agentId)),
      200,
    );
    expect(status0).toMatchObject({ syncing: false, lastSnapshotCid: null, lastSyncedAt: null });
    const first = await sync();
    expect(first.cid).toMatch(/^Qm[1-9A-HJ-NP-Za-km-z]{44}$/);
    expect((await sync()).cid).toBe(first.cid);
    const upload = (name: string) =>
      unwrap(
        pinata.POST("/v0/agents/{agentId}/files/upload", {
          ...path(agent.agentId),
          body: { filename: name, contentBase64: Buffer.from(name).toString("base64") },
        }),
      );
    const cids = [first.cid];
    for (let i = 0; i < 11; i++) {
      await upload(`f${i}.txt`);
      sandbox.admin.clock.advance(60_000);
      cids.push((await sync()).cid);
    }
    expect(new Set(cids).size).toBe(12);
    const list = await expectStatus<{ snapshots: Array<{ cid: string }> }>(
      "/v0/agents/{agentId}/snapshots",
      "get",
      pinata.GET("/v0/agents/{agentId}/snapshots", path(agent.agentId)),
      200,
    );
    expect(list.snapshots.map((s) => s.cid)).toEqual(cids.slice(-10).reverse());
    const status = await unwrap(pinata.GET("/v0/agents/{agentId}/snapshots/sync", path(agent.agentId)));
    expect(status.lastSnapshotCid).toBe(cids[11]);

    await expectStatus(
      "/v0/agents/{agentId}/snapshots/reset",
      "post",
      pinata.POST("/v0/agents/{agentId}/snapshots/reset", {
        ...path(agent.agentId),
        body: { snapshotCid: first.cid },
      }),
      200,
    );
    const ls = await unwrap(
      pinata.POST("/v0/agents/{agentId}/console/exec", {
        ...path(agent.agentId),
        body: { command: "ls workspace" },
      }),
    );
    expect(ls.stdout).toBe("IDENTITY.md\nSOUL.md\n");
    await expectStatus(
      "/v0/agents/{agentId}/snapshots/reset",
      "post",
      pinata.POST("/v0/agents/{agentId}/snapshots/reset", {
        ...path(agent.agentId),
        body: { snapshotCid: "QmNope" },
      }),
      404,
    );
  });

  it("reads, validates and writes the engine runtime config", async () => {
    const agent = await newAgent();
    const config = await expectStatus<{ config: string; path: string }>(
      "/v0/agents/{agentId}/config",
      "get",
      pinata.GET("/v0/agents/{agentId}/config", path(agent.agentId)),
      200,
    );
    expect(config.path).toBe("/home/node/.openclaw/openclaw.json");
    expect(JSON.parse(config.config).gateway.port).toBe(18789);
    const validate = (text: string) =>
      expectStatus<{ valid: boolean; errors: string[] }>(
        "/v0/agents/{agentId}/config/validate",
        "post",
        pinata.POST("/v0/agents/{agentId}/config/validate", {
          ...path(agent.agentId),
          body: { config: text },
        }),
        200,
      );
    expect(await validate(config.config)).toEqual({ valid: true, errors: [] });
    expect((await validate("{ not json")).valid).toBe(false);
    expect((await validate('{"gateway":{"port":"x"}}')).errors).toEqual([
      "gateway.port must be an integer from 1 to 65535",
    ]);
    await expectStatus(
      "/v0/agents/{agentId}/config",
      "put",
      pinata.PUT("/v0/agents/{agentId}/config", { ...path(agent.agentId), body: { config: "[1,2]" } }),
      400,
    );
    const next = '{"agent":{"model":"openai/gpt-5"},"gateway":{"port":18789}}';
    await expectStatus(
      "/v0/agents/{agentId}/config",
      "put",
      pinata.PUT("/v0/agents/{agentId}/config", { ...path(agent.agentId), body: { config: next } }),
      200,
    );
    expect((await unwrap(pinata.GET("/v0/agents/{agentId}/config", path(agent.agentId)))).config).toBe(next);

    const hermes = await newAgent({ engine: "hermes" });
    const yaml = await unwrap(pinata.GET("/v0/agents/{agentId}/config", path(hermes.agentId)));
    expect(yaml.path).toBe("/home/hermes/data/config.yaml");
    const valid = await unwrap(
      pinata.POST("/v0/agents/{agentId}/config/validate", {
        ...path(hermes.agentId),
        body: { config: yaml.config },
      }),
    );
    expect(valid.valid).toBe(true);
    const invalid = await unwrap(
      pinata.POST("/v0/agents/{agentId}/config/validate", {
        ...path(hermes.agentId),
        body: { config: "a: [1" },
      }),
    );
    expect(invalid.valid).toBe(false);
  });
});

describe("Pinata Agents sandbox: templates", () => {
  const STARTER = "https://git.example.com/pinata-sandbox/starter-agent";

  it("validates repositories and lists their branches and refs", async () => {
    const ok = await expectStatus<{ valid: boolean }>(
      "/v0/templates/validate",
      "post",
      pinata.POST("/v0/templates/validate", { body: { repoUrl: STARTER } }),
      200,
    );
    expect(ok).toEqual({ valid: true, errors: [] });
    const missing = await unwrap(
      pinata.POST("/v0/templates/validate", { body: { repoUrl: "https://git.example.com/nobody/nothing" } }),
    );
    expect(missing).toEqual({ valid: false, errors: ["Repository not found or not public"] });
    await sandbox.admin.act("addRepo", {
      repoUrl: "https://git.example.com/me/bad",
      manifest: { description: 3, skills: Array.from({ length: 11 }, (_, i) => `s${i}`) },
    });
    const bad = await unwrap(
      pinata.POST("/v0/templates/validate", { body: { repoUrl: "https://git.example.com/me/bad.git" } }),
    );
    expect(bad.errors).toEqual([
      "name is required",
      "description must be a string",
      "skills exceeds maximum of 10",
    ]);
    const branches = await expectStatus<{ branches: string[] }>(
      "/v0/templates/branches",
      "post",
      pinata.POST("/v0/templates/branches", { body: { repoUrl: STARTER } }),
      200,
    );
    expect(branches.branches).toEqual(["main", "dev"]);
    const refs = await expectStatus<{ tags: string[] }>(
      "/v0/templates/refs",
      "post",
      pinata.POST("/v0/templates/refs", { body: { repoUrl: STARTER } }),
      200,
    );
    expect(refs.tags).toEqual(["v1.0.0"]);
    await expectStatus(
      "/v0/templates/refs",
      "post",
      pinata.POST("/v0/templates/refs", { body: { repoUrl: "https://git.example.com/nobody/nothing" } }),
      400,
    );
    await expectStatus(
      "/v0/templates/refs",
      "post",
      pinata.POST("/v0/templates/refs", { body: { repoUrl: "not a url" } }),
      400,
    );
  });

  it("submits, reads, updates, archives and publishes templates", async () => {
    const created = await expectStatus<{ template: { templateId: string; slug: string; branch: string } }>(
      "/v0/templates",
      "post",
      pinata.POST("/v0/templates", { body: { repoUrl: STARTER, branch: "dev" } }),
      201,
    );
    const { templateId, slug } = created.template;
    expect(created.template.branch).toBe("dev");
    await expectStatus(
      "/v0/templates",
      "post",
      pinata.POST("/v0/templates", { body: { repoUrl: "https://git.example.com/me/bad" } }),
      400,
    );
    await expectStatus(
      "/v0/templates",
      "post",
      pinata.POST("/v0/templates", { body: { repoUrl: STARTER, branch: "nope" } }),
      400,
    );
    const bySlug = await expectStatus<{ template: { templateId: string } }>(
      "/v0/templates/{slugOrId}",
      "get",
      pinata.GET("/v0/templates/{slugOrId}", { params: { path: { slugOrId: slug } } }),
      200,
    );
    expect(bySlug.template.templateId).toBe(templateId);
    await expectStatus(
      "/v0/templates/id/{templateId}",
      "get",
      pinata.GET("/v0/templates/id/{templateId}", { params: { path: { templateId } } }),
      200,
    );
    await expectStatus(
      "/v0/templates/id/{templateId}",
      "get",
      pinata.GET("/v0/templates/id/{templateId}", { params: { path: { templateId: "tpl_nope" } } }),
      404,
    );
    const updated = await expectStatus<{ template: { branch: string } }>(
      "/v0/templates/{slugOrId}",
      "put",
      pinata.PUT("/v0/templates/{slugOrId}", {
        params: { path: { slugOrId: templateId } },
        body: { repoUrl: STARTER },
      }),
      200,
    );
    expect(updated.template.branch).toBe("main");
    const mine = await expectStatus<{ templates: Array<{ templateId: string }> }>(
      "/v0/templates",
      "get",
      pinata.GET("/v0/templates"),
      200,
    );
    expect(mine.templates.map((t) => t.templateId)).toContain(templateId);

    const anonymous = createPinataAgentsClient({ baseUrl: sandbox.url, maxRetries: 0 });
    const market = await expectStatus<{ templates: Array<{ templateId: string }> }>(
      "/v0/public-templates",
      "get",
      anonymous.GET("/v0/public-templates"),
      200,
    );
    expect(market.templates.map((t) => t.templateId)).not.toContain(templateId);
    await sandbox.admin.act("publishTemplate", { templateId });
    const listed = await unwrap(anonymous.GET("/v0/public-templates"));
    expect(listed.templates.map((t) => t.templateId)).toContain(templateId);

    await expectStatus(
      "/v0/templates/{slugOrId}",
      "delete",
      pinata.DELETE("/v0/templates/{slugOrId}", { params: { path: { slugOrId: templateId } } }),
      200,
    );
    await expectStatus(
      "/v0/templates/{slugOrId}",
      "get",
      pinata.GET("/v0/templates/{slugOrId}", { params: { path: { slugOrId: slug } } }),
      404,
    );
    expect(
      (await unwrap(anonymous.GET("/v0/public-templates"))).templates.map((t) => t.templateId),
    ).not.toContain(templateId);
  });
});

describe("Pinata Agents sandbox: rate limits and secrets at rest", () => {
  it(`limits console exec to ${RATE_LIMITS.execCommand.limit} a minute per agent`, async () => {
    const agent = await newAgent();
    const exec = () =>
      pinata.POST("/v0/agents/{agentId}/console/exec", { ...path(agent.agentId), body: { command: "pwd" } });
    sandbox.admin.clock.advance(120_000); // a fresh window
    for (let i = 1; i < RATE_LIMITS.execCommand.limit; i++) expect((await exec()).response.status).toBe(200);
    const last = await exec();
    expect(last.response.status).toBe(200);
    expect(last.response.headers.get("x-ratelimit-remaining")).toBe("0");
    const over = await exec();
    await expectStatus("/v0/agents/{agentId}/console/exec", "post", Promise.resolve(over), 429);
    expect(Number(over.response.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(over.response.headers.get("x-ratelimit-limit")).toBe(String(RATE_LIMITS.execCommand.limit));
    // Another agent has its own window.
    const other = await newAgent();
    expect(
      (
        await pinata.POST("/v0/agents/{agentId}/console/exec", {
          ...path(other.agentId),
          body: { command: "pwd" },
        })
      ).response.status,
    ).toBe(200);
    sandbox.admin.clock.advance(RATE_LIMITS.execCommand.windowMs);
    expect((await exec()).response.status).toBe(200);
  });

  it("keeps tokens, secret values and the JWT key out of the admin view", async () => {
    const agent = await newAgent();
    const view = JSON.stringify(sandbox.admin.inspect());
    expect(view.includes(agent.gatewayToken)).toBe(false);
    expect(view.includes(sandbox.admin.state().jwtSecret)).toBe(false);
    expect(view).toContain("[redacted]");
  });
});
