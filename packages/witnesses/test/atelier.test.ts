/**
 * The Atelier document's reference calls replayed with fetch: register, profile, payout wallet,
 * services, the order poll, upload to the CDN, delivery, quotes, messages and the token launch. The
 * client's side (ordering, paying, accepting a quote) is played through the sandbox's admin surface.
 */
import { type Sandbox, startSandbox } from "@specyard/sandbox";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, jsonBody } from "./support.js";

let sandbox: Sandbox;
let BASE: string;
beforeAll(async () => {
  sandbox = await startSandbox("atelier");
  BASE = sandbox.url;
});
afterAll(() => sandbox?.close());

const WALLET = "7xKXtg2CW87d97TXJSDpbD5jBkheTqA83TZRuJosgAsU";
// A 1×1 PNG.
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=",
  "base64",
);

type Envelope<T> = { success: boolean; data: T; error?: string };

describe("Atelier: the full loop through the reference calls", () => {
  let agentId = "";
  let auth: Record<string, string> = {};
  let serviceId = "";

  it("POST /agents/register answers 201 with agent_id and api_key, once", async () => {
    const registered = await call<Envelope<{ agent_id: string; api_key: string }>>(
      `${BASE}/agents/register`,
      {
        method: "POST",
        ...jsonBody({
          name: "My Creative Agent",
          description: "I generate professional avatars and brand imagery using AI",
          endpoint_url: "https://my-agent.example.com",
          capabilities: ["image_gen", "brand_content"],
        }),
      },
    );
    expect(registered.status, registered.text).toBe(201);
    expect(registered.json.success).toBe(true);
    expect(registered.json.data.api_key).toMatch(/^atelier_/);
    agentId = registered.json.data.agent_id;
    auth = { Authorization: `Bearer ${registered.json.data.api_key}` };
  });

  it("GET /agents/me masks the key; PATCH /agents/me sets and resets the payout wallet", async () => {
    const me = await call<Envelope<Record<string, unknown>>>(`${BASE}/agents/me`, { headers: auth });
    expect(me.status).toBe(200);
    expect(me.text).not.toContain(auth.Authorization?.slice(7));
    const set = await call(`${BASE}/agents/me`, {
      method: "PATCH",
      ...jsonBody({ payout_wallet: WALLET }, auth),
    });
    expect(set.status, set.text).toBe(200);
    const reset = await call(`${BASE}/agents/me`, {
      method: "PATCH",
      ...jsonBody({ payout_wallet: null }, auth),
    });
    expect(reset.status, reset.text).toBe(200);
    const again = await call(`${BASE}/agents/me`, {
      method: "PATCH",
      ...jsonBody({ payout_wallet: WALLET }, auth),
    });
    expect(again.status).toBe(200);
  });

  it("creates, lists and updates services (fixed and quote)", async () => {
    const made = await call<Envelope<{ id: string; title: string }>>(`${BASE}/agents/${agentId}/services`, {
      method: "POST",
      ...jsonBody(
        {
          category: "image_gen",
          title: "Custom Avatar Generation",
          description:
            "Professional AI-generated avatars in any style. Includes 3 variations and source files.",
          price_usd: "5.00",
          price_type: "fixed",
          turnaround_hours: 24,
          deliverables: ["3 avatar variations", "source files"],
          demo_url: "https://example.com/portfolio",
        },
        auth,
      ),
    });
    expect(made.status, made.text).toBe(201);
    serviceId = made.json.data.id;
    const listed = await call<Envelope<Array<{ id: string }>>>(`${BASE}/agents/${agentId}/services`, {
      headers: auth,
    });
    expect(listed.json.data.map((service) => service.id)).toContain(serviceId);
    const patched = await call(`${BASE}/services/${serviceId}`, {
      method: "PATCH",
      ...jsonBody({ price_usd: "7.50", quota_limit: 50 }, auth),
    });
    expect(patched.status, patched.text).toBe(200);
  });

  it("polls paid orders, uploads to the CDN, delivers, and talks on the thread", async () => {
    const placed = (await sandbox.admin.act("placeOrder", {
      service_id: serviceId,
      brief: "Create a cyberpunk-style avatar with neon accents",
    })) as { id: string };
    await sandbox.admin.act("pay", { order_id: placed.id });

    const polled = await call<Envelope<Array<{ id: string; status: string; brief: string }>>>(
      `${BASE}/agents/${agentId}/orders?status=paid,in_progress`,
      { headers: auth },
    );
    expect(polled.status).toBe(200);
    expect(polled.json.data).toEqual([expect.objectContaining({ id: placed.id, status: "paid" })]);

    const form = new FormData();
    form.append("file", new Blob([PNG], { type: "image/png" }), "result.png");
    const upload = await call<Envelope<{ url: string; media_type: string }>>(`${BASE}/upload`, {
      method: "POST",
      headers: auth,
      body: form,
    });
    expect(upload.status, upload.text).toBe(200);
    expect(upload.json.data.media_type).toBe("image");

    const delivered = await call(`${BASE}/orders/${placed.id}/deliver`, {
      method: "POST",
      ...jsonBody(
        { deliverable_url: upload.json.data.url, deliverable_media_type: upload.json.data.media_type },
        auth,
      ),
    });
    expect(delivered.status, delivered.text).toBe(200);
    const after = await call<Envelope<unknown[]>>(
      `${BASE}/agents/${agentId}/orders?status=paid,in_progress`,
      {
        headers: auth,
      },
    );
    expect(after.json.data).toEqual([]);

    const sent = await call(`${BASE}/orders/${placed.id}/messages`, {
      method: "POST",
      ...jsonBody({ content: "Your image is ready! Let me know if you'd like any adjustments." }, auth),
    });
    expect(sent.status, sent.text).toBeLessThan(300);
    const thread = await call<Envelope<Array<{ content: string }>>>(`${BASE}/orders/${placed.id}/messages`, {
      headers: auth,
    });
    expect(thread.json.data.map((message) => message.content)).toContain(
      "Your image is ready! Let me know if you'd like any adjustments.",
    );
  });

  it("quotes a pending_quote order", async () => {
    const quoted = await call<Envelope<{ id: string }>>(`${BASE}/agents/${agentId}/services`, {
      method: "POST",
      ...jsonBody(
        {
          category: "custom",
          title: "Bespoke brand kit",
          description: "A brand kit priced per brief after reading it.",
          price_usd: "1.00",
          price_type: "quote",
        },
        auth,
      ),
    });
    expect(quoted.status, quoted.text).toBe(201);
    const order = (await sandbox.admin.act("placeOrder", {
      service_id: quoted.json.data.id,
      brief: "Logo and palette for a coffee brand",
    })) as { id: string; status: string };
    expect(order.status).toBe("pending_quote");
    const quote = await call(`${BASE}/orders/${order.id}/quote`, {
      method: "POST",
      ...jsonBody({ price_usd: "15.00" }, auth),
    });
    expect(quote.status, quote.text).toBe(200);
  });

  it("launches a token once the avatar is set; the second launch is 409", async () => {
    const noAvatar = await call(`${BASE}/agents/${agentId}/token/launch`, {
      method: "POST",
      ...jsonBody({ symbol: "TICKER" }, auth),
    });
    expect(noAvatar.status).toBe(400);
    await call(`${BASE}/agents/me`, {
      method: "PATCH",
      ...jsonBody({ avatar_url: "https://example.com/avatar.png" }, auth),
    });
    const launched = await call<Envelope<{ mint: string; tx_signature: string }>>(
      `${BASE}/agents/${agentId}/token/launch`,
      { method: "POST", ...jsonBody({ symbol: "TICKER" }, auth) },
    );
    expect(launched.status, launched.text).toBe(200);
    expect(launched.json.data).toMatchObject({ mint: expect.any(String), tx_signature: expect.any(String) });
    const twice = await call(`${BASE}/agents/${agentId}/token/launch`, {
      method: "POST",
      ...jsonBody({ symbol: "TICKER" }, auth),
    });
    expect(twice.status).toBe(409);
  });

  it("soft-deletes a service; errors use the {success: false, error} envelope", async () => {
    const removed = await call(`${BASE}/services/${serviceId}`, { method: "DELETE", headers: auth });
    expect(removed.status, removed.text).toBe(200);
    const unauthorized = await call<{ success: boolean; error: string }>(`${BASE}/agents/me`);
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.json).toEqual({ success: false, error: expect.any(String) });
  });
});
