/** The S3-compatible gateway: key-scoped access to buckets, proxied to a backend store and mirrored to disk. */
import { createHash, randomBytes } from "node:crypto";
import http, {
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { authenticate } from "./auth.js";
import { backendRequest, objectPath, type S3Backend, startFauxqsBackend } from "./backend.js";
import { accessDenied, errorXml, notImplemented, S3Error } from "./errors.js";
import { DiskMirror } from "./mirror.js";
import {
  classify,
  hasDotSegment,
  keyInScope,
  parseCopySource,
  parseQuery,
  parseTarget,
  type Query,
  type S3KeyScope,
  type S3Operation,
  type S3Target,
} from "./scope.js";

/** A key's scope without its secret, as `keys()` lists it. */
export type S3KeyInfo = Omit<S3KeyScope, "secretAccessKey">;

/** One successful write or delete, for the sandbox's activity log (`size` is 0 for deletes). */
export interface S3ObjectEvent {
  bucket: string;
  key: string;
  size: number;
  accessKeyId: string;
  operation: "put" | "delete" | "copy" | "multipart-complete";
}

export interface S3GatewayOptions {
  /** The region clients sign for; default "us-west-1". */
  region?: string;
  /** Keep a copy of every object here and load it again on start. */
  dataDir?: string;
  /** The store behind the gateway; default an in-process fauxqs, closed with the gateway. */
  backend?: S3Backend;
}

/** A request on its way through the gateway. */
interface Exchange {
  operation: S3Operation;
  target: S3Target;
  query: Query;
  scope: S3KeyScope | undefined;
  body?: Buffer;
}

/** S3's own limit for one PUT; a body signed by its SHA-256 is held until the digest is checked. */
const MAX_HASHED_BODY = 5 * 1024 ** 3;
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "transfer-encoding",
  "expect",
  "upgrade",
  "te",
  "trailer",
  "proxy-connection",
  "proxy-authorization",
]);
/** Operations whose successful answer the gateway inspects before passing it on. */
const TRACKED = new Set<S3Operation>([
  "put",
  "copy",
  "delete",
  "multipart-create",
  "multipart-complete",
  "multipart-abort",
]);

/**
 * An S3-compatible endpoint on 127.0.0.1 that checks SigV4 signatures, confines each access key to
 * one bucket and key prefix, and proxies allowed requests (bodies streamed) to a backend store.
 * Path-style requests only (`forcePathStyle: true`). It serves exactly the operations the Pipe
 * document lists as supported — PutObject, GetObject, HeadObject, DeleteObject, ListObjectsV2,
 * CopyObject and multipart uploads — and answers every other S3 operation (DeleteObjects among them)
 * with `NotImplemented` (501), after checking the signature.
 */
export class S3Gateway {
  private readonly scopes = new Map<string, S3KeyScope>();
  private readonly publicBuckets = new Set<string>();
  private readonly readOnlyBuckets = new Set<string>();
  private readonly listeners: Array<(event: S3ObjectEvent) => void> = [];
  /** Multipart uploads begun through the gateway: upload id → bucket and key. */
  private readonly uploads = new Map<string, { bucket: string; key: string }>();
  /** Backend reads after writes run one at a time, so the mirror always ends on the latest state. */
  private syncQueue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly server: http.Server,
    private readonly backend: S3Backend,
    private readonly ownsBackend: boolean,
    private readonly mirror: DiskMirror | undefined,
    readonly endpoint: string,
    readonly region: string,
  ) {}

  static async start(options: S3GatewayOptions = {}): Promise<S3Gateway> {
    const backend = options.backend ?? (await startFauxqsBackend());
    const mirror = options.dataDir === undefined ? undefined : new DiskMirror(options.dataDir);
    if (mirror) await restore(mirror, backend);
    const server = http.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", resolve);
    });
    const { port } = server.address() as AddressInfo;
    const region = options.region ?? "us-west-1";
    const gateway = new S3Gateway(
      server,
      backend,
      options.backend === undefined,
      mirror,
      `http://127.0.0.1:${port}`,
      region,
    );
    server.on("request", (req, res) => void gateway.handle(req, res, false));
    server.on("checkContinue", (req, res) => void gateway.handle(req, res, true));
    return gateway;
  }

  async createBucket(name: string): Promise<void> {
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name) || name.includes(".."))
      throw new Error(`invalid bucket name: ${name}`);
    await this.backend.createBucket(name);
    await this.mirror?.addBucket(name);
  }

  /** Adds (or replaces) an access key. */
  addKey(scope: S3KeyScope): void {
    if (!scope.accessKeyId || !scope.secretAccessKey || !scope.bucket)
      throw new Error("an access key needs an id, a secret and a bucket");
    if (hasDotSegment(scope.prefix)) throw new Error("a key prefix may not contain '.' or '..' segments");
    this.scopes.set(scope.accessKeyId, { ...scope });
  }

  removeKey(accessKeyId: string): void {
    this.scopes.delete(accessKeyId);
  }

  /** The keys in use, without their secrets. */
  keys(): S3KeyInfo[] {
    return [...this.scopes.values()].map(({ accessKeyId, bucket, prefix }) => ({
      accessKeyId,
      bucket,
      prefix,
    }));
  }

  /** Anonymous GETs are allowed on a bucket with public_read. */
  setPublicRead(bucket: string, on: boolean): void {
    if (on) this.publicBuckets.add(bucket);
    else this.publicBuckets.delete(bucket);
  }

  /** Read-only buckets (an account that may read but not write): every write is AccessDenied. */
  setReadOnly(bucket: string, on: boolean): void {
    if (on) this.readOnlyBuckets.add(bucket);
    else this.readOnlyBuckets.delete(bucket);
  }

  /** Called after every successful write/delete, for the sandbox's activity log. */
  onObject(listener: (event: S3ObjectEvent) => void): void {
    this.listeners.push(listener);
  }

  /** Reads an object directly (for the sandbox's /download-stream); undefined when it does not exist. */
  async getObject(bucket: string, key: string): Promise<Uint8Array | undefined> {
    const res = await backendRequest(this.backend.url, "GET", objectPath(bucket, key));
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw new Error(`the S3 backend answered ${res.status}`);
    return new Uint8Array(res.body);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    await this.syncQueue;
    if (this.ownsBackend) await this.backend.close();
  }

  private async handle(req: IncomingMessage, res: ServerResponse, expectsContinue: boolean): Promise<void> {
    const requestId = randomBytes(8).toString("hex").toUpperCase();
    const url = req.url ?? "/";
    const mark = url.indexOf("?");
    const rawPath = mark < 0 ? url : url.slice(0, mark);
    let continued = !expectsContinue;
    try {
      const target = parseTarget(rawPath);
      const query = parseQuery(mark < 0 ? "" : url.slice(mark + 1));
      const { operation, name } = classify(req.method ?? "", target, query, req.headers);
      const scope = await authenticate(req, rawPath, query, { scopes: this.scopes, region: this.region });
      if (operation === "unsupported") throw notImplemented(name);
      this.authorize(scope, operation, target, query, req.headers);
      if (!continued) res.writeContinue();
      continued = true;
      const exchange: Exchange = { operation, target, query, scope };
      const declared = req.headers["x-amz-content-sha256"];
      if (!exchange.body && typeof declared === "string" && /^[0-9a-f]{64}$/.test(declared)) {
        // S3 stores nothing whose bytes do not hash to the signed digest.
        exchange.body = await readAll(req, MAX_HASHED_BODY);
        if (createHash("sha256").update(exchange.body).digest("hex") !== declared)
          throw new S3Error(
            "XAmzContentSHA256Mismatch",
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
            400,
          );
      }
      await this.forward(req, res, exchange);
    } catch (error) {
      const s3Error =
        error instanceof S3Error
          ? error
          : new S3Error("InternalError", "We encountered an internal error. Please try again.", 500);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      res.writeHead(s3Error.status, {
        "content-type": "application/xml",
        "x-amz-request-id": requestId,
        ...(continued ? {} : { connection: "close" }),
      });
      res.end(req.method === "HEAD" ? undefined : errorXml(s3Error, rawPath, requestId));
      if (continued) req.resume();
    }
  }

  /** Throws unless the scope (or, anonymously, public_read) allows the operation. */
  private authorize(
    scope: S3KeyScope | undefined,
    operation: S3Operation,
    target: S3Target,
    query: Query,
    headers: IncomingHttpHeaders,
  ): void {
    const { bucket, key } = target;
    const reading = operation === "read" || operation === "bucket-list";
    if (bucket !== undefined && this.readOnlyBuckets.has(bucket) && !reading) {
      throw new S3Error("AccessDenied", "The account cannot write: it is frozen.", 403);
    }
    if (!scope) {
      if (
        operation === "read" &&
        bucket !== undefined &&
        this.publicBuckets.has(bucket) &&
        !hasDotSegment(key)
      )
        return;
      throw accessDenied();
    }
    if (bucket !== scope.bucket) throw accessDenied();
    switch (operation) {
      case "bucket-list": {
        const prefix = query.prefix ?? "";
        if (typeof prefix === "string" && prefix.startsWith(scope.prefix)) return;
        throw accessDenied(`List with a prefix under '${scope.prefix}'.`);
      }
      case "read":
      case "put":
      case "delete":
      case "multipart-create":
        break;
      case "copy":
        this.authorizeCopySource(scope, headers);
        break;
      case "multipart-part":
        if (headers["x-amz-copy-source"] !== undefined) this.authorizeCopySource(scope, headers);
        this.authorizeUpload(bucket, key, query);
        break;
      case "multipart-complete":
      case "multipart-abort":
        this.authorizeUpload(bucket, key, query);
        break;
      default:
        throw accessDenied();
    }
    if (!keyInScope(scope, bucket, key)) throw accessDenied();
  }

  private authorizeCopySource(scope: S3KeyScope, headers: IncomingHttpHeaders): void {
    const source = parseCopySource(headers["x-amz-copy-source"]);
    if (!keyInScope(scope, source.bucket, source.key)) throw accessDenied();
  }

  /** An upload id is only good for the bucket and key it was created for (through this gateway). */
  private authorizeUpload(bucket: string, key: string, query: Query): void {
    const upload = this.uploads.get(String(query.uploadId));
    if (upload?.bucket !== bucket || upload.key !== key)
      throw new S3Error("NoSuchUpload", "The specified upload does not exist.", 404);
  }

  /** Sends the request on to the backend and its answer back, streaming both bodies. */
  private async forward(req: IncomingMessage, res: ServerResponse, exchange: Exchange): Promise<void> {
    const { hostname, port, host } = new URL(this.backend.url);
    const headers: OutgoingHttpHeaders = withoutHopByHop(req.headers);
    headers.host = host;
    delete headers.authorization;
    if (exchange.body) headers["content-length"] = String(exchange.body.length);
    const upstream = http.request({ host: hostname, port, method: req.method, path: req.url, headers });
    const answer = new Promise<IncomingMessage>((resolve, reject) => {
      upstream.on("response", resolve);
      upstream.on("error", reject);
    });
    if (exchange.body) upstream.end(exchange.body);
    else pipeline(req, upstream).catch(() => upstream.destroy());
    const reply = await answer;
    const status = reply.statusCode ?? 502;
    const replyHeaders = withoutHopByHop(reply.headers);
    if (status >= 200 && status < 300 && TRACKED.has(exchange.operation)) {
      const body = await readAll(reply, Number.POSITIVE_INFINITY);
      await this.afterWrite(exchange, body);
      res.writeHead(status, replyHeaders);
      res.end(body);
      return;
    }
    res.writeHead(status, replyHeaders);
    await pipeline(reply, res);
  }

  /** Records multipart uploads, mirrors changed objects and tells the listeners. */
  private async afterWrite(exchange: Exchange, answer: Buffer): Promise<void> {
    const { operation, target, query, scope } = exchange;
    const bucket = target.bucket ?? "";
    const uploadId = String(query.uploadId);
    if (operation === "multipart-create") {
      const id = /<UploadId>([^<]+)<\/UploadId>/.exec(answer.toString("utf8"))?.[1];
      if (id) this.uploads.set(id, { bucket, key: target.key });
      return;
    }
    if (operation === "multipart-abort" || operation === "multipart-complete") this.uploads.delete(uploadId);
    if (operation === "multipart-abort") return;
    const kind: S3ObjectEvent["operation"] =
      operation === "put" || operation === "copy" || operation === "multipart-complete"
        ? operation
        : "delete";
    const size = await this.sync(bucket, target.key);
    this.emit({ bucket, key: target.key, size, accessKeyId: scope?.accessKeyId ?? "", operation: kind });
  }

  /** Reads an object's current state from the backend, mirrors it to disk, and returns its size. */
  private sync(bucket: string, key: string): Promise<number> {
    const run = async () => {
      const path = objectPath(bucket, key);
      if (!this.mirror) {
        const head = await backendRequest(this.backend.url, "HEAD", path);
        return head.status === 200 ? Number(head.headers["content-length"] ?? 0) : 0;
      }
      const res = await backendRequest(this.backend.url, "GET", path);
      if (res.status === 404) {
        await this.mirror.remove(bucket, key);
        return 0;
      }
      if (res.status !== 200) throw new Error(`the S3 backend answered ${res.status}`);
      const metadata: Record<string, string> = {};
      for (const [name, value] of Object.entries(res.headers))
        if (name.startsWith("x-amz-meta-") && typeof value === "string") metadata[name.slice(11)] = value;
      const contentType = res.headers["content-type"] ?? "application/octet-stream";
      await this.mirror.write(bucket, { key, contentType, metadata, body: res.body });
      return res.body.length;
    };
    const result = this.syncQueue.then(run);
    this.syncQueue = result.catch(() => undefined);
    return result;
  }

  private emit(event: S3ObjectEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A failing listener must not fail the request.
      }
    }
  }
}

/** Loads the mirrored buckets and objects into a fresh backend. */
async function restore(mirror: DiskMirror, backend: S3Backend): Promise<void> {
  for (const bucket of await mirror.buckets()) {
    await backend.createBucket(bucket);
    for await (const object of mirror.objects(bucket)) {
      const headers: OutgoingHttpHeaders = { "content-type": object.contentType };
      for (const [name, value] of Object.entries(object.metadata)) headers[`x-amz-meta-${name}`] = value;
      const res = await backendRequest(
        backend.url,
        "PUT",
        objectPath(bucket, object.key),
        headers,
        object.body,
      );
      if (res.status !== 200)
        throw new Error(`restoring an object into bucket ${bucket} failed: ${res.status}`);
    }
  }
}

function withoutHopByHop(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers))
    if (value !== undefined && !HOP_BY_HOP.has(name) && !name.startsWith("proxy-")) out[name] = value;
  return out;
}

async function readAll(stream: Readable, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit)
      throw new S3Error("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size.", 400);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
