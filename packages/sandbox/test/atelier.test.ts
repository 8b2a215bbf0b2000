import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Order, unwrap, uploadFile } from "@specyard/atelier";
import { loadSpec } from "@specyard/testkit";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import {
  type Agent,
  act,
  type Box,
  boot,
  checked,
  clientFor,
  closeAll,
  conforms,
  createService,
  deliver,
  HOUR,
  OTHER_WALLET,
  orderIn,
  quote,
  register,
  type Status,
  statusOf,
  WALLET,
} from "./atelier-helpers.js";

afterEach(async () => {
  vi.useRealTimers();
  await closeAll();
});

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const ME = "/agents/me";
const SERVICES = "/agents/{agent_id}/services";
const SERVICE = "/services/{service_id}";
const ORDERS = "/agents/{agent_id}/orders";
const MESSAGES = "/orders/{order_id}/messages";
const LAUNCH = "/agents/{agent_id}/token/launch";

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);

interface Payout {
  order_id: string;
  wallet: string | null;
  gross_raw: string;
  fee_raw: string;
  net_raw: string;
}

describe("Atelier sandbox: registration and profile", () => {
  it("issues agent_id and api_key once, keeps only the key's hash, and masks it on the profile", async () => {
    const box = await boot();
    const registered = await checked(
      "/agents/register",
      "post",
      clientFor(box).POST("/agents/register", {
        body: {
          name: "My Creative Agent",
          description: "I generate professional avatars and brand imagery using AI",
          endpoint_url: "https://my-agent.example.com",
          capabilities: ["image_gen", "brand_content"],
          owner_wallet: WALLET,
          avatar_url: "https://example.com/avatar.png",
        },
      }),
    );
    expect(registered.response.status).toBe(201);
    const creds = registered.data?.data;
    expect(creds?.agent_id).toMatch(/^ext_\d+_[a-z0-9]{9}$/);
    expect(/^atelier_[0-9a-f]{48}$/.test(creds?.api_key ?? "")).toBe(true);
    expect(creds?.slug).toBe("my-creative-agent");
    const apiKey = creds?.api_key ?? "";

    const me = await checked(ME, "get", clientFor(box, apiKey).GET(ME));
    expect(me.data?.data).toMatchObject({
      id: creds?.agent_id,
      name: "My Creative Agent",
      capabilities: ["image_gen", "brand_content"],
      owner_wallet: WALLET,
      payout_wallet: null,
      avatar_url: "https://example.com/avatar.png",
    });
    const masked = me.data?.data.api_key ?? "";
    expect(masked.endsWith("****") && apiKey.startsWith(masked.slice(0, -4))).toBe(true);
    expect(masked.length < apiKey.length).toBe(true);

    // Neither the state on disk nor the admin view holds the key or the webhook secret.
    const raw = JSON.stringify(box.admin.state());
    expect(raw.includes(apiKey)).toBe(false);
    const shown = JSON.stringify(box.admin.inspect());
    expect(shown.includes(apiKey) || shown.includes(creds?.webhook_secret ?? "-")).toBe(false);
    expect(shown.includes(Object.keys(box.admin.state().keys)[0] ?? "-")).toBe(false);
  });

  it.each([
    ["a name of 1 character", { name: "A" }],
    ["a name of 51 characters", { name: "n".repeat(51) }],
    ["a description of 9 characters", { description: "too short" }],
    ["a description of 501 characters", { description: "d".repeat(501) }],
    ["an endpoint_url that is not a URL", { endpoint_url: "my agent" }],
    ["an undocumented capability", { capabilities: ["painting"] }],
    ["an owner_wallet that is not base58", { owner_wallet: "0xdeadbeef" }],
    ["no name", { name: undefined }],
    ["no endpoint_url", { endpoint_url: undefined }],
  ])("refuses %s with 400 in the error envelope", async (_label, overrides) => {
    const box = await boot();
    const body = {
      name: "Valid name",
      description: "A valid description",
      endpoint_url: "https://agent.example.com",
      ...overrides,
    };
    const result = await checked(
      "/agents/register",
      "post",
      clientFor(box).POST("/agents/register", { body: body as never }),
    );
    expect(result.response.status).toBe(400);
    expect(result.error).toMatchObject({ success: false, error: expect.any(String) });
    expect(Object.keys(box.admin.state().agents)).toHaveLength(0);
  });

  it("accepts the boundary lengths (name 2 and 50, description 10 and 500)", async () => {
    const box = await boot();
    await register(box, { name: "ab", description: "d".repeat(10) });
    await register(box, { name: "n".repeat(50), description: "d".repeat(500) });
    expect(Object.keys(box.admin.state().agents)).toHaveLength(2);
  });

  it("updates the profile, sets the payout wallet and resets it to the owner wallet with null", async () => {
    const box = await boot();
    const agent = await register(box, { owner_wallet: WALLET });
    const patch = (body: Record<string, unknown>) =>
      checked(ME, "patch", agent.client.PATCH(ME, { body: body as never }));

    const set = await patch({ payout_wallet: OTHER_WALLET, name: "Renamed", capabilities: ["video_gen"] });
    expect(set.data?.data).toMatchObject({
      payout_wallet: OTHER_WALLET,
      owner_wallet: WALLET,
      name: "Renamed",
      capabilities: ["video_gen"],
    });
    const reset = await patch({ payout_wallet: null });
    expect(reset.data?.data.payout_wallet).toBeNull();
    expect(reset.data?.data.name).toBe("Renamed");
    expect((await patch({ payout_wallet: "not-a-wallet!" })).response.status).toBe(400);
    expect((await patch({ name: "x" })).response.status).toBe(400);
    expect((await patch({ avatar_url: "nope" })).response.status).toBe(400);
    expect((await checked(ME, "get", agent.client.GET(ME))).data?.data.payout_wallet).toBeNull();
  });

  it("answers 401 on every authenticated operation without a key or with an unknown one, before validation", async () => {
    const box = await boot();
    const spec = loadSpec("atelier");
    const anonymous = { "content-type": "application/json" };
    const unknown = { ...anonymous, authorization: "Bearer atelier_0123456789abcdef" };
    let checkedOps = 0;
    for (const [path, item] of Object.entries(spec.paths as Record<string, Record<string, unknown>>)) {
      for (const method of Object.keys(item).filter((key) => key !== "parameters")) {
        if (path === "/agents/register") continue;
        const url = `${box.url}${path.replace(/\{[^}]+\}/g, "x")}`;
        for (const headers of [anonymous, unknown]) {
          // An invalid body too: authentication is answered first.
          const init: RequestInit = { method: method.toUpperCase(), headers };
          if (method !== "get" && method !== "delete") init.body = "{}";
          const response = await fetch(url, init);
          const text = await response.text();
          expect(response.status, `${method} ${path} ${text}`).toBe(401);
          const body = JSON.parse(text);
          expect(conforms(path, method, 401, body)).toBeNull();
          checkedOps++;
        }
      }
    }
    expect(checkedOps).toBe(13 * 2);
  });
});

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

describe("Atelier sandbox: uploads", () => {
  it("hosts an uploaded image and video at the URL it returns, with their media types", async () => {
    const box = await boot();
    const agent = await register(box);
    const image = await checked(
      "/upload",
      "post",
      uploadFile(agent.client, new Blob([PNG], { type: "image/png" }), "result.png"),
    );
    expect(image.response.status).toBe(200);
    const url = image.data?.data.url ?? "";
    expect(image.data?.data.media_type).toBe("image");
    expect(url.startsWith(String(box.info.files))).toBe(true);
    expect(url).toMatch(
      new RegExp(`^${box.url}/__files/atelier/uploads/${agent.agentId}/\\d+-[a-z0-9]+\\.png$`),
    );
    const served = await fetch(url);
    expect(served.status).toBe(200);
    expect(served.headers.get("content-type")).toBe("image/png");
    expect(new Uint8Array(await served.arrayBuffer())).toEqual(PNG);

    for (const [type, kind, ext] of [
      ["video/mp4", "video", "mp4"],
      ["video/webm", "video", "webm"],
      ["video/quicktime", "video", "mov"],
      ["image/jpeg", "image", "jpg"],
      ["image/webp", "image", "webp"],
      ["image/gif", "image", "gif"],
    ] as const) {
      const result = await checked(
        "/upload",
        "post",
        uploadFile(agent.client, new Blob([PNG], { type }), `clip.${ext}`),
      );
      expect(result.data?.data.media_type).toBe(kind);
      expect(result.data?.data.url.endsWith(`.${ext}`)).toBe(true);
    }
    // A part sent as octet-stream is typed by its file name.
    const guessed = await uploadFile(agent.client, new Blob([PNG]), "photo.jpeg");
    expect(guessed.data?.data.media_type).toBe("image");
    expect((await fetch(`${box.url}/__files/atelier/uploads/nothing.png`)).status).toBe(404);
  });

  it("refuses other media types, a missing or empty file and a non-multipart body", async () => {
    const box = await boot();
    const agent = await register(box);
    const refused = async (call: Promise<{ response: Response; data?: unknown; error?: unknown }>) => {
      const result = await checked("/upload", "post", call);
      expect(result.response.status).toBe(400);
      expect(result.error).toMatchObject({ success: false });
    };
    await refused(uploadFile(agent.client, new Blob(["hello"], { type: "text/plain" }), "notes.txt"));
    await refused(uploadFile(agent.client, new Blob([PNG], { type: "image/svg+xml" }), "vector.svg"));
    await refused(uploadFile(agent.client, new Blob([], { type: "image/png" }), "empty.png"));
    const wrongField = new FormData();
    wrongField.append("image", new Blob([PNG], { type: "image/png" }), "result.png");
    await refused(agent.client.POST("/upload", { body: { file: "" }, bodySerializer: () => wrongField }));
    const asText = new FormData();
    asText.append("file", "just text");
    await refused(agent.client.POST("/upload", { body: { file: "" }, bodySerializer: () => asText }));
    const json = await fetch(`${box.url}/upload`, {
      method: "POST",
      headers: { authorization: `Bearer ${agent.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ file: "x" }),
    });
    expect(json.status).toBe(400);
    const broken = await fetch(`${box.url}/upload`, {
      method: "POST",
      headers: { authorization: `Bearer ${agent.apiKey}`, "content-type": "multipart/form-data" },
      body: "garbage",
    });
    expect(broken.status).toBe(400);
    expect(conforms("/upload", "post", 400, await broken.json())).toBeNull();
    expect(Object.keys(box.admin.state().uploads)).toHaveLength(0);
  });

  it("accepts exactly 50MB and refuses one byte more", async () => {
    const box = await boot();
    const agent = await register(box);
    const limit = 50 * 1024 * 1024;
    const at = await uploadFile(
      agent.client,
      new Blob([new Uint8Array(limit)], { type: "video/mp4" }),
      "a.mp4",
    );
    expect(at.response.status).toBe(200);
    const over = await checked(
      "/upload",
      "post",
      uploadFile(agent.client, new Blob([new Uint8Array(limit + 1)], { type: "video/mp4" }), "b.mp4"),
    );
    expect(over.response.status).toBe(400);
    expect(over.error?.error).toMatch(/50MB/);
  });
});

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

/** Where each move may start, as the document describes the lifecycle. */
const ALLOWED: Record<string, { from: Status[]; to?: Status }> = {
  quote: { from: ["pending_quote"], to: "quoted" },
  acceptQuote: { from: ["quoted"], to: "accepted" },
  pay: { from: ["accepted"], to: "paid" },
  startOrder: { from: ["paid"], to: "in_progress" },
  deliver: { from: ["paid", "in_progress", "disputed"], to: "delivered" },
  approve: { from: ["delivered"], to: "completed" },
  dispute: { from: ["delivered"], to: "disputed" },
  cancel: { from: ["pending_quote", "quoted", "accepted"], to: "cancelled" },
  message: { from: ["paid", "in_progress", "delivered", "completed", "disputed"] },
};
const STATUSES: Status[] = [
  "pending_quote",
  "quoted",
  "accepted",
  "paid",
  "in_progress",
  "delivered",
  "completed",
  "disputed",
  "cancelled",
];

describe("Atelier sandbox: the order lifecycle", () => {
  it.each(Object.keys(ALLOWED))("%s: allowed from its documented statuses only", async (move) => {
    const box = await boot();
    const agent = await register(box);
    const rule = ALLOWED[move] as { from: Status[]; to?: Status };
    for (const from of STATUSES) {
      const id = await orderIn(box, agent, from);
      let accepted: boolean;
      if (move === "deliver" || move === "quote" || move === "message") {
        const result =
          move === "deliver"
            ? await deliver(agent, id)
            : move === "quote"
              ? await quote(agent, id)
              : await checked(
                  MESSAGES,
                  "post",
                  agent.client.POST(MESSAGES, {
                    params: { path: { order_id: id } },
                    body: { content: "hi" },
                  }),
                );
        accepted = result.response.ok;
        if (!accepted) {
          expect(result.response.status, `${move} from ${from}`).toBe(400);
          expect((result.error as { error: string }).error).toContain(from);
        }
      } else {
        accepted = await box.admin.act(move, { order_id: id }).then(
          () => true,
          (error: Error) => {
            expect(error.message).toContain(from);
            return false;
          },
        );
      }
      expect(accepted, `${move} from ${from}`).toBe(rule.from.includes(from));
      expect(await statusOf(box, id), `${move} from ${from}`).toBe(accepted && rule.to ? rule.to : from);
    }
  });

  it("completes a delivered order by itself 48 hours later (not a millisecond before) and pays price − 10%", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: new Date("2025-02-17T12:00:00.000Z") });
    const box = await boot();
    const agent = await register(box, { owner_wallet: WALLET });
    await agent.client.PATCH(ME, { body: { payout_wallet: OTHER_WALLET } });
    const service = await createService(agent, { price_usd: "19.99" });
    const order = await act(box, "placeOrder", { service_id: service.id, brief: "An avatar" });
    await act(box, "pay", { order_id: order.id });
    expect((await deliver(agent, order.id)).response.status).toBe(200);
    const listed = async () =>
      (await agent.client.GET(ORDERS, { params: { path: { agent_id: agent.agentId } } })).data?.data[0]
        ?.status;

    box.admin.clock.advance(48 * HOUR - 1);
    expect(await listed()).toBe("delivered");
    expect(await box.admin.act("payouts", {})).toEqual([]);
    box.admin.clock.advance(1);
    expect(await listed()).toBe("completed");
    const payouts = (await box.admin.act("payouts", {})) as Payout[];
    const gross = 1999n * 10_000n; // USDC raw units (6 decimals)
    expect(payouts).toEqual([
      expect.objectContaining({
        order_id: order.id,
        wallet: OTHER_WALLET,
        gross_raw: gross.toString(),
        fee_raw: (gross / 10n).toString(),
        net_raw: "17991000",
      }),
    ]);
    expect(BigInt(payouts[0]?.net_raw ?? "0") + BigInt(payouts[0]?.fee_raw ?? "0")).toBe(gross);
  });

  it("also completes on real time passing (checked on the next request), and approval pays at once", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: new Date("2025-03-01T00:00:00.000Z") });
    const box = await boot();
    const agent = await register(box, { owner_wallet: WALLET });
    const byTime = await orderIn(box, agent, "delivered");
    const approved = await orderIn(box, agent, "delivered");
    await act(box, "approve", { order_id: approved });
    vi.setSystemTime(new Date("2025-03-03T00:00:00.000Z")); // 48 h later, without a clock advance
    const all = await agent.client.GET(ORDERS, { params: { path: { agent_id: agent.agentId } } });
    expect(all.data?.data.map((o) => [o.id, o.status])).toEqual([
      [byTime, "completed"],
      [approved, "completed"],
    ]);
    const payouts = (await box.admin.act("payouts", {})) as Payout[];
    // Payout wallet unset: the owner wallet gets it. Price 5.00 → 4.50 USDC.
    expect(payouts.map((p) => [p.order_id, p.wallet, p.net_raw])).toEqual([
      [approved, WALLET, "4500000"],
      [byTime, WALLET, "4500000"],
    ]);
  });

  it("restarts the 48 hours on re-delivery of a disputed order, and never auto-completes a dispute", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: new Date("2025-04-01T00:00:00.000Z") });
    const box = await boot();
    const agent = await register(box);
    const id = await orderIn(box, agent, "disputed");
    box.admin.clock.advance(100 * HOUR);
    expect(await statusOf(box, id)).toBe("disputed");
    expect((await deliver(agent, id, "https://cdn.example.com/better.png")).data?.data).toMatchObject({
      status: "delivered",
      deliverable_url: "https://cdn.example.com/better.png",
    });
    box.admin.clock.advance(48 * HOUR - 1);
    expect(await statusOf(box, id)).toBe("delivered");
    box.admin.clock.advance(1);
    expect(await statusOf(box, id)).toBe("completed");
    // No wallet at all: the payout is recorded, held without a wallet.
    expect(((await box.admin.act("payouts", {})) as Payout[])[0]).toMatchObject({
      wallet: null,
      net_raw: "4500000",
    });
  });

  it("opens a weekly window with a quota: each delivery counts, the last one completes and pays", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: new Date("2025-05-01T00:00:00.000Z") });
    const box = await boot();
    const agent = await register(box, { owner_wallet: WALLET });
    const service = await createService(agent, { price_type: "weekly", price_usd: "25.00", quota_limit: 2 });
    const order = await act(box, "placeOrder", { service_id: service.id, brief: "Avatars all week" });
    await act(box, "pay", { order_id: order.id });
    const internal = (await box.admin.act("order", { order_id: order.id })) as {
      internal: { subscription: { starts_at: number; ends_at: number; quota_limit: number } };
    };
    expect(internal.internal.subscription.ends_at - internal.internal.subscription.starts_at).toBe(
      168 * HOUR,
    );
    expect(internal.internal.subscription.quota_limit).toBe(2);
    expect((await deliver(agent, order.id)).data?.data.status).toBe("in_progress");
    expect((await deliver(agent, order.id)).data?.data.status).toBe("completed");
    expect((await deliver(agent, order.id)).response.status).toBe(400);
    expect(((await box.admin.act("payouts", {})) as Payout[]).map((p) => p.net_raw)).toEqual(["22500000"]);
  });

  it("completes an unlimited monthly subscription when its 30-day window ends", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: new Date("2025-06-01T00:00:00.000Z") });
    const box = await boot();
    const agent = await register(box);
    const service = await createService(agent, { price_type: "monthly", price_usd: "100", quota_limit: 0 });
    const order = await act(box, "placeOrder", { service_id: service.id, brief: "A month of content" });
    await act(box, "pay", { order_id: order.id });
    for (let i = 0; i < 5; i++) await deliver(agent, order.id);
    box.admin.clock.advance(30 * 24 * HOUR - 1);
    expect(await statusOf(box, order.id)).toBe("in_progress");
    box.admin.clock.advance(1);
    expect(await statusOf(box, order.id)).toBe("completed");
    expect(((await box.admin.act("payouts", {})) as Payout[]).map((p) => p.net_raw)).toEqual(["90000000"]);
  });
});

describe("Atelier sandbox: token launch", () => {
  it("needs an avatar, launches once (409 after), only for the caller's agent", async () => {
    const box = await boot();
    const agent = await register(box);
    const other = await register(box);
    const launch = (who = agent, agentId = agent.agentId, symbol = "TICKER") =>
      checked(
        LAUNCH,
        "post",
        who.client.POST(LAUNCH, { params: { path: { agent_id: agentId } }, body: { symbol } }),
      );
    const noAvatar = await launch();
    expect(noAvatar.response.status).toBe(400);
    expect(noAvatar.error?.error).toMatch(/avatar_url/);
    await agent.client.PATCH(ME, { body: { avatar_url: "https://example.com/avatar.png" } });
    expect((await launch(agent, agent.agentId, "")).response.status).toBe(400);
    expect((await launch(agent, agent.agentId, "ELEVENCHARS")).response.status).toBe(400);
    expect((await launch(other, agent.agentId)).response.status).toBe(403);
    expect((await launch(agent, "ext_1_nobody")).response.status).toBe(404);
    const launched = await launch();
    expect(launched.response.status).toBe(200);
    expect(launched.data?.data.mint).toMatch(/^[1-9A-HJ-NP-Za-km-z]{32,44}$/);
    expect(launched.data?.data.tx_signature).toMatch(/^[1-9A-HJ-NP-Za-km-z]{80,90}$/);
    const second = await launch();
    expect(second.response.status).toBe(409);
    expect(second.error).toEqual({ success: false, error: "Token already launched" });
    expect(await box.admin.act("token", { agent_id: agent.agentId })).toMatchObject({
      symbol: "TICKER",
      name: `${box.admin.state().agents[agent.agentId]?.name ?? ""} by Atelier`,
      image: "https://example.com/avatar.png",
      mint: launched.data?.data.mint,
    });
  });
});

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
