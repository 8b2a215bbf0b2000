/** The Pinata Agents sandbox's channels and device pairing. */
import { unwrap } from "@specyard/pinata-agents";
import { describe, expect, it } from "vitest";
import { expectStatus, newAgent, path, pinata, sandbox, useSandbox } from "./helpers.js";

useSandbox();

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
