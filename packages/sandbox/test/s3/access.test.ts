/**
 * What S3Gateway serves inside a key's scope and what it refuses outside it; the last refusal test
 * checks every error answer of the file for secrets.
 */
import { createHash, randomBytes } from "node:crypto";
import http from "node:http";
import { Readable } from "node:stream";
import { Sha256 } from "@aws-crypto/sha256-js";
import {
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import { describe, expect, it } from "vitest";
import type { S3KeyScope, S3ObjectEvent } from "../../src/s3/index.js";
import {
  admin,
  agent,
  agent2,
  bytesOf,
  client,
  events,
  gw,
  listAll,
  otherOwner,
  rawErrors,
  refusal,
  thrown,
  useGateway,
  wrongSecret,
} from "./helpers.js";

useGateway();

const secrets = [agent, agent2, admin, otherOwner].map((k) => k.secretAccessKey).concat(wrongSecret);

/** Sends a hand-signed request with a raw (never normalized) path, as a non-SDK client could. */
async function signedRaw(
  key: S3KeyScope,
  method: string,
  path: string,
  query: Record<string, string> = {},
  body = "",
  payloadHash = "UNSIGNED-PAYLOAD",
): Promise<{ status: number; body: string }> {
  const { hostname, port, host } = new URL(gw.endpoint);
  const signer = new SignatureV4({
    credentials: key,
    region: gw.region,
    service: "s3",
    sha256: Sha256,
    uriEscapePath: false,
  });
  const request = new HttpRequest({
    method,
    protocol: "http:",
    hostname,
    port: Number(port),
    path,
    query,
    headers: {
      host,
      "x-amz-content-sha256": payloadHash,
      "content-length": String(Buffer.byteLength(body)),
    },
  });
  const signed = await signer.sign(request);
  const search = new URLSearchParams(query).toString();
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: hostname, port, method, path: search ? `${path}?${search}` : path, headers: signed.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
        );
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

describe("S3Gateway inside the scope", () => {
  it("serves put, get, head, paged list v2, copy and delete, and refuses batch delete", async () => {
    const s3 = client(agent);
    const put = (Key: string, Body: string) => s3.send(new PutObjectCommand({ Bucket: "bucket", Key, Body }));
    for (let i = 0; i < 5; i++) await put(`agent-1/list/${i}.txt`, `item ${i}`);
    await s3.send(
      new PutObjectCommand({
        Bucket: "bucket",
        Key: "agent-1/doc.json",
        Body: '{"a":1}',
        ContentType: "application/json",
        Metadata: { owner: "agent-1" },
      }),
    );

    expect((await bytesOf(s3, "bucket", "agent-1/doc.json")).toString()).toBe('{"a":1}');
    const head = await s3.send(new HeadObjectCommand({ Bucket: "bucket", Key: "agent-1/doc.json" }));
    expect(head.ContentLength).toBe(7);
    expect(head.ContentType).toBe("application/json");
    expect(head.Metadata).toEqual({ owner: "agent-1" });

    const pages: number[] = [];
    let token: string | undefined;
    const listed: string[] = [];
    do {
      const page = await s3.send(
        new ListObjectsV2Command({
          Bucket: "bucket",
          Prefix: "agent-1/list/",
          MaxKeys: 2,
          ContinuationToken: token,
        }),
      );
      pages.push(page.Contents?.length ?? 0);
      listed.push(...(page.Contents ?? []).map((o) => o.Key ?? ""));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    expect(pages).toEqual([2, 2, 1]);
    expect(listed).toEqual([0, 1, 2, 3, 4].map((i) => `agent-1/list/${i}.txt`));

    await s3.send(
      new CopyObjectCommand({
        Bucket: "bucket",
        Key: "agent-1/copy.json",
        CopySource: "bucket/agent-1/doc.json",
      }),
    );
    expect((await bytesOf(s3, "bucket", "agent-1/copy.json")).toString()).toBe('{"a":1}');

    await s3.send(new DeleteObjectCommand({ Bucket: "bucket", Key: "agent-1/copy.json" }));
    expect(await gw.getObject("bucket", "agent-1/copy.json")).toBeUndefined();

    // The document: "DeleteObjects (batch): not supported. Delete objects one at a time."
    const batch = s3.send(
      new DeleteObjectsCommand({
        Bucket: "bucket",
        Delete: { Objects: [0, 1, 2].map((i) => ({ Key: `agent-1/list/${i}.txt` })) },
      }),
    );
    expect(await refusal(batch)).toBe("NotImplemented");
    expect((await listAll(s3, "bucket", "agent-1/list/")).length).toBe(5);
  });

  it("uploads ~12 MB in parts with lib-storage and reads it back byte-exact", async () => {
    const s3 = client(agent);
    const data = randomBytes(12 * 1024 * 1024 + 123);
    const upload = new Upload({
      client: s3,
      params: { Bucket: "bucket", Key: "agent-1/big.bin", Body: data },
    });
    await upload.done();
    expect((await bytesOf(s3, "bucket", "agent-1/big.bin")).equals(data)).toBe(true);
    expect(events).toContainEqual({
      bucket: "bucket",
      key: "agent-1/big.bin",
      size: data.length,
      accessKeyId: agent.accessKeyId,
      operation: "multipart-complete",
    });
  });

  it("stores stream uploads (aws-chunked with default checksums) and large single PUTs byte-exact", async () => {
    const s3 = client(agent);
    const encodings: string[] = [];
    s3.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { headers: Record<string, string> };
        encodings.push(request.headers["content-encoding"] ?? "");
        return next(args);
      },
      { step: "finalizeRequest", priority: "low" },
    );
    const data = randomBytes(300_000);
    await s3.send(
      new PutObjectCommand({
        Bucket: "bucket",
        Key: "agent-1/stream.bin",
        Body: Readable.from([data.subarray(0, 100_000), data.subarray(100_000)]),
        ContentLength: data.length,
      }),
    );
    expect(encodings).toEqual(["aws-chunked"]);
    const stored = await bytesOf(s3, "bucket", "agent-1/stream.bin");
    expect(stored.length).toBe(data.length);
    expect(stored.equals(data)).toBe(true);

    const single = randomBytes(12 * 1024 * 1024);
    await s3.send(new PutObjectCommand({ Bucket: "bucket", Key: "agent-1/single.bin", Body: single }));
    expect(Buffer.from((await gw.getObject("bucket", "agent-1/single.bin")) ?? []).equals(single)).toBe(true);
  });

  it("reports writes and deletes to its listeners", async () => {
    const s3 = client(agent);
    const seen: S3ObjectEvent[] = [];
    gw.onObject((event) => seen.push(event));
    await s3.send(new PutObjectCommand({ Bucket: "bucket", Key: "agent-1/ev/a", Body: "abc" }));
    await s3.send(
      new CopyObjectCommand({ Bucket: "bucket", Key: "agent-1/ev/b", CopySource: "bucket/agent-1/ev/a" }),
    );
    await s3.send(new DeleteObjectCommand({ Bucket: "bucket", Key: "agent-1/ev/a" }));
    await s3.send(new DeleteObjectCommand({ Bucket: "bucket", Key: "agent-1/ev/b" }));
    await refusal(s3.send(new PutObjectCommand({ Bucket: "bucket", Key: "elsewhere/ev", Body: "x" })));
    const base = { bucket: "bucket", accessKeyId: agent.accessKeyId };
    expect(seen).toEqual([
      { ...base, key: "agent-1/ev/a", size: 3, operation: "put" },
      { ...base, key: "agent-1/ev/b", size: 3, operation: "copy" },
      { ...base, key: "agent-1/ev/a", size: 0, operation: "delete" },
      { ...base, key: "agent-1/ev/b", size: 0, operation: "delete" },
    ]);
  });
});

describe("S3Gateway refusals", () => {
  it("refuses keys, listings and copies outside the prefix, and other buckets", async () => {
    const s3 = client(agent);
    await client(admin).send(
      new PutObjectCommand({ Bucket: "bucket", Key: "private/x", Body: "secret data" }),
    );
    await s3.send(new PutObjectCommand({ Bucket: "bucket", Key: "agent-1/keep", Body: "keep" }));

    const denied: Array<() => Promise<unknown>> = [
      () => s3.send(new PutObjectCommand({ Bucket: "bucket", Key: "private/y", Body: "x" })),
      () => s3.send(new PutObjectCommand({ Bucket: "bucket", Key: "agent-2/y", Body: "x" })),
      // Large enough for the SDK to send `Expect: 100-continue`: refused before the body is read.
      () =>
        s3.send(new PutObjectCommand({ Bucket: "bucket", Key: "private/big", Body: Buffer.alloc(3 << 20) })),
      () => s3.send(new PutObjectCommand({ Bucket: "bucket", Key: "agent-1/../private/y", Body: "x" })),
      () => s3.send(new PutObjectCommand({ Bucket: "bucket", Key: "agent-1/../x", Body: "x" })),
      () => s3.send(new GetObjectCommand({ Bucket: "bucket", Key: "private/x" })),
      () => s3.send(new GetObjectCommand({ Bucket: "bucket", Key: "agent-1/../private/x" })),
      () => s3.send(new ListObjectsV2Command({ Bucket: "bucket", Prefix: "private/" })),
      () => s3.send(new ListObjectsV2Command({ Bucket: "bucket", Prefix: "agent-" })),
      () => s3.send(new ListObjectsV2Command({ Bucket: "bucket" })),
      () =>
        s3.send(
          new CopyObjectCommand({ Bucket: "bucket", Key: "agent-1/stolen", CopySource: "bucket/private/x" }),
        ),
      () =>
        s3.send(
          new CopyObjectCommand({
            Bucket: "bucket",
            Key: "agent-1/stolen",
            CopySource: "/bucket/agent-1/../private/x",
          }),
        ),
      () =>
        s3.send(
          new CopyObjectCommand({ Bucket: "bucket", Key: "private/z", CopySource: "bucket/agent-1/keep" }),
        ),
      () => s3.send(new PutObjectCommand({ Bucket: "other", Key: "agent-1/x", Body: "x" })),
      () => s3.send(new GetObjectCommand({ Bucket: "other", Key: "agent-1/x" })),
    ];
    for (const call of denied) expect(await refusal(call())).toBe("AccessDenied");

    // Nothing was written, copied or deleted by the refused calls.
    expect(await listAll(client(admin), "bucket", "private/")).toEqual(["private/x"]);
    expect(await listAll(client(admin), "bucket", "agent-1/stolen")).toEqual([]);
    expect((await bytesOf(s3, "bucket", "agent-1/keep")).toString()).toBe("keep");
    expect(await listAll(client(otherOwner), "other", "")).toEqual([]);
  });

  it("refuses hand-made requests the SDK would not send", async () => {
    // Percent-encoded dot segments are dot segments once decoded.
    const dots = await signedRaw(agent, "PUT", "/bucket/agent-1/%2e%2e/private/y", {}, "x");
    expect(dots.status).toBe(403);
    expect(dots.body).toContain("<Code>AccessDenied</Code>");
    // fauxqs treats a POST to an object path as a batch delete of the keys in the body: not an S3
    // operation the document lists, so it never reaches the store.
    const post = await signedRaw(
      agent,
      "POST",
      "/bucket/agent-1/x",
      {},
      "<Delete><Object><Key>private/x</Key></Object></Delete>",
    );
    expect(post.status).toBe(501);
    expect(post.body).toContain("<Code>NotImplemented</Code>");
    // Batch delete, bucket creation and deletion, ListObjects v1, ListBuckets, sub-resources: 501.
    for (const [method, path, query] of [
      ["POST", "/bucket", { delete: "" }],
      ["PUT", "/newbucket", {}],
      ["DELETE", "/bucket", {}],
      ["GET", "/bucket", {}],
      ["GET", "/", {}],
      ["HEAD", "/bucket", {}],
      ["GET", "/bucket/agent-1/keep", { acl: "" }],
      ["PUT", "/bucket/agent-1/keep", { tagging: "" }],
      ["DELETE", "/bucket/agent-1/keep", { tagging: "" }],
      ["GET", "/bucket/agent-1/keep", { uploadId: "x" }],
      ["POST", "/bucket/agent-1/keep", { restore: "" }],
    ] as const) {
      const answer = await signedRaw(agent, method, path, query, method === "POST" ? "<x/>" : undefined);
      expect(answer.status, `${method} ${path} ${JSON.stringify(query)}`).toBe(501);
    }
    // The signature is checked first: a forged unsupported request is refused as forged.
    expect(
      (await signedRaw({ ...agent, secretAccessKey: wrongSecret }, "POST", "/bucket", { delete: "" }, "<x/>"))
        .status,
    ).toBe(403);
    expect(await listAll(client(admin), "bucket", "private/")).toEqual(["private/x"]);
  });

  it("stores nothing whose bytes do not hash to the signed payload digest", async () => {
    const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
    const path = "/bucket/agent-1/hashed.txt";
    const forged = await signedRaw(agent, "PUT", path, {}, "tampered", sha256("original"));
    expect(forged.status).toBe(400);
    expect(forged.body).toContain("<Code>XAmzContentSHA256Mismatch</Code>");
    expect(await listAll(client(agent), "bucket", "agent-1/hashed")).toEqual([]);
    const honest = await signedRaw(agent, "PUT", path, {}, "original", sha256("original"));
    expect(honest.status).toBe(200);
    expect((await signedRaw(agent, "GET", path, {}, "", sha256(""))).body).toBe("original");
  });

  it("serves presigned GET and PUT URLs within the key's scope, and refuses forged or expired ones", async () => {
    const s3 = client(agent);
    const put = await getSignedUrl(
      s3,
      new PutObjectCommand({ Bucket: "bucket", Key: "agent-1/shared.txt", ContentType: "text/plain" }),
      { expiresIn: 300 },
    );
    const uploaded = await fetch(put, {
      method: "PUT",
      body: "shared once",
      headers: { "content-type": "text/plain" },
    });
    expect(uploaded.status).toBe(200);
    const get = await getSignedUrl(
      s3,
      new GetObjectCommand({ Bucket: "bucket", Key: "agent-1/shared.txt" }),
      {
        expiresIn: 300,
      },
    );
    const read = await fetch(get);
    expect([read.status, await read.text()]).toEqual([200, "shared once"]);

    const forged = await fetch(get.replace("agent-1/shared.txt", "agent-1/other.txt"));
    expect(forged.status).toBe(403);
    expect(await forged.text()).toContain("<Code>SignatureDoesNotMatch</Code>");
    const stretched = await fetch(get.replace("X-Amz-Expires=300", "X-Amz-Expires=600"));
    expect(stretched.status).toBe(403);
    const expired = await getSignedUrl(
      s3,
      new GetObjectCommand({ Bucket: "bucket", Key: "agent-1/shared.txt" }),
      {
        expiresIn: 60,
        signingDate: new Date(Date.now() - 120_000),
      },
    );
    const late = await fetch(expired);
    expect(late.status).toBe(403);
    expect(await late.text()).toContain("Request has expired");
    const outside = await getSignedUrl(s3, new GetObjectCommand({ Bucket: "bucket", Key: "private/x" }));
    const refused = await fetch(outside);
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain("<Code>AccessDenied</Code>");
    const unknown = await getSignedUrl(
      client({ accessKeyId: "AKIAUNKNOWNKEY000000", secretAccessKey: "x".repeat(40) }),
      new GetObjectCommand({ Bucket: "bucket", Key: "agent-1/shared.txt" }),
    );
    expect(await (await fetch(unknown)).text()).toContain("<Code>InvalidAccessKeyId</Code>");
  });

  it("binds multipart upload ids to the bucket and key they were created for", async () => {
    const s3 = client(agent);
    const created = await s3.send(new CreateMultipartUploadCommand({ Bucket: "bucket", Key: "agent-1/mp" }));
    const UploadId = created.UploadId;
    expect(UploadId).toBeTruthy();
    const part = (c: S3Client, Key: string) =>
      c.send(new UploadPartCommand({ Bucket: "bucket", Key, UploadId, PartNumber: 1, Body: "x" }));
    expect(await refusal(part(s3, "agent-1/other"))).toBe("NoSuchUpload");
    expect(await refusal(part(client(agent2), "agent-2/mp"))).toBe("NoSuchUpload");
    await part(s3, "agent-1/mp");
  });

  it("checks signatures and access keys", async () => {
    const put = (s3: S3Client) =>
      s3.send(new PutObjectCommand({ Bucket: "bucket", Key: "agent-1/sig", Body: "x" }));
    expect(await refusal(put(client({ ...agent, secretAccessKey: wrongSecret })))).toBe(
      "SignatureDoesNotMatch",
    );
    expect(await refusal(put(client({ accessKeyId: "AKIAUNKNOWN", secretAccessKey: wrongSecret })))).toBe(
      "InvalidAccessKeyId",
    );
    const temporary: S3KeyScope = {
      ...agent,
      accessKeyId: "AKIATEMP",
      secretAccessKey: "temp-secret-DO-NOT-LEAK-06",
    };
    secrets.push(temporary.secretAccessKey);
    gw.addKey(temporary);
    await put(client(temporary));
    gw.removeKey(temporary.accessKeyId);
    expect(await refusal(put(client(temporary)))).toBe("InvalidAccessKeyId");
    const elsewhere = new S3Client({
      endpoint: gw.endpoint,
      region: "eu-west-1",
      forcePathStyle: true,
      maxAttempts: 1,
      credentials: agent,
    });
    expect(await refusal(put(elsewhere))).toBe("AuthorizationHeaderMalformed");
  });

  it("refuses anonymous requests unless the bucket is public_read, and then only reads", async () => {
    await client(agent).send(
      new PutObjectCommand({ Bucket: "bucket", Key: "agent-1/public.txt", Body: "hi" }),
    );
    const url = `${gw.endpoint}/bucket/agent-1/public.txt`;
    const before = await fetch(url);
    expect(before.status).toBe(403);
    const xml = await before.text();
    expect(xml).toContain("<Error><Code>AccessDenied</Code>");
    rawErrors.push(xml);

    gw.setPublicRead("bucket", true);
    try {
      const open = await fetch(url);
      expect(open.status).toBe(200);
      expect(await open.text()).toBe("hi");
      expect((await fetch(url, { method: "PUT", body: "overwrite" })).status).toBe(403);
      expect((await fetch(url, { method: "DELETE" })).status).toBe(403);
      expect((await fetch(`${gw.endpoint}/bucket?list-type=2`)).status).toBe(403);
      expect((await fetch(`${gw.endpoint}/other/agent-1/public.txt`)).status).toBe(403);
    } finally {
      gw.setPublicRead("bucket", false);
    }
    expect((await fetch(url)).status).toBe(403);
    expect(await gw.getObject("bucket", "agent-1/public.txt")).toEqual(new Uint8Array(Buffer.from("hi")));
  });

  it("never shows a secret key in errors or key listings", () => {
    expect(rawErrors.length).toBeGreaterThan(10);
    expect(thrown.length).toBeGreaterThan(10);
    const texts = [
      ...rawErrors,
      ...thrown.map((e) => `${(e as Error).message} ${JSON.stringify(e)}`),
      JSON.stringify(gw.keys()),
    ];
    for (const secret of secrets) for (const text of texts) expect(text).not.toContain(secret);
    expect(gw.keys()).toContainEqual({
      accessKeyId: agent.accessKeyId,
      bucket: "bucket",
      prefix: "agent-1/",
    });
  });
});
