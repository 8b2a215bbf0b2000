/**
 * `POST /upload` and the sandbox's "CDN": a multipart upload is parsed with the Web `Request`
 * (undici's form-data parser), checked against the documented media types and the 50MB cap, and
 * served back at `GET /__files/atelier/uploads/<agent_id>/<ms>-<id>.<ext>`. The bytes live on disk
 * under `<dataDir>/atelier-uploads/` when the sandbox has a data dir (they survive restarts), else
 * in memory; the state keeps only each file's metadata.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { SandboxRequest, SandboxResponse } from "../../framework/types.js";
import { type Agent, type Ctx, type MediaKind, own } from "./state.js";

export const FILES_PREFIX = "/__files/";
export const MAX_UPLOAD_BYTES = 50 * 1024 * 1024;

/** The documented media types, with the extension the CDN name gets. */
export const MEDIA_TYPES: Record<string, string> = {
  "image/jpeg": "jpg",
  "image/png": "png",
  "image/webp": "webp",
  "image/gif": "gif",
  "video/mp4": "mp4",
  "video/webm": "webm",
  "video/quicktime": "mov",
};

/** For parts sent without a type (or as octet-stream): the type their file name implies. */
const BY_EXTENSION: Record<string, string> = {
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  png: "image/png",
  webp: "image/webp",
  gif: "image/gif",
  mp4: "video/mp4",
  webm: "video/webm",
  mov: "video/quicktime",
};

/** Where uploaded bytes are kept: a directory, or memory. */
class FileStore {
  readonly #memory = new Map<string, Uint8Array>();
  constructor(readonly dir: string | undefined) {}

  put(key: string, bytes: Uint8Array): void {
    if (!this.dir) {
      this.#memory.set(key, bytes);
      return;
    }
    const path = join(this.dir, key);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, bytes);
  }

  get(key: string): Uint8Array | undefined {
    if (!this.dir) return this.#memory.get(key);
    const path = join(this.dir, key);
    return existsSync(path) ? readFileSync(path) : undefined;
  }
}

const stores = new WeakMap<Ctx, FileStore>();
function storeOf(ctx: Ctx): FileStore {
  let store = stores.get(ctx);
  if (!store) {
    store = new FileStore(ctx.dataDir ? join(ctx.dataDir, "atelier-uploads") : undefined);
    stores.set(ctx, store);
  }
  return store;
}

/** The uploaded file, or the 400 the document implies. */
export async function upload(ctx: Ctx, request: SandboxRequest, agent: Agent): Promise<SandboxResponse> {
  let form: FormData;
  try {
    form = await new Request("http://sandbox.invalid/upload", {
      method: "POST",
      headers: { "content-type": request.headers["content-type"] ?? "" },
      body: request.rawBody as Uint8Array<ArrayBuffer>,
    }).formData();
  } catch {
    return ctx.error(400, "Expected a multipart/form-data body with a file field");
  }
  const file = form.get("file");
  if (file === null || typeof file === "string") return ctx.error(400, "No file provided in the file field");
  if (file.size === 0) return ctx.error(400, "The file is empty");
  if (file.size > MAX_UPLOAD_BYTES) return ctx.error(400, "File too large: the maximum size is 50MB");
  const declared = file.type.split(";")[0]?.trim().toLowerCase() ?? "";
  const type =
    declared && declared !== "application/octet-stream"
      ? declared
      : (BY_EXTENSION[file.name.split(".").pop()?.toLowerCase() ?? ""] ?? declared);
  const extension = MEDIA_TYPES[type];
  if (!extension) {
    return ctx.error(
      400,
      `Unsupported file type ${type || "(none)"}; supported: ${Object.keys(MEDIA_TYPES).join(", ")}`,
    );
  }
  const now = ctx.clock.now();
  let tail = "";
  for (let i = 0; i < 6; i++) tail += Math.floor(ctx.random() * 36).toString(36);
  const key = `atelier/uploads/${agent.id}/${now}-${tail}.${extension}`;
  storeOf(ctx).put(key, new Uint8Array(await file.arrayBuffer()));
  ctx.state.uploads[key] = { key, agent_id: agent.id, content_type: type, size: file.size, created_at: now };
  const media: MediaKind = type.startsWith("video/") ? "video" : "image";
  return { status: 200, body: { success: true, data: { url: fileUrl(ctx, key), media_type: media } } };
}

export const fileUrl = (ctx: Ctx, key: string): string => `${ctx.baseUrl}${FILES_PREFIX}${key}`;

/** `GET /__files/<key>`: an uploaded file with its media type (public, like a CDN). */
export function serveFile(ctx: Ctx, request: SandboxRequest): SandboxResponse | undefined {
  if (!request.path.startsWith(FILES_PREFIX)) return undefined;
  if (request.method !== "GET" && request.method !== "HEAD")
    return ctx.error(405, `${request.method} is not allowed on uploaded files`);
  const key = request.path.slice(FILES_PREFIX.length);
  const meta = own(ctx.state.uploads, key);
  const bytes = meta ? storeOf(ctx).get(key) : undefined;
  if (!meta || !bytes) return ctx.error(404, "Not found");
  return {
    status: 200,
    raw: request.method === "HEAD" ? new Uint8Array() : bytes,
    contentType: meta.content_type,
    headers: { "cache-control": "public, max-age=31536000, immutable" },
  };
}
