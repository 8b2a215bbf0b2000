import { type PrismServer, responseValidator, specPath, startPrism } from "@specyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ApiError,
  AuthenticationError,
  BadRequestError,
  createPipedAIClient,
  isWorkerRoute,
  PIPEDAI_BASE_URL,
  type PipedAIClientOptions,
  unwrap,
} from "../src/index.js";

const API_KEY = "pwk_test_5e3c1b9a7d2f4e8c";
const WORKER_TOKEN = "wkt_test_8a1f0c2e9b7d4c3a";
const AUTH_TOKEN = "jwt-test-3f9d2c1b0a8e7d6c";
const SECRETS = [API_KEY, WORKER_TOKEN, AUTH_TOKEN];

const ENV_ID = "2d8f7c5a-4e63-4b2a-9f9c-7a3d4e5f6071";
const TRIGGER_ID = "3e9a8d6b-5f74-4c3b-8a0d-8b4e5f607182";
const WORKER_ID = "5abc0f8d-7b96-4e5d-8c2f-ad60718293a4";
const RUN_ID = "4fab9e7c-6a85-4d4c-9b1e-9c5f60718293";

let prism: PrismServer;
const validate = responseValidator("pipedai");

beforeAll(async () => {
  prism = await startPrism(specPath("pipedai"));
});

afterAll(async () => {
  await prism?.close();
});

// These tests look at what the server is sent and how it answers, so a call that lacks a
// credential is sent anyway (the local MissingCredentialError is tested in env.test.ts).
const client = (options: PipedAIClientOptions = {}) =>
  createPipedAIClient({ baseUrl: prism.url, requireCredentials: false, ...options });

/** A client whose fetch records every request before Prism answers it. */
function recording(options: PipedAIClientOptions) {
  const seen: Request[] = [];
  const api = client({
    ...options,
    fetch: async (request: Request) => {
      seen.push(request.clone());
      return fetch(request);
    },
  });
  return { api, seen };
}

function expectNoSecret(error: unknown) {
  expect(error).toBeInstanceOf(ApiError);
  const message = (error as ApiError).message;
  for (const secret of SECRETS) expect(message).not.toContain(secret);
}

describe("typed calls against the spec (one per tag)", () => {
  it("Auth: login sets the cookie; me answers with the cookie", async () => {
    const login = await client().POST("/api/v1/auth/login", {
      body: { email: "ada@example.org", password: "correct-horse-battery" },
    });
    expect(login.response.status).toBe(200);
    expect(login.response.headers.get("set-cookie")).toContain("auth_token=");
    expect(validate("/api/v1/auth/login", "post", 200, login.data)).toBeNull();

    const me = await unwrap(client({ authToken: AUTH_TOKEN }).GET("/api/v1/auth/me"));
    expect(me.user.email).toBe("ada@example.org");
    expect(validate("/api/v1/auth/me", "get", 200, me)).toBeNull();
  });

  it("Auth: logout answers 204 with the cookie cleared", async () => {
    const result = await client({ authToken: AUTH_TOKEN }).POST("/api/v1/auth/logout");
    expect(result.response.status).toBe(204);
    expect(result.error).toBeUndefined();
  });

  it("Workspaces: list with a pwk_ key", async () => {
    const list = await unwrap(client({ apiKey: API_KEY }).GET("/api/v1/workspaces"));
    expect(list.items[0]?.name).toBe("Acme Automations");
    expect(validate("/api/v1/workspaces", "get", 200, list)).toBeNull();
  });

  it("Environments: create in a workspace", async () => {
    const result = await client({ apiKey: API_KEY }).POST("/api/v1/workspaces/{wsId}/environments", {
      params: { path: { wsId: "1c7e6b4f-3d52-4a1f-8e8b-6f2c3d4e5f60" } },
      body: { name: "production" },
    });
    expect(result.response.status).toBe(201);
    expect(result.data?.workspaceId).toBe("1c7e6b4f-3d52-4a1f-8e8b-6f2c3d4e5f60");
    expect(validate("/api/v1/workspaces/{wsId}/environments", "post", 201, result.data)).toBeNull();
  });

  it("Members: list with roles", async () => {
    const members = await unwrap(
      client({ authToken: AUTH_TOKEN }).GET("/api/v1/environments/{envId}/members", {
        params: { path: { envId: ENV_ID } },
      }),
    );
    expect(members.items[0]?.role).toBe("owner");
    expect(validate("/api/v1/environments/{envId}/members", "get", 200, members)).toBeNull();
  });

  it("API Keys: mint a pwk_ key", async () => {
    const created = await unwrap(
      client({ apiKey: API_KEY }).POST("/api/v1/environments/{envId}/api-keys", {
        params: { path: { envId: ENV_ID } },
        body: { name: "ci-deploys", prefix: "pwk" },
      }),
    );
    expect(created.token.startsWith("pwk_")).toBe(true);
    expect(validate("/api/v1/environments/{envId}/api-keys", "post", 201, created)).toBeNull();
  });

  it("Audit Log: filtered page", async () => {
    const page = await unwrap(
      client({ apiKey: API_KEY }).GET("/api/v1/environments/{envId}/audit-log", {
        params: { path: { envId: ENV_ID }, query: { action: "member.add", limit: 50 } },
      }),
    );
    expect(page.nextCursor).toBeNull();
    expect(validate("/api/v1/environments/{envId}/audit-log", "get", 200, page)).toBeNull();
  });

  it("Users: lookup by email", async () => {
    const found = await unwrap(
      client({ authToken: AUTH_TOKEN }).GET("/api/v1/users/lookup", {
        params: { query: { email: "grace@example.org" } },
      }),
    );
    expect(found.user.email).toBe("grace@example.org");
    expect(validate("/api/v1/users/lookup", "get", 200, found)).toBeNull();
  });

  it("Triggers: get one", async () => {
    const trigger = await unwrap(
      client({ apiKey: API_KEY }).GET("/api/v1/triggers/{id}", { params: { path: { id: TRIGGER_ID } } }),
    );
    expect(trigger.id).toBe(TRIGGER_ID);
    expect(validate("/api/v1/triggers/{id}", "get", 200, trigger)).toBeNull();
  });

  it("Runs: run a trigger with a pwk_ key (202) and list the environment's runs", async () => {
    const result = await client({ apiKey: API_KEY }).POST("/api/v1/triggers/{id}/run", {
      params: { path: { id: TRIGGER_ID } },
      body: { input: { ticketQueue: "support" } },
    });
    expect(result.response.status).toBe(202);
    expect(result.data?.status).toBe("queued");
    expect(validate("/api/v1/triggers/{id}/run", "post", 202, result.data)).toBeNull();

    const page = await unwrap(
      client({ apiKey: API_KEY }).GET("/api/v1/environments/{envId}/runs", {
        params: { path: { envId: ENV_ID }, query: { status: "running", from: "2025-06-06T00:00:00Z" } },
      }),
    );
    expect(validate("/api/v1/environments/{envId}/runs", "get", 200, page)).toBeNull();
  });

  it("Workers: register (public), poll and complete with the wkt_ token", async () => {
    const registration = await unwrap(
      client().POST("/api/v1/workers/register", {
        body: { registrationToken: "wrk_2f8e4c1a9b7d4e3f", name: "gpu-box-1" },
      }),
    );
    expect(registration.token.startsWith("wkt_")).toBe(true);
    expect(validate("/api/v1/workers/register", "post", 201, registration)).toBeNull();

    const worker = client({ workerToken: WORKER_TOKEN });
    const polled = await unwrap(
      worker.GET("/api/v1/workers/{id}/poll", { params: { path: { id: WORKER_ID } } }),
    );
    expect(polled.runs[0]?.status).toBe("assigned");
    expect(validate("/api/v1/workers/{id}/poll", "get", 200, polled)).toBeNull();

    const done = await unwrap(
      worker.POST("/api/v1/workers/{id}/runs/{runId}/complete", {
        params: { path: { id: WORKER_ID, runId: RUN_ID } },
        body: { status: "succeeded", output: { summary: "ok" } },
      }),
    );
    expect(done.status).toBe("succeeded");
    expect(validate("/api/v1/workers/{id}/runs/{runId}/complete", "post", 200, done)).toBeNull();
  });

  it("Dashboard: overview figures", async () => {
    const overview = await unwrap(
      client({ apiKey: API_KEY }).GET("/api/v1/environments/{envId}/dashboard/overview", {
        params: { path: { envId: ENV_ID } },
      }),
    );
    expect(overview.successRatePct).toBeLessThanOrEqual(100);
    expect(validate("/api/v1/environments/{envId}/dashboard/overview", "get", 200, overview)).toBeNull();
  });
});

describe("errors", () => {
  it("a call without credentials gets 401 as a typed error and an AuthenticationError", async () => {
    const result = await client().GET("/api/v1/workspaces");
    expect(result.response.status).toBe(401);
    expect(result.data).toBeUndefined();
    expect(typeof result.error?.error).toBe("string");
    expect(result.error).toEqual({ error: "Unauthorized" });
    expect(validate("/api/v1/workspaces", "get", 401, result.error)).toBeNull();

    const thrown = await unwrap(client().GET("/api/v1/workspaces")).catch((error: unknown) => error);
    expect(thrown).toBeInstanceOf(AuthenticationError);
    expect((thrown as ApiError).status).toBe(401);
  });

  it("a pwk_ key is not sent to worker routes, so a key-only client gets 401 there", async () => {
    const thrown = await unwrap(
      client({ apiKey: API_KEY }).GET("/api/v1/workers/{id}/poll", { params: { path: { id: WORKER_ID } } }),
    ).catch((error: unknown) => error);
    expect(thrown).toBeInstanceOf(AuthenticationError);
    expectNoSecret(thrown);
  });

  it("/auth/me takes only the cookie: a pwk_ key alone gets 401 and the key stays out of the message", async () => {
    const thrown = await unwrap(client({ apiKey: API_KEY }).GET("/api/v1/auth/me")).catch(
      (error: unknown) => error,
    );
    expect(thrown).toBeInstanceOf(AuthenticationError);
    expectNoSecret(thrown);
  });

  it("an invalid body comes back as the typed 400 error and a BadRequestError", async () => {
    const api = client({ apiKey: API_KEY, authToken: AUTH_TOKEN });
    const bad = () =>
      api.POST("/api/v1/workspaces", {
        // @ts-expect-error name is required
        body: {},
      });
    const result = await bad();
    expect(result.response.status).toBe(400);
    expect(result.data).toBeUndefined();
    expect(typeof result.error?.error).toBe("string");
    expect(Object.keys(result.error?.details?.fieldErrors ?? {})).toContain("name");
    expect(Array.isArray(result.error?.details?.formErrors)).toBe(true);
    expect(validate("/api/v1/workspaces", "post", 400, result.error)).toBeNull();

    const thrown = await unwrap(bad()).catch((error: unknown) => error);
    expect(thrown).toBeInstanceOf(BadRequestError);
    expect((thrown as BadRequestError).status).toBe(400);
    expect((thrown as BadRequestError).body).toEqual(result.error);
    expectNoSecret(thrown);
  });

  it("an out-of-range query parameter is a 400 too", async () => {
    const result = await client({ apiKey: API_KEY }).GET("/api/v1/environments/{envId}/triggers", {
      params: { path: { envId: ENV_ID }, query: { limit: 1000 } },
    });
    expect(result.response.status).toBe(400);
    expect(typeof result.error?.error).toBe("string");
    const thrown = await unwrap(Promise.resolve(result)).catch((error: unknown) => error);
    expect(thrown).toBeInstanceOf(BadRequestError);
  });
});

describe("auth wiring", () => {
  it("apiKey goes in Authorization: Bearer on user routes, never on worker routes", async () => {
    const { api, seen } = recording({ apiKey: API_KEY });
    await api.GET("/api/v1/workspaces");
    await api.GET("/api/v1/workers/{id}/poll", { params: { path: { id: WORKER_ID } } });
    expect(seen[0]?.headers.get("authorization")).toBe(`Bearer ${API_KEY}`);
    expect(seen[0]?.headers.get("cookie")).toBeNull();
    expect(seen[1]?.headers.get("authorization")).toBeNull();
  });

  it("workerToken goes in Authorization: Bearer on worker routes only", async () => {
    const { api, seen } = recording({ workerToken: WORKER_TOKEN });
    const claimed = await api.POST("/api/v1/workers/{id}/runs/{runId}/claim", {
      params: { path: { id: WORKER_ID, runId: RUN_ID } },
    });
    await api.GET("/api/v1/environments/{envId}/workers", { params: { path: { envId: ENV_ID } } });
    expect(claimed.response.status).toBe(200);
    expect(seen[0]?.headers.get("authorization")).toBe(`Bearer ${WORKER_TOKEN}`);
    expect(seen[1]?.headers.get("authorization")).toBeNull();
  });

  it("authToken goes in the auth_token cookie, not on worker routes", async () => {
    const { api, seen } = recording({ authToken: AUTH_TOKEN, headers: { Cookie: "theme=dark" } });
    const me = await api.GET("/api/v1/auth/me");
    await api.GET("/api/v1/workers/{id}/poll", { params: { path: { id: WORKER_ID } } });
    expect(me.response.status).toBe(200);
    expect(seen[0]?.headers.get("cookie")).toBe(`theme=dark; auth_token=${AUTH_TOKEN}`);
    expect(seen[0]?.headers.get("authorization")).toBeNull();
    expect(seen[1]?.headers.get("cookie")).toBe("theme=dark");
  });

  it("one client with every credential picks the right one per route; functions are resolved", async () => {
    const { api, seen } = recording({
      apiKey: () => API_KEY,
      workerToken: async () => WORKER_TOKEN,
      authToken: AUTH_TOKEN,
    });
    const heartbeat = await api.POST("/api/v1/workers/{id}/runs/{runId}/heartbeat", {
      params: { path: { id: WORKER_ID, runId: RUN_ID } },
      body: { progressPct: 40 },
    });
    const started = await api.POST("/api/v1/workers/{id}/runs/{runId}/start", {
      params: { path: { id: WORKER_ID, runId: RUN_ID } },
    });
    const overview = await api.GET("/api/v1/environments/{envId}/dashboard/overview", {
      params: { path: { envId: ENV_ID } },
    });
    expect([heartbeat.response.status, started.response.status, overview.response.status]).toEqual([
      200, 200, 200,
    ]);
    expect(seen[0]?.headers.get("authorization")).toBe(`Bearer ${WORKER_TOKEN}`);
    expect(seen[0]?.headers.get("cookie")).toBeNull();
    expect(seen[1]?.headers.get("authorization")).toBe(`Bearer ${WORKER_TOKEN}`);
    expect(seen[2]?.headers.get("authorization")).toBe(`Bearer ${API_KEY}`);
    expect(seen[2]?.headers.get("cookie")).toBe(`auth_token=${AUTH_TOKEN}`);
  });

  it("a credential with the wrong prefix is refused without echoing it", () => {
    expect(() => createPipedAIClient({ apiKey: WORKER_TOKEN })).toThrow(/apiKey.*pwk_/);
    expect(() => createPipedAIClient({ workerToken: API_KEY })).toThrow(/workerToken.*wkt_/);
    let message = "";
    try {
      createPipedAIClient({ apiKey: WORKER_TOKEN });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain("apiKey");
    expect(message).not.toContain(WORKER_TOKEN);
  });

  it("recognises the worker routes and defaults to the production host", () => {
    expect(isWorkerRoute(`${PIPEDAI_BASE_URL}/api/v1/workers/w1/poll`)).toBe(true);
    expect(isWorkerRoute(`${PIPEDAI_BASE_URL}/api/v1/workers/w1/runs/r1/complete`)).toBe(true);
    expect(isWorkerRoute(`${PIPEDAI_BASE_URL}/api/v1/workers/register`)).toBe(false);
    expect(isWorkerRoute(`${PIPEDAI_BASE_URL}/api/v1/environments/e1/workers`)).toBe(false);
    expect(PIPEDAI_BASE_URL).toBe("https://api-beta.pipedai.app");
  });
});
