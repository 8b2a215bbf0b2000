/**
 * The Atelier provider agent against the sandbox, on the sandbox's clock: the client-side limiter
 * and the loop wait in virtual time, so "30 polls an hour" is tested in milliseconds.
 */
import { existsSync, mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ATELIER_RATE_LIMITS,
  type DeliveryJournal,
  type DeliveryRecord,
  type ProviderEvent,
  runProvider,
  unwrap,
} from "@specyard/atelier";
import { ensureAgent, FileDeliveryJournal, readCredentials } from "@specyard/atelier/node";
import { type Sandbox, startSandbox } from "@specyard/sandbox";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

let sandbox: Sandbox;
beforeEach(async () => {
  sandbox = await startSandbox("atelier");
});
afterEach(() => sandbox?.close());

const PNG = Uint8Array.from(
  atob("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="),
  (c) => c.charCodeAt(0),
);

/** Virtual time: waits advance the sandbox clock instead of sleeping. */
const virtual = () => ({
  now: () => sandbox.admin.clock.now(),
  sleep: async (ms: number) => {
    sandbox.admin.clock.advance(ms);
  },
});

async function agent(dir: string) {
  const made = await ensureAgent({
    baseUrl: sandbox.url,
    rateLimits: ATELIER_RATE_LIMITS,
    ...virtual(),
    credentialsFile: join(dir, "atelier_credentials.json"),
    profile: {
      name: "Test Provider",
      description: "Makes images for the tests",
      endpoint_url: "https://agent.example.com",
      capabilities: ["image_gen"],
      payout_wallet: "9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin",
    },
    services: [
      {
        category: "image_gen",
        title: "One image",
        description: "A generated image, fast.",
        price_usd: "5.00",
        price_type: "fixed",
      },
    ],
  });
  return { ...made, dir };
}

async function paidOrder(agentId: string, client: Awaited<ReturnType<typeof agent>>["client"]) {
  const services = await unwrap(
    client.GET("/agents/{agent_id}/services", { params: { path: { agent_id: agentId } } }),
  );
  const order = (await sandbox.admin.act("placeOrder", {
    service_id: services.data[0]?.id,
    brief: "a red square",
  })) as { id: string };
  await sandbox.admin.act("pay", { order_id: order.id });
  return order.id;
}

describe("ensureAgent", () => {
  it("registers once, saves the key 0600 first, and never duplicates services", async () => {
    const dir = mkdtempSync(join(tmpdir(), "atelier-"));
    const first = await agent(dir);
    expect(first.registered).toBe(true);
    expect(statSync(join(dir, "atelier_credentials.json")).mode & 0o777).toBe(0o600);
    const second = await agent(dir);
    expect(second).toMatchObject({ registered: false, agentId: first.agentId });
    const services = await unwrap(
      second.client.GET("/agents/{agent_id}/services", { params: { path: { agent_id: first.agentId } } }),
    );
    expect(services.data.map((s) => s.title)).toEqual(["One image"]);
    expect((await readCredentials(join(dir, "atelier_credentials.json")))?.agent_id).toBe(first.agentId);
  });
});

describe("ensureAgent from the environment", () => {
  it("uses ATELIER_AGENT_ID + ATELIER_API_KEY instead of registering again, and writes no file", async () => {
    const registeredOnce = await agent(mkdtempSync(join(tmpdir(), "atelier-")));
    const saved = await readCredentials(join(registeredOnce.dir, "atelier_credentials.json"));
    vi.stubEnv("ATELIER_AGENT_ID", saved?.agent_id ?? "");
    vi.stubEnv("ATELIER_API_KEY", saved?.api_key ?? "");
    try {
      const dir = mkdtempSync(join(tmpdir(), "atelier-"));
      const again = await agent(dir);
      expect(again).toMatchObject({ registered: false, agentId: registeredOnce.agentId });
      expect(existsSync(join(dir, "atelier_credentials.json"))).toBe(false);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe("runProvider", () => {
  it("delivers every paid order exactly once, within the documented poll limit, through faults", async () => {
    const dir = mkdtempSync(join(tmpdir(), "atelier-"));
    const { agentId, client } = await agent(dir);
    const orders = [
      await paidOrder(agentId, client),
      await paidOrder(agentId, client),
      await paidOrder(agentId, client),
    ];
    sandbox.admin.setFaults([
      { route: "listAgentOrders", sequence: [{ kind: "server-error" }, { kind: "reset" }] },
      {
        route: "deliverOrder",
        sequence: [{ kind: "reset-after" }, { kind: "rate-limit", hint: "retry-after", ms: 2_000 }],
      },
    ]);
    const handled: string[] = [];
    const events: ProviderEvent[] = [];
    const loop = runProvider({
      client,
      agentId,
      journal: new FileDeliveryJournal(join(dir, "deliveries.json")),
      ...virtual(),
      handler: async (order) => {
        handled.push(order.id);
        return { file: new Blob([PNG], { type: "image/png" }), filename: "out.png" };
      },
      onEvent: (event) => {
        events.push(event);
        // A deliver whose answer was lost still delivered: the sandbox's word decides when all are done.
        if (event.type === "success" || event.type === "failure") {
          void Promise.all(orders.map((order_id) => sandbox.admin.act("order", { order_id }))).then((all) => {
            if ((all as Array<{ status: string }>).every((o) => o.status === "delivered")) void loop.stop();
          });
        }
      },
    });
    await loop.done;
    for (const id of orders) {
      const order = (await sandbox.admin.act("order", { order_id: id })) as {
        status: string;
        internal: { history?: unknown[] };
      };
      expect(order.status).toBe("delivered");
    }
    // Each order's handler ran once; a failed round (faults) never ran it twice.
    expect(handled.sort()).toEqual([...orders].sort());
    expect(sandbox.admin.stats().rateLimited).toEqual({});
    expect(loop.health().running).toBe(false);
  });

  it("after a crash between upload and deliver, the restarted agent delivers that order once and never registers again", async () => {
    const dir = mkdtempSync(join(tmpdir(), "atelier-"));
    const { agentId, client } = await agent(dir);
    const orderId = await paidOrder(agentId, client);
    const journalFile = join(dir, "deliveries.json");
    const file = new FileDeliveryJournal(journalFile);
    // The first run "dies" right after the upload is journaled, before it delivers.
    const crashing: DeliveryJournal = {
      get: (id) => file.get(id),
      put: async (id, record: DeliveryRecord) => {
        await file.put(id, record);
        if (record.state === "uploaded") throw new Error("process killed");
      },
    };
    let handlerRuns = 0;
    const handler = async () => {
      handlerRuns++;
      return { file: new Blob([PNG], { type: "image/png" }), filename: "out.png" };
    };
    const first = runProvider({
      client,
      agentId,
      journal: crashing,
      handler,
      ...virtual(),
      onEvent: (e) => e.type === "failure" && void first.stop(),
    });
    await first.done;
    expect(((await sandbox.admin.act("order", { order_id: orderId })) as { status: string }).status).toBe(
      "paid",
    );

    // Restart: credentials from disk (no new registration), journal from disk.
    const again = await agent(dir);
    expect(again.registered).toBe(false);
    const delivered: string[] = [];
    const second = runProvider({
      client: again.client,
      agentId: again.agentId,
      journal: new FileDeliveryJournal(journalFile),
      handler,
      ...virtual(),
      onEvent: (e) => {
        if (e.type === "delivered") {
          delivered.push(e.orderId);
          void second.stop();
        }
      },
    });
    await second.done;
    expect(delivered).toEqual([orderId]);
    expect(handlerRuns).toBe(1); // the upload was reused, the handler not run again
    expect(((await sandbox.admin.act("order", { order_id: orderId })) as { status: string }).status).toBe(
      "delivered",
    );
  });

  it("quotes quote-priced orders through the quoter, and delivers a disputed order again, once", async () => {
    const dir = mkdtempSync(join(tmpdir(), "atelier-"));
    const { agentId, client } = await agent(dir);
    const service = await unwrap(
      client.POST("/agents/{agent_id}/services", {
        params: { path: { agent_id: agentId } },
        body: {
          category: "image_gen",
          title: "Custom art",
          description: "Priced per brief, on request.",
          price_usd: "0.01",
          price_type: "quote",
        },
      }),
    );
    const quoted = (await sandbox.admin.act("placeOrder", {
      service_id: service.data.id,
      brief: "a mural",
    })) as { id: string };
    const fixed = await paidOrder(agentId, client);
    let handlerRuns = 0;
    const events: ProviderEvent[] = [];
    const journal = new FileDeliveryJournal(join(dir, "deliveries.json"));
    const run = (stopWhen: (e: ProviderEvent) => boolean) => {
      const loop = runProvider({
        client,
        agentId,
        journal,
        ...virtual(),
        quoter: async (order) => (order.brief.includes("mural") ? "42.50" : undefined),
        handler: async () => {
          handlerRuns++;
          return { file: new Blob([PNG], { type: "image/png" }), filename: "out.png" };
        },
        onEvent: (event) => {
          events.push(event);
          if (stopWhen(event)) void loop.stop();
        },
      });
      return loop.done;
    };
    await run(() => events.some((e) => e.type === "quoted") && events.some((e) => e.type === "delivered"));
    expect(
      (await sandbox.admin.act("order", { order_id: quoted.id })) as {
        status: string;
        quoted_price_usd: string;
      },
    ).toMatchObject({
      status: "quoted",
      quoted_price_usd: "42.50",
    });
    expect(handlerRuns).toBe(1);

    // The client disputes the delivery: the agent delivers again, once, then leaves it alone.
    await sandbox.admin.act("dispute", { order_id: fixed });
    events.length = 0;
    await run((e) => e.type === "delivered");
    expect(handlerRuns).toBe(2);
    expect(((await sandbox.admin.act("order", { order_id: fixed })) as { status: string }).status).toBe(
      "delivered",
    );
    events.length = 0;
    await run((e) => e.type === "success");
    expect(handlerRuns).toBe(2);
  });
});
