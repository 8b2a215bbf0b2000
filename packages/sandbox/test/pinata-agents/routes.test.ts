/** The Pinata Agents sandbox's routes and custom domains. */
import { unwrap } from "@specyard/pinata-agents";
import { describe, expect, it } from "vitest";
import { sandboxFetch } from "../../src/providers/pinata-agents/index.js";
import { expectStatus, newAgent, path, pinata, sandbox, useSandbox } from "./helpers.js";

useSandbox();

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
