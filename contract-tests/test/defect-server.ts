/**
 * A loopback implementation of test/fixtures/defects.yaml that behaves correctly unless one
 * defect is planted, so that each check can be shown to catch the defect it is named after.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type Defect =
  /** POST /items answers 500 when count > 500 (after validation). */
  | "server-error"
  /** GET /items/{id} returns `count` as a string (and echoes the credential it saw). */
  | "wrong-field-type"
  /** GET /items answers 418 when limit > 40. */
  | "undocumented-status"
  /** GET /items accepts a request without X-Request-Id (it still checks one that is sent). */
  | "missing-header-check"
  /** Credentials are never checked. */
  | "auth-ignored"
  /** GET /items/{id} labels its JSON `text/plain`. */
  | "wrong-content-type"
  /** GET /items leaves out the required X-Total-Count response header. */
  | "missing-response-header"
  /** POST /items does not validate its body. */
  | "accepts-invalid-body"
  /** GET /items rejects limit > 45 although the spec allows up to 50. */
  | "rejects-valid-limit";

export const TOKEN = "defect-server-secret-token-0123456789";

interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

const error = (status: number, message: string): Answer => ({ status, body: { error: message } });

function validNewItem(body: unknown): boolean {
  if (!body || typeof body !== "object" || Array.isArray(body)) return false;
  const { name, count, tags } = body as Record<string, unknown>;
  if (typeof name !== "string" || [...name].length < 1 || [...name].length > 20) return false;
  if (
    count !== undefined &&
    (!Number.isInteger(count) || (count as number) < 0 || (count as number) > 1000)
  ) {
    return false;
  }
  if (tags !== undefined) {
    if (!Array.isArray(tags) || tags.length > 3) return false;
    if (!tags.every((t) => ["red", "green", "blue"].includes(t))) return false;
  }
  return true;
}

function handle(defect: Defect | undefined, req: IncomingMessage, raw: string): Answer {
  const url = new URL(req.url ?? "/", "http://localhost");
  if (defect !== "auth-ignored" && req.headers.authorization !== `Bearer ${TOKEN}`) {
    return error(401, "missing or wrong credentials");
  }
  if (url.pathname === "/items" && req.method === "GET") {
    const requestId = req.headers["x-request-id"];
    if (requestId === undefined) {
      if (defect !== "missing-header-check") return error(400, "X-Request-Id is required");
    } else if (typeof requestId !== "string" || requestId.length < 4 || requestId.length > 36) {
      return error(400, "X-Request-Id must be 4 to 36 characters");
    }
    const limitText = url.searchParams.get("limit");
    let limit = 20;
    if (limitText !== null && limitText !== "") {
      if (!/^[0-9]+$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > 50) {
        return error(400, "limit must be 1 to 50");
      }
      limit = Number(limitText);
    }
    if (defect === "undocumented-status" && limit > 40) return error(418, "I'm a teapot");
    if (defect === "rejects-valid-limit" && limit > 45) return error(400, "limit must be at most 45");
    const headers: Record<string, string> =
      defect === "missing-response-header" ? {} : { "x-total-count": "1" };
    return { status: 200, headers, body: { items: [{ id: "a1", name: "one", count: 1 }] } };
  }
  if (url.pathname === "/items" && req.method === "POST") {
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      if (defect !== "accepts-invalid-body") return error(400, "the body is not JSON");
    }
    if (defect !== "accepts-invalid-body" && !validNewItem(body)) return error(400, "invalid item");
    const item = (body && typeof body === "object" ? body : {}) as Record<string, unknown>;
    const count = Number.isInteger(item.count) && (item.count as number) >= 0 ? (item.count as number) : 0;
    if (defect === "server-error" && count > 500) return error(500, "count overflow");
    return { status: 201, body: { id: "n1", name: String(item.name ?? "unnamed"), count } };
  }
  const match = /^\/items\/([^/]*)$/.exec(url.pathname);
  if (match && req.method === "GET") {
    const id = decodeURIComponent(match[1] ?? "");
    if (!/^[a-z0-9]{1,8}$/.test(id)) return error(400, "invalid id");
    if (defect === "wrong-field-type") {
      return { status: 200, body: { id, name: "one", count: "1", seen: req.headers.authorization } };
    }
    if (defect === "wrong-content-type") {
      return { status: 200, headers: { "content-type": "text/plain" }, body: { id, name: "one", count: 1 } };
    }
    return { status: 200, body: { id, name: "one", count: 1 } };
  }
  return error(404, "no such route");
}

export interface DefectServer {
  url: string;
  requests: number;
  close(): Promise<void>;
}

export async function startDefectServer(defect?: Defect): Promise<DefectServer> {
  const state = { requests: 0 };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      state.requests++;
      const answer = handle(defect, req, Buffer.concat(chunks).toString("utf8"));
      res.writeHead(answer.status, { "content-type": "application/json", ...answer.headers });
      res.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return state.requests;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
