/** S3Gateway with a data directory: objects survive a restart. */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeleteObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { S3Gateway } from "../../src/s3/index.js";
import { agent, bytesOf } from "./helpers.js";

describe("S3Gateway with a data directory", () => {
  it("keeps objects across a restart", async () => {
    const dir = await mkdtemp(join(tmpdir(), "specyard-s3-restart-"));
    const data = randomBytes(50_000);
    try {
      const first = await S3Gateway.start({ dataDir: dir });
      await first.createBucket("keep");
      first.addKey({ ...agent, bucket: "keep" });
      const s3 = new S3Client({
        endpoint: first.endpoint,
        region: first.region,
        forcePathStyle: true,
        credentials: agent,
      });
      await s3.send(
        new PutObjectCommand({
          Bucket: "keep",
          Key: "agent-1/a.bin",
          Body: data,
          ContentType: "image/png",
          Metadata: { m: "1" },
        }),
      );
      await s3.send(new PutObjectCommand({ Bucket: "keep", Key: "agent-1/gone", Body: "x" }));
      await s3.send(new DeleteObjectCommand({ Bucket: "keep", Key: "agent-1/gone" }));
      await first.close();

      const second = await S3Gateway.start({ dataDir: dir });
      try {
        second.addKey({ ...agent, bucket: "keep" });
        const again = new S3Client({
          endpoint: second.endpoint,
          region: second.region,
          forcePathStyle: true,
          credentials: agent,
        });
        const head = await again.send(new HeadObjectCommand({ Bucket: "keep", Key: "agent-1/a.bin" }));
        expect(head.ContentType).toBe("image/png");
        expect(head.Metadata).toEqual({ m: "1" });
        expect((await bytesOf(again, "keep", "agent-1/a.bin")).equals(data)).toBe(true);
        expect(await second.getObject("keep", "agent-1/gone")).toBeUndefined();
      } finally {
        await second.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
