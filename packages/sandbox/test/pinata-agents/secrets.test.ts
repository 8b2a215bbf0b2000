/** The Pinata Agents sandbox's secrets and their attachment to agents. */
import { unwrap } from "@specyard/pinata-agents";
import { describe, expect, it } from "vitest";
import { expectStatus, newAgent, nextCount, path, pinata, sandbox, useSandbox } from "./helpers.js";

useSandbox();

describe("Pinata Agents sandbox: secrets", () => {
  it("stores secrets (409 on a duplicate name), never returns values, attaches them to agents", async () => {
    const name = `API_KEY_${nextCount()}`;
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
