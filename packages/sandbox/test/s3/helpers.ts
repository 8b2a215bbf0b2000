/**
 * Shared setup of the S3Gateway tests: one gateway per test file (`useGateway`) with two buckets and
 * four scoped keys, SDK clients that record the raw body of every error answer, refusals, listings
 * and hand-signed requests with raw paths.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll } from "vitest";
import { S3Gateway, type S3KeyScope, type S3ObjectEvent } from "../../src/s3/index.js";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";

export const agent: S3KeyScope = {
  accessKeyId: "AKIAAGENT1",
  secretAccessKey: "agent1-secret-DO-NOT-LEAK-0001",
  bucket: "bucket",
  prefix: "agent-1/",
};
export const agent2: S3KeyScope = {
  ...agent,
  accessKeyId: "AKIAAGENT2",
  secretAccessKey: "agent2-secret-DO-NOT-LEAK-02",
  prefix: "agent-2/",
};
export const admin: S3KeyScope = {
  ...agent,
  accessKeyId: "AKIAADMIN",
  secretAccessKey: "admin-secret-DO-NOT-LEAK-0003",
  prefix: "",
};
export const otherOwner: S3KeyScope = {
  ...admin,
  accessKeyId: "AKIAOTHER",
  secretAccessKey: "other-secret-DO-NOT-LEAK-04",
  bucket: "other",
};
export const wrongSecret = "wrong-secret-DO-NOT-LEAK-0005";

export let gw: S3Gateway;
export let dataDir: string;
export const events: S3ObjectEvent[] = [];
/** Raw bodies of every non-2xx answer the SDK clients received, and the errors they threw. */
export const rawErrors: string[] = [];
export const thrown: unknown[] = [];

/** An SDK client for a key; records the raw body of every error answer. */
export function client(key: Pick<S3KeyScope, "accessKeyId" | "secretAccessKey">): S3Client {
  const s3 = new S3Client({
    endpoint: gw.endpoint,
    region: gw.region,
    forcePathStyle: true,
    maxAttempts: 1,
    credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey },
  });
  s3.middlewareStack.add(
    (next) => async (args) => {
      const out = await next(args);
      const response = out.response as { statusCode: number; body?: Readable };
      if (response.statusCode >= 300 && response.body) {
        const chunks: Buffer[] = [];
        for await (const chunk of response.body) chunks.push(Buffer.from(chunk));
        const body = Buffer.concat(chunks);
        rawErrors.push(body.toString("utf8"));
        response.body = Readable.from([body]);
      }
      return out;
    },
    { step: "deserialize", priority: "low" },
  );
  return s3;
}

/** Awaits an SDK call that must be refused; returns the error's name (the S3 error code). */
export async function refusal(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (error) {
    thrown.push(error);
    return (error as Error).name;
  }
  throw new Error("the call was expected to be refused");
}

export async function bytesOf(s3: S3Client, Bucket: string, Key: string): Promise<Buffer> {
  const got = await s3.send(new GetObjectCommand({ Bucket, Key }));
  return Buffer.from((await got.Body?.transformToByteArray()) ?? []);
}

export async function listAll(
  s3: S3Client,
  Bucket: string,
  Prefix: string,
  MaxKeys = 1000,
): Promise<string[]> {
  const keys: string[] = [];
  let ContinuationToken: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket, Prefix, MaxKeys, ContinuationToken }));
    keys.push(...(page.Contents ?? []).map((o) => o.Key ?? ""));
    ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (ContinuationToken);
  return keys;
}

/** Starts the file's gateway before its tests and closes it after them (call once per test file). */
export function useGateway(): void {
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "specyard-s3-"));
    gw = await S3Gateway.start({ dataDir });
    await gw.createBucket("bucket");
    await gw.createBucket("other");
    for (const key of [agent, agent2, admin, otherOwner]) gw.addKey(key);
    gw.onObject((event) => events.push(event));
  });

  afterAll(async () => {
    await gw?.close();
    await rm(dataDir, { recursive: true, force: true });
  });
}
