/**
 * The Pipe document's "S3 compatibility & limits", witnessed with the stock AWS SDK v3: every
 * operation it lists as supported works with `forcePathStyle: true`, multipart uploads work, and the
 * operations it does not list — DeleteObjects first of all — answer S3's NotImplemented.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectAclCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  PutObjectTaggingCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { type Sandbox, startSandbox } from "@specyard/sandbox";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, call, jsonBody, pipeSignIn } from "./support.js";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";

let sandbox: Sandbox;
let s3: S3Client;
let Bucket: string;
let API_KEY: string;
let tokens: { access_token: string; csrf_token: string };
beforeAll(async () => {
  sandbox = await startSandbox("pipe-storage");
  ({ tokens } = await pipeSignIn(sandbox.url));
  // Step 2: "Create S3 credentials", then the env vars the bundle exports.
  const key = await call<Record<string, string>>(`${sandbox.url}/api/s3/keys`, {
    method: "POST",
    ...jsonBody({}, bearer(tokens.access_token, tokens.csrf_token)),
  });
  const me = await call<{ user_app_key: string }>(`${sandbox.url}/user/me`, {
    headers: bearer(tokens.access_token),
  });
  API_KEY = me.json.user_app_key;
  Bucket = String(key.json.bucket_name);
  s3 = new S3Client({
    endpoint: key.json.endpoint,
    region: key.json.region,
    credentials: {
      accessKeyId: String(key.json.access_key_id),
      secretAccessKey: String(key.json.secret_access_key),
    },
    forcePathStyle: true,
  });
});
afterAll(async () => {
  s3?.destroy();
  await sandbox?.close();
});

async function refusal(promise: Promise<unknown>): Promise<S3ServiceException> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof S3ServiceException)) throw new Error(`expected an S3 error, got ${String(error)}`);
  return error;
}

describe("Pipe S3: the supported operations", () => {
  it("PutObject, HeadObject, GetObject, ListObjectsV2 (paged), CopyObject, DeleteObject", async () => {
    await s3.send(new PutObjectCommand({ Bucket, Key: "agent-test.txt", Body: "hello from agent\n" }));
    await s3.send(new PutObjectCommand({ Bucket, Key: "releases/a.txt", Body: "a" }));
    const head = await s3.send(new HeadObjectCommand({ Bucket, Key: "agent-test.txt" }));
    expect(head.ContentLength).toBe(17);
    const got = await s3.send(new GetObjectCommand({ Bucket, Key: "agent-test.txt" }));
    expect(await got.Body?.transformToString()).toBe("hello from agent\n");

    await s3.send(
      new CopyObjectCommand({ Bucket, Key: "releases/copy.txt", CopySource: `${Bucket}/agent-test.txt` }),
    );
    const keys: string[] = [];
    let ContinuationToken: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket, MaxKeys: 1, ContinuationToken }));
      keys.push(...(page.Contents ?? []).map((object) => object.Key ?? ""));
      ContinuationToken = page.NextContinuationToken;
    } while (ContinuationToken);
    expect(keys.sort()).toEqual(["agent-test.txt", "releases/a.txt", "releases/copy.txt"]);

    // Step 4, "Verify via REST API": the same object through /download-stream with the app key.
    const unfunded = await call(`${sandbox.url}/download-stream?file_name=agent-test.txt`, {
      headers: { Authorization: `ApiKey ${API_KEY}` },
    });
    expect(unfunded.status, "a fresh account has no credits for egress").toBe(402);
    await sandbox.admin.act("createPromoCode", { code: "PIPE-S3WI-TNES", amountRaw: 1_000_000 });
    const redeemed = await call(`${sandbox.url}/api/credits/redeem`, {
      method: "POST",
      ...jsonBody({ code: "PIPE-S3WI-TNES" }, bearer(tokens.access_token, tokens.csrf_token)),
    });
    expect(redeemed.status).toBe(200);
    const download = await call(`${sandbox.url}/download-stream?file_name=agent-test.txt`, {
      headers: { Authorization: `ApiKey ${API_KEY}` },
    });
    expect(download.status).toBe(200);
    expect(download.text).toBe("hello from agent\n");

    // "Delete objects one at a time with DeleteObject."
    for (const Key of keys) await s3.send(new DeleteObjectCommand({ Bucket, Key }));
    const empty = await s3.send(new ListObjectsV2Command({ Bucket }));
    expect(empty.KeyCount ?? 0).toBe(0);
  });

  it("multipart uploads: create, upload parts, complete; and abort", async () => {
    const Key = "big/upload.bin";
    const part1 = Buffer.alloc(5 * 1024 * 1024, 1);
    const part2 = Buffer.from("tail");
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key }));
    const one = await s3.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: 1, Body: part1 }));
    const two = await s3.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: 2, Body: part2 }));
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket,
        Key,
        UploadId,
        MultipartUpload: {
          Parts: [
            { PartNumber: 1, ETag: one.ETag },
            { PartNumber: 2, ETag: two.ETag },
          ],
        },
      }),
    );
    const head = await s3.send(new HeadObjectCommand({ Bucket, Key }));
    expect(head.ContentLength).toBe(part1.length + part2.length);
    await s3.send(new DeleteObjectCommand({ Bucket, Key }));

    const aborted = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key: "big/aborted.bin" }));
    await s3.send(
      new AbortMultipartUploadCommand({ Bucket, Key: "big/aborted.bin", UploadId: aborted.UploadId }),
    );
  });
});

describe("Pipe S3: what the document does not list answers NotImplemented", () => {
  it("DeleteObjects (batch) is not supported: 501 NotImplemented, and nothing is deleted", async () => {
    await s3.send(new PutObjectCommand({ Bucket, Key: "keep/one.txt", Body: "1" }));
    const error = await refusal(
      s3.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: [{ Key: "keep/one.txt" }] } })),
    );
    expect(error.name).toBe("NotImplemented");
    expect(error.$metadata.httpStatusCode).toBe(501);
    const head = await s3.send(new HeadObjectCommand({ Bucket, Key: "keep/one.txt" }));
    expect(head.ContentLength).toBe(1);
  });

  it.each([
    ["ListObjects (v1)", () => new ListObjectsCommand({ Bucket })],
    ["ListBuckets", () => new ListBucketsCommand({})],
    ["HeadBucket", () => new HeadBucketCommand({ Bucket })],
    ["GetObjectAcl", () => new GetObjectAclCommand({ Bucket, Key: "keep/one.txt" })],
    [
      "PutObjectTagging",
      () => new PutObjectTaggingCommand({ Bucket, Key: "keep/one.txt", Tagging: { TagSet: [] } }),
    ],
  ] as const)("%s answers 501", async (_name, command) => {
    // biome-ignore lint/suspicious/noExplicitAny: each command has its own output type
    const error = await refusal(s3.send(command() as any));
    expect(error.$metadata.httpStatusCode).toBe(501);
    // HEAD answers carry no body, so the SDK can only name the status there.
    if (_name !== "HeadBucket") expect(error.name).toBe("NotImplemented");
  });
});
