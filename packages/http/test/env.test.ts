/**
 * Configuration from the environment, the per-operation credential check, the User-Agent, the
 * request id of a successful answer, and no timer left behind by a credential getter that throws.
 */
import { type FaultServer, startFaultServer } from "@specyard/testkit";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { paths } from "../../pipeagent/src/generated/schema.js";
import {
  authorizationHeader,
  createHttpClient,
  credentialsFrom,
  MissingCredentialError,
  type OperationSecurity,
  readEnv,
  unwrapWithResponse,
} from "./subject.js";

let server: FaultServer;
beforeAll(async () => {
  server = await startFaultServer({
    respond: () => ({ status: 200, headers: { "x-request-id": "req-42" }, body: { feeds: [] } }),
  });
});
afterEach(() => {
  server.reset();
  vi.unstubAllEnvs();
});
afterAll(() => server.close());

const security = (given: boolean): OperationSecurity => ({
  operations: { "GET /v1/catalog": [["ReadKeyHeader"], ["ReadKeyBearer"]], "GET /v1/search": [[]] },
  schemes: {
    ReadKeyHeader: { option: "readKey", variable: "DEMO_READ_KEY", given },
    ReadKeyBearer: { option: "readKey", variable: "DEMO_READ_KEY", given },
  },
});

describe("environment variables", () => {
  it("readEnv trims, and treats unset and blank alike", () => {
    vi.stubEnv("SPECYARD_TEST_VALUE", "  abc ");
    expect(readEnv("SPECYARD_TEST_VALUE")).toBe("abc");
    vi.stubEnv("SPECYARD_TEST_VALUE", "   ");
    expect(readEnv("SPECYARD_TEST_VALUE")).toBeUndefined();
    expect(readEnv("SPECYARD_TEST_UNSET_VALUE")).toBeUndefined();
  });

  it("given credentials are used as they are; only a client given none reads the environment", () => {
    vi.stubEnv("SPECYARD_TEST_A", "env-a");
    vi.stubEnv("SPECYARD_TEST_B", "env-b");
    const variables = { a: "SPECYARD_TEST_A", b: "SPECYARD_TEST_B" };
    expect(credentialsFrom({}, variables)).toEqual({ a: "env-a", b: "env-b" });
    expect(credentialsFrom({ a: undefined }, variables)).toEqual({ a: "env-a", b: "env-b" });
    // One credential chosen: none is mixed in from the environment, "" included (it sends nothing).
    expect(credentialsFrom({ a: "given" }, variables)).toEqual({ a: "given", b: undefined });
    expect(credentialsFrom({ b: "" }, variables)).toEqual({ a: undefined, b: "" });
    const getter = () => "x";
    expect(credentialsFrom({ a: getter }, variables).a).toBe(getter);
  });
});

describe("per-operation credentials", () => {
  it("a call that lacks its credential fails before anything is sent, naming option and variable", async () => {
    const client = createHttpClient<paths>({ baseUrl: server.url, security: security(false) });
    const thrown = await client.GET("/v1/catalog").catch((error: unknown) => error);
    expect(thrown).toBeInstanceOf(MissingCredentialError);
    const error = thrown as MissingCredentialError;
    expect(error.operation).toBe("GET /v1/catalog");
    // Two schemes on one option are one way to satisfy it.
    expect(error.options).toEqual([["readKey"]]);
    expect(error.variables).toEqual([["DEMO_READ_KEY"]]);
    expect(error.message).toBe("GET /v1/catalog needs a credential: set readKey (or DEMO_READ_KEY)");
    expect(server.requests).toHaveLength(0);
  });

  it("operations that need no credential, and clients that have it, are sent", async () => {
    const without = createHttpClient<paths>({ baseUrl: server.url, security: security(false) });
    expect((await without.GET("/v1/search", { params: { query: { q: "x" } } })).response.status).toBe(200);
    const withKey = createHttpClient<paths>({
      baseUrl: server.url,
      security: security(true),
      auth: [authorizationHeader("k")],
    });
    expect((await withKey.GET("/v1/catalog")).response.status).toBe(200);
    expect(server.requests).toHaveLength(2);
  });

  it("an operation that takes no credential is sent without the client's credentials", async () => {
    const client = createHttpClient<paths>({
      baseUrl: server.url,
      security: security(true),
      auth: [authorizationHeader("k")],
    });
    await client.GET("/v1/search", { params: { query: { q: "x" } } });
    await client.GET("/v1/catalog");
    expect(server.requests.map((r) => r.headers.authorization)).toEqual([undefined, "Bearer k"]);
  });

  it("requireCredentials: false sends the call anyway", async () => {
    const client = createHttpClient<paths>({
      baseUrl: server.url,
      security: security(false),
      requireCredentials: false,
    });
    expect((await client.GET("/v1/catalog")).response.status).toBe(200);
    expect(server.requests[0]?.headers.authorization).toBeUndefined();
  });
});

describe("User-Agent and request ids", () => {
  it("sends the client's User-Agent unless the request sets its own", async () => {
    const client = createHttpClient<paths>({ baseUrl: server.url, userAgent: "specyard-demo/1.2.3" });
    await client.GET("/v1/catalog");
    await client.GET("/v1/catalog", { headers: { "User-Agent": "mine/1" } });
    expect(server.requests.map((r) => r.headers["user-agent"])).toEqual(["specyard-demo/1.2.3", "mine/1"]);
  });

  it("unwrapWithResponse hands back the data, the Response and its request id", async () => {
    const client = createHttpClient<paths>({ baseUrl: server.url });
    const { data, response, requestId } = await unwrapWithResponse(client.GET("/v1/catalog"));
    expect(data).toEqual({ feeds: [] });
    expect(response.status).toBe(200);
    expect(requestId).toBe("req-42");
  });
});

describe("a credential getter that throws", () => {
  it("rejects the call and leaves no timer behind (the process can exit at once)", async () => {
    const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === "Timeout").length;
    const client = createHttpClient<paths>({
      baseUrl: server.url,
      auth: [
        authorizationHeader(() => {
          throw new Error("no session");
        }),
      ],
    });
    const before = timers();
    await expect(client.GET("/v1/catalog")).rejects.toThrow("no session");
    expect(timers()).toBe(before);
    expect(server.requests).toHaveLength(0);
  });
});
