/** The Pipe storage sandbox's robustness (random requests) and persistence across a restart. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { fc, test as propTest } from "@fast-check/vitest";
import { Keypair } from "@solana/web3.js";
import { unwrap } from "@specyard/pipe-storage";
import { describe, expect, it } from "vitest";
import { startSandbox } from "../../src/index.js";
import { createPipeStorageClient } from "../clients.js";
import { sandbox, signIn, useSandbox } from "./helpers.js";

useSandbox();

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
