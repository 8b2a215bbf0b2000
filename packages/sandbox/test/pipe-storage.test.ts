import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { fc, test as propTest } from "@fast-check/vitest";
import { Keypair } from "@solana/web3.js";
import {
  AuthenticationError,
  BadRequestError,
  ConflictError,
  decodePaymentRequired,
  encodePaymentSignature,
  PermissionDeniedError,
  unwrap,
} from "@specyard/pipe-storage";
import nacl from "tweetnacl";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../src/index.js";
import { createPipeStorageClient } from "./clients.js";
import { payUsdc, signIn } from "./pipe-helpers.js";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox("pipe-storage");
});
afterAll(() => sandbox?.close());

const solana = () => sandbox.info.solana as { rpcUrl: string; usdcMint: string };

describe("Pipe storage sandbox: sign-in", () => {
  it("signs in with a real keypair, makes the account on first verify, and binds the message to its origin", async () => {
    const wallet = Keypair.generate();
    const { challenge, tokens } = await signIn(sandbox.url, wallet);
    const host = new URL(sandbox.url).host;
    expect(challenge.message).toContain(
      `${host} wants you to sign in with your Solana account:\n${wallet.publicKey.toBase58()}`,
    );
    expect(challenge.message).toContain(`URI: ${sandbox.url}`);
    expect(challenge.message).toContain(`Nonce: ${challenge.nonce}`);
    expect(challenge.message).toMatch(/Issued At: .+\nExpiration Time: .+/);
    expect(tokens.token_type).toBe("Bearer");
    const payload = JSON.parse(Buffer.from(tokens.access_token.split(".")[1] ?? "", "base64url").toString());
    expect(payload.exp - payload.iat).toBe(tokens.expires_in);

    const pipe = createPipeStorageClient({ baseUrl: sandbox.url, accessToken: tokens.access_token });
    const me = await unwrap(pipe.GET("/user/me"));
    expect(me).toMatchObject({ wallet_public_key: wallet.publicKey.toBase58(), account_state: "active" });
  });

  it("refuses a reused nonce, a wrong signature, and another wallet's challenge", async () => {
    const wallet = Keypair.generate();
    const anonymous = createPipeStorageClient({ baseUrl: sandbox.url, maxRetries: 0 });
    const { challenge, tokens } = await signIn(sandbox.url, wallet);
    expect(tokens.access_token).toBeTruthy();
    // A valid signature over the same message: only the spent nonce stops it.
    const validSignature = Buffer.from(
      nacl.sign.detached(new TextEncoder().encode(challenge.message), wallet.secretKey),
    ).toString("base64");
    const replay = await anonymous.POST("/auth/siws/verify", {
      body: {
        wallet_public_key: wallet.publicKey.toBase58(),
        nonce: challenge.nonce,
        message: challenge.message,
        signature_b64: validSignature,
      },
    });
    expect(replay.response.status).toBe(401);

    const fresh = await unwrap(
      anonymous.POST("/auth/siws/challenge", { body: { wallet_public_key: wallet.publicKey.toBase58() } }),
    );
    const other = Keypair.generate();
    const forged = await anonymous.POST("/auth/siws/verify", {
      body: {
        wallet_public_key: other.publicKey.toBase58(),
        nonce: fresh.nonce,
        message: fresh.message,
        signature_b64: Buffer.from(new Uint8Array(64)).toString("base64"),
      },
    });
    expect(forged.response.status).toBe(401);
  });

  it("keeps the refresh token valid for its lifetime by default, as the document's clients use it", async () => {
    const { tokens } = await signIn(sandbox.url, Keypair.generate());
    const anonymous = createPipeStorageClient({ baseUrl: sandbox.url, maxRetries: 0 });
    const refresh = () => anonymous.POST("/auth/refresh", { body: { refresh_token: tokens.refresh_token } });
    const first = await unwrap(refresh());
    expect(first.refresh_token).toBeUndefined();
    const second = await unwrap(refresh());
    expect(second.csrf_token).not.toBe(first.csrf_token);
    const renewed = createPipeStorageClient({
      baseUrl: sandbox.url,
      accessToken: second.access_token,
      csrfToken: first.csrf_token,
      maxRetries: 0,
    });
    // Each refresh issues a new CSRF token; the one before it is stale.
    const stale = await renewed.POST("/api/s3/keys", { body: {} });
    expect(stale.response.status).toBe(403);
    // It ends with its session (logout), or when its lifetime is over.
    const current = createPipeStorageClient({
      baseUrl: sandbox.url,
      accessToken: second.access_token,
      csrfToken: second.csrf_token,
    });
    expect((await current.POST("/auth/logout")).response.status).toBe(204);
    expect((await refresh()).response.status).toBe(401);
    const other = await signIn(sandbox.url, Keypair.generate());
    sandbox.admin.clock.advance(31 * 24 * 3600_000);
    const expired = await anonymous.POST("/auth/refresh", {
      body: { refresh_token: other.tokens.refresh_token },
    });
    expect(expired.response.status).toBe(401);
  });

  it("rotates refresh tokens when configured to, and revokes a session on refresh reuse", async () => {
    expect(await sandbox.admin.act("configure")).toEqual({ rotateRefreshTokens: false });
    await expect(sandbox.admin.act("configure", { rotateRefreshTokens: "yes" })).rejects.toThrow(/boolean/);
    await expect(sandbox.admin.act("configure", { rotate: true })).rejects.toThrow(/unknown setting/);
    expect(await sandbox.admin.act("configure", { rotateRefreshTokens: true })).toEqual({
      rotateRefreshTokens: true,
    });
    try {
      await rotationAndReuse();
    } finally {
      await sandbox.admin.act("configure", { rotateRefreshTokens: false });
    }
  });

  async function rotationAndReuse() {
    const { tokens } = await signIn(sandbox.url, Keypair.generate());
    const pipe = createPipeStorageClient({
      baseUrl: sandbox.url,
      accessToken: tokens.access_token,
      maxRetries: 0,
    });
    expect((await pipe.GET("/user/me")).response.status).toBe(200);
    sandbox.admin.clock.advance((tokens.expires_in + 1) * 1000);
    await expect(unwrap(pipe.GET("/user/me"))).rejects.toBeInstanceOf(AuthenticationError);

    const anonymous = createPipeStorageClient({ baseUrl: sandbox.url, maxRetries: 0 });
    const refreshed = await unwrap(
      anonymous.POST("/auth/refresh", { body: { refresh_token: tokens.refresh_token } }),
    );
    expect(refreshed.refresh_token).toBeDefined();
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    const renewed = createPipeStorageClient({ baseUrl: sandbox.url, accessToken: refreshed.access_token });
    expect((await renewed.GET("/user/me")).response.status).toBe(200);

    // The old refresh token again: a stolen copy. The session ends.
    const reuse = await anonymous.POST("/auth/refresh", { body: { refresh_token: tokens.refresh_token } });
    expect(reuse.response.status).toBe(401);
    expect((await renewed.GET("/user/me")).response.status).toBe(401);
  }

  it("needs X-CSRF-Token on bearer mutations but not with the app key; a rotated app key stops working", async () => {
    const { tokens } = await signIn(sandbox.url, Keypair.generate());
    const noCsrf = createPipeStorageClient({
      baseUrl: sandbox.url,
      accessToken: tokens.access_token,
      maxRetries: 0,
      requireCredentials: false, // send it anyway: the server's answer is under test
    });
    const refused = await unwrap(noCsrf.POST("/api/s3/keys", { body: {} })).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(PermissionDeniedError);
    expect((refused as PermissionDeniedError).message.toLowerCase()).toContain("csrf");
    const wrongCsrf = createPipeStorageClient({
      baseUrl: sandbox.url,
      accessToken: tokens.access_token,
      csrfToken: "nope",
      maxRetries: 0,
    });
    expect((await wrongCsrf.POST("/api/s3/keys", { body: {} })).response.status).toBe(403);
    const withCsrf = createPipeStorageClient({
      baseUrl: sandbox.url,
      accessToken: tokens.access_token,
      csrfToken: tokens.csrf_token,
    });
    expect((await withCsrf.POST("/api/s3/keys", { body: {} })).response.status).toBe(200);

    const me = await unwrap(withCsrf.GET("/user/me"));
    const byKey = createPipeStorageClient({ baseUrl: sandbox.url, appKey: me.user_app_key, maxRetries: 0 });
    expect((await byKey.POST("/api/s3/keys", { body: {} })).response.status).toBe(200);
    const rotated = await unwrap(byKey.POST("/rotateAppKey", { body: {} }));
    expect(rotated.new_user_app_key).not.toBe(me.user_app_key);
    expect((await byKey.GET("/user/me")).response.status).toBe(401);
    const renewed = createPipeStorageClient({ baseUrl: sandbox.url, appKey: rotated.new_user_app_key });
    expect((await renewed.GET("/user/me")).response.status).toBe(200);
  });
});

describe("Pipe storage sandbox: S3", () => {
  it("serves a real S3 endpoint for created keys, scoped to the key's prefix, and logs activity", async () => {
    const { tokens } = await signIn(sandbox.url, Keypair.generate());
    const pipe = createPipeStorageClient({
      baseUrl: sandbox.url,
      accessToken: tokens.access_token,
      csrfToken: tokens.csrf_token,
    });
    const full = await unwrap(pipe.POST("/api/s3/keys", { body: {} }));
    const scoped = await unwrap(pipe.POST("/api/s3/keys", { body: { name_prefix: "agent-1/" } }));
    const client = (key: typeof full) =>
      new S3Client({
        endpoint: key.endpoint,
        region: key.region,
        forcePathStyle: true,
        credentials: { accessKeyId: key.access_key_id, secretAccessKey: key.secret_access_key },
      });
    const s3 = client(full);
    const bucket = full.bucket_name;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "hello.txt", Body: "hello pipe" }));
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "hello.txt" }));
    expect(await got.Body?.transformToString()).toBe("hello pipe");
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual(["hello.txt"]);

    const inScope = client(scoped);
    await inScope.send(new PutObjectCommand({ Bucket: bucket, Key: "agent-1/a.txt", Body: "a" }));
    await expect(
      inScope.send(new PutObjectCommand({ Bucket: bucket, Key: "other/a.txt", Body: "a" })),
    ).rejects.toMatchObject({
      name: "AccessDenied",
    });
    await expect(
      inScope.send(new GetObjectCommand({ Bucket: bucket, Key: "hello.txt" })),
    ).rejects.toMatchObject({
      name: "AccessDenied",
    });
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "hello.txt" }));

    const activity = await unwrap(pipe.GET("/api/user/activity", { params: { query: { limit: 5 } } }));
    expect(activity.map((entry) => entry.operation_type)).toEqual(["delete", "upload", "upload"]);
    expect(activity[1]).toMatchObject({ status: "completed", bytes_transferred: 1 });

    // A deleted key is refused by the S3 endpoint.
    await unwrap(
      pipe.DELETE("/api/s3/keys/{access_key_id}", {
        params: { path: { access_key_id: scoped.access_key_id } },
      }),
    );
    await expect(
      inScope.send(new GetObjectCommand({ Bucket: bucket, Key: "agent-1/a.txt" })),
    ).rejects.toMatchObject({
      $metadata: { httpStatusCode: 403 },
    });
    const keys = await unwrap(pipe.GET("/api/s3/keys"));
    expect(keys.keys.map((k) => k.access_key_id)).toEqual([full.access_key_id]);
    expect(JSON.stringify(keys)).not.toContain(full.secret_access_key);
  });

  it("charges downloads against credits: 402 without, bytes with", async () => {
    const { tokens } = await signIn(sandbox.url, Keypair.generate());
    const pipe = createPipeStorageClient({
      baseUrl: sandbox.url,
      accessToken: tokens.access_token,
      csrfToken: tokens.csrf_token,
    });
    const key = await unwrap(pipe.POST("/api/s3/keys", { body: {} }));
    const s3 = new S3Client({
      endpoint: key.endpoint,
      region: key.region,
      forcePathStyle: true,
      credentials: { accessKeyId: key.access_key_id, secretAccessKey: key.secret_access_key },
    });
    await s3.send(
      new PutObjectCommand({ Bucket: key.bucket_name, Key: "report.bin", Body: new Uint8Array([1, 2, 3]) }),
    );
    const broke = await pipe.GET("/download-stream", {
      params: { query: { file_name: "report.bin" } },
      parseAs: "arrayBuffer",
    });
    expect(broke.response.status).toBe(402);
    const [code] = (await sandbox.admin.act("promoCodes")) as string[];
    await unwrap(pipe.POST("/api/credits/redeem", { body: { code: code ?? "" } }));
    const paid = await pipe.GET("/download-stream", {
      params: { query: { file_name: "report.bin" } },
      parseAs: "arrayBuffer",
    });
    expect(new Uint8Array(paid.data as ArrayBuffer)).toEqual(new Uint8Array([1, 2, 3]));
    const again = await unwrap(pipe.POST("/api/credits/redeem", { body: { code: code ?? "" } })).catch(
      (e: unknown) => e,
    );
    expect(again).toBeInstanceOf(BadRequestError);
  });

  it("blocks writes of a frozen account and keeps its reads", async () => {
    const wallet = Keypair.generate();
    const { tokens } = await signIn(sandbox.url, wallet);
    const pipe = createPipeStorageClient({
      baseUrl: sandbox.url,
      accessToken: tokens.access_token,
      csrfToken: tokens.csrf_token,
      maxRetries: 0,
    });
    const key = await unwrap(pipe.POST("/api/s3/keys", { body: {} }));
    const s3 = new S3Client({
      endpoint: key.endpoint,
      region: key.region,
      forcePathStyle: true,
      credentials: { accessKeyId: key.access_key_id, secretAccessKey: key.secret_access_key },
    });
    await s3.send(new PutObjectCommand({ Bucket: key.bucket_name, Key: "before.txt", Body: "kept" }));
    await sandbox.admin.act("setAccountState", { wallet: wallet.publicKey.toBase58(), state: "frozen" });
    expect((await pipe.GET("/user/me")).data?.account_state).toBe("frozen");
    expect((await pipe.GET("/api/s3/bucket")).response.status).toBe(200);
    expect((await pipe.PATCH("/api/s3/bucket", { body: { public_read: true } })).response.status).toBe(403);
    // The S3 endpoint agrees: reads work, writes are refused.
    const got = await s3.send(new GetObjectCommand({ Bucket: key.bucket_name, Key: "before.txt" }));
    expect(await got.Body?.transformToString()).toBe("kept");
    await expect(
      s3.send(new PutObjectCommand({ Bucket: key.bucket_name, Key: "after.txt", Body: "x" })),
    ).rejects.toMatchObject({
      name: "AccessDenied",
    });
    // Topping up unfreezes, writes work again.
    const [code] = (await sandbox.admin.act("promoCodes")) as string[];
    await unwrap(pipe.POST("/api/credits/redeem", { body: { code: code ?? "" } }));
    await s3.send(new PutObjectCommand({ Bucket: key.bucket_name, Key: "after.txt", Body: "x" }));
  });
});

describe("Pipe storage sandbox: x402 top-up on the local ledger", () => {
  it("credits a real signed USDC transfer exactly once and refuses its replay", async () => {
    const wallet = Keypair.generate();
    const { tokens } = await signIn(sandbox.url, wallet);
    const bearer = createPipeStorageClient({ baseUrl: sandbox.url, accessToken: tokens.access_token });
    const me = await unwrap(bearer.GET("/user/me"));
    const pipe = createPipeStorageClient({ baseUrl: sandbox.url, appKey: me.user_app_key, maxRetries: 0 });
    await sandbox.admin.act("fundWallet", { address: wallet.publicKey.toBase58(), usdcRaw: "50000000" });

    const first = await pipe.POST("/api/credits/x402", { body: { amount_usdc_raw: 10_000_000 } });
    expect(first.response.status).toBe(402);
    const required = decodePaymentRequired(first.response.headers.get("Payment-Required") ?? "");
    const accept = required.accepts[0];
    if (!accept) throw new Error("no accepts entry");
    expect(accept).toMatchObject({ amount: "10000000", asset: solana().usdcMint, network: "solana" });

    // A second top-up while this one is pending is a conflict.
    const conflict = await unwrap(pipe.POST("/api/credits/x402", { body: { amount_usdc_raw: 1 } })).catch(
      (e: unknown) => e,
    );
    expect(conflict).toBeInstanceOf(ConflictError);

    const signature = await payUsdc(solana().rpcUrl, wallet, {
      mint: accept.asset,
      payTo: accept.payTo,
      amount: BigInt(accept.amount),
      reference: accept.extra.reference_pubkey,
    });
    const header = encodePaymentSignature({ intent_id: accept.extra.intent_id, tx_sig: signature });
    const confirm = await unwrap(
      pipe.POST("/api/credits/x402", { headers: { "Payment-Signature": header } }),
    );
    expect(confirm).toMatchObject({
      status: "credited",
      credited_usdc_raw: 10_000_000,
      balance_usdc_raw: 10_000_000,
    });

    // Confirming again changes nothing; the same signature for a new intent is refused.
    await unwrap(pipe.POST("/api/credits/x402", { headers: { "Payment-Signature": header } }));
    const next = await pipe.POST("/api/credits/x402", { body: { amount_usdc_raw: 10_000_000 } });
    const nextAccept = decodePaymentRequired(next.response.headers.get("Payment-Required") ?? "").accepts[0];
    const replay = await unwrap(
      pipe.POST("/api/credits/x402", {
        headers: {
          "Payment-Signature": encodePaymentSignature({
            intent_id: nextAccept?.extra.intent_id ?? "",
            tx_sig: signature,
          }),
        },
      }),
    ).catch((e: unknown) => e);
    expect(replay).toBeInstanceOf(BadRequestError);
    const status = await unwrap(pipe.GET("/api/credits/status"));
    expect(status.balance_usdc_raw).toBe(10_000_000);
    expect(status.total_deposited_usdc_raw).toBe(10_000_000);
  });

  it("leaves an intent pending with an error when the transfer is too small", async () => {
    const wallet = Keypair.generate();
    const { tokens } = await signIn(sandbox.url, wallet);
    const me = await unwrap(
      createPipeStorageClient({ baseUrl: sandbox.url, accessToken: tokens.access_token }).GET("/user/me"),
    );
    const pipe = createPipeStorageClient({ baseUrl: sandbox.url, appKey: me.user_app_key, maxRetries: 0 });
    await sandbox.admin.act("fundWallet", { address: wallet.publicKey.toBase58(), usdcRaw: "5000000" });
    const first = await pipe.POST("/api/credits/x402", { body: { amount_usdc_raw: 2_000_000 } });
    const accept = decodePaymentRequired(first.response.headers.get("Payment-Required") ?? "").accepts[0];
    if (!accept) throw new Error("no accepts entry");
    const signature = await payUsdc(solana().rpcUrl, wallet, {
      mint: accept.asset,
      payTo: accept.payTo,
      amount: 1_000_000n,
      reference: accept.extra.reference_pubkey,
    });
    const answer = await pipe.POST("/api/credits/x402", {
      headers: {
        "Payment-Signature": encodePaymentSignature({ intent_id: accept.extra.intent_id, tx_sig: signature }),
      },
    });
    expect(answer.response.status).toBe(400);
    const intent = await unwrap(
      pipe.GET("/api/credits/intent/{intent_id}", {
        params: { path: { intent_id: accept.extra.intent_id } },
      }),
    );
    expect(intent).toMatchObject({ status: "pending", error_message: expect.stringContaining("too small") });
  });
});

describe("Pipe storage sandbox: robustness and persistence", () => {
  const operations = [
    ["POST", "/auth/siws/challenge"],
    ["POST", "/auth/siws/verify"],
    ["POST", "/auth/refresh"],
    ["POST", "/api/credits/x402"],
    ["POST", "/api/credits/submit"],
    ["POST", "/api/s3/keys"],
    ["PATCH", "/api/s3/bucket"],
    ["GET", "/download-stream"],
    ["GET", "/api/user/activity"],
    ["DELETE", "/auth/sessions/x"],
  ] as const;
  propTest.prop(
    [
      fc.constantFrom(...operations),
      fc.oneof(fc.jsonValue(), fc.string()),
      fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }),
      fc.constantFrom(undefined, "Bearer x.y.z", "ApiKey nope", "Basic Zm9vOmJhcg=="),
    ],
    { numRuns: 80 },
  )("never answers random invalid requests with a 5xx", async ([method, path], body, query, auth) => {
    const url = new URL(path, sandbox.url);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    const response = await fetch(url, {
      method,
      headers: { "content-type": "application/json", ...(auth ? { authorization: auth } : {}) },
      ...(method === "GET" ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    });
    expect(response.status).toBeLessThan(500);
  });

  it("keeps every accepted write across a restart with a data dir", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "pipe-sandbox-"));
    const first = await startSandbox("pipe-storage", { dataDir });
    const wallet = Keypair.generate();
    const { tokens } = await signIn(first.url, wallet);
    const pipe = createPipeStorageClient({
      baseUrl: first.url,
      accessToken: tokens.access_token,
      csrfToken: tokens.csrf_token,
    });
    const key = await unwrap(pipe.POST("/api/s3/keys", { body: { name_prefix: "kept/" } }));
    await unwrap(pipe.PATCH("/api/s3/bucket", { body: { cors_allowed_origins: ["https://example.org"] } }));
    const s3 = new S3Client({
      endpoint: key.endpoint,
      region: key.region,
      forcePathStyle: true,
      credentials: { accessKeyId: key.access_key_id, secretAccessKey: key.secret_access_key },
    });
    await s3.send(
      new PutObjectCommand({ Bucket: key.bucket_name, Key: "kept/file.txt", Body: "still here" }),
    );
    const me = await unwrap(pipe.GET("/user/me"));
    await first.close();

    const second = await startSandbox("pipe-storage", { dataDir });
    try {
      const byKey = createPipeStorageClient({ baseUrl: second.url, appKey: me.user_app_key });
      expect((await unwrap(byKey.GET("/api/s3/bucket"))).cors_allowed_origins).toEqual([
        "https://example.org",
      ]);
      expect((await unwrap(byKey.GET("/api/s3/keys"))).keys.map((k) => k.access_key_id)).toEqual([
        key.access_key_id,
      ]);
      const s3Again = new S3Client({
        endpoint: (second.info.s3 as { endpoint: string }).endpoint,
        region: key.region,
        forcePathStyle: true,
        credentials: { accessKeyId: key.access_key_id, secretAccessKey: key.secret_access_key },
      });
      const got = await s3Again.send(new GetObjectCommand({ Bucket: key.bucket_name, Key: "kept/file.txt" }));
      expect(await got.Body?.transformToString()).toBe("still here");
      const refreshed = await unwrap(
        createPipeStorageClient({ baseUrl: second.url }).POST("/auth/refresh", {
          body: { refresh_token: tokens.refresh_token },
        }),
      );
      expect(refreshed.access_token).toBeTruthy();
    } finally {
      await second.close();
    }
  });
});
