import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface EchoServer {
  url: string;
  seen: Seen[];
  /** The next answers, in order; after they run out every request gets 200 `{ok: true}`. */
  answers: Array<{ status: number; headers?: Record<string, string>; body?: unknown }>;
  close(): Promise<void>;
}

/** A loopback HTTP server that records each request and answers from a script. */
export async function echoServer(): Promise<EchoServer> {
  const seen: Seen[] = [];
  const answers: EchoServer["answers"] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", () => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      const answer = answers.shift() ?? { status: 200, body: { ok: true } };
      const text = typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body ?? null);
      res.writeHead(answer.status, { "content-type": "application/json", ...answer.headers }).end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    answers,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
