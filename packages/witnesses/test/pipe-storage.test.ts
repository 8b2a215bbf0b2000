/**
 * The Pipe storage document's curl sequences and its robust-client samples, replayed step by step with
 * plain fetch against the sandbox: sign-in, S3 credentials, promo and portal top-ups, token refresh,
 * the CSRF contract, app-key rotation, bootstrap and activity polling.
 */
import { type Sandbox, startSandbox } from "@specyard/sandbox";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, call, jsonBody, pipeSignIn } from "./support.js";
import { payLikeTheNodeSample } from "./web3-payment.js";

let sandbox: Sandbox;
let API: string;
beforeAll(async () => {
  sandbox = await startSandbox("pipe-storage");
  API = sandbox.url;
});
afterAll(() => sandbox?.close());

/** The document's Node `apiCall`: a bearer token, and on non-GETs the CSRF header and a JSON content type — but no body. */
async function apiCall(method: string, path: string, token: string, csrf = "") {
  const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
  if (method !== "GET") {
    headers["X-CSRF-Token"] = csrf;
    headers["Content-Type"] = "application/json";
  }
  return call(`${API}${path}`, { method, headers });
}

/** The document's Node `refreshTokens`. */
async function refreshTokens(refreshToken: string) {
  return call<{ access_token: string; csrf_token: string }>(`${API}/auth/refresh`, {
    method: "POST",
    ...jsonBody({ refresh_token: refreshToken }),
  });
}

describe("Pipe storage: Step 1, authenticate", () => {
  it("challenge → sign with tweetnacl → verify gives an access token, a refresh token and a CSRF token", async () => {
    const { tokens } = await pipeSignIn(API);
    expect(tokens.access_token).toEqual(expect.any(String));
    expect(tokens.refresh_token).toEqual(expect.any(String));
    expect(tokens.csrf_token).toEqual(expect.any(String));
    // "Check the exp claim (Unix seconds) to know when it expires."
    const claims = JSON.parse(Buffer.from(tokens.access_token.split(".")[1] ?? "", "base64url").toString());
    expect(typeof claims.exp).toBe("number");
  });
});

describe("Pipe storage: token refresh as both robust-client samples do it", () => {
  it("refreshes twice with the same refresh token; each answer is {access_token, csrf_token} and works", async () => {
    const { tokens } = await pipeSignIn(API);
    const first = await refreshTokens(tokens.refresh_token);
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ access_token: expect.any(String), csrf_token: expect.any(String) });
    // The samples keep the refresh token they started with: the second refresh must work too.
    const second = await refreshTokens(tokens.refresh_token);
    expect(second.status, second.text).toBe(200);
    expect(second.json).toMatchObject({ access_token: expect.any(String), csrf_token: expect.any(String) });

    const me = await apiCall("GET", "/user/me", second.json.access_token);
    expect(me.status).toBe(200);
    const key = await call(`${API}/api/s3/keys`, {
      method: "POST",
      ...jsonBody({}, bearer(second.json.access_token, second.json.csrf_token)),
    });
    expect(key.status).toBe(200);
  });

  it("after logout the refresh token stops working (401: re-authenticate from scratch)", async () => {
    const { tokens } = await pipeSignIn(API);
    const out = await call(`${API}/auth/logout`, {
      method: "POST",
      headers: bearer(tokens.access_token, tokens.csrf_token),
    });
    expect(out.status).toBeLessThan(300);
    expect((await refreshTokens(tokens.refresh_token)).status).toBe(401);
  });
});

describe("Pipe storage: the CSRF contract and app-key rotation", () => {
  it("rotates the app key with the Node client's bodiless POST /rotateAppKey", async () => {
    const { tokens } = await pipeSignIn(API);
    const before = await apiCall("GET", "/user/me", tokens.access_token);
    const rotated = await apiCall("POST", "/rotateAppKey", tokens.access_token, tokens.csrf_token);
    expect(rotated.status, rotated.text).toBe(200);
    const fresh = (rotated.json as { new_user_app_key: string }).new_user_app_key;
    expect(fresh).not.toBe((before.json as { user_app_key: string }).user_app_key);
    const oldKey = await call(`${API}/user/me`, {
      headers: { Authorization: `ApiKey ${(before.json as { user_app_key: string }).user_app_key}` },
    });
    expect(oldKey.status).toBe(401);
    const newKey = await call(`${API}/user/me`, { headers: { Authorization: `ApiKey ${fresh}` } });
    expect(newKey.status).toBe(200);
  });

  it("a stale CSRF token gets 403 whose body mentions csrf, on the same bodiless call", async () => {
    const { tokens } = await pipeSignIn(API);
    const refreshed = await refreshTokens(tokens.refresh_token);
    expect(refreshed.status).toBe(200);
    // The pre-refresh CSRF token is stale once a new pair was issued.
    const stale = await apiCall("POST", "/rotateAppKey", refreshed.json.access_token, tokens.csrf_token);
    expect(stale.status, stale.text).toBe(403);
    expect(stale.text.toLowerCase()).toContain("csrf");
    const missing = await call(`${API}/api/s3/keys`, {
      method: "POST",
      ...jsonBody({}, bearer(refreshed.json.access_token)),
    });
    expect(missing.status).toBe(403);
    expect(missing.text.toLowerCase()).toContain("csrf");
  });

  it("checks credentials before the body: no token and a bad body is 401, not 400", async () => {
    const anonymous = await call(`${API}/api/credits/intent`, {
      method: "POST",
      ...jsonBody({ amount_usdc_raw: "not a number" }),
    });
    expect(anonymous.status).toBe(401);
    const { tokens } = await pipeSignIn(API);
    const noCsrf = await call(`${API}/api/credits/intent`, {
      method: "POST",
      ...jsonBody({ amount_usdc_raw: "not a number" }, bearer(tokens.access_token)),
    });
    expect(noCsrf.status).toBe(403);
    expect(noCsrf.text.toLowerCase()).toContain("csrf");
  });
});

describe("Pipe storage: Step 2 and Step 3", () => {
  it("creates S3 credentials with -d '{}' and shows every field the bundle needs", async () => {
    const { tokens } = await pipeSignIn(API);
    const key = await call<Record<string, string>>(`${API}/api/s3/keys`, {
      method: "POST",
      ...jsonBody({}, bearer(tokens.access_token, tokens.csrf_token)),
    });
    expect(key.status).toBe(200);
    for (const field of ["access_key_id", "secret_access_key", "endpoint", "region", "bucket_name"])
      expect(key.json[field], field).toEqual(expect.any(String));
  });

  it("Option 1: redeems a promo code the operator issued", async () => {
    const { code } = (await sandbox.admin.act("createPromoCode", {
      code: "PIPE-WITN-ESS1",
      amountRaw: 2_000_000,
    })) as { code: string };
    const { tokens } = await pipeSignIn(API);
    const redeemed = await call(`${API}/api/credits/redeem`, {
      method: "POST",
      ...jsonBody({ code }, bearer(tokens.access_token, tokens.csrf_token)),
    });
    expect(redeemed.status, redeemed.text).toBe(200);
    const status = await call<{ balance_usdc: number }>(`${API}/api/credits/status`, {
      headers: bearer(tokens.access_token),
    });
    expect(status.json.balance_usdc).toBe(2);
  });

  it("Option 3: the portal's intent → pay → submit → poll flow", async () => {
    const { tokens, kp } = await pipeSignIn(API);
    const auth = bearer(tokens.access_token, tokens.csrf_token);
    const intent = await call<Record<string, string>>(`${API}/api/credits/intent`, {
      method: "POST",
      ...jsonBody({ amount_usdc_raw: 10_000_000 }, auth),
    });
    expect(intent.status, intent.text).toBe(200);
    await sandbox.admin.act("fundWallet", { address: kp.publicKey.toBase58(), usdcRaw: 10_000_000 });
    const solana = sandbox.info.solana as { rpcUrl: string };
    const sig = await payLikeTheNodeSample(solana.rpcUrl, kp, {
      asset: String(intent.json.usdc_mint),
      payTo: String(intent.json.treasury_usdc_ata),
      amount: "10000000",
      reference: String(intent.json.reference_pubkey),
    });
    const submitted = await call(`${API}/api/credits/submit`, {
      method: "POST",
      ...jsonBody({ intent_id: intent.json.intent_id, tx_sig: sig }, auth),
    });
    expect(submitted.status, submitted.text).toBe(200);
    const polled = await call<{ status: string }>(`${API}/api/credits/intent/${intent.json.intent_id}`, {
      headers: bearer(tokens.access_token),
    });
    expect(polled.json.status).toBe("credited");
  });
});

describe("Pipe storage: bootstrap your config and activity polling", () => {
  it("assembles the config from the four endpoints, fetched in parallel", async () => {
    const { tokens, wallet } = await pipeSignIn(API);
    const headers = bearer(tokens.access_token);
    const [me, s3info, bucket, credits] = await Promise.all(
      ["/user/me", "/api/s3/info", "/api/s3/bucket", "/api/credits/status"].map((path) =>
        call<Record<string, unknown>>(`${API}${path}`, { headers }),
      ),
    );
    for (const answer of [me, s3info, bucket, credits]) expect(answer?.status).toBe(200);
    expect(me?.json).toMatchObject({
      user_app_key: expect.any(String),
      wallet_public_key: wallet,
      account_state: "active",
    });
    expect(s3info?.json).toMatchObject({ endpoint: expect.any(String), region: expect.any(String) });
    expect(bucket?.json).toMatchObject({
      bucket_name: expect.any(String),
      public_read: false,
      cors_allowed_origins: [],
    });
    expect(credits?.json).toMatchObject({ balance_usdc: 0 });
  });

  it("polls GET /api/user/activity?limit=5", async () => {
    const { tokens } = await pipeSignIn(API);
    const activity = await call(`${API}/api/user/activity?limit=5`, { headers: bearer(tokens.access_token) });
    expect(activity.status).toBe(200);
  });
});
