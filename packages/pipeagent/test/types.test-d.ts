import { describe, expectTypeOf, test } from "vitest";
import {
  type CatalogResponse,
  createPipeAgentClient,
  type Feed,
  type FeedData,
  type FeedMetadata,
  type PipeAgentError,
  type PushEnvelope,
  type PushResponse,
  unwrap,
} from "../src/index.js";

const client = createPipeAgentClient({ writeKey: "w", readKey: () => "r" });
const FEED_ID = "7d0f3c2e-5b8a-4f1e-9c6d-2a4b8e1f0c93";

describe("request bodies", () => {
  test("a good create body compiles and returns a Feed", async () => {
    const result = await client.POST("/api/v1/provider/feed/create", {
      body: {
        name: "Feed",
        endpoint_path: "feed",
        feed_type: "snapshot",
        price_type: "free",
        status: "draft",
      },
    });
    expectTypeOf(result.data).branded.toEqualTypeOf<Feed | undefined>();
    expectTypeOf(result.error).toEqualTypeOf<PipeAgentError | undefined>();
    expectTypeOf(await unwrap(result)).branded.toEqualTypeOf<Feed>();
  });

  test("wrong bodies do not compile", () => {
    // @ts-expect-error name is required
    client.POST("/api/v1/provider/feed/create", { body: { endpoint_path: "feed" } });
    // @ts-expect-error name must be a string
    client.POST("/api/v1/provider/feed/create", { body: { name: 1, endpoint_path: "feed" } });
    client.POST("/api/v1/provider/feed/create", {
      // @ts-expect-error "table" is not a feed type
      body: { name: "Feed", endpoint_path: "feed", feed_type: "table" },
    });
    client.POST("/api/v1/provider/feed/create", {
      // @ts-expect-error status "active" is not allowed on create
      body: { name: "Feed", endpoint_path: "feed", status: "active" },
    });
  });

  test("push bodies: the legacy form keeps the body open, PushEnvelope checks the wrapper", () => {
    // The spec allows the payload alone as the whole body (legacy), so any JSON object compiles as a
    // push body; `satisfies PushEnvelope` checks the preferred wrapper.
    const good = {
      payload: [{ id: 1, stars: 3 }],
      batch_id: "b1",
      batch_complete: true,
    } satisfies PushEnvelope;
    client.POST("/api/v1/provider/feed/{feed_id}/push", {
      params: { path: { feed_id: FEED_ID } },
      body: good,
    });
    // @ts-expect-error batch_complete is a boolean
    ({ payload: [{ id: 1 }], batch_complete: "yes" }) satisfies PushEnvelope;
    // @ts-expect-error every row of an array payload needs an id
    ({ payload: [{ name: "no id" }] }) satisfies PushEnvelope;
    // @ts-expect-error a row id is a string or a number
    ({ payload: [{ id: true }] }) satisfies PushEnvelope;
    // @ts-expect-error the wrapper needs a payload
    ({ batch_id: "b1" }) satisfies PushEnvelope;
  });
});

describe("path and query parameters", () => {
  test("a missing path parameter does not compile", () => {
    // @ts-expect-error params.path.feed_id is required
    client.POST("/api/v1/provider/feed/{feed_id}/push", { body: { payload: { a: 1 } } });
    // @ts-expect-error params.path.id is required
    client.GET("/v1/feed/{id}/metadata", { params: {} });
    // @ts-expect-error q is required by search
    client.GET("/v1/search", { params: { query: { limit: 5 } } });
    // @ts-expect-error limit is a number
    client.GET("/v1/catalog", { params: { query: { limit: "5" } } });
  });

  test("unknown paths and methods do not compile", () => {
    // @ts-expect-error no such route
    client.GET("/v1/feeds", {});
    // @ts-expect-error catalog is read-only
    client.POST("/v1/catalog", { body: {} });
  });
});

describe("responses", () => {
  test("good reads have the right data types", async () => {
    const catalog = await client.GET("/v1/catalog", { params: { query: { limit: 10 } } });
    expectTypeOf(catalog.data).branded.toEqualTypeOf<CatalogResponse | undefined>();
    const meta = await unwrap(client.GET("/v1/feed/{id}/metadata", { params: { path: { id: "slug" } } }));
    expectTypeOf(meta).toEqualTypeOf<FeedMetadata>();
    expectTypeOf(meta.consumer_type).toEqualTypeOf<"singleton" | "collection" | "stream">();
    const data = await unwrap(
      client.GET("/v1/feed/{id}", {
        params: { path: { id: "slug" }, query: { filters: { status: "eq.bullish" } } },
      }),
    );
    expectTypeOf(data).toEqualTypeOf<FeedData>();
    const ack = await unwrap(
      client.POST("/api/v1/provider/feed/{feed_id}/push", {
        params: { path: { feed_id: FEED_ID } },
        body: { payload: { price: 1 } },
      }),
    );
    expectTypeOf(ack).toEqualTypeOf<PushResponse>();
    expectTypeOf(ack.rows).toEqualTypeOf<number | undefined>();
  });

  test("reading a wrong response field does not compile", async () => {
    const page = await unwrap(client.GET("/v1/catalog"));
    // @ts-expect-error the list is `feeds`, not `items`
    page.items;
    // @ts-expect-error FeedSummary has no `price`
    page.feeds[0]?.price;
    const feed = await unwrap(
      client.POST("/api/v1/provider/feed/create", { body: { name: "Feed", endpoint_path: "feed" } }),
    );
    // @ts-expect-error Feed has no `owner`
    feed.owner;
    expectTypeOf(feed.status).toEqualTypeOf<"draft" | "inactive" | "active">();
  });
});

describe("client options", () => {
  test("credentials are typed", () => {
    createPipeAgentClient({ writeKey: "w", readKey: async () => undefined, readKeyIn: "bearer" });
    // @ts-expect-error readKeyIn is x-api-key or bearer
    createPipeAgentClient({ readKey: "r", readKeyIn: "cookie" });
    // @ts-expect-error a credential is a string or a function
    createPipeAgentClient({ writeKey: 42 });
    // @ts-expect-error there is no single apiKey option: pick writeKey or readKey
    createPipeAgentClient({ apiKey: "k" });
  });
});
