/**
 * `streamLogs(agentId, …)`: the agent's live log over its WebSocket, as an async iterator of typed
 * messages. It reconnects with backoff (dropping the lines the server replays on reconnect), stops
 * on the signal, and never puts the gateway token in an error or a log line.
 */
import { AuthenticationError } from "@specyard/http";
import { agentLogStreamUrl, type LogMessage } from "./client.js";

/** The part of the WebSocket API used here: the browser's, Deno's, Bun's, Node 22's, or `ws`'s. */
export interface WebSocketLike {
  addEventListener(
    type: "open" | "message" | "close" | "error",
    listener: (event: { data?: unknown; code?: number }) => void,
  ): void;
  close(): void;
  /** `ws` only: the HTTP answer when the upgrade was refused. */
  on?(
    event: "unexpected-response",
    listener: (request: unknown, response: { statusCode?: number }) => void,
  ): void;
}
/** Any WebSocket class (typed loosely: `ws`'s overloads and event types differ from the DOM's). */
export type WebSocketConstructor = new (url: string) => object;

export interface StreamLogsOptions {
  gatewayToken: string;
  signal?: AbortSignal;
  /** The stream's URL without the token (default `wss://{agentId}.agents.pinata.cloud/v0/logs`). */
  url?: string;
  /** A WebSocket implementation (default: the global one; on Node 20 pass `ws`). */
  WebSocket?: WebSocketConstructor;
  /** Reconnect backoff: from `initialBackoffMs` (500) doubling to `maxBackoffMs` (30 000). */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Called on each reconnect, with the attempt number and the wait (no token in it). */
  onReconnect?: (attempt: number, waitMs: number) => void;
}

export class LogStreamError extends Error {
  override name = "LogStreamError";
}

export async function* streamLogs(agentId: string, options: StreamLogsOptions): AsyncGenerator<LogMessage> {
  const Socket = (options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket) as
    | (new (
        url: string,
      ) => WebSocketLike)
    | undefined;
  if (!Socket)
    throw new LogStreamError(
      "no WebSocket implementation: pass one as options.WebSocket (e.g. `ws` on Node 20)",
    );
  const base = new URL(options.url ?? agentLogStreamUrl(agentId));
  base.searchParams.set("token", options.gatewayToken);
  const redact = (text: string) => text.split(options.gatewayToken).join("[redacted]");
  const seen = new Set<string>();
  const queue: LogMessage[] = [];
  let wake: (() => void) | undefined;
  let failure: Error | undefined;
  let attempt = 0;

  while (!options.signal?.aborted) {
    let opened = false;
    let closed = false;
    const socket = new Socket(base.toString());
    const stop = () => socket.close();
    options.signal?.addEventListener("abort", stop, { once: true });
    socket.addEventListener("open", () => {
      opened = true;
      attempt = 0;
    });
    socket.addEventListener("message", (event) => {
      try {
        const message = JSON.parse(String(event.data)) as LogMessage;
        const key = `${message.timestamp}|${message.source}|${message.message}`;
        if (seen.has(key)) return; // replayed backlog after a reconnect
        seen.add(key);
        if (seen.size > 500) seen.delete(seen.values().next().value as string);
        queue.push(message);
      } catch {
        // not a log frame: ignore
      }
      wake?.();
    });
    const done = () => {
      closed = true;
      wake?.();
    };
    socket.addEventListener("close", done);
    socket.addEventListener("error", done);
    socket.on?.("unexpected-response", (request, response) => {
      // The upgrade was refused with an HTTP answer (`ws` only): give up on 401/403, retry others.
      const status = response.statusCode ?? 0;
      if (status === 401 || status === 403) {
        failure = new AuthenticationError({
          status,
          body: undefined,
          method: "GET",
          url: redact(base.toString()),
        });
      }
      (request as { destroy?: () => void }).destroy?.();
      done();
    });

    try {
      while (!closed || queue.length) {
        const next = queue.shift();
        if (next) {
          yield next;
          continue;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
    } finally {
      options.signal?.removeEventListener("abort", stop);
      socket.close();
    }
    if (failure) throw failure;
    if (options.signal?.aborted) return;
    if (!opened) attempt++;
    else attempt = 1;
    const wait = Math.min(
      (options.initialBackoffMs ?? 500) * 2 ** Math.max(0, attempt - 1),
      options.maxBackoffMs ?? 30_000,
    );
    options.onReconnect?.(attempt, wait);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, wait);
      options.signal?.addEventListener(
        "abort",
        () => {
          clearTimeout(timer);
          resolve();
        },
        { once: true },
      );
    });
  }
}
