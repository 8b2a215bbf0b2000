import { createHash, randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** What the mirror keeps besides the bytes. */
export interface MirroredObject {
  key: string;
  contentType: string;
  metadata: Record<string, string>;
  body: Buffer;
}

/**
 * A copy of every bucket and object on disk, so a restarted gateway can refill its in-memory backend.
 * Layout: `<dir>/<bucket>/<sha256(key)>.obj`, each file one JSON line (key, content type, metadata)
 * followed by the bytes; files are replaced atomically (write, then rename).
 */
export class DiskMirror {
  constructor(private readonly dir: string) {}

  async addBucket(bucket: string): Promise<void> {
    await mkdir(join(this.dir, bucket), { recursive: true });
  }

  async buckets(): Promise<string[]> {
    await mkdir(this.dir, { recursive: true });
    const entries = await readdir(this.dir, { withFileTypes: true });
    return entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  }

  async write(bucket: string, object: MirroredObject): Promise<void> {
    const file = this.file(bucket, object.key);
    const header = JSON.stringify({
      key: object.key,
      contentType: object.contentType,
      metadata: object.metadata,
    });
    const temp = `${file}.${randomBytes(6).toString("hex")}.tmp`;
    await mkdir(join(this.dir, bucket), { recursive: true });
    await writeFile(temp, Buffer.concat([Buffer.from(`${header}\n`), object.body]));
    await rename(temp, file);
  }

  async remove(bucket: string, key: string): Promise<void> {
    await rm(this.file(bucket, key), { force: true });
  }

  async *objects(bucket: string): AsyncGenerator<MirroredObject> {
    for (const name of await readdir(join(this.dir, bucket))) {
      if (!name.endsWith(".obj")) continue;
      const data = await readFile(join(this.dir, bucket, name));
      const newline = data.indexOf(10);
      const header = JSON.parse(data.subarray(0, newline).toString("utf8")) as Omit<MirroredObject, "body">;
      yield { ...header, body: data.subarray(newline + 1) };
    }
  }

  private file(bucket: string, key: string): string {
    return join(this.dir, bucket, `${createHash("sha256").update(key).digest("hex")}.obj`);
  }
}
