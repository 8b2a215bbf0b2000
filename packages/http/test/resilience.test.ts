/**
 * The runtime through clients typed by the real generated schemas (PipeAgent, PipedAI), against a
 * fault-injecting server on loopback.
 */
import { fc, test as propTest } from "@fast-check/vitest";
import { type Fault, type FaultServer, startFaultServer } from "@specyard/testkit";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { paths as PipeAgentPaths } from "../../pipeagent/src/generated/schema.js";
import type { paths as PipedAIPaths } from "../../pipedai/src/generated/schema.js";
import {
  AbortError,
  ApiError,
  authorizationHeader,
  ConnectionError,
  type CreateHttpClientOptions,
  createHttpClient,
  cursorPages,
  InternalServerError,
  LocalRateLimitError,
  type Logger,
  offsetPages,
  PIPEAGENT_RATE_LIMITS,
  queryCredential,
  RateLimitError,
  type RetryEvent,
  TimeoutError,
  unwrap,
} from "./subject.js";

let server: FaultServer;
beforeAll(async () => {
  server = await startFaultServer();
});
afterEach(() => server.reset());
afterAll(() => server.close());

/** A wait that records what it was asked and returns at once, so properties run fast. */
function recordingSleep() {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
}

function pipeagent(options: Partial<CreateHttpClientOptions> = {}) {
  return createHttpClient<PipeAgentPaths>({ baseUrl: server.url, ...options });
}

const push = (client: ReturnType<typeof pipeagent>, feed = "feed-1") =>
  client.POST("/api/v1/provider/feed/{feed_id}/push", {
    params: { path: { feed_id: feed } },
    body: { payload: [{ id: 1, v: "x" }] },
  });

const HINTS = [
  "retry-after-ms",
  "retry-after-seconds",
  "retry-after-date",
  "body-retry-after-ms",
  "ratelimit-reset",
] as const;

const retryableFault: fc.Arbitrary<Fault> = fc.oneof(
  fc.constantFrom(500, 502, 503, 504, 408).map((status): Fault => ({ kind: "status", status })),
  fc.record({
    kind: fc.constant("rate-limit" as const),
    hint: fc.constantFrom(...HINTS),
    ms: fc.integer({ min: 0, max: 3000 }),
  }),
  fc.constant<Fault>({ kind: "reset" }),
);

describe("retries", () => {
  propTest.prop([fc.array(retryableFault, { maxLength: 6 }), fc.integer({ min: 0, max: 4 })], {
    numRuns: 40,
  })(
    "never make more attempts than 1 + maxRetries, and stop at the first success",
    async (faults, maxRetries) => {
      server.reset();
      server.enqueue(...faults);
      const { sleep } = recordingSleep();
      const client = pipeagent({ maxRetries, sleep, maxDelayMs: 10_000 });
      const result = await client.GET("/v1/catalog").catch((error: unknown) => error);
      expect(server.requests.length).toBe(Math.min(faults.length + 1, maxRetries + 1));
      if (faults.length <= maxRetries) expect((result as { response: Response }).response.status).toBe(200);
    },
  );

  propTest.prop(
    [fc.array(retryableFault, { minLength: 1, maxLength: 5 }), fc.integer({ min: 1, max: 5000 })],
    {
      numRuns: 40,
    },
  )("never wait less than the server asked, nor more than the cap", async (faults, capMs) => {
    server.reset();
    server.enqueue(...faults);
    const events: RetryEvent[] = [];
    const { sleep } = recordingSleep();
    const client = pipeagent({
      maxRetries: 5,
      sleep,
      maxDelayMs: capMs,
      initialDelayMs: 100,
      onRetry: (e) => events.push(e),
    });
    await client.GET("/v1/catalog").catch(() => undefined);
    for (const [i, event] of events.entries()) {
      const fault = faults[i];
      expect(event.waitMs).toBeLessThanOrEqual(capMs);
      expect(event.waitMs).toBeGreaterThanOrEqual(0);
      if (fault?.kind === "rate-limit") {
        // Second-granular hints (Retry-After seconds or date, X-RateLimit-Reset) may round up: never down.
        const asked =
          fault.hint === "retry-after-ms" || fault.hint === "body-retry-after-ms"
            ? fault.ms
            : fault.ms - 1000;
        expect(event.hintMs).toBeDefined();
        expect(event.waitMs).toBeGreaterThanOrEqual(asked);
      } else {
        expect(event.hintMs).toBeUndefined();
        expect(event.waitMs).toBeLessThanOrEqual(Math.min(capMs, 100 * 2 ** i));
      }
    }
    // A hint past the cap is not waited for: the call gives the answer back instead.
    const retried = events.length;
    const firstOverCap = faults.findIndex((f) => f.kind === "rate-limit" && f.ms > capMs + 1000);
    if (firstOverCap >= 0) expect(retried).toBeLessThanOrEqual(firstOverCap);
  });

  const unsafeFault: fc.Arbitrary<Fault> = fc.oneof(
    fc.constantFrom(500, 502, 504, 408).map((status): Fault => ({ kind: "status", status })),
    fc
      .constantFrom(429, 503)
      .map((status): Fault => ({ kind: "rate-limit", hint: "none", ms: 0, status: status as 429 | 503 })),
    fc.constant<Fault>({ kind: "reset" }),
  );
  propTest.prop([fc.array(unsafeFault, { minLength: 1, maxLength: 4 })], { numRuns: 30 })(
    "send a POST once when a retry could duplicate it, and again only when marked idempotent",
    async (faults) => {
      server.reset();
      server.enqueue(...faults);
      const { sleep } = recordingSleep();
      await push(pipeagent({ maxRetries: 3, sleep })).catch(() => undefined);
      expect(server.requests.length).toBe(1);

      server.reset();
      server.enqueue(...faults);
      await push(pipeagent({ maxRetries: 3, sleep }).withOptions({ idempotent: true })).catch(
        () => undefined,
      );
      expect(server.requests.length).toBe(Math.min(faults.length + 1, 4));
    },
  );

  it("retries a POST after a 429 that says when, and after a refused connection", async () => {
    server.enqueue({ kind: "rate-limit", hint: "body-retry-after-ms", ms: 20 });
    const { waits, sleep } = recordingSleep();
    const { response } = await push(pipeagent({ sleep }));
    expect(response.status).toBe(200);
    expect(server.requests.length).toBe(2);
    expect(waits).toEqual([20]);

    const closed = await startFaultServer();
    const url = closed.url;
    await closed.close();
    const attempts: RetryEvent[] = [];
    const error = await push(pipeagent({ baseUrl: url, sleep, onRetry: (e) => attempts.push(e) })).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).notSent).toBe(true);
    expect(attempts).toHaveLength(2);
  });

  it("reuses one idempotency key on every attempt of a call, and a new one per call", async () => {
    server.enqueue({ kind: "status", status: 503 }, { kind: "status", status: 502 });
    const { sleep } = recordingSleep();
    const client = pipeagent({ sleep, idempotencyKey: true, idempotent: true });
    await push(client);
    await push(client);
    const keys = server.requests.map((r) => r.headers["idempotency-key"]);
    expect(keys).toHaveLength(4);
    expect(new Set(keys.slice(0, 3)).size).toBe(1);
    expect(keys[3]).not.toBe(keys[0]);
    expect(String(keys[0])).toMatch(/^[0-9a-f-]{36}$/);
    // The body is replayed whole on every attempt.
    expect(new Set(server.requests.map((r) => r.body))).toEqual(new Set(['{"payload":[{"id":1,"v":"x"}]}']));
  });

  it("gives up with a typed rate-limit error when the asked wait passes the deadline", async () => {
    server.enqueue({ kind: "rate-limit", hint: "retry-after-ms", ms: 5_000 });
    const { waits, sleep } = recordingSleep();
    const client = pipeagent({ deadlineMs: 1_000, sleep });
    const error = await unwrap(client.GET("/v1/catalog")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as RateLimitError).retryAfterMs).toBe(5_000);
    expect(server.requests).toHaveLength(1);
    expect(waits).toEqual([]); // it did not sleep through the ask
  });
});

describe("timeouts and cancellation", () => {
  it("a stalled answer is a TimeoutError per attempt, retried for GET", async () => {
    server.enqueue({ kind: "stall" }, { kind: "stall" }, { kind: "stall" });
    const error = await pipeagent({ timeoutMs: 50, initialDelayMs: 1 })
      .GET("/v1/catalog")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).kind).toBe("attempt");
    expect(server.requests).toHaveLength(3);
  });

  it("a slow body counts against the attempt timeout; a cut body is retried", async () => {
    server.enqueue({ kind: "slow-body", chunks: 5, delayMs: 40 });
    const error = await pipeagent({ timeoutMs: 60, maxRetries: 0 })
      .GET("/v1/catalog")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);

    server.enqueue({ kind: "truncated-body" });
    const { response } = await pipeagent({ initialDelayMs: 1 }).GET("/v1/catalog");
    expect(response.status).toBe(200);
    expect(server.requests.at(-1)?.fault).toBeUndefined();
  });

  it("the deadline bounds the whole call", async () => {
    server.enqueue({ kind: "stall" }, { kind: "stall" }, { kind: "stall" });
    const error = await pipeagent({ timeoutMs: 10_000, deadlineMs: 80 })
      .GET("/v1/catalog")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).kind).toBe("deadline");
  });

  it("the caller's abort is an AbortError, distinct from a timeout, mid-request and mid-wait", async () => {
    server.enqueue({ kind: "stall" });
    const controller = new AbortController();
    const pending = pipeagent().GET("/v1/catalog", { signal: controller.signal });
    setTimeout(() => controller.abort(), 30);
    await expect(pending).rejects.toBeInstanceOf(AbortError);

    server.enqueue({ kind: "rate-limit", hint: "retry-after-ms", ms: 30_000 });
    const waiting = new AbortController();
    const call = pipeagent({ maxDelayMs: 60_000 }).withOptions({ signal: waiting.signal }).GET("/v1/catalog");
    setTimeout(() => waiting.abort(), 50);
    await expect(call).rejects.toBeInstanceOf(AbortError);
  });
});

describe("auth refresh", () => {
  it("refreshes once on 401 for many concurrent calls and replays each once", async () => {
    let token = "old-token-000";
    let refreshes = 0;
    const respond = (request: { headers: Record<string, unknown> }) =>
      request.headers.authorization === "Bearer new-token-111"
        ? { status: 200, body: { ok: true } }
        : { status: 401, body: { error: "expired" } };
    const auth = await startFaultServer({ respond });
    try {
      const client = createHttpClient<PipeAgentPaths>({
        baseUrl: auth.url,
        auth: [authorizationHeader(() => token)],
        refreshAuth: async () => {
          refreshes++;
          await new Promise((resolve) => setTimeout(resolve, 20));
          token = "new-token-111";
          return true;
        },
      });
      const results = await Promise.all(Array.from({ length: 8 }, () => client.GET("/v1/catalog")));
      expect(results.map((r) => r.response.status)).toEqual(Array(8).fill(200));
      expect(refreshes).toBe(1);
      expect(auth.requests.length).toBeLessThanOrEqual(16);
    } finally {
      await auth.close();
    }
  });

  it("returns the 401 when the refresh fails, without looping", async () => {
    const auth = await startFaultServer({ respond: () => ({ status: 401, body: { error: "no" } }) });
    try {
      let refreshes = 0;
      const client = createHttpClient<PipeAgentPaths>({
        baseUrl: auth.url,
        auth: [authorizationHeader("tok-xyz-123")],
        refreshAuth: async () => {
          refreshes++;
          return refreshes === 1;
        },
      });
      const { response } = await client.GET("/v1/catalog");
      expect(response.status).toBe(401);
      expect(refreshes).toBe(1);
      expect(auth.requests).toHaveLength(2);
    } finally {
      await auth.close();
    }
  });
});

describe("client-side rate limits", () => {
  it("keeps PipeAgent pushes under 20 per minute per feed, and refuses to wait past the deadline", async () => {
    let clock = 0;
    const waits: number[] = [];
    const client = pipeagent({
      rateLimits: PIPEAGENT_RATE_LIMITS,
      now: () => clock,
      sleep: async (ms) => {
        waits.push(ms);
        clock += ms;
      },
    });
    for (let i = 0; i < 20; i++) await push(client, "feed-a");
    expect(waits).toEqual([]);
    await push(client, "feed-b"); // another feed has its own bucket
    expect(waits).toEqual([]);
    await push(client, "feed-a");
    expect(waits).toEqual([3000]); // one token per 3 s
    await client.GET("/v1/catalog"); // reads are not limited
    expect(waits).toHaveLength(1);

    const hurried = client.withOptions({ deadlineMs: 1000 });
    const error = await push(hurried, "feed-a").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LocalRateLimitError);
    expect((error as LocalRateLimitError).retryAfterMs).toBe(3000);
  });
});

describe("redaction", () => {
  const secretArb = fc.stringMatching(/^[A-Za-z0-9_\-.]{12,40}$/);
  propTest.prop([secretArb, fc.array(retryableFault, { maxLength: 4 })], { numRuns: 30 })(
    "a secret never appears in a log line or an error, whatever fails",
    async (secret, faults) => {
      server.reset();
      // The server echoes the credential back in its error body: the client must still hide it.
      server.enqueue(...faults, {
        kind: "status",
        status: 401,
        body: { error: `token ${secret} is expired` },
      });
      const lines: string[] = [];
      const logger: Logger = {
        debug: (m, f) => lines.push(m + JSON.stringify(f)),
        info: (m, f) => lines.push(m + JSON.stringify(f)),
        warn: (m, f) => lines.push(m + JSON.stringify(f)),
        error: (m, f) => lines.push(m + JSON.stringify(f)),
      };
      const client = pipeagent({
        maxRetries: 5,
        sleep: async () => undefined,
        logger,
        logLevel: "debug",
        auth: [authorizationHeader(secret), queryCredential("token", secret)],
      });
      const error = await unwrap(client.GET("/v1/catalog")).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ApiError);
      const apiError = error as ApiError;
      for (const text of [apiError.message, String(apiError), apiError.url, apiError.stack ?? "", ...lines]) {
        expect(text).not.toContain(secret);
      }
      expect(JSON.stringify({ ...apiError })).not.toContain(encodeURIComponent(secret));
    },
  );

  it("hides registered secrets and a server-echoed token in thrown errors (throwOnError)", async () => {
    server.enqueue({ kind: "status", status: 500, body: { error: "db password hunter2-secret leaked" } });
    const client = pipeagent({ throwOnError: true, maxRetries: 0, secrets: ["hunter2-secret"] });
    const error = await client.GET("/v1/catalog").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InternalServerError);
    expect((error as Error).message).toBe(`500 GET ${server.url}/v1/catalog: db password [redacted] leaked`);
  });
});

describe("pagination", () => {
  const splits = fc
    .array(fc.integer({ min: 0, max: 9999 }), { minLength: 0, maxLength: 60 })
    .chain((items) => fc.tuple(fc.constant([...new Set(items)]), fc.integer({ min: 1, max: 7 })));

  propTest.prop([splits], { numRuns: 40 })(
    "offset pages (PipeAgent) yield every item exactly once",
    async ([items, size]) => {
      const pages = await startFaultServer({
        respond: (request) => {
          const offset = Number(new URL(request.url, "http://x").searchParams.get("offset") ?? 0);
          const feeds = items.slice(offset, offset + size).map((n) => ({ id: String(n) }));
          return {
            status: 200,
            body: { feeds, total: items.length, limit: size, offset, has_more: offset + size < items.length },
          };
        },
      });
      try {
        const client = createHttpClient<PipeAgentPaths>({ baseUrl: pages.url });
        const pager = offsetPages(
          (offset) => unwrap(client.GET("/v1/catalog", { params: { query: { offset, limit: size } } })),
          (page) => page.feeds ?? [],
        );
        const seen = (await pager.toArray()).map((feed) => Number(feed.id));
        expect(seen).toEqual(items);
      } finally {
        await pages.close();
      }
    },
  );

  propTest.prop([splits], { numRuns: 40 })(
    "cursor pages (PipedAI) yield every item exactly once",
    async ([items, size]) => {
      const pages = await startFaultServer({
        respond: (request) => {
          const cursor = new URL(request.url, "http://x").searchParams.get("cursor");
          const start = cursor ? Number(Buffer.from(cursor, "base64url").toString()) : 0;
          const end = start + size;
          return {
            status: 200,
            body: {
              items: items.slice(start, end).map((n) => ({ id: String(n) })),
              nextCursor: end < items.length ? Buffer.from(String(end)).toString("base64url") : null,
            },
          };
        },
      });
      try {
        const client = createHttpClient<PipedAIPaths>({ baseUrl: pages.url });
        const pager = cursorPages(
          (cursor) =>
            unwrap(
              client.GET("/api/v1/environments/{envId}/runs", {
                params: { path: { envId: "env-1" }, query: cursor ? { cursor } : {} },
              }),
            ),
          (page) => page.items,
        );
        const seen: number[] = [];
        for await (const run of pager) seen.push(Number(run.id));
        expect(seen).toEqual(items);
      } finally {
        await pages.close();
      }
    },
  );
});
