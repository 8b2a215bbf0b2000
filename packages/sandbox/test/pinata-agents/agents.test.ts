/**
 * The Pinata Agents sandbox's agents: create, list, read, delete, restart, versions and updates, gateway
 * tokens.
 */
import { type AgentDetail, unwrap } from "@specyard/pinata-agents";
import { describe, expect, it } from "vitest";
import { createPinataAgentsClient } from "../clients.js";
import { type AgentInfo, expectStatus, newAgent, path, pinata, sandbox, useSandbox } from "./helpers.js";

useSandbox();

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
