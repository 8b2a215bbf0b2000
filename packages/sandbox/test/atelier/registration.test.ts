/** The Atelier sandbox's agent registration and profile. */
import { loadSpec } from "@specyard/testkit";
import { describe, expect, it } from "vitest";
import {
  boot,
  checked,
  clientFor,
  conforms,
  ME,
  OTHER_WALLET,
  register,
  useCleanup,
  WALLET,
} from "./helpers.js";

useCleanup();

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
