/**
 * A planting proxy: a loopback HTTP server in front of a real sandbox that forwards every request
 * and answer unchanged, except where a `Plant` rewrites one (or answers itself). It counts how
 * often the plant acted, so a test can tell a caught defect from one that was never exercised.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface ProxyRequest {
  method: string;
  /** Path and query, as sent (`/v1/feed/abc?limit=2`). */
  url: string;
  /** Lower-case names. */
  headers: Record<string, string>;
  body: Buffer;
}

export interface ProxyResponse {
  status: number;
  /** Lower-case names; `set-cookie` may repeat. */
  headers: Record<string, string | string[]>;
  body: Buffer;
}

/** What a plant does; returning undefined leaves the request or answer as it was. */
export interface Plant {
  /** A changed request, or an answer given instead of forwarding. */
  request?(
    req: ProxyRequest,
    upstream: Upstream,
  ): ProxyRequest | ProxyResponse | undefined | Promise<ProxyRequest | ProxyResponse | undefined>;
  /** A changed answer. */
  response?(
    req: ProxyRequest,
    res: ProxyResponse,
    upstream: Upstream,
  ): ProxyResponse | undefined | Promise<ProxyResponse | undefined>;
}

/** Sends a request to the sandbox behind the proxy (for plants that look something up first). */
export type Upstream = (req: ProxyRequest) => Promise<ProxyResponse>;

export interface PlantingProxy {
  url: string;
  /** Requests or answers the plant changed. */
  readonly planted: number;
  close(): Promise<void>;
}

const HOP = new Set(["host", "connection", "content-length", "transfer-encoding", "keep-alive"]);

export const json = (res: ProxyResponse): unknown => {
  try {
    return JSON.parse(res.body.toString("utf8"));
  } catch {
    return undefined;
  }
};

/** An answer with a JSON body (other headers kept). */
export const withJson = (res: ProxyResponse, value: unknown, status = res.status): ProxyResponse => ({
  status,
  headers: { ...res.headers, "content-type": "application/json" },
  body: Buffer.from(JSON.stringify(value)),
});

export const pathOf = (req: ProxyRequest) => req.url.split("?")[0] ?? "";

export async function startProxy(target: string, plant: Plant = {}): Promise<PlantingProxy> {
  const base = target.replace(/\/$/, "");
  const upstream: Upstream = async (req) => {
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !HOP.has(k)));
    const answer = await fetch(`${base}${req.url}`, {
      method: req.method,
      headers,
      ...(req.body.length && !["GET", "HEAD"].includes(req.method) ? { body: new Uint8Array(req.body) } : {}),
      redirect: "manual",
    });
    const out: Record<string, string | string[]> = {};
    answer.headers.forEach((value, key) => {
      if (!HOP.has(key) && key !== "content-encoding" && key !== "set-cookie") out[key] = value;
    });
    const cookies = answer.headers.getSetCookie();
    if (cookies.length) out["set-cookie"] = cookies;
    return { status: answer.status, headers: out, body: Buffer.from(await answer.arrayBuffer()) };
  };
  let planted = 0;
  const handle = async (incoming: IncomingMessage, body: Buffer): Promise<ProxyResponse> => {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(incoming.headers))
      if (v !== undefined) headers[k] = [v].flat().join(", ");
    let req: ProxyRequest = { method: incoming.method ?? "GET", url: incoming.url ?? "/", headers, body };
    const changed = await plant.request?.(req, upstream);
    if (changed) planted++;
    if (changed && "status" in changed) return changed;
    if (changed) req = changed;
    const res = await upstream(req);
    const rewritten = await plant.response?.(req, res, upstream);
    if (rewritten) planted++;
    return rewritten ?? res;
  };
  const server = createServer((incoming: IncomingMessage, out: ServerResponse) => {
    const chunks: Buffer[] = [];
    incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
    incoming.on("end", () => {
      handle(incoming, Buffer.concat(chunks)).then(
        (res) => {
          out.writeHead(res.status, { ...res.headers, "content-length": String(res.body.length) });
          out.end(res.body);
        },
        (error: unknown) => {
          out.writeHead(502, { "content-type": "text/plain" });
          out.end(`planting proxy: ${(error as Error).message}`);
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get planted() {
      return planted;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
