import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** One scripted misbehaviour; a request that finds no fault gets the server's normal answer. */
export type Fault =
  /** Any status, e.g. 500, 502, 503, 504, 408. */
  | { kind: "status"; status: number; headers?: Record<string, string>; body?: unknown }
  /** A 429 carrying one kind of retry hint for `ms` milliseconds (or none). */
  | {
      kind: "rate-limit";
      hint:
        | "retry-after-ms"
        | "retry-after-seconds"
        | "retry-after-date"
        | "body-retry-after-ms"
        | "ratelimit-reset"
        | "none";
      ms: number;
      status?: 429 | 503;
    }
  /** The connection is destroyed after the request was read (the server did receive it). */
  | { kind: "reset" }
  /** Headers never come. */
  | { kind: "stall" }
  /** The normal answer, after a delay. */
  | { kind: "latency"; ms: number }
  /** Headers at once, then the body in `chunks` pieces `delayMs` apart. */
  | { kind: "slow-body"; chunks: number; delayMs: number }
  /** Headers promise more bytes than come, then the connection closes. */
  | { kind: "truncated-body" };

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
  /** The fault this request met, if any. */
  fault: Fault["kind"] | undefined;
}

export interface NormalAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface FaultServerOptions {
  /** The answer when no fault applies; default 200 `{ok: true, path}`. */
  respond?: (request: RecordedRequest) => NormalAnswer | Promise<NormalAnswer>;
}

export interface FaultServer {
  url: string;
  requests: RecordedRequest[];
  /** Faults met in order by the next requests (all routes). */
  enqueue(...faults: Fault[]): void;
  /** Faults met in order by the next requests whose path starts with `prefix`. */
  enqueueFor(prefix: string, ...faults: Fault[]): void;
  /** Faults still waiting. */
  pending(): number;
  reset(): void;
  close(): Promise<void>;
}

/**
 * A loopback HTTP server that misbehaves on a script: 429s with each kind of retry hint, 5xx,
 * connection resets, stalls, slow and truncated bodies. It records every request it reads.
 */
export async function startFaultServer(options: FaultServerOptions = {}): Promise<FaultServer> {
  const requests: RecordedRequest[] = [];
  const queue: Fault[] = [];
  const routed: Array<{ prefix: string; faults: Fault[] }> = [];
  const sockets = new Set<Socket>();
  const respond =
    options.respond ??
    ((request: RecordedRequest) => ({ status: 200, body: { ok: true, path: request.url } }));

  const take = (url: string): Fault | undefined => {
    for (const route of routed)
      if (url.startsWith(route.prefix) && route.faults.length) return route.faults.shift();
    return queue.shift();
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", async () => {
      const fault = take(req.url ?? "/");
      const recorded: RecordedRequest = {
        method: req.method ?? "",
        url: req.url ?? "/",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
        at: Date.now(),
        fault: fault?.kind,
      };
      requests.push(recorded);
      try {
        await answer(fault, recorded, res, req, respond);
      } catch {
        res.destroy();
      }
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    enqueue: (...faults) => queue.push(...faults),
    enqueueFor: (prefix, ...faults) => {
      const route = routed.find((r) => r.prefix === prefix);
      if (route) route.faults.push(...faults);
      else routed.push({ prefix, faults: [...faults] });
    },
    pending: () => queue.length + routed.reduce((sum, r) => sum + r.faults.length, 0),
    reset: () => {
      queue.length = 0;
      routed.length = 0;
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function send(res: ServerResponse, answer: NormalAnswer) {
  const text =
    answer.body === undefined
      ? ""
      : typeof answer.body === "string"
        ? answer.body
        : JSON.stringify(answer.body);
  res.writeHead(answer.status, { "content-type": "application/json", ...answer.headers });
  res.end(text);
}

async function answer(
  fault: Fault | undefined,
  recorded: RecordedRequest,
  res: ServerResponse,
  req: IncomingMessage,
  respond: (request: RecordedRequest) => NormalAnswer | Promise<NormalAnswer>,
) {
  switch (fault?.kind) {
    case undefined:
      return send(res, await respond(recorded));
    case "status":
      return send(res, {
        status: fault.status,
        headers: fault.headers ?? {},
        body: fault.body ?? { error: `injected ${fault.status}` },
      });
    case "rate-limit": {
      const headers: Record<string, string> = {};
      const body: Record<string, unknown> = { error: "rate limited" };
      if (fault.hint === "retry-after-ms") headers["retry-after-ms"] = String(fault.ms);
      if (fault.hint === "retry-after-seconds") headers["retry-after"] = String(Math.ceil(fault.ms / 1000));
      if (fault.hint === "retry-after-date")
        headers["retry-after"] = new Date(Date.now() + fault.ms).toUTCString();
      if (fault.hint === "body-retry-after-ms") body.retry_after_ms = fault.ms;
      if (fault.hint === "ratelimit-reset") {
        headers["x-ratelimit-limit"] = "20";
        headers["x-ratelimit-remaining"] = "0";
        headers["x-ratelimit-reset"] = String(Math.ceil((Date.now() + fault.ms) / 1000));
      }
      return send(res, { status: fault.status ?? 429, headers, body });
    }
    case "reset":
      req.socket.destroy();
      return;
    case "stall":
      return; // the socket is destroyed when the server closes
    case "latency":
      await sleep(fault.ms);
      return send(res, await respond(recorded));
    case "slow-body": {
      const normal = await respond(recorded);
      const text = JSON.stringify(normal.body ?? {});
      res.writeHead(normal.status, { "content-type": "application/json", ...normal.headers });
      const size = Math.ceil(text.length / fault.chunks);
      for (let i = 0; i < text.length; i += size) {
        res.write(text.slice(i, i + size));
        await sleep(fault.delayMs);
      }
      res.end();
      return;
    }
    case "truncated-body": {
      const text = JSON.stringify((await respond(recorded)).body ?? {});
      res.writeHead(200, { "content-type": "application/json", "content-length": String(text.length + 100) });
      res.write(text);
      await sleep(5);
      req.socket.destroy();
      return;
    }
  }
}
