/** The Atelier sandbox's orders: placing, quoting, paying, delivering, messages and payouts. */
import { unwrap, uploadFile } from "@specyard/atelier";
import { describe, expect, it } from "vitest";
import {
  act,
  boot,
  checked,
  createService,
  deliver,
  MESSAGES,
  ORDERS,
  OTHER_WALLET,
  orderIn,
  PNG,
  quote,
  register,
  statusOf,
  useCleanup,
} from "./helpers.js";

useCleanup();

describe("Atelier sandbox: orders", () => {
  it("runs the polling loop: paid orders appear, get delivered with an uploaded file and leave the poll", async () => {
    const box = await boot();
    const agent = await register(box);
    const service = await createService(agent, { title: "Custom Avatar Generation" });
    const placed = await act(box, "placeOrder", {
      service_id: service.id,
      brief: "Create a cyberpunk-style avatar with neon accents",
      client_wallet: OTHER_WALLET,
      reference_urls: ["https://example.com/style"],
    });
    expect(placed.status).toBe("accepted");
    const poll = () =>
      checked(
        ORDERS,
        "get",
        agent.client.GET(ORDERS, {
          params: { path: { agent_id: agent.agentId }, query: { status: ["paid", "in_progress"] } },
        }),
      );
    expect((await poll()).data?.data).toEqual([]);
    await act(box, "pay", { order_id: placed.id });
    const [order] = (await poll()).data?.data ?? [];
    expect(order).toMatchObject({
      id: placed.id,
      service_id: service.id,
      service_title: "Custom Avatar Generation",
      client_wallet: OTHER_WALLET,
      brief: "Create a cyberpunk-style avatar with neon accents",
      reference_urls: ["https://example.com/style"],
      reference_images: [],
      status: "paid",
      quoted_price_usd: "5.00",
    });
    const uploaded = await unwrap(uploadFile(agent.client, new Blob([PNG], { type: "image/png" }), "r.png"));
    const delivered = await checked(
      "/orders/{order_id}/deliver",
      "post",
      agent.client.POST("/orders/{order_id}/deliver", {
        params: { path: { order_id: placed.id } },
        body: { deliverable_url: uploaded.data.url, deliverable_media_type: uploaded.data.media_type },
      }),
    );
    expect(delivered.data?.data).toMatchObject({
      status: "delivered",
      deliverable_url: uploaded.data.url,
      deliverable_media_type: "image",
    });
    expect((await poll()).data?.data).toEqual([]);
    const all = await checked(
      ORDERS,
      "get",
      agent.client.GET(ORDERS, { params: { path: { agent_id: agent.agentId } } }),
    );
    expect(all.data?.data.map((o) => o.status)).toEqual(["delivered"]);
    // The status filter only takes documented statuses.
    const junk = await fetch(`${box.url}/agents/${agent.agentId}/orders?status=paid,shipped`, {
      headers: { authorization: `Bearer ${agent.apiKey}` },
    });
    expect(junk.status).toBe(400);
  });

  it("quotes a quote order, which the client accepts and pays", async () => {
    const box = await boot();
    const agent = await register(box);
    const service = await createService(agent, { price_type: "quote", title: "Custom Brand Video" });
    const order = await act(box, "placeOrder", { service_id: service.id, brief: "A 15-second coffee promo" });
    expect(order).toMatchObject({ status: "pending_quote", quoted_price_usd: null });
    expect((await quote(agent, order.id, "0")).response.status).toBe(400);
    expect((await quote(agent, order.id, "15.001")).response.status).toBe(400);
    const quoted = await quote(agent, order.id, "15");
    expect(quoted.data?.data).toMatchObject({ status: "quoted", quoted_price_usd: "15.00" });
    expect((await quote(agent, order.id, "20.00")).response.status).toBe(400); // only once, on pending_quote
    expect(await act(box, "acceptQuote", { order_id: order.id })).toMatchObject({ status: "accepted" });
    expect(await act(box, "pay", { order_id: order.id })).toMatchObject({
      status: "paid",
      quoted_price_usd: "15.00",
    });
  });

  it("answers 404 for unknown orders and 403 for another agent's, on every order route", async () => {
    const box = await boot();
    const mine = await register(box);
    const theirs = await register(box);
    const theirOrder = await orderIn(box, theirs, "paid");
    for (const [id, status] of [
      [theirOrder, 403],
      ["ord_unknown", 404],
      ["constructor", 404],
    ] as const) {
      const path = { params: { path: { order_id: id } } };
      expect((await deliver(mine, id)).response.status).toBe(status);
      expect((await quote(mine, id)).response.status).toBe(status);
      expect((await checked(MESSAGES, "get", mine.client.GET(MESSAGES, path))).response.status).toBe(status);
      const sent = await checked(
        MESSAGES,
        "post",
        mine.client.POST(MESSAGES, { ...path, body: { content: "hi" } }),
      );
      expect(sent.response.status).toBe(status);
    }
    const on = { params: { path: { agent_id: theirs.agentId } } };
    expect((await checked(ORDERS, "get", mine.client.GET(ORDERS, on))).response.status).toBe(403);
    expect(await statusOf(box, theirOrder)).toBe("paid");
  });

  it("keeps a thread of up to 2000 characters a message, with the client's replies", async () => {
    const box = await boot();
    const agent = await register(box);
    const id = await orderIn(box, agent, "paid");
    const send = (content: string) =>
      checked(
        MESSAGES,
        "post",
        agent.client.POST(MESSAGES, { params: { path: { order_id: id } }, body: { content } }),
      );
    const first = await send("Working on your order now.");
    expect(first.response.status).toBe(201);
    expect(first.data?.data).toMatchObject({
      order_id: id,
      sender_type: "agent",
      content: "Working on your order now.",
    });
    expect((await send("x".repeat(2000))).response.status).toBe(201);
    expect((await send("x".repeat(2001))).response.status).toBe(400);
    expect((await send("   ")).response.status).toBe(400);
    await box.admin.act("clientMessage", { order_id: id, content: "Thanks!" });
    const thread = await checked(
      MESSAGES,
      "get",
      agent.client.GET(MESSAGES, { params: { path: { order_id: id } } }),
    );
    expect(thread.data?.data.map((m) => [m.sender_type, m.content.length])).toEqual([
      ["agent", 26],
      ["agent", 2000],
      ["client", 7],
    ]);
  });
});
