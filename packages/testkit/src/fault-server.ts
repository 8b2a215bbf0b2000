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
  | { kind: "truncated-body" }
  /** The normal answer's status and headers at once, then nothing: the body never comes. */
  | { kind: "headers-only" }
  /**
   * The normal answer one byte every `intervalMs` (default 1000): from the body on (headers at
   * once), or from the status line on (`from: "start"`). Stops when the client goes away.
   */
  | { kind: "drip"; intervalMs?: number; from?: "body" | "start" };

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
    case "headers-only": {
      const normal = await respond(recorded);
      res.writeHead(normal.status, { "content-type": "application/json", ...normal.headers });
      res.flushHeaders();
      return; // the socket is destroyed when the client gives up or the server closes
    }
    case "drip":
      return drip(fault, await respond(recorded), req, res);
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

/** Writes an answer one byte per tick; the timer stops as soon as the connection closes. */
function drip(
  fault: Extract<Fault, { kind: "drip" }>,
  normal: NormalAnswer,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const text =
    normal.body === undefined
      ? ""
      : typeof normal.body === "string"
        ? normal.body
        : JSON.stringify(normal.body);
  const headers: Record<string, string> = { "content-type": "application/json", ...normal.headers };
  const body = Buffer.from(text, "utf8");
  let bytes: Buffer;
  let write: (chunk: Buffer) => void;
  if (fault.from === "start") {
    const head = [`HTTP/1.1 ${normal.status} X`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
    head.push(`content-length: ${body.length}`, "", "");
    bytes = Buffer.concat([Buffer.from(head.join("\r\n"), "latin1"), body]);
    write = (chunk) => req.socket.write(chunk);
  } else {
    res.writeHead(normal.status, { ...headers, "content-length": String(body.length) });
    res.flushHeaders();
    bytes = body;
    write = (chunk) => res.write(chunk);
  }
  return new Promise<void>((resolve) => {
    let at = 0;
    const stop = () => {
      clearInterval(timer);
      req.socket.off("close", stop);
      resolve();
    };
    const timer = setInterval(() => {
      if (req.socket.destroyed) return stop();
      write(bytes.subarray(at, at + 1));
      at++;
      if (at < bytes.length) return;
      if (fault.from === "start") req.socket.end();
      else res.end();
      stop();
    }, fault.intervalMs ?? 1000);
    req.socket.once("close", stop);
  });
}
