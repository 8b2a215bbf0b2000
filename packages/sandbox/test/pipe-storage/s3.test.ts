/**
 * The Pipe storage sandbox's S3 endpoint: scoped keys, activity, downloads charged to credits, frozen
 * accounts.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { Keypair } from "@solana/web3.js";
import { BadRequestError, unwrap } from "@specyard/pipe-storage";
import { describe, expect, it } from "vitest";
import { createPipeStorageClient } from "../clients.js";
import { sandbox, signIn, useSandbox } from "./helpers.js";

useSandbox();

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
