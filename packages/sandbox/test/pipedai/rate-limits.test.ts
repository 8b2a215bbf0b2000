/** The PipedAI sandbox's rate limits on login, registration and runs per trigger. */
import { describe, expect, it } from "vitest";
import { runSandbox } from "../../src/framework/server.js";
import { pipedai, RATE_LIMITS } from "../../src/providers/pipedai/index.js";
import { act, clientFor, createTrigger, newUser, useSandbox } from "./helpers.js";

useSandbox();

describe("PipedAI sandbox: rate limits", () => {
  it("accepts logins up to the limit per minute, answers 429 with Retry-After one over, and again after the window", async () => {
    const box = await runSandbox(pipedai, { seed: "limits" });
    try {
      const user = await newUser(box);
      const login = () =>
        clientFor({}, box).POST("/api/v1/auth/login", { body: { email: user.email, password: "wrong-pw" } });
      for (let i = 0; i < RATE_LIMITS.login.limit; i++) {
        const answer = await login();
        expect(answer.response.status).toBe(401);
        expect(answer.response.headers.get("x-ratelimit-remaining")).toBe(
          String(RATE_LIMITS.login.limit - i - 1),
        );
      }
      const over = await login();
      expect(over.response.status).toBe(429);
      expect(over.response.headers.get("x-ratelimit-limit")).toBe(String(RATE_LIMITS.login.limit));
      expect(Number(over.response.headers.get("retry-after"))).toBeGreaterThan(0);
      expect((over.error as { error: string }).error).toMatch(/too many/i);
      box.admin.clock.advance(RATE_LIMITS.login.windowMs);
      expect((await login()).response.status).toBe(401);
    } finally {
      await box.close();
    }
  });

  it("limits runs per trigger: one trigger at its limit leaves another free", async () => {
    const box = await runSandbox(pipedai, { seed: "limits-runs" });
    try {
      const owner = await newUser(box);
      const { environment } = await act<{ environment: { id: string } }>(
        "seedWorkspace",
        { ownerId: owner.id },
        box,
      );
      const [a, b] = [
        await createTrigger(owner.client, environment.id),
        await createTrigger(owner.client, environment.id),
      ];
      const run = (id: string) =>
        owner.client.POST("/api/v1/triggers/{id}/run", { params: { path: { id } }, body: {} });
      for (let i = 0; i < RATE_LIMITS.runTrigger.limit; i++) expect((await run(a)).response.status).toBe(202);
      expect((await run(a)).response.status).toBe(429);
      expect((await run(b)).response.status).toBe(202);
      box.admin.clock.advance(RATE_LIMITS.runTrigger.windowMs);
      expect((await run(a)).response.status).toBe(202);
    } finally {
      await box.close();
    }
  });
});
