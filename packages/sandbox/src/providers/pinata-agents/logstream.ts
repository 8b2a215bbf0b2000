/**
 * The live log WebSocket (`wss://{agentId}.agents.pinata.cloud/v0/logs?token=<GATEWAY_TOKEN>`):
 * each text frame is one JSON `{timestamp, level, source, message}`. A new subscriber first gets
 * the agent's last 100 lines, then every new one. `handleUpgrade` is a plain Node `upgrade`
 * listener; until the framework passes upgrades to providers it runs on a loopback port of its own.
 */
import { createServer, type IncomingMessage, type Server, STATUS_CODES } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Duplex } from "node:stream";
import { type WebSocket, WebSocketServer } from "ws";
import type { LogLine } from "./state.js";

/** Who may open a stream: the agent and its backlog, or why not. */
export type StreamAuthorizer = (
  request: IncomingMessage,
) => { agentId: string; backlog: LogLine[] } | { status: number; message: string };

export class LogStream {
  readonly url: string;
  readonly #server: Server;
  readonly #wss = new WebSocketServer({ noServer: true });
  readonly #subscribers = new Map<string, Set<WebSocket>>();
  readonly #sockets = new Set<Socket>();
  readonly #authorize: StreamAuthorizer;

  private constructor(server: Server, url: string, authorize: StreamAuthorizer) {
    this.#server = server;
    this.url = url;
    this.#authorize = authorize;
  }

  /** Listens on a free loopback port: `ws://127.0.0.1:PORT/v0/logs`. */
  static async start(authorize: StreamAuthorizer, host = "127.0.0.1"): Promise<LogStream> {
    const server = createServer((_req, res) => {
      const body = JSON.stringify({
        error: "The log stream is a WebSocket: connect with ?token=<GATEWAY_TOKEN>",
      });
      res.writeHead(426, {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(body),
        upgrade: "websocket",
      });
      res.end(body);
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, host, () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const stream = new LogStream(server, `ws://${host}:${port}/v0/logs`, authorize);
    server.on("connection", (socket) => {
      stream.#sockets.add(socket);
      socket.on("close", () => stream.#sockets.delete(socket));
    });
    server.on("upgrade", stream.handleUpgrade);
    return stream;
  }

  /** An `upgrade` listener for any node:http server. */
  readonly handleUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const verdict = this.#authorize(request);
    if ("status" in verdict) {
      const body = JSON.stringify({ error: verdict.message });
      socket.end(
        `HTTP/1.1 ${verdict.status} ${STATUS_CODES[verdict.status] ?? ""}\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
      return;
    }
    this.#wss.handleUpgrade(request, socket, head, (ws) => {
      const set = this.#subscribers.get(verdict.agentId) ?? new Set<WebSocket>();
      set.add(ws);
      this.#subscribers.set(verdict.agentId, set);
      ws.on("close", () => set.delete(ws));
      ws.on("error", () => set.delete(ws));
      for (const line of verdict.backlog) ws.send(JSON.stringify(line));
    });
  };

  publish(agentId: string, line: LogLine) {
    const text = JSON.stringify(line);
    for (const ws of this.#subscribers.get(agentId) ?? []) if (ws.readyState === ws.OPEN) ws.send(text);
  }

  /** Ends an agent's streams (its token changed, or it is gone). */
  disconnect(agentId: string, reason: string) {
    for (const ws of this.#subscribers.get(agentId) ?? []) ws.close(1008, reason);
    this.#subscribers.delete(agentId);
  }

  async close() {
    for (const set of this.#subscribers.values()) for (const ws of set) ws.terminate();
    this.#subscribers.clear();
    this.#wss.close();
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
