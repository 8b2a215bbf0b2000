import { type PrismServer, responseValidator, specPath, startPrism } from "@specyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ApiError,
  AuthenticationError,
  BadRequestError,
  createPipeStorageClient,
  decodePaymentRequired,
  encodePaymentSignature,
  PaymentRequiredError,
  PIPE_STORAGE_BASE_URL,
  paymentRequiredOf,
  SpecyardError,
  USDC_MINT,
  unwrap,
} from "../src/index.js";

const ACCESS_TOKEN = "eyJhbGciOiJIUzI1NiJ9.secret-access-token-value.sig";
const CSRF_TOKEN = "csrf-secret-value-123";
const APP_KEY = "app-key-secret-value-456";
const WALLET = "CkpezX9yoApNRWCynR9TpPTR7dvcMsGSvYW1TWjGibZr";
const TX_SIG = "5NsN7tRQkMhqEnfeDnZRcAqwDnkcP9je6KdagzBiqDo8rdu57TgqajiUfaFhGzeVwPHpgSsoB1AeWJchzop5n9p8";

let prism: PrismServer;
const validate = responseValidator("pipe-storage");

beforeAll(async () => {
  prism = await startPrism(specPath("pipe-storage"));
});

afterAll(async () => {
  await prism?.close();
});

/** A fetch that records every request and forwards it to Prism. */
function recordingFetch() {
  const requests: Request[] = [];
  const fetchImpl = async (input: Request) => {
    requests.push(input.clone());
    return fetch(input);
  };
  return { requests, fetch: fetchImpl };
}

describe("calls against the Prism mock, one per tag", () => {
  it("Auth: requests a SIWS challenge without credentials", async () => {
    const client = createPipeStorageClient({ baseUrl: prism.url });
    const { data, error, response } = await client.POST("/auth/siws/challenge", {
      body: { wallet_public_key: WALLET },
    });
    expect(error).toBeUndefined();
    expect(response.status).toBe(200);
    expect(validate("/auth/siws/challenge", "post", 200, data)).toBeNull();
    expect(data?.nonce).toEqual(expect.any(String));
  });

  it("Auth: verifies a signature and gets a token pair", async () => {
    const client = createPipeStorageClient({ baseUrl: prism.url });
    const tokens = await unwrap(
      client.POST("/auth/siws/verify", {
        body: {
          wallet_public_key: WALLET,
          nonce: "9f2c1b7e4a6d4c0e",
          message: "sign me",
          signature_b64: `${"A".repeat(86)}==`,
        },
      }),
    );
    expect(validate("/auth/siws/verify", "post", 200, tokens)).toBeNull();
    expect(tokens.token_type).toBe("Bearer");
  });

  it("User: reads the profile with the app key", async () => {
    const client = createPipeStorageClient({ baseUrl: prism.url, appKey: APP_KEY });
    const me = await unwrap(client.GET("/user/me"));
    expect(validate("/user/me", "get", 200, me)).toBeNull();
    expect(["active", "frozen", "purge_scheduled", "purged"]).toContain(me.account_state);
  });

  it("Credits: reads the balance with a bearer token", async () => {
    const client = createPipeStorageClient({ baseUrl: prism.url, accessToken: ACCESS_TOKEN });
    const status = await unwrap(client.GET("/api/credits/status"));
    expect(validate("/api/credits/status", "get", 200, status)).toBeNull();
    expect(Number.isInteger(status.balance_usdc_raw)).toBe(true);
  });

  it("Credits: the x402 402 answer carries a decodable Payment-Required header", async () => {
    const client = createPipeStorageClient({ baseUrl: prism.url, appKey: APP_KEY });
    const { data, error, response } = await client.POST("/api/credits/x402", {
      body: { amount_usdc_raw: 10_000_000 },
      headers: { Prefer: "code=402" },
    });
    expect(data).toBeUndefined();
    expect(response.status).toBe(402);
    expect(validate("/api/credits/x402", "post", 402, error)).toBeNull();
    const required = paymentRequiredOf(response);
    expect(validate("/api/credits/x402", "post", 402, required)).toBeNull();
    expect(required?.accepts[0]?.asset).toBe(USDC_MINT);
    expect(required?.accepts[0]?.extra.intent_id).toEqual(expect.any(String));
    await expect(
      unwrap(client.POST("/api/credits/x402", { headers: { Prefer: "code=402" } })),
    ).rejects.toBeInstanceOf(PaymentRequiredError);
  });

  it("Credits: the confirming x402 call sends Payment-Signature and gets the intent", async () => {
    const recorder = recordingFetch();
    const client = createPipeStorageClient({ baseUrl: prism.url, appKey: APP_KEY, fetch: recorder.fetch });
    const signature = encodePaymentSignature({ intent_id: "intent-1", tx_sig: TX_SIG });
    const intent = await unwrap(
      client.POST("/api/credits/x402", { params: { header: { "Payment-Signature": signature } } }),
    );
    expect(validate("/api/credits/x402", "post", 200, intent)).toBeNull();
    const sent = recorder.requests[0]?.headers.get("Payment-Signature");
    expect(sent).toBe(signature);
    expect(JSON.parse(atob(sent ?? ""))).toEqual({ intent_id: "intent-1", tx_sig: TX_SIG });
  });

  it("S3: creates a key with bearer + CSRF", async () => {
    const client = createPipeStorageClient({
      baseUrl: prism.url,
      accessToken: ACCESS_TOKEN,
      csrfToken: CSRF_TOKEN,
    });
    const key = await unwrap(client.POST("/api/s3/keys", { body: {} }));
    expect(validate("/api/s3/keys", "post", 200, key)).toBeNull();
    expect(key.secret_access_key.length).toBeGreaterThan(0);
  });

  it("Files: downloads a file as bytes", async () => {
    const client = createPipeStorageClient({ baseUrl: prism.url, appKey: APP_KEY });
    const { data, error, response } = await client.GET("/download-stream", {
      params: { query: { file_name: "agent-test.txt" } },
      parseAs: "text",
    });
    expect(error).toBeUndefined();
    expect(response.headers.get("content-type")).toContain("application/octet-stream");
    expect(validate("/download-stream", "get", 200, data, "application/octet-stream")).toBeNull();
    expect(data).toBe("hello from agent");
  });

  it("Meta: fetches the provider's OpenAPI document without credentials", async () => {
    const client = createPipeStorageClient({ baseUrl: prism.url });
    const { data, response } = await client.GET("/openapi.yaml", { parseAs: "text" });
    expect(response.status).toBe(200);
    expect(validate("/openapi.yaml", "get", 200, data, "application/yaml")).toBeNull();
    expect(data).toContain("openapi: 3.0.3");
  });
});

describe("errors", () => {
  it("a secured call without credentials is a 401 AuthenticationError", async () => {
    const client = createPipeStorageClient({ baseUrl: prism.url, requireCredentials: false });
    const { data, error, response } = await client.GET("/user/me");
    expect(data).toBeUndefined();
    expect(response.status).toBe(401);
    expect(validate("/user/me", "get", 401, error)).toBeNull();
    expect(error).toEqual({ error: expect.any(String) });
    const thrown = await unwrap(client.GET("/user/me")).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(AuthenticationError);
    expect((thrown as AuthenticationError).status).toBe(401);
  });

  it("an invalid body comes back as the typed 400 error and a BadRequestError", async () => {
    const client = createPipeStorageClient({
      baseUrl: prism.url,
      accessToken: ACCESS_TOKEN,
      csrfToken: CSRF_TOKEN,
    });
    const { data, error, response } = await client.POST("/api/credits/intent", {
      body: { amount_usdc_raw: 0 },
    });
    expect(data).toBeUndefined();
    expect(response.status).toBe(400);
    expect(validate("/api/credits/intent", "post", 400, error)).toBeNull();
    expect(error).toEqual({ message: "Validation failed", details: expect.any(Object) });

    const thrown = await unwrap(client.POST("/api/credits/intent", { body: { amount_usdc_raw: -5 } })).catch(
      (e: unknown) => e,
    );
    expect(thrown).toBeInstanceOf(BadRequestError);
    expect(thrown).toBeInstanceOf(ApiError);
    const apiError = thrown as BadRequestError;
    expect(apiError.status).toBe(400);
    expect(apiError.method).toBe("POST");
    expect(apiError.message).toContain("Validation failed");
    for (const secret of [ACCESS_TOKEN, CSRF_TOKEN]) {
      expect(apiError.message).not.toContain(secret);
      expect(apiError.url).not.toContain(secret);
    }
  });

  it("an invalid query parameter is a BadRequestError that never names the app key", async () => {
    const client = createPipeStorageClient({ baseUrl: prism.url, appKey: APP_KEY });
    const thrown = await unwrap(client.GET("/api/user/activity", { params: { query: { limit: 0 } } })).catch(
      (e: unknown) => e,
    );
    expect(thrown).toBeInstanceOf(BadRequestError);
    expect((thrown as BadRequestError).status).toBe(400);
    expect((thrown as BadRequestError).message).not.toContain(APP_KEY);
    expect(String(thrown)).not.toContain(APP_KEY);
  });
});

describe("auth wiring", () => {
  it("appKey goes in Authorization: ApiKey, without CSRF", async () => {
    const recorder = recordingFetch();
    const client = createPipeStorageClient({ baseUrl: prism.url, appKey: APP_KEY, fetch: recorder.fetch });
    await unwrap(client.POST("/rotateAppKey", { body: {} }));
    const [request] = recorder.requests;
    expect(request?.headers.get("Authorization")).toBe(`ApiKey ${APP_KEY}`);
    expect(request?.headers.has("X-CSRF-Token")).toBe(false);
  });

  it("accessToken goes in Authorization: Bearer; csrfToken only on mutations", async () => {
    const recorder = recordingFetch();
    const client = createPipeStorageClient({
      baseUrl: prism.url,
      accessToken: ACCESS_TOKEN,
      csrfToken: CSRF_TOKEN,
      fetch: recorder.fetch,
    });
    await unwrap(client.GET("/api/s3/bucket"));
    await unwrap(client.PATCH("/api/s3/bucket", { body: { public_read: true } }));
    await unwrap(
      client.DELETE("/api/s3/keys/{access_key_id}", { params: { path: { access_key_id: "AK1" } } }),
    );
    const [get, patch, del] = recorder.requests;
    for (const request of [get, patch, del]) {
      expect(request?.headers.get("Authorization")).toBe(`Bearer ${ACCESS_TOKEN}`);
    }
    expect(get?.method).toBe("GET");
    expect(get?.headers.has("X-CSRF-Token")).toBe(false);
    expect(patch?.headers.get("X-CSRF-Token")).toBe(CSRF_TOKEN);
    expect(del?.headers.get("X-CSRF-Token")).toBe(CSRF_TOKEN);
  });

  it("credential getters are read on every request (refreshed tokens)", async () => {
    const recorder = recordingFetch();
    let generation = 1;
    const client = createPipeStorageClient({
      baseUrl: prism.url,
      accessToken: async () => `token-${generation}`,
      csrfToken: () => `csrf-${generation}`,
      fetch: recorder.fetch,
    });
    await unwrap(client.POST("/auth/logout"));
    generation = 2;
    await unwrap(client.POST("/auth/logout"));
    expect(recorder.requests.map((r) => r.headers.get("Authorization"))).toEqual([
      "Bearer token-1",
      "Bearer token-2",
    ]);
    expect(recorder.requests.map((r) => r.headers.get("X-CSRF-Token"))).toEqual(["csrf-1", "csrf-2"]);
  });

  it("no credentials sends no Authorization header", async () => {
    const recorder = recordingFetch();
    const client = createPipeStorageClient({ baseUrl: prism.url, fetch: recorder.fetch });
    await unwrap(client.POST("/auth/refresh", { body: { refresh_token: "rt" } }));
    expect(recorder.requests[0]?.headers.has("Authorization")).toBe(false);
  });

  it("refuses an app key together with a bearer token (plain JavaScript callers)", () => {
    const mixed = { appKey: APP_KEY, accessToken: ACCESS_TOKEN } as unknown as Parameters<
      typeof createPipeStorageClient
    >[0];
    const thrown = (() => {
      try {
        createPipeStorageClient(mixed);
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(thrown).toBeInstanceOf(TypeError);
    expect((thrown as TypeError).message).not.toContain(APP_KEY);
    expect((thrown as TypeError).message).not.toContain(ACCESS_TOKEN);
  });

  it("defaults to the documented host", async () => {
    const recorder: string[] = [];
    const client = createPipeStorageClient({
      appKey: "app-key",
      fetch: async (request: Request) => {
        recorder.push(request.url);
        return new Response("{}", { status: 200, headers: { "Content-Type": "application/json" } });
      },
    });
    await client.GET("/api/s3/info");
    expect(PIPE_STORAGE_BASE_URL).toBe("https://us-west-01-firestarter.pipenetwork.com");
    expect(recorder).toEqual([`${PIPE_STORAGE_BASE_URL}/api/s3/info`]);
  });
});

describe("x402 header helpers", () => {
  it("round-trips UTF-8 JSON through base64", () => {
    const header = btoa(JSON.stringify({ x402Version: 2, accepts: [] }));
    expect(decodePaymentRequired(header)).toEqual({ x402Version: 2, accepts: [] });
    const encoded = encodePaymentSignature({ intent_id: "intent-é", tx_sig: TX_SIG });
    const bytes = Uint8Array.from(atob(encoded), (c) => c.charCodeAt(0));
    expect(JSON.parse(new TextDecoder().decode(bytes))).toEqual({ intent_id: "intent-é", tx_sig: TX_SIG });
  });

  it("rejects a header that is not base64 JSON with accepts", () => {
    expect(() => decodePaymentRequired("not base64 !!")).toThrow(SpecyardError);
    expect(() => decodePaymentRequired(btoa("{}"))).toThrow(SpecyardError);
  });
});
