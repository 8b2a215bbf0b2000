/**
 * A hostile proxy in front of the real Pipe sandbox (or its Solana RPC): it forwards every request,
 * and on a script it misbehaves at one step of a top-up — after the sandbox has acted on the request
 * when `forward` is set, so "the transfer landed, then the server stalled" is a real case.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** The steps of a top-up, as the proxy sees them. */
export type ProxyStep = "ask" | "resend" | "poll" | "rpc" | "other";

export type Misbehaviour =
  /** Nothing at all, ever. */
  | "stall"
  /** The status line and headers, then nothing. */
  | "headers"
  /** The whole answer, status line included, one byte a second. */
  | "drip"
  /** Headers at once, then the body one byte a second. */
  | "drip-body"
  /** (resend) A 202 `processing` with `Retry-After: 0`, whatever the sandbox said. */
  | "accepted"
  /** (poll) A `pending` intent whose `error_message` echoes the request's `Authorization`. */
  | "echo-intent"
  /** A 400 whose body echoes the request's `Authorization`. */
  | "echo-error";

export interface ProxyRule {
  step: ProxyStep;
  /** For `rpc`: the JSON-RPC method. */
  method?: string;
  fault: Misbehaviour;
  /** Let the sandbox handle the request first (it acts, then the answer goes wrong). Default true. */
  forward?: boolean;
  /** How many matching requests meet the fault (default every one). */
  times?: number;
}

export interface HostileProxy {
  url: string;
  /** Requests seen, per step. */
  hits: Record<ProxyStep, number>;
  /** Requests that met a fault, per step. */
  faulted: Record<ProxyStep, number>;
  script(...rules: ProxyRule[]): void;
  /** Back to a plain proxy. */
  clear(): void;
  close(): Promise<void>;
}

interface Forwarded {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

const HOP = new Set(["connection", "keep-alive", "transfer-encoding", "content-length", "host"]);

function stepOf(req: IncomingMessage, body: Buffer): { step: ProxyStep; method?: string } {
  const path = (req.url ?? "/").split("?")[0] ?? "/";
  if (req.method === "POST" && path === "/api/credits/x402")
    return { step: req.headers["payment-signature"] ? "resend" : "ask" };
  if (req.method === "GET" && path.startsWith("/api/credits/intent/")) return { step: "poll" };
  if (req.method === "POST" && path === "/" && body.length) {
    try {
      const call = JSON.parse(body.toString("utf8")) as { method?: string };
      return { step: "rpc", ...(call.method ? { method: call.method } : {}) };
    } catch {
      return { step: "other" };
    }
  }
  return { step: "other" };
}

export async function startHostileProxy(target: string): Promise<HostileProxy> {
  const rules: Array<ProxyRule & { left: number }> = [];
  const zero = (): Record<ProxyStep, number> => ({ ask: 0, resend: 0, poll: 0, rpc: 0, other: 0 });
  const hits = zero();
  const faulted = zero();
  const sockets = new Set<Socket>();
  /** Connections a fault left hanging (idle keep-alive ones are left alone). */
  const hanging = new Set<Socket>();
  const timers = new Set<ReturnType<typeof setInterval>>();

  const forward = async (req: IncomingMessage, body: Buffer): Promise<Forwarded> => {
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (HOP.has(name) || value === undefined) continue;
      headers.set(name, Array.isArray(value) ? value.join(", ") : value);
    }
    const answer = await fetch(new URL(req.url ?? "/", target), {
      method: req.method ?? "GET",
      headers,
      ...(body.length && req.method !== "GET" && req.method !== "HEAD" ? { body: new Uint8Array(body) } : {}),
    });
    const out: Record<string, string> = {};
    answer.headers.forEach((value, name) => {
      if (!HOP.has(name)) out[name] = value;
    });
    return { status: answer.status, headers: out, body: Buffer.from(await answer.arrayBuffer()) };
  };

  const raw = (answer: Forwarded) => {
    const lines = [`HTTP/1.1 ${answer.status} X`];
    for (const [name, value] of Object.entries(answer.headers)) lines.push(`${name}: ${value}`);
    lines.push(`content-length: ${answer.body.length}`, "connection: close", "", "");
    return Buffer.concat([Buffer.from(lines.join("\r\n")), answer.body]);
  };

  const drip = (socket: Socket, bytes: Buffer) => {
    let i = 0;
    const timer = setInterval(() => {
      if (socket.destroyed || i >= bytes.length) {
        clearInterval(timer);
        timers.delete(timer);
        return;
      }
      socket.write(bytes.subarray(i, i + 1));
      i++;
    }, 1000);
    timers.add(timer);
  };

  const misbehave = async (rule: ProxyRule, req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const forwarded = rule.forward === false ? undefined : await forward(req, body);
    const answer = forwarded ?? {
      status: 200,
      headers: { "content-type": "application/json" },
      body: Buffer.from("{}"),
    };
    const authorization = String(req.headers.authorization ?? "");
    switch (rule.fault) {
      case "stall":
        return; // the socket is destroyed when the proxy closes
      case "headers":
        res.writeHead(answer.status, answer.headers);
        res.flushHeaders();
        return;
      case "drip":
        drip(req.socket, raw(answer));
        return;
      case "drip-body":
        res.writeHead(answer.status, { ...answer.headers, "content-length": String(answer.body.length) });
        res.flushHeaders();
        drip(req.socket, answer.body);
        return;
      case "accepted": {
        const intent = JSON.parse(answer.body.toString("utf8") || "{}") as { intent_id?: string };
        res.writeHead(202, { "content-type": "application/json", "retry-after": "0" });
        res.end(JSON.stringify({ intent_id: intent.intent_id, status: "processing" }));
        return;
      }
      case "echo-intent": {
        const intent = JSON.parse(answer.body.toString("utf8") || "{}") as Record<string, unknown>;
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          JSON.stringify({ ...intent, status: "pending", error_message: `refused for ${authorization}` }),
        );
        return;
      }
      case "echo-error":
        res.writeHead(400, { "content-type": "application/json" });
        res.end(
          JSON.stringify({ error: `bad request from ${authorization}`, details: { seen: authorization } }),
        );
        return;
    }
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", async () => {
      const body = Buffer.concat(chunks);
      const { step, method } = stepOf(req, body);
      hits[step]++;
      const rule = rules.find((r) => r.left > 0 && r.step === step && (!r.method || r.method === method));
      try {
        if (rule) {
          rule.left--;
          faulted[step]++;
          hanging.add(req.socket);
          await misbehave(rule, req, res, body);
          return;
        }
        const answer = await forward(req, body);
        res.writeHead(answer.status, answer.headers);
        res.end(answer.body);
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
    hits,
    faulted,
    script: (...more) => {
      for (const rule of more) rules.push({ ...rule, left: rule.times ?? Number.POSITIVE_INFINITY });
    },
    clear: () => {
      rules.length = 0;
      for (const timer of timers) clearInterval(timer);
      timers.clear();
      // Connections left hanging by a fault end here, as a server that went away would end them.
      for (const socket of hanging) socket.destroy();
      hanging.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        rules.length = 0;
        for (const timer of timers) clearInterval(timer);
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
