import { type PrismServer, responseValidator, specPath, startPrism } from "@specyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ApiError,
  type AtelierClientOptions,
  AuthenticationError,
  BadRequestError,
  createAtelierClient,
  unwrap,
  uploadFile,
} from "../src/index.js";

const API_KEY = "atelier_0123456789abcdef0123456789abcdef";
const AGENT_ID = "ext_1708123456789_abc123xyz";
const WALLET = "7xKXtg2CW87d97TXJSDpbD5jBkheTqA83TZRuJosgAsU";

let prism: PrismServer;
const validate = responseValidator("atelier");

beforeAll(async () => {
  prism = await startPrism(specPath("atelier"));
});

afterAll(async () => {
  await prism?.close();
});

/** A client against Prism whose fetch records every request it sends. */
function recordingClient(options: Omit<AtelierClientOptions, "baseUrl" | "fetch"> = { apiKey: API_KEY }) {
  const sent: Request[] = [];
  const client = createAtelierClient({
    ...options,
    baseUrl: prism.url,
    fetch: async (request: Request) => {
      sent.push(request.clone());
      return fetch(request);
    },
  });
  return { client, sent, last: () => sent.at(-1) as Request };
}

describe("Agents", () => {
  it("registers without sending the API key", async () => {
    const { client, last } = recordingClient();
    const { data, error, response } = await client.POST("/agents/register", {
      body: {
        name: "My Creative Agent",
        description: "I generate professional avatars and brand imagery using AI",
        endpoint_url: "https://my-agent.example.com",
        capabilities: ["image_gen", "brand_content"],
      },
    });
    expect(error).toBeUndefined();
    expect(response.status).toBe(201);
    expect(validate("/agents/register", "post", 201, data)).toBeNull();
    expect(data?.data.api_key).toMatch(/^atelier_/);
    expect(last().headers.get("Authorization")).toBeNull();
  });

  it("reads and updates the profile with the bearer key", async () => {
    const { client, last } = recordingClient();
    const me = await unwrap(client.GET("/agents/me"));
    expect(validate("/agents/me", "get", 200, me)).toBeNull();
    expect(last().headers.get("Authorization")).toBe(`Bearer ${API_KEY}`);

    const updated = await unwrap(client.PATCH("/agents/me", { body: { payout_wallet: WALLET } }));
    expect(validate("/agents/me", "patch", 200, updated)).toBeNull();
    expect(await last().json()).toEqual({ payout_wallet: WALLET });

    const reset = await unwrap(client.PATCH("/agents/me", { body: { payout_wallet: null } }));
    expect(validate("/agents/me", "patch", 200, reset)).toBeNull();
    expect(await last().json()).toEqual({ payout_wallet: null });
  });
});

describe("Services", () => {
  const path = { agent_id: AGENT_ID };

  it("creates, lists, updates and deactivates services", async () => {
    const { client, last } = recordingClient();
    const created = await unwrap(
      client.POST("/agents/{agent_id}/services", {
        params: { path },
        body: {
          category: "image_gen",
          title: "AI Image Generation",
          description: "High-quality AI images from text prompts. Fast delivery.",
          price_usd: "5.00",
          price_type: "fixed",
          turnaround_hours: 1,
          deliverables: ["1 high-quality image"],
        },
      }),
    );
    expect(validate("/agents/{agent_id}/services", "post", 201, created)).toBeNull();
    expect(new URL(last().url).pathname).toBe(`/agents/${AGENT_ID}/services`);

    const list = await unwrap(client.GET("/agents/{agent_id}/services", { params: { path } }));
    expect(validate("/agents/{agent_id}/services", "get", 200, list)).toBeNull();
    expect(Array.isArray(list.data)).toBe(true);

    const service_id = "svc_123";
    const patched = await unwrap(
      client.PATCH("/services/{service_id}", {
        params: { path: { service_id } },
        body: { price_usd: "7.50", quota_limit: 50 },
      }),
    );
    expect(validate("/services/{service_id}", "patch", 200, patched)).toBeNull();

    const deleted = await unwrap(
      client.DELETE("/services/{service_id}", { params: { path: { service_id } } }),
    );
    expect(validate("/services/{service_id}", "delete", 200, deleted)).toBeNull();
    expect(last().method).toBe("DELETE");
  });
});

describe("Uploads", () => {
  it("uploads a file as the multipart part `file`", async () => {
    const { client, last } = recordingClient();
    const png = new Blob([new Uint8Array([0x89, 0x50, 0x4e, 0x47])], { type: "image/png" });
    const uploaded = await unwrap(uploadFile(client, png, "result.png"));
    expect(validate("/upload", "post", 200, uploaded)).toBeNull();
    expect(uploaded.data.media_type).toMatch(/^(image|video)$/);

    const request = last();
    expect(request.headers.get("Content-Type")).toMatch(/^multipart\/form-data; boundary=/);
    expect(request.headers.get("Authorization")).toBe(`Bearer ${API_KEY}`);
    const part = (await request.formData()).get("file");
    expect(part).toBeInstanceOf(Blob);
    expect((part as File).name).toBe("result.png");
    expect((part as File).type).toBe("image/png");
  });
});

describe("Orders", () => {
  it("polls orders with a comma-separated status filter", async () => {
    const { client, last } = recordingClient();
    const orders = await unwrap(
      client.GET("/agents/{agent_id}/orders", {
        params: { path: { agent_id: AGENT_ID }, query: { status: ["paid", "in_progress"] } },
      }),
    );
    expect(validate("/agents/{agent_id}/orders", "get", 200, orders)).toBeNull();
    expect(new URL(last().url).search).toBe("?status=paid,in_progress");
  });

  it("delivers and quotes orders", async () => {
    const { client } = recordingClient();
    const params = { path: { order_id: "ord_123" } };
    const delivered = await unwrap(
      client.POST("/orders/{order_id}/deliver", {
        params,
        body: { deliverable_url: "https://storage.example.com/result.png", deliverable_media_type: "image" },
      }),
    );
    expect(validate("/orders/{order_id}/deliver", "post", 200, delivered)).toBeNull();

    const quoted = await unwrap(
      client.POST("/orders/{order_id}/quote", { params, body: { price_usd: "15.00" } }),
    );
    expect(validate("/orders/{order_id}/quote", "post", 200, quoted)).toBeNull();
  });
});

describe("Messages", () => {
  it("reads and sends order messages", async () => {
    const { client } = recordingClient();
    const params = { path: { order_id: "ord_123" } };
    const thread = await unwrap(client.GET("/orders/{order_id}/messages", { params }));
    expect(validate("/orders/{order_id}/messages", "get", 200, thread)).toBeNull();

    const sent = await client.POST("/orders/{order_id}/messages", {
      params,
      body: { content: "Working on your order now. Should be ready in 10 minutes." },
    });
    expect(sent.response.status).toBe(201);
    expect(validate("/orders/{order_id}/messages", "post", 201, sent.data)).toBeNull();
  });
});

describe("Tokens", () => {
  it("launches the agent token", async () => {
    const { client } = recordingClient();
    const launched = await unwrap(
      client.POST("/agents/{agent_id}/token/launch", {
        params: { path: { agent_id: AGENT_ID } },
        body: { symbol: "TICKER" },
      }),
    );
    expect(validate("/agents/{agent_id}/token/launch", "post", 200, launched)).toBeNull();
    expect(launched.data.mint).toBeTruthy();
  });
});

describe("auth", () => {
  it("without a key a secured call is a typed 401 and an AuthenticationError", async () => {
    const { client, last } = recordingClient({ requireCredentials: false });
    const result = await client.GET("/agents/me");
    expect(last().headers.get("Authorization")).toBeNull();
    expect(result.response.status).toBe(401);
    expect(result.data).toBeUndefined();
    expect(result.error).toMatchObject({ success: false, error: expect.any(String) });

    const thrown = await unwrap(client.GET("/agents/me")).catch((error: unknown) => error);
    expect(thrown).toBeInstanceOf(AuthenticationError);
    expect((thrown as AuthenticationError).status).toBe(401);
  });

  it("resolves a function credential on every request", async () => {
    const keys = ["atelier_aaaa", "atelier_bbbb"];
    let calls = 0;
    const { client, sent } = recordingClient({ apiKey: async () => keys[calls++] });
    await unwrap(client.GET("/agents/me"));
    await unwrap(client.GET("/agents/me"));
    expect(sent.map((request) => request.headers.get("Authorization"))).toEqual([
      "Bearer atelier_aaaa",
      "Bearer atelier_bbbb",
    ]);
  });

  it("sends no header when the credential function returns undefined", async () => {
    const { client, last } = recordingClient({ apiKey: () => undefined });
    const { response } = await client.GET("/agents/me");
    expect(last().headers.get("Authorization")).toBeNull();
    expect(response.status).toBe(401);
  });
});

describe("errors", () => {
  it("an invalid body is a typed 400 and a BadRequestError without the key in its message", async () => {
    const { client } = recordingClient();
    const call = () =>
      client.POST("/agents/{agent_id}/services", {
        params: { path: { agent_id: AGENT_ID } },
        body: {
          category: "image_gen",
          title: "ab",
          description: "too short",
          price_usd: "5",
          price_type: "fixed",
        },
      });
    const result = await call();
    expect(result.response.status).toBe(400);
    expect(result.data).toBeUndefined();
    expect(result.error).toMatchObject({ success: false, error: expect.any(String) });

    const thrown = await unwrap(call()).catch((error: unknown) => error);
    expect(thrown).toBeInstanceOf(BadRequestError);
    expect(thrown).toBeInstanceOf(ApiError);
    const error = thrown as BadRequestError;
    expect(error.status).toBe(400);
    expect(error.method).toBe("POST");
    expect(error.body).toEqual(result.error);
    expect(error.message).toContain("400 POST");
    expect(error.message).not.toContain(API_KEY);
    expect(String(error.stack)).not.toContain(API_KEY);
  });

  it("an invalid query parameter is a 400 too", async () => {
    const { client } = recordingClient();
    const thrown = await unwrap(
      client.GET("/agents/{agent_id}/orders", {
        // @ts-expect-error "shipped" is not an order status
        params: { path: { agent_id: AGENT_ID }, query: { status: ["shipped"] } },
      }),
    ).catch((error: unknown) => error);
    expect(thrown).toBeInstanceOf(BadRequestError);
    expect((thrown as BadRequestError).message).not.toContain(API_KEY);
  });
});

describe("defaults", () => {
  it("targets the current host unless told otherwise", async () => {
    const seen: string[] = [];
    const client = createAtelierClient({
      apiKey: API_KEY,
      fetch: async (request: Request) => {
        seen.push(request.url);
        return new Response(JSON.stringify({ success: true, data: [] }), {
          headers: { "Content-Type": "application/json" },
        });
      },
    });
    await unwrap(client.GET("/agents/{agent_id}/services", { params: { path: { agent_id: AGENT_ID } } }));
    expect(seen).toEqual([`https://api.useatelier.ai/api/agents/${AGENT_ID}/services`]);
  });
});
