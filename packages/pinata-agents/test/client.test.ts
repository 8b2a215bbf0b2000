import { type PrismServer, responseValidator, specPath, startPrism } from "@specyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AuthenticationError,
  agentBaseUrl,
  agentLogStreamUrl,
  BadRequestError,
  createPinataAgentsClient,
  type GatewayTokenTransport,
  PINATA_AGENTS_BASE_URL,
  type PinataAgentsClientOptions,
  unwrap,
} from "../src/index.js";

const JWT = "jwt-test-secret-4f1c9a";
const GATEWAY = "gw-test-secret-8b2d7e";
const AGENT = "k57ab3cd9e2f";
const agentPath = { params: { path: { agentId: AGENT } } };

const validate = responseValidator("pinata-agents");
let prism: PrismServer;

beforeAll(async () => {
  prism = await startPrism(specPath("pinata-agents"));
});
afterAll(async () => {
  await prism?.close();
});

/** A fetch that records every request as sent, then has Prism answer it (whatever host it was for). */
function recordingFetch() {
  const sent: Request[] = [];
  const fetchImpl = async (request: Request): Promise<Response> => {
    sent.push(request.clone());
    const original = new URL(request.url);
    const target = new URL(original.pathname + original.search, prism.url);
    const body =
      request.method === "GET" || request.method === "HEAD" ? undefined : await request.arrayBuffer();
    return fetch(target, { method: request.method, headers: request.headers, body });
  };
  return { sent, fetch: fetchImpl };
}

const client = (options: PinataAgentsClientOptions = {}) =>
  createPinataAgentsClient({ baseUrl: prism.url, ...options });

describe("one typed call per tag, answered by Prism and valid against the spec", () => {
  it("Agents: listAgents and createAgent with the JWT", async () => {
    const api = client({ jwt: JWT });
    const list = await unwrap(api.GET("/v0/agents"));
    expect(validate("/v0/agents", "get", 200, list)).toBeNull();
    expect(list.agents[0]?.status).toMatch(/^(starting|running|not_running)$/);

    const { data, response } = await api.POST("/v0/agents", {
      body: { name: "My Agent", engine: "hermes", skillCids: ["@pinata/api"], secretIds: ["secret-id-1"] },
    });
    expect(response.status).toBe(201);
    expect(validate("/v0/agents", "post", 201, data)).toBeNull();
    expect(data?.agent.agentId).toEqual(expect.any(String));
  });

  it("Auth: getGatewayToken with the JWT, whoami with the gateway token", async () => {
    const api = client({ jwt: JWT, gatewayToken: GATEWAY });
    const token = await unwrap(api.GET("/v0/agents/{agentId}/gateway-token", agentPath));
    expect(validate("/v0/agents/{agentId}/gateway-token", "get", 200, token)).toBeNull();
    const me = await unwrap(api.GET("/v0/agents/{agentId}/platform/whoami", agentPath));
    expect(validate("/v0/agents/{agentId}/platform/whoami", "get", 200, me)).toBeNull();
  });

  it("Secrets: createSecret", async () => {
    const { data, response } = await client({ jwt: JWT }).POST("/v0/secrets", {
      body: { name: "ANTHROPIC_API_KEY", value: "sk-ant-example" },
    });
    expect(response.status).toBe(201);
    expect(validate("/v0/secrets", "post", 201, data)).toBeNull();
    expect(data).not.toHaveProperty("value");
  });

  it("Skills: listClawhubSkills with its query parameters", async () => {
    const page = await unwrap(
      client({ jwt: JWT }).GET("/v0/clawhub", {
        params: { query: { category: "research", sort: "popular", featured: true, cursor: "abc" } },
      }),
    );
    expect(validate("/v0/clawhub", "get", 200, page)).toBeNull();
    expect(page).toHaveProperty("nextCursor");
  });

  it("Channels: configure Slack on an agent", async () => {
    const done = await unwrap(
      client({ gatewayToken: GATEWAY }).POST("/v0/agents/{agentId}/channels/{channel}", {
        params: { path: { agentId: AGENT, channel: "slack" } },
        body: { botToken: "xoxb-example", appToken: "xapp-example", dmPolicy: "open" },
      }),
    );
    expect(validate("/v0/agents/{agentId}/channels/{channel}", "post", 200, done)).toBeNull();
  });

  it("Routes & domains: registerDomain", async () => {
    const { data, response } = await client({ jwt: JWT }).POST("/v0/agents/{agentId}/domains", {
      ...agentPath,
      body: { subdomain: "brave-otter-12", port: 5173, protected: false },
    });
    expect(response.status).toBe(201);
    expect(validate("/v0/agents/{agentId}/domains", "post", 201, data)).toBeNull();
  });

  it("Tasks: createTask", async () => {
    const { data, response } = await client({ jwt: JWT }).POST("/v0/agents/{agentId}/tasks", {
      ...agentPath,
      body: { name: "Morning digest", schedule: "0 8 * * *", prompt: "Summarise my inbox" },
    });
    expect(response.status).toBe(201);
    expect(validate("/v0/agents/{agentId}/tasks", "post", 201, data)).toBeNull();
  });

  it("Files & snapshots: uploadFile and listSnapshots", async () => {
    const api = client({ gatewayToken: GATEWAY });
    const uploaded = await unwrap(
      api.POST("/v0/agents/{agentId}/files/upload", {
        ...agentPath,
        body: { filename: "report.pdf", contentBase64: "JVBERi0xLjQK" },
      }),
    );
    expect(validate("/v0/agents/{agentId}/files/upload", "post", 200, uploaded)).toBeNull();
    const snapshots = await unwrap(api.GET("/v0/agents/{agentId}/snapshots", agentPath));
    expect(validate("/v0/agents/{agentId}/snapshots", "get", 200, snapshots)).toBeNull();
    expect(snapshots.snapshots.length).toBeLessThanOrEqual(10);
  });

  it("Console: execCommand", async () => {
    const result = await unwrap(
      client({ jwt: JWT }).POST("/v0/agents/{agentId}/console/exec", {
        ...agentPath,
        body: { command: "ls workspace", cwd: "/home/node/clawd" },
      }),
    );
    expect(validate("/v0/agents/{agentId}/console/exec", "post", 200, result)).toBeNull();
    expect(result.exitCode).toEqual(expect.any(Number));
  });

  it("Devices: listDevices", async () => {
    const devices = await unwrap(client({ jwt: JWT }).GET("/v0/agents/{agentId}/devices", agentPath));
    expect(validate("/v0/agents/{agentId}/devices", "get", 200, devices)).toBeNull();
  });

  it("Config: validateRuntimeConfig", async () => {
    const result = await unwrap(
      client({ jwt: JWT }).POST("/v0/agents/{agentId}/config/validate", {
        ...agentPath,
        body: { config: '{"agents":{}}' },
      }),
    );
    expect(validate("/v0/agents/{agentId}/config/validate", "post", 200, result)).toBeNull();
  });

  it("Templates: the public listing needs no credential; a slug lookup takes the JWT", async () => {
    const listing = await unwrap(client().GET("/v0/public-templates"));
    expect(validate("/v0/public-templates", "get", 200, listing)).toBeNull();
    const one = await unwrap(
      client({ jwt: JWT }).GET("/v0/templates/{slugOrId}", {
        params: { path: { slugOrId: "research-assistant" } },
      }),
    );
    expect(validate("/v0/templates/{slugOrId}", "get", 200, one)).toBeNull();
  });

  it("Git Smart HTTP: ref advertisement with Basic auth", async () => {
    const rec = recordingFetch();
    const { data, response } = await client({ gatewayToken: GATEWAY, fetch: rec.fetch }).GET(
      "/v0/agents/{agentId}/git/info/refs",
      { params: { path: { agentId: AGENT }, query: { service: "git-upload-pack" } }, parseAs: "text" },
    );
    expect(response.status).toBe(200);
    const mediaType = "application/x-git-upload-pack-advertisement";
    expect(validate("/v0/agents/{agentId}/git/info/refs", "get", 200, data, mediaType)).toBeNull();
    expect(rec.sent[0]?.headers.get("Authorization")).toBe(`Basic ${btoa(`git:${GATEWAY}`)}`);
  });
});

describe("errors come back typed", () => {
  it("no credential on a secured route: 401, and AuthenticationError through unwrap", async () => {
    const unchecked = client({ requireCredentials: false });
    const result = await unchecked.GET("/v0/agents");
    expect(result.response.status).toBe(401);
    expect(validate("/v0/agents", "get", 401, result.error)).toBeNull();
    await expect(unwrap(unchecked.GET("/v0/agents"))).rejects.toBeInstanceOf(AuthenticationError);
  });

  it("an invalid body: the spec's 400 with {error}, and BadRequestError without the credential", async () => {
    const api = client({ jwt: JWT });
    const tooManySkills = Array.from({ length: 11 }, () => "@pinata/api");
    const bad = await api.POST("/v0/agents", { body: { name: "My Agent", skillCids: tooManySkills } });
    expect(bad.response.status).toBe(400);
    expect(bad.data).toBeUndefined();
    expect(bad.error).toEqual({ error: expect.any(String) });
    expect(validate("/v0/agents", "post", 400, bad.error)).toBeNull();

    const thrown = await unwrap(api.POST("/v0/agents", { body: { name: "" } })).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(BadRequestError);
    expect(thrown).toMatchObject({ status: 400, body: { error: expect.any(String) } });
    expect(String((thrown as Error).message)).not.toContain(JWT);
  });

  it("an invalid query parameter with the token in ?token=: 400, the token kept out of the error", async () => {
    const api = client({ gatewayToken: GATEWAY, gatewayTokenAs: "query" });
    // `path` is required and must not be empty.
    const thrown = await unwrap(
      api.GET("/v0/agents/{agentId}/files", { params: { path: { agentId: AGENT }, query: { path: "" } } }),
    ).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(BadRequestError);
    expect((thrown as BadRequestError).status).toBe(400);
    expect((thrown as Error).message).not.toContain(GATEWAY);
    expect((thrown as BadRequestError).url).not.toContain(GATEWAY);
  });
});

describe("auth wiring: which credential goes where (Prism must accept each)", () => {
  async function send(
    options: PinataAgentsClientOptions,
    call: (api: ReturnType<typeof client>) => Promise<{ response: Response }>,
  ) {
    const rec = recordingFetch();
    const { response } = await call(client({ ...options, fetch: rec.fetch }));
    expect(response.status).toBeLessThan(300);
    const [request] = rec.sent;
    if (!request) throw new Error("no request was sent");
    return request;
  }
  const getAgent = (api: ReturnType<typeof client>) => api.GET("/v0/agents/{agentId}", agentPath);

  it("jwt → Authorization: Bearer on management routes", async () => {
    const request = await send({ jwt: JWT }, (api) => api.GET("/v0/agents"));
    expect(request.headers.get("Authorization")).toBe(`Bearer ${JWT}`);
  });

  it("a credential may be a function (refreshing tokens)", async () => {
    const request = await send({ jwt: async () => JWT }, (api) => api.GET("/v0/secrets"));
    expect(request.headers.get("Authorization")).toBe(`Bearer ${JWT}`);
  });

  const transports: [GatewayTokenTransport, (request: Request) => void][] = [
    ["bearer", (r) => expect(r.headers.get("Authorization")).toBe(`Bearer ${GATEWAY}`)],
    ["query", (r) => expect(new URL(r.url).searchParams.get("token")).toBe(GATEWAY)],
    ["cookie", (r) => expect(r.headers.get("Cookie")).toBe(`gw_token=${GATEWAY}`)],
  ];
  for (const [transport, check] of transports) {
    it(`gatewayToken sent as ${transport}`, async () => {
      const request = await send({ gatewayToken: GATEWAY, gatewayTokenAs: transport }, getAgent);
      check(request);
      if (transport !== "bearer") expect(request.headers.get("Authorization")).toBeNull();
    });
  }

  it("with both: JWT on the management host, gateway token on gateway-only routes", async () => {
    const both = { jwt: JWT, gatewayToken: GATEWAY };
    const agent = await send(both, getAgent);
    expect(agent.headers.get("Authorization")).toBe(`Bearer ${JWT}`);
    const whoami = await send(both, (api) => api.GET("/v0/agents/{agentId}/platform/whoami", agentPath));
    expect(whoami.headers.get("Authorization")).toBe(`Bearer ${GATEWAY}`);
    const exchange = await send({ ...both, gatewayTokenAs: "cookie" }, (api) =>
      api.POST("/v0/platform/token"),
    );
    expect(exchange.headers.get("Cookie")).toBe(`gw_token=${GATEWAY}`);
    expect(exchange.headers.get("Authorization")).toBeNull();
  });

  it("with both, on the per-agent host: the gateway token", async () => {
    const rec = recordingFetch();
    const api = createPinataAgentsClient({
      agentId: AGENT,
      jwt: JWT,
      gatewayToken: GATEWAY,
      fetch: rec.fetch,
    });
    const detail = await unwrap(api.GET("/v0/agents/{agentId}", agentPath));
    expect(validate("/v0/agents/{agentId}", "get", 200, detail)).toBeNull();
    expect(rec.sent[0]?.url).toBe(`https://${AGENT}.agents.pinata.cloud/v0/agents/${AGENT}`);
    expect(rec.sent[0]?.headers.get("Authorization")).toBe(`Bearer ${GATEWAY}`);
  });
});

describe("URLs", () => {
  it("default, per-agent and log-stream URLs", () => {
    expect(PINATA_AGENTS_BASE_URL).toBe("https://agents.pinata.cloud");
    expect(agentBaseUrl("K57ab3cd9e2f")).toBe("https://k57ab3cd9e2f.agents.pinata.cloud");
    expect(agentLogStreamUrl(AGENT)).toBe(`wss://${AGENT}.agents.pinata.cloud/v0/logs`);
    expect(agentLogStreamUrl(AGENT, "t&k")).toBe(`wss://${AGENT}.agents.pinata.cloud/v0/logs?token=t%26k`);
    expect(() => agentBaseUrl("evil.com/x")).toThrow(TypeError);
  });
});
