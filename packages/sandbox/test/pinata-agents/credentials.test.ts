/**
 * The Pinata Agents sandbox's credentials and hosts: the Pinata JWT, gateway tokens in each transport,
 * platform JWTs, the per-agent host.
 */
import { unwrap } from "@specyard/pinata-agents";
import { describe, expect, it } from "vitest";
import { sandboxFetch } from "../../src/providers/pinata-agents/index.js";
import { createPinataAgentsClient } from "../clients.js";
import {
  type AgentInfo,
  counter,
  expectStatus,
  jwt,
  newAgent,
  path,
  pinata,
  sandbox,
  useSandbox,
} from "./helpers.js";

useSandbox();

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
