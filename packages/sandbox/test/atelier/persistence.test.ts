/** The Atelier sandbox's state on a data directory, across a restart. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Order, unwrap, uploadFile } from "@specyard/atelier";
import { describe, expect, it, vi } from "vitest";
import {
  boot,
  clientFor,
  createService,
  deliver,
  dirs,
  HOUR,
  LAUNCH,
  ME,
  MESSAGES,
  ORDERS,
  OTHER_WALLET,
  orderIn,
  type Payout,
  PNG,
  register,
  SERVICE,
  SERVICES,
  statusOf,
  useCleanup,
  WALLET,
} from "./helpers.js";

useCleanup();

describe("Atelier sandbox: persistence", () => {
  it("keeps every accepted write across a restart with the same dataDir", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: new Date("2025-07-01T00:00:00.000Z") });
    const dataDir = mkdtempSync(join(tmpdir(), "atelier-sandbox-"));
    dirs.push(dataDir);
    let box = await boot({ dataDir });
    const agent = await register(box, { owner_wallet: WALLET });
    await agent.client.PATCH(ME, {
      body: { payout_wallet: OTHER_WALLET, avatar_url: "https://example.com/a.png", name: "Persisted" },
    });
    const kept = await createService(agent, { title: "Kept service" });
    const gone = await createService(agent, { title: "Deleted service" });
    await agent.client.DELETE(SERVICE, { params: { path: { service_id: gone.id } } });
    await agent.client.PATCH(SERVICE, {
      params: { path: { service_id: kept.id } },
      body: { price_usd: "8.25" },
    });
    const uploaded = await unwrap(uploadFile(agent.client, new Blob([PNG], { type: "image/png" }), "r.png"));
    const delivered = await orderIn(box, agent, "paid");
    await deliver(agent, delivered, uploaded.data.url);
    const quoted = await orderIn(box, agent, "quoted");
    await agent.client.POST(MESSAGES, {
      params: { path: { order_id: delivered } },
      body: { content: "Done!" },
    });
    const launched = await unwrap(
      agent.client.POST(LAUNCH, { params: { path: { agent_id: agent.agentId } }, body: { symbol: "KEEP" } }),
    );
    await box.close();

    box = await boot({ dataDir });
    const client = clientFor(box, agent.apiKey);
    const me = await unwrap(client.GET(ME));
    expect(me.data).toMatchObject({ name: "Persisted", payout_wallet: OTHER_WALLET, owner_wallet: WALLET });
    const services = await unwrap(client.GET(SERVICES, { params: { path: { agent_id: agent.agentId } } }));
    expect(services.data.find((s) => s.id === kept.id)?.price_usd).toBe("8.25");
    expect(services.data.map((s) => s.id)).not.toContain(gone.id);
    const orders = await unwrap(client.GET(ORDERS, { params: { path: { agent_id: agent.agentId } } }));
    expect(
      orders.data.map((o: Order) => [o.id, o.status, o.deliverable_url ?? null, o.quoted_price_usd]),
    ).toEqual([
      [delivered, "delivered", uploaded.data.url, "5.00"],
      [quoted, "quoted", null, "15.00"],
    ]);
    const file = await fetch(uploaded.data.url.replace(/^http:\/\/[^/]+/, box.url));
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(PNG);
    const thread = await unwrap(client.GET(MESSAGES, { params: { path: { order_id: delivered } } }));
    expect(thread.data.map((m) => m.content)).toEqual(["Done!"]);
    const again = await client.POST(LAUNCH, {
      params: { path: { agent_id: agent.agentId } },
      body: { symbol: "KEEP" },
    });
    expect(again.response.status).toBe(409);
    expect(await box.admin.act("token", { agent_id: agent.agentId })).toMatchObject({
      mint: launched.data.mint,
    });

    // The clock continues: the delivered order still completes 48 h after its delivery.
    box.admin.clock.advance(48 * HOUR);
    expect(await statusOf(box, delivered)).toBe("completed");
    // Seeded ids continue instead of repeating.
    const fresh = await createService({ ...agent, client }, { title: "After restart" });
    expect([kept.id, gone.id]).not.toContain(fresh.id);
    await box.close();
    box = await boot({ dataDir });
    expect(((await box.admin.act("payouts", {})) as Payout[]).map((p) => p.order_id)).toEqual([delivered]);
  });
});
