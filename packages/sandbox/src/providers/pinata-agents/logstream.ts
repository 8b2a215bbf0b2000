/**
 * The live log WebSocket (`wss://{agentId}.agents.pinata.cloud/v0/logs?token=<GATEWAY_TOKEN>`):
 * each text frame is one JSON `{timestamp, level, source, message}`. A new subscriber first gets
 * the agent's last 100 lines, then every new one. The sandbox serves it on the API's port, at
 * `ws://127.0.0.1:PORT/v0/logs` (and `/v0/agents/{agentId}/logs`).
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { type WebSocket, WebSocketServer } from "ws";
import type { LogLine } from "./state.js";

/** Who may open a stream: the agent and its backlog, or why not. */
export type StreamAuthorizer = (
  request: IncomingMessage,
) => { agentId: string; backlog: LogLine[] } | { status: number; message: string };

export class LogStream {
  readonly #wss = new WebSocketServer({ noServer: true });
  readonly #subscribers = new Map<string, Set<WebSocket>>();
  readonly #authorize: StreamAuthorizer;

  constructor(authorize: StreamAuthorizer) {
    this.#authorize = authorize;
  }

  /** Takes an HTTP upgrade: a WebSocket for an authorized token, else returns why not. */
  readonly handleUpgrade = (
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
  ): { status: number; message: string } | undefined => {
    const verdict = this.#authorize(request);
    if ("status" in verdict) return verdict;
    this.#wss.handleUpgrade(request, socket, head, (ws) => {
      const set = this.#subscribers.get(verdict.agentId) ?? new Set<WebSocket>();
      set.add(ws);
      this.#subscribers.set(verdict.agentId, set);
      ws.on("close", () => set.delete(ws));
      ws.on("error", () => set.delete(ws));
      for (const line of verdict.backlog) ws.send(JSON.stringify(line));
    });
    return undefined;
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

  close() {
    for (const set of this.#subscribers.values()) for (const ws of set) ws.terminate();
    this.#subscribers.clear();
    this.#wss.close();
  }
}
