import { type PrismServer, responseValidator, specPath, startPrism } from "@specyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ApiError,
  AuthenticationError,
  BadRequestError,
  createPipeAgentClient,
  type FeedCreateRequest,
  isConsumerRoute,
  PIPEAGENT_BASE_URL,
  type PipeAgentClientOptions,
  UnprocessableEntityError,
  unwrap,
} from "../src/index.js";

const WRITE_KEY = "pa_write_SECRET_7f3a9c";
const READ_KEY = "pa_read_SECRET_2b8e41";
const FEED_ID = "7d0f3c2e-5b8a-4f1e-9c6d-2a4b8e1f0c93";

const validate = responseValidator("pipeagent");
let prism: PrismServer;

beforeAll(async () => {
  prism = await startPrism(specPath("pipeagent"));
});

afterAll(async () => {
  await prism?.close();
});

/** A client on Prism whose fetch records every outgoing request. */
function recordingClient(options: PipeAgentClientOptions = {}) {
  const sent: Request[] = [];
  const client = createPipeAgentClient({
    baseUrl: prism.url,
    ...options,
    fetch: async (request: Request) => {
      sent.push(request.clone());
      return fetch(request);
    },
  });
  return { client, sent };
}

const createBody: FeedCreateRequest = {
  name: "Top GitHub AI Repositories",
  endpoint_path: "github-ai-repos",
  feed_type: "collection",
  price_type: "one_time",
  one_time_price_cents: 1990,
  schema_definition: { type: "object", properties: { id: { type: "string" } }, required: ["id"] },
  schema_locked: true,
  status: "inactive",
};

describe("Feed management (write key)", () => {
  it("creates a feed and gets the schema-valid feed row", async () => {
    const { client } = recordingClient({ writeKey: WRITE_KEY });
    const { data, error, response } = await client.POST("/api/v1/provider/feed/create", { body: createBody });
    expect(error).toBeUndefined();
    expect(response.status).toBe(200);
    expect(validate("/api/v1/provider/feed/create", "post", 200, data)).toBeNull();
    expect(data?.endpoint_path).toBe("github-ai-repos");
    expect(data?.is_public).toBe(false);
  });

  it("edits a feed", async () => {
    const { client } = recordingClient({ writeKey: WRITE_KEY });
    const feed = await unwrap(
      client.PATCH("/api/v1/provider/feed/{feed_id}/edit", {
        params: { path: { feed_id: FEED_ID } },
        body: {
          sync_interval_mins: 30,
          price_type: "metered",
          price_per_1k: 0.5,
          one_time_price_cents: null,
        },
      }),
    );
    expect(validate("/api/v1/provider/feed/{feed_id}/edit", "patch", 200, feed)).toBeNull();
    expect(feed.id).toBe(FEED_ID);
  });
});

describe("Push (write key)", () => {
  it("pushes a collection chunk", async () => {
    const { client } = recordingClient({ writeKey: WRITE_KEY });
    const ack = await unwrap(
      client.POST("/api/v1/provider/feed/{feed_id}/push", {
        params: { path: { feed_id: FEED_ID } },
        body: {
          payload: [{ id: "cool-project", stars: 4200 }],
          batch_id: "2025-06-02",
          batch_complete: true,
        },
      }),
    );
    expect(validate("/api/v1/provider/feed/{feed_id}/push", "post", 200, ack)).toBeNull();
    expect(ack.success).toBe(true);
  });

  it("rejects more than 500 rows as a typed 422", async () => {
    const { client } = recordingClient({ writeKey: WRITE_KEY });
    const rows = Array.from({ length: 501 }, (_, i) => ({ id: i }));
    const result = await client.POST("/api/v1/provider/feed/{feed_id}/push", {
      params: { path: { feed_id: FEED_ID } },
      body: { payload: rows },
    });
    expect(result.data).toBeUndefined();
    expect(result.response.status).toBe(422);
    expect(typeof result.error?.error).toBe("string");
    expect(validate("/api/v1/provider/feed/{feed_id}/push", "post", 422, result.error)).toBeNull();
    const thrown = await unwrap(result).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(UnprocessableEntityError);
    expect((thrown as ApiError).status).toBe(422);
    expect((thrown as ApiError).message).not.toContain(WRITE_KEY);
  });
});

describe("Discovery (read key)", () => {
  it("lists the catalog with the read key in x-api-key", async () => {
    const { client } = recordingClient({ readKey: READ_KEY });
    const { data, error } = await client.GET("/v1/catalog", { params: { query: { limit: 20, offset: 0 } } });
    expect(error).toBeUndefined();
    expect(validate("/v1/catalog", "get", 200, data)).toBeNull();
    expect(data?.has_more).toBe(false);
  });

  it("searches with the read key as a bearer token", async () => {
    const { client } = recordingClient({ readKey: READ_KEY, readKeyIn: "bearer" });
    const page = await unwrap(client.GET("/v1/search", { params: { query: { q: "github" } } }));
    expect(validate("/v1/search", "get", 200, page)).toBeNull();
    expect(page.feeds.length).toBeGreaterThan(0);
  });

  it("answers a call without a read key with 401, thrown as AuthenticationError", async () => {
    // Only a write key: it must not leak onto consumer routes, so Prism sees no credential.
    const { client, sent } = recordingClient({ writeKey: WRITE_KEY, requireCredentials: false });
    const result = await client.GET("/v1/catalog");
    expect(result.response.status).toBe(401);
    expect(sent[0]?.headers.get("authorization")).toBeNull();
    expect(validate("/v1/catalog", "get", 401, result.error)).toBeNull();
    const thrown = await unwrap(result).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(AuthenticationError);
    expect((thrown as ApiError).status).toBe(401);
    expect((thrown as ApiError).message).not.toContain(WRITE_KEY);
  });

  it("answers an out-of-range limit with a typed 400", async () => {
    const { client } = recordingClient({ readKey: READ_KEY });
    const result = await client.GET("/v1/catalog", { params: { query: { limit: 500 } } });
    expect(result.response.status).toBe(400);
    expect(result.error).toEqual({ error: expect.any(String) });
    const thrown = await unwrap(result).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(BadRequestError);
    expect((thrown as ApiError).status).toBe(400);
    expect((thrown as ApiError).message).not.toContain(READ_KEY);
    expect(String(thrown)).not.toContain(READ_KEY);
  });
});

describe("Feeds (read key)", () => {
  it("reads feed metadata by endpoint_path", async () => {
    const { client } = recordingClient({ readKey: READ_KEY });
    const meta = await unwrap(
      client.GET("/v1/feed/{id}/metadata", { params: { path: { id: "github-ai-repos" } } }),
    );
    expect(validate("/v1/feed/{id}/metadata", "get", 200, meta)).toBeNull();
    expect(meta.consumer_type).toBe("collection");
  });

  it("reads feed data with pagination and eq filters sent as field=eq.value", async () => {
    const { client, sent } = recordingClient({ readKey: READ_KEY });
    const data = await unwrap(
      client.GET("/v1/feed/{id}", {
        params: {
          path: { id: FEED_ID },
          query: { limit: 10, cursor: "abc", filters: { status: "eq.bullish" } },
        },
      }),
    );
    expect(validate("/v1/feed/{id}", "get", 200, data)).toBeNull();
    const url = new URL(sent[0]?.url ?? "");
    expect(url.searchParams.get("status")).toBe("eq.bullish");
    expect(url.searchParams.get("limit")).toBe("10");
    expect([...url.searchParams.keys()].some((key) => key.startsWith("filters"))).toBe(false);
  });
});

describe("invalid bodies", () => {
  it("come back as the typed error and as BadRequestError through unwrap", async () => {
    const { client } = recordingClient({ writeKey: WRITE_KEY });
    const { name: _omitted, ...withoutName } = createBody;
    const result = await client.POST("/api/v1/provider/feed/create", {
      body: withoutName as FeedCreateRequest,
    });
    expect(result.response.status).toBe(400);
    expect(result.error).toEqual({ error: expect.any(String) });
    expect(validate("/api/v1/provider/feed/create", "post", 400, result.error)).toBeNull();
    const thrown = await unwrap(result).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(BadRequestError);
    expect((thrown as ApiError).status).toBe(400);
    expect((thrown as ApiError).body).toEqual(result.error);
    expect((thrown as ApiError).message).not.toContain(WRITE_KEY);
  });
});

describe("auth wiring", () => {
  it("sends the write key as Authorization: Bearer on provider routes only", async () => {
    const { client, sent } = recordingClient({ writeKey: WRITE_KEY, readKey: READ_KEY });
    await unwrap(client.POST("/api/v1/provider/feed/create", { body: createBody }));
    await unwrap(client.GET("/v1/catalog"));
    const [provider, consumer] = sent;
    expect(provider?.headers.get("authorization")).toBe(`Bearer ${WRITE_KEY}`);
    expect(provider?.headers.get("x-api-key")).toBeNull();
    expect(consumer?.headers.get("x-api-key")).toBe(READ_KEY);
    expect(consumer?.headers.get("authorization")).toBeNull();
  });

  it("sends the read key as Authorization: Bearer when asked", async () => {
    const { client, sent } = recordingClient({ writeKey: WRITE_KEY, readKey: READ_KEY, readKeyIn: "bearer" });
    await unwrap(client.GET("/v1/feed/{id}/metadata", { params: { path: { id: FEED_ID } } }));
    expect(sent[0]?.headers.get("authorization")).toBe(`Bearer ${READ_KEY}`);
    expect(sent[0]?.headers.get("x-api-key")).toBeNull();
  });

  it("resolves function credentials on every request", async () => {
    let calls = 0;
    const { client, sent } = recordingClient({
      readKey: async () => {
        calls++;
        return `${READ_KEY}-${calls}`;
      },
    });
    await unwrap(client.GET("/v1/catalog"));
    await unwrap(client.GET("/v1/search", { params: { query: { q: "sol" } } }));
    expect(sent.map((r) => r.headers.get("x-api-key"))).toEqual([`${READ_KEY}-1`, `${READ_KEY}-2`]);
  });

  it("routes by path relative to the base URL", () => {
    expect(isConsumerRoute(`${PIPEAGENT_BASE_URL}/v1/feed/abc`, PIPEAGENT_BASE_URL)).toBe(true);
    expect(isConsumerRoute(`${PIPEAGENT_BASE_URL}/v1/catalog?limit=1`, PIPEAGENT_BASE_URL)).toBe(true);
    expect(isConsumerRoute(`${PIPEAGENT_BASE_URL}/v1/search`, PIPEAGENT_BASE_URL)).toBe(true);
    expect(isConsumerRoute(`${PIPEAGENT_BASE_URL}/api/v1/provider/feed/create`, PIPEAGENT_BASE_URL)).toBe(
      false,
    );
    expect(isConsumerRoute(`${PIPEAGENT_BASE_URL}/v1/feedback`, PIPEAGENT_BASE_URL)).toBe(false);
    expect(isConsumerRoute("https://proxy.test/pipeagent/v1/feed/x", "https://proxy.test/pipeagent/")).toBe(
      true,
    );
    expect(
      isConsumerRoute(
        "https://proxy.test/pipeagent/api/v1/provider/feed/x/push",
        "https://proxy.test/pipeagent",
      ),
    ).toBe(false);
  });

  it("defaults to the production base URL", async () => {
    const seen: string[] = [];
    const client = createPipeAgentClient({
      readKey: READ_KEY,
      fetch: async (request: Request) => {
        seen.push(request.url);
        return new Response(JSON.stringify({ feeds: [], total: 0, limit: 20, offset: 0, has_more: false }), {
          headers: { "content-type": "application/json" },
        });
      },
    });
    const page = await unwrap(client.GET("/v1/catalog"));
    expect(page.total).toBe(0);
    expect(seen).toEqual([`${PIPEAGENT_BASE_URL}/v1/catalog`]);
  });
});
