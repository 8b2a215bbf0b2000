import http, { type IncomingHttpHeaders, type OutgoingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { buildApp } from "fauxqs";

/**
 * An S3-compatible store behind the gateway. It answers unauthenticated path-style requests at `url`;
 * the gateway does all authentication and scoping, so it must listen on loopback only.
 */
export interface S3Backend {
  /** Base URL, e.g. `http://127.0.0.1:PORT`. */
  readonly url: string;
  createBucket(name: string): Promise<void>;
  close(): Promise<void>;
}

/** Largest single request body the fauxqs backend accepts (its own default is 11 MiB). */
const BODY_LIMIT = 1024 * 1024 * 1024;

/** Starts fauxqs 1.9.2 in-process on 127.0.0.1 (its `startFauxqs()` would listen on 0.0.0.0). */
export async function startFauxqsBackend(): Promise<S3Backend> {
  const app = buildApp({ logger: false });
  // Re-register the raw-body parser to lift the 11 MiB limit on single PUTs.
  app.removeContentTypeParser("*");
  app.addContentTypeParser("*", { parseAs: "buffer", bodyLimit: BODY_LIMIT }, (_req, body, done) =>
    done(null, body),
  );
  await app.listen({ host: "127.0.0.1", port: 0 });
  const { port } = app.server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    async createBucket(name) {
      const res = await backendRequest(url, "PUT", `/${encodeURIComponent(name)}`);
      if (res.status !== 200 && res.status !== 409) throw new Error(`creating bucket failed: ${res.status}`);
    },
    close: () => app.close(),
  };
}

/** A buffered response from the backend. */
export interface BackendResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** The raw path of an object: each key segment percent-encoded, `/` kept (no URL normalization). */
export function objectPath(bucket: string, key: string): string {
  return `/${encodeURIComponent(bucket)}/${key.split("/").map(encodeURIComponent).join("/")}`;
}

/** Sends one request to the backend with a raw path (never normalized) and buffers the answer. */
export function backendRequest(
  baseUrl: string,
  method: string,
  path: string,
  headers: OutgoingHttpHeaders = {},
  body?: Buffer,
): Promise<BackendResponse> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: hostname, port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}
