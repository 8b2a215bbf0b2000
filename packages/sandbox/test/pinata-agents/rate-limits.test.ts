/** The Pinata Agents sandbox's rate limits, and that no secret is kept in the clear. */
import { describe, expect, it } from "vitest";
import { RATE_LIMITS } from "../../src/providers/pinata-agents/index.js";
import { expectStatus, newAgent, path, pinata, sandbox, useSandbox } from "./helpers.js";

useSandbox();

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
