import { describe, expectTypeOf, test } from "vitest";
import {
  type AgentCredentials,
  type AtelierClient,
  type AtelierClientOptions,
  type Credential,
  createAtelierClient,
  type ErrorEnvelope,
  type Order,
  type OrderListResponse,
  type OrderStatus,
  type RegisterAgentResponse,
  type UploadResponse,
  unwrap,
  uploadFile,
} from "../src/index.js";

const client = createAtelierClient({ apiKey: "atelier_0123" });
const agent = { path: { agent_id: "ext_1" } };
const order = { path: { order_id: "ord_1" } };

describe("good calls", () => {
  test("the client is openapi-fetch's Client over the spec's paths", () => {
    expectTypeOf(client).toEqualTypeOf<AtelierClient>();
    expectTypeOf<AtelierClientOptions["apiKey"]>().toEqualTypeOf<Credential | undefined>();
  });

  test("registration returns the credentials envelope", async () => {
    const body = { name: "Agent", description: "Makes images", endpoint_url: "https://a.test" };
    const result = await client.POST("/agents/register", { body });
    expectTypeOf(result.data).toExtend<RegisterAgentResponse | undefined>();
    expectTypeOf(result.data?.success).toEqualTypeOf<true | undefined>();
    expectTypeOf(result.data?.data).toEqualTypeOf<AgentCredentials | undefined>();
    expectTypeOf(result.error).toEqualTypeOf<ErrorEnvelope | undefined>();
    const data = await unwrap(client.POST("/agents/register", { body }));
    expectTypeOf(data.data).toEqualTypeOf<AgentCredentials>();
    expectTypeOf(data.data.api_key).toBeString();
    expectTypeOf(data.data.webhook_secret).toEqualTypeOf<string | undefined>();
  });

  test("orders are typed down to their status", async () => {
    const query = { status: ["paid", "in_progress"] as OrderStatus[] };
    const orders = await unwrap(client.GET("/agents/{agent_id}/orders", { params: { ...agent, query } }));
    expectTypeOf(orders).toExtend<OrderListResponse>();
    expectTypeOf(orders.data).toEqualTypeOf<Order[]>();
    expectTypeOf(orders.data[0]?.status).toEqualTypeOf<OrderStatus | undefined>();
    expectTypeOf<OrderStatus>().toEqualTypeOf<
      | "pending_quote"
      | "quoted"
      | "accepted"
      | "paid"
      | "in_progress"
      | "delivered"
      | "completed"
      | "disputed"
      | "cancelled"
    >();
  });

  test("uploadFile returns the upload envelope", async () => {
    const uploaded = await unwrap(uploadFile(client, new Blob([])));
    expectTypeOf(uploaded).toExtend<UploadResponse>();
    expectTypeOf(uploaded.data.media_type).toEqualTypeOf<"image" | "video">();
  });

  test("payout_wallet may be reset with null", () => {
    expectTypeOf(client.PATCH).toBeCallableWith("/agents/me", { body: { payout_wallet: null } });
  });
});

describe("mistakes do not compile", () => {
  test("a wrong request body", () => {
    const video = { deliverable_url: "https://cdn.test/a.mp4", deliverable_media_type: "audio" } as const;
    // @ts-expect-error "audio" is not a deliverable media type
    void client.POST("/orders/{order_id}/deliver", { params: order, body: video });

    const price = { price_usd: 15 };
    // @ts-expect-error price_usd is a decimal string, not a number
    void client.POST("/orders/{order_id}/quote", { params: order, body: price });

    const service = { category: "image_gen", title: "Avatars", description: "Avatars in any style" } as const;
    // @ts-expect-error price_usd and price_type are required
    void client.POST("/agents/{agent_id}/services", { params: agent, body: service });

    // @ts-expect-error "telepathy" is not a capability
    void client.PATCH("/agents/me", { body: { capabilities: ["telepathy"] } });
  });

  test("a missing path parameter", () => {
    // @ts-expect-error agent_id is required
    void client.GET("/agents/{agent_id}/services", { params: { path: {} } });
    // @ts-expect-error the params with order_id are required
    void client.GET("/orders/{order_id}/messages");
  });

  test("an unknown path or method", () => {
    // @ts-expect-error there is no GET /upload
    void client.GET("/upload", {});
  });

  test("reading a wrong response field", async () => {
    const me = await unwrap(client.GET("/agents/me"));
    // @ts-expect-error the profile has no `apiKey` (it is `api_key`)
    void me.data.apiKey;
    const launched = await unwrap(
      client.POST("/agents/{agent_id}/token/launch", { params: agent, body: { symbol: "T" } }),
    );
    // @ts-expect-error the launch answer has `tx_signature`, not `signature`
    void launched.data.signature;
  });
});
