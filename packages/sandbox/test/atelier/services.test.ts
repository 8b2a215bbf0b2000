/** The Atelier sandbox's services: create, list, update and delete. */
import { describe, expect, it } from "vitest";
import { boot, checked, createService, register, SERVICE, SERVICES, useCleanup } from "./helpers.js";

useCleanup();

describe("Atelier sandbox: services", () => {
  it("creates, lists, updates and soft-deletes services with decimal-string prices", async () => {
    const box = await boot();
    const agent = await register(box);
    const fixed = await createService(agent, {
      price_usd: "5",
      turnaround_hours: 24,
      deliverables: ["3 avatar variations", "source files"],
      demo_url: "https://example.com/portfolio",
      quota_limit: 9,
    });
    expect(fixed).toMatchObject({
      agent_id: agent.agentId,
      price_usd: "5.00",
      price_type: "fixed",
      turnaround_hours: 24,
      deliverables: ["3 avatar variations", "source files"],
      quota_limit: null, // ignored for fixed/quote
      active: true,
    });
    const weekly = await createService(agent, { price_usd: "25.5", price_type: "weekly", quota_limit: 0 });
    expect(weekly).toMatchObject({ price_usd: "25.50", price_type: "weekly", quota_limit: 0 });
    const monthly = await createService(agent, { price_type: "monthly" });
    expect(monthly.quota_limit).toBe(0);
    const quoteService = await createService(agent, { price_type: "quote", category: "video_gen" });
    expect(quoteService.category).toBe("video_gen");

    const listed = await checked(
      SERVICES,
      "get",
      agent.client.GET(SERVICES, { params: { path: { agent_id: agent.agentId } } }),
    );
    expect(listed.data?.data.map((s) => s.id)).toEqual([fixed.id, weekly.id, monthly.id, quoteService.id]);

    const patched = await checked(
      SERVICE,
      "patch",
      agent.client.PATCH(SERVICE, {
        params: { path: { service_id: weekly.id } },
        body: { price_usd: "7.50", quota_limit: 50 },
      }),
    );
    expect(patched.data?.data).toMatchObject({ price_usd: "7.50", quota_limit: 50, title: weekly.title });
    const toMonthly = await agent.client.PATCH(SERVICE, {
      params: { path: { service_id: fixed.id } },
      body: { price_type: "monthly", title: "Monthly avatars" },
    });
    expect(toMonthly.data?.data).toMatchObject({ price_type: "monthly", quota_limit: 0 });

    const removed = await checked(
      SERVICE,
      "delete",
      agent.client.DELETE(SERVICE, { params: { path: { service_id: fixed.id } } }),
    );
    expect(removed.data).toEqual({ success: true });
    expect(box.admin.state().services[fixed.id]?.active).toBe(false); // kept, deactivated
    const after = await agent.client.GET(SERVICES, { params: { path: { agent_id: agent.agentId } } });
    expect(after.data?.data.map((s) => s.id)).toEqual([weekly.id, monthly.id, quoteService.id]);
    const again = await checked(
      SERVICE,
      "patch",
      agent.client.PATCH(SERVICE, { params: { path: { service_id: fixed.id } }, body: { title: "Back" } }),
    );
    expect(again.response.status).toBe(404);
    await expect(box.admin.act("placeOrder", { service_id: fixed.id, brief: "anything" })).rejects.toThrow(
      /no active service/,
    );
  });

  it.each([
    ["a title of 2 characters", { title: "ab" }],
    ["a title of 101 characters", { title: "t".repeat(101) }],
    ["a description of 9 characters", { description: "too short" }],
    ["a description of 1001 characters", { description: "d".repeat(1001) }],
    ["a price with 3 decimals", { price_usd: "5.001" }],
    ["a price as a number", { price_usd: 5 }],
    ["a zero price", { price_usd: "0.00" }],
    ["an undocumented price_type", { price_type: "daily" }],
    ["an undocumented category", { category: "painting" }],
    ["a negative quota_limit", { quota_limit: -1 }],
    ["a demo_url that is not a URL", { demo_url: "portfolio" }],
    ["no price_type", { price_type: undefined }],
  ])("refuses %s with 400", async (_label, overrides) => {
    const box = await boot();
    const agent = await register(box);
    const result = await checked(
      SERVICES,
      "post",
      agent.client.POST(SERVICES, {
        params: { path: { agent_id: agent.agentId } },
        body: {
          category: "image_gen",
          title: "Valid title",
          description: "A valid description",
          price_usd: "5.00",
          price_type: "fixed",
          ...overrides,
        } as never,
      }),
    );
    expect(result.response.status).toBe(400);
    expect(Object.keys(box.admin.state().services)).toHaveLength(0);
  });

  it("answers 403 for another agent's services and 404 for unknown ones", async () => {
    const box = await boot();
    const mine = await register(box);
    const theirs = await register(box);
    const theirService = await createService(theirs);
    const body = {
      category: "image_gen" as const,
      title: "Valid title",
      description: "A valid description",
      price_usd: "5.00",
      price_type: "fixed" as const,
    };
    const on = (agent_id: string) => ({ params: { path: { agent_id } } });
    expect(
      (await checked(SERVICES, "post", mine.client.POST(SERVICES, { ...on(theirs.agentId), body }))).response
        .status,
    ).toBe(403);
    expect(
      (await checked(SERVICES, "post", mine.client.POST(SERVICES, { ...on("ext_0_unknown"), body }))).response
        .status,
    ).toBe(404);
    expect(
      (await checked(SERVICES, "get", mine.client.GET(SERVICES, on(theirs.agentId)))).response.status,
    ).toBe(403);
    expect((await checked(SERVICES, "get", mine.client.GET(SERVICES, on("__proto__")))).response.status).toBe(
      404,
    );
    const svc = (service_id: string) => ({ params: { path: { service_id } } });
    expect(
      (
        await checked(
          SERVICE,
          "patch",
          mine.client.PATCH(SERVICE, { ...svc(theirService.id), body: { title: "Mine now" } }),
        )
      ).response.status,
    ).toBe(403);
    expect(
      (await checked(SERVICE, "delete", mine.client.DELETE(SERVICE, svc(theirService.id)))).response.status,
    ).toBe(403);
    expect(
      (await checked(SERVICE, "delete", mine.client.DELETE(SERVICE, svc("svc_unknown")))).response.status,
    ).toBe(404);
    expect(box.admin.state().services[theirService.id]).toMatchObject({
      active: true,
      title: theirService.title,
    });
  });
});
