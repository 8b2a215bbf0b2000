import { fc, test as propTest } from "@fast-check/vitest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EchoServer, echoServer } from "./server.js";
import {
  ApiError,
  AuthenticationError,
  authorizationHeader,
  BadRequestError,
  ConflictError,
  cookieCredential,
  createHttpClient,
  headerCredential,
  InternalServerError,
  NotFoundError,
  PayloadTooLargeError,
  PermissionDeniedError,
  queryCredential,
  RateLimitError,
  redactUrl,
  UnprocessableEntityError,
  unwrap,
} from "./subject.js";

interface paths {
  "/things/{id}": {
    parameters: { query?: never; header?: never; path: { id: string }; cookie?: never };
    get: {
      parameters: { query?: { q?: string }; header?: never; path: { id: string }; cookie?: never };
      requestBody?: never;
      responses: {
        200: { headers: Record<string, unknown>; content: { "application/json": { ok: boolean } } };
        default: { headers: Record<string, unknown>; content: { "application/json": unknown } };
      };
    };
    post: {
      parameters: { query?: never; header?: never; path: { id: string }; cookie?: never };
      requestBody: { content: { "application/json": { name: string } } };
      responses: {
        200: { headers: Record<string, unknown>; content: { "application/json": { ok: boolean } } };
        default: { headers: Record<string, unknown>; content: { "application/json": unknown } };
      };
    };
  };
}

let server: EchoServer;
beforeAll(async () => {
  server = await echoServer();
});
afterAll(() => server.close());

describe("auth strategies", () => {
  it("put each credential where it belongs, CSRF on mutations only", async () => {
    let token = "tok-1";
    const client = createHttpClient<paths>({
      baseUrl: `${server.url}/`,
      auth: [
        authorizationHeader(() => token),
        headerCredential("X-CSRF-Token", "csrf-1", { mutationsOnly: true }),
        headerCredential("x-api-key", "key-1"),
        cookieCredential("auth_token", "cookie-1"),
        queryCredential("token", "gw-1"),
      ],
    });
    await client.GET("/things/{id}", { params: { path: { id: "a" }, query: { q: "x" } } });
    token = "tok-2"; // a getter credential is read on every request
    await client.POST("/things/{id}", { params: { path: { id: "a" } }, body: { name: "n" } });
    const [get, post] = server.seen.slice(-2);
    expect(get?.headers.authorization).toBe("Bearer tok-1");
    expect(get?.headers["x-csrf-token"]).toBeUndefined();
    expect(get?.headers["x-api-key"]).toBe("key-1");
    expect(get?.headers.cookie).toBe("auth_token=cookie-1");
    expect(get?.url).toBe("/things/a?q=x&token=gw-1");
    expect(post?.headers.authorization).toBe("Bearer tok-2");
    expect(post?.headers["x-csrf-token"]).toBe("csrf-1");
    expect(post?.body).toBe('{"name":"n"}');
  });

  it("sends no header for a credential that is not there", async () => {
    const client = createHttpClient<paths>({
      baseUrl: server.url,
      auth: [authorizationHeader(() => undefined)],
    });
    await client.GET("/things/{id}", { params: { path: { id: "a" } } });
    expect(server.seen.at(-1)?.headers.authorization).toBeUndefined();
  });
});

describe("errors", () => {
  const shapes: Array<[number, unknown, typeof ApiError, string]> = [
    [400, { error: "bad name" }, BadRequestError, "bad name"],
    [401, { success: false, error: "Invalid API key" }, AuthenticationError, "Invalid API key"],
    [403, { message: "forbidden", details: { field: "x" } }, PermissionDeniedError, "forbidden"],
    [
      404,
      { type: "about:blank", title: "Not Found", detail: "no such thing" },
      NotFoundError,
      "no such thing",
    ],
    [409, { error: { code: "DUP", message: "exists" } }, ConflictError, "exists"],
    [413, { error: "too large", limit: 1 }, PayloadTooLargeError, "too large"],
    [
      422,
      { error: "Validation failed", details: { fieldErrors: { name: ["short"] } } },
      UnprocessableEntityError,
      "Validation failed",
    ],
    [429, { retry_after_ms: 100, error: "slow down" }, RateLimitError, "slow down"],
    [503, { error: "upstream down" }, InternalServerError, "upstream down"],
  ];
  it.each(shapes)(
    "%i becomes its own class with the parsed provider body",
    async (status, body, Class, message) => {
      server.answers.push({ status, body, headers: { "x-request-id": `req-${status}` } });
      const client = createHttpClient<paths>({ baseUrl: server.url, maxRetries: 0 });
      const result = client.POST("/things/{id}", { params: { path: { id: "z" } }, body: { name: "n" } });
      const error = await unwrap(result).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Class);
      expect(error).toBeInstanceOf(ApiError);
      const apiError = error as ApiError;
      expect(apiError.status).toBe(status);
      expect(apiError.body).toEqual(body);
      expect(apiError.requestId).toBe(`req-${status}`);
      expect(apiError.method).toBe("POST");
      expect(apiError.message).toBe(`${status} POST ${server.url}/things/z: ${message}`);
    },
  );

  it("unwrap returns data on success", async () => {
    const client = createHttpClient<paths>({ baseUrl: server.url });
    const data = await unwrap(client.GET("/things/{id}", { params: { path: { id: "a" } } }));
    expect(data).toEqual({ ok: true });
  });

  propTest.prop([fc.string({ minLength: 8, maxLength: 40 }).filter((s) => /^[\w.-]+$/.test(s))])(
    "a credential sent in the query or headers never appears in an error message",
    async (secret) => {
      server.answers.push({ status: 401, body: { error: "Unauthorized" } });
      const client = createHttpClient<paths>({
        baseUrl: server.url,
        maxRetries: 0,
        auth: [authorizationHeader(secret), queryCredential("token", secret)],
      });
      const error = (await unwrap(client.GET("/things/{id}", { params: { path: { id: "a" } } })).catch(
        (e: unknown) => e,
      )) as ApiError;
      expect(error).toBeInstanceOf(AuthenticationError);
      expect(server.seen.at(-1)?.url).toContain(encodeURIComponent(secret));
      expect(error.message).not.toContain(secret);
      expect(error.url).not.toContain(secret);
      expect(JSON.stringify({ ...error, message: error.message })).not.toContain(secret);
    },
  );
});

describe("redactUrl", () => {
  it("hides credential query values and userinfo, keeps the rest", () => {
    expect(redactUrl("https://u:p@h.example/x?token=abc&limit=5&api_key=k")).toBe(
      "https://h.example/x?token=%5Bredacted%5D&limit=5&api_key=%5Bredacted%5D",
    );
    expect(redactUrl("/x?refresh_token=abc&q=1")).toBe("/x?refresh_token=[redacted]&q=1");
  });
});
