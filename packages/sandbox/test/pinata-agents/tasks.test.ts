/** The Pinata Agents sandbox's scheduled tasks (cron) and their runs. */
import { unwrap } from "@specyard/pinata-agents";
import { describe, expect, it } from "vitest";
import { expectStatus, newAgent, path, pinata, sandbox, useSandbox } from "./helpers.js";

useSandbox();

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
