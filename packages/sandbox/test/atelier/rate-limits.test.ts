/** The Atelier sandbox's rate limits. */
import { uploadFile } from "@specyard/atelier";
import { describe, expect, it } from "vitest";
import {
  type Agent,
  act,
  type Box,
  boot,
  checked,
  clientFor,
  createService,
  HOUR,
  LAUNCH,
  ME,
  ORDERS,
  PNG,
  register,
  SERVICES,
  useCleanup,
} from "./helpers.js";

useCleanup();

describe("Atelier sandbox: rate limits", () => {
  /** Runs one request of the operation, given a fresh per-call index. */
  type Call = (i: number) => Promise<{ response: Response; error?: unknown }>;
  interface Case {
    limit: number;
    path: string;
    method: string;
    setup(box: Box): Promise<Call>;
  }

  const CASES: Record<string, Case> = {
    registerAgent: {
      limit: 5,
      path: "/agents/register",
      method: "post",
      setup: async (box) => (i) =>
        clientFor(box).POST("/agents/register", {
          body: {
            name: `Agent ${i}`,
            description: "A rate limit test",
            endpoint_url: "https://a.example.com",
          },
        }),
    },
    createService: {
      limit: 20,
      path: SERVICES,
      method: "post",
      setup: async (box) => {
        const agent = await register(box);
        return () =>
          agent.client.POST(SERVICES, {
            params: { path: { agent_id: agent.agentId } },
            body: {
              category: "ugc",
              title: "UGC clips",
              description: "Short UGC clips",
              price_usd: "3",
              price_type: "fixed",
            },
          });
      },
    },
    listAgentOrders: {
      limit: 30,
      path: ORDERS,
      method: "get",
      setup: async (box) => {
        const agent = await register(box);
        return () => agent.client.GET(ORDERS, { params: { path: { agent_id: agent.agentId } } });
      },
    },
    deliverOrder: {
      limit: 30,
      path: "/orders/{order_id}/deliver",
      method: "post",
      setup: async (box) => {
        const agent = await register(box);
        const service = await createService(agent);
        const ids: string[] = [];
        for (let i = 0; i < 32; i++) {
          const order = await act(box, "placeOrder", { service_id: service.id, brief: `Order ${i}` });
          await act(box, "pay", { order_id: order.id });
          ids.push(order.id);
        }
        return (i) =>
          agent.client.POST("/orders/{order_id}/deliver", {
            params: { path: { order_id: ids[i] ?? "" } },
            body: { deliverable_url: "https://cdn.example.com/x.png", deliverable_media_type: "image" },
          });
      },
    },
    uploadFile: {
      limit: 30,
      path: "/upload",
      method: "post",
      setup: async (box) => {
        const agent = await register(box);
        return () => uploadFile(agent.client, new Blob([PNG], { type: "image/png" }), "r.png");
      },
    },
    launchAgentToken: {
      limit: 10,
      path: LAUNCH,
      method: "post",
      setup: async (box) => {
        // Eleven agents with avatars (registration allows 5 an hour).
        const agents: Agent[] = [];
        for (let i = 0; i < 11; i++) {
          if (i > 0 && i % 5 === 0) box.admin.clock.advance(HOUR);
          agents.push(await register(box, { avatar_url: "https://example.com/a.png" }));
        }
        return (i) => {
          const agent = agents[i] ?? agents[0];
          if (!agent) throw new Error("no agent");
          return agent.client.POST(LAUNCH, {
            params: { path: { agent_id: agent.agentId } },
            body: { symbol: `T${i}` },
          });
        };
      },
    },
  };

  it.each(Object.keys(CASES))(
    "%s: the limit-th request passes, one more gets 429, an hour later it passes",
    async (op) => {
      const { limit, path, method, setup } = CASES[op] as Case;
      const box = await boot();
      const call = await setup(box);
      // Setup requests of another operation must not count: each operation has its own window.
      for (let i = 0; i < limit; i++) {
        const result = await checked(path, method, call(i));
        expect(result.response.status, `request ${i + 1} of ${limit}`).toBeLessThan(300);
        expect(result.response.headers.get("x-ratelimit-limit")).toBe(String(limit));
        expect(result.response.headers.get("x-ratelimit-remaining")).toBe(String(limit - i - 1));
      }
      const before = Math.floor(box.admin.clock.now() / 1000);
      const limited = await checked(path, method, call(limit));
      expect(limited.response.status).toBe(429);
      expect(limited.error).toMatchObject({ success: false, error: expect.stringMatching(/per hour/) });
      const headers = limited.response.headers;
      const retryAfter = Number(headers.get("retry-after"));
      expect(retryAfter > 0 && retryAfter <= 3600).toBe(true);
      expect(headers.get("x-ratelimit-limit")).toBe(String(limit));
      expect(headers.get("x-ratelimit-remaining")).toBe("0");
      const reset = Number(headers.get("x-ratelimit-reset"));
      expect(reset >= before && reset <= before + 3601).toBe(true);
      expect(box.admin.stats().rateLimited).toEqual({ [op]: 1 });

      box.admin.clock.advance(HOUR);
      const later = await checked(path, method, call(limit));
      expect(later.response.status).toBeLessThan(300);
    },
  );

  it("counts per IP across agents, and leaves unlimited operations alone", async () => {
    const box = await boot();
    const agents: Agent[] = [];
    for (let i = 0; i < 5; i++) agents.push(await register(box));
    const sixth = await clientFor(box).POST("/agents/register", {
      body: { name: "Sixth", description: "One too many", endpoint_url: "https://a.example.com" },
    });
    expect(sixth.response.status).toBe(429);
    const first = agents[0];
    if (!first) throw new Error("no agent");
    for (let i = 0; i < 40; i++) expect((await first.client.GET(ME)).response.status).toBe(200);
  });
});
