/**
 * The framework on the wire: `Allow` on every 405, OPTIONS answered, malformed requests answered in
 * the provider's shape over raw sockets, CORS on limiter and fault answers, and a data dir kept
 * private and free of temp files a killed sandbox left behind.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type ProviderDefinition, runSandbox, type Sandbox } from "../src/index.js";

interface State {
  notes: Record<string, { id: string; text: string }>;
  next: number;
}

const notes: ProviderDefinition<State> = {
  name: "notes",
  spec: {
    openapi: "3.0.3",
    info: { title: "notes", version: "1" },
    paths: {
      "/notes": {
        get: { operationId: "listNotes", responses: { "200": { description: "ok" } } },
        post: {
          operationId: "createNote",
          requestBody: {
            required: true,
            content: {
              "application/json": {
                schema: { type: "object", required: ["text"], properties: { text: { type: "string" } } },
              },
            },
          },
          responses: { "201": { description: "created" } },
        },
      },
      "/notes/{id}": {
        get: { operationId: "getNote", responses: { "200": { description: "ok" } } },
        patch: { operationId: "editNote", responses: { "200": { description: "ok" } } },
      },
    },
  },
  initialState: () => ({ notes: {}, next: 1 }),
  errorBody: (status, message) => ({ problem: { status, message } }),
  rateLimits: [{ operations: ["createNote"], limit: 1, windowMs: 60_000 }],
  handlers: {
    listNotes: (_request, ctx) => ({ status: 200, body: Object.values(ctx.state.notes) }),
    createNote: (request, ctx) => {
      const id = `n${ctx.state.next++}`;
      ctx.state.notes[id] = { id, text: (request.body as { text: string }).text };
      return { status: 201, body: ctx.state.notes[id], headers: { Location: `/notes/${id}` } };
    },
    getNote: (request, ctx) => {
      const note = ctx.state.notes[String(request.params.id)];
      return note ? { status: 200, body: note } : ctx.error(404, "no such note");
    },
    editNote: (_request, ctx) => ctx.error(501, "not here"),
  },
};

const running: Sandbox[] = [];
afterEach(async () => {
  while (running.length) await running.pop()?.close();
});
async function start(options: Parameters<typeof runSandbox>[1] = {}) {
  const sandbox = await runSandbox(notes, options);
  running.push(sandbox as Sandbox);
  return sandbox;
}

/** Sends raw bytes and reads the whole answer until the server closes the connection. */
function raw(url: string, bytes: string): Promise<{ head: string[]; body: string; closed: boolean }> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), "127.0.0.1");
    const chunks: Buffer[] = [];
    socket.on("data", (chunk) => chunks.push(chunk));
    socket.on("error", reject);
    socket.on("end", () => {
      const text = Buffer.concat(chunks).toString("latin1");
      const split = text.indexOf("\r\n\r\n");
      resolve({ head: text.slice(0, split).split("\r\n"), body: text.slice(split + 4), closed: true });
    });
    socket.write(bytes, "latin1");
  });
}
const headerIn = (head: string[], name: string) =>
  head
    .find((line) => line.toLowerCase().startsWith(`${name}:`))
    ?.slice(name.length + 1)
    .trim();

describe("Allow and OPTIONS", () => {
  it("lists the path's methods on every 405, and answers OPTIONS with them", async () => {
    const { url } = await start();
    const cases: Array<[string, string, string]> = [
      ["DELETE", "/notes/n1", "GET, PATCH, OPTIONS"],
      ["PUT", "/notes", "GET, POST, OPTIONS"],
      ["POST", "/notes/n1", "GET, PATCH, OPTIONS"],
    ];
    for (const [method, path, allow] of cases) {
      const answer = await fetch(`${url}${path}`, { method });
      expect(answer.status).toBe(405);
      expect(answer.headers.get("allow")).toBe(allow);
      expect(await answer.json()).toEqual({
        problem: { status: 405, message: `${method} is not allowed on ${path}` },
      });
    }
    const options = await fetch(`${url}/notes`, { method: "OPTIONS" });
    expect(options.status).toBe(204);
    expect(options.headers.get("allow")).toBe("GET, POST, OPTIONS");
    // An unknown path stays a 404, OPTIONS or not.
    expect((await fetch(`${url}/nowhere`, { method: "OPTIONS" })).status).toBe(404);
  });

  it("gives admin routes Allow too", async () => {
    const { url } = await start();
    const wrong = await fetch(`${url}/__sandbox/reset`);
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("POST, OPTIONS");
    expect((await fetch(`${url}/__sandbox/clock`, { method: "DELETE" })).headers.get("allow")).toBe(
      "GET, POST, OPTIONS",
    );
    expect((await fetch(`${url}/__sandbox/nothing`)).status).toBe(404);
  });
});

describe("malformed HTTP requests", () => {
  it("answers a request Node's parser refuses with a 400 in the provider's shape, JSON, and closes", async () => {
    const { url } = await start();
    const answer = await raw(
      url,
      "GET /notes HTTP/1.1\r\nHost: sandbox\r\nAuthorization: Bearer sk_live_do_not_echo\r\nBad Header: x\r\n\r\n",
    );
    expect(answer.head[0]).toBe("HTTP/1.1 400 Bad Request");
    expect(headerIn(answer.head, "content-type")).toBe("application/json");
    expect(headerIn(answer.head, "connection")).toBe("close");
    const body = JSON.parse(answer.body) as { problem: { status: number; message: string } };
    expect(body.problem.status).toBe(400);
    expect(body.problem.message).toMatch(/^malformed HTTP request: /);
    expect(answer.body).not.toContain("sk_live_do_not_echo");
    expect(Number(headerIn(answer.head, "content-length"))).toBe(Buffer.byteLength(answer.body));
  });

  it("does so for a control character in a header value and a broken request line too", async () => {
    const { url } = await start();
    for (const bytes of [
      "GET /notes HTTP/1.1\r\nHost: sandbox\r\nX-Thing: a\u0001b\r\n\r\n",
      "GET /no tes HTTP/1.1\r\nHost: sandbox\r\n\r\n",
      "BREW\r\n\r\n",
    ]) {
      const answer = await raw(url, bytes);
      expect(answer.head[0]).toBe("HTTP/1.1 400 Bad Request");
      expect((JSON.parse(answer.body) as { problem: { status: number } }).problem.status).toBe(400);
    }
    // The server still answers well-formed requests afterwards.
    expect((await fetch(`${url}/notes`)).status).toBe(200);
  });
});

describe("CORS on framework answers", () => {
  const origin = "http://localhost:4000";

  it("puts the headers on the limiter's 429 and exposes Retry-After and Location", async () => {
    const { url } = await start();
    const post = () =>
      fetch(`${url}/notes`, {
        method: "POST",
        headers: { origin, "content-type": "application/json" },
        body: JSON.stringify({ text: "hi" }),
      });
    const created = await post();
    expect(created.status).toBe(201);
    expect(created.headers.get("access-control-allow-origin")).toBe(origin);
    expect(created.headers.get("access-control-expose-headers")?.toLowerCase()).toContain("location");
    const limited = await post();
    expect(limited.status).toBe(429);
    expect(limited.headers.get("access-control-allow-origin")).toBe(origin);
    const exposed = limited.headers.get("access-control-expose-headers")?.toLowerCase() ?? "";
    for (const name of ["retry-after", "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"])
      expect(exposed).toContain(name);
  });

  it("puts them on injected faults, 400s and Chrome's private-network preflights", async () => {
    const sandbox = await start({
      faults: [{ route: "listNotes", sequence: [{ kind: "server-error", status: 502 }] }],
    });
    const fault = await fetch(`${sandbox.url}/notes`, { headers: { origin } });
    expect(fault.status).toBe(502);
    expect(fault.headers.get("access-control-allow-origin")).toBe(origin);
    const invalid = await fetch(`${sandbox.url}/notes`, {
      method: "POST",
      headers: { origin, "content-type": "application/json" },
      body: "{}",
    });
    expect(invalid.status).toBe(400);
    expect(invalid.headers.get("access-control-allow-origin")).toBe(origin);
    const pna = await fetch(`${sandbox.url}/notes`, {
      method: "OPTIONS",
      headers: {
        origin,
        "access-control-request-method": "GET",
        "access-control-request-private-network": "true",
      },
    });
    expect(pna.status).toBe(204);
    expect(pna.headers.get("access-control-allow-private-network")).toBe("true");
    expect(pna.headers.get("access-control-allow-headers")).toBeNull(); // none were asked for
  });
});

describe("the data dir", () => {
  /** A process that is gone: its pid names no running process. */
  async function deadPid(): Promise<number> {
    const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
    await new Promise((resolve) => child.on("exit", resolve));
    return child.pid as number;
  }

  it("removes the temp file of a sandbox killed with SIGKILL mid-save, and keeps a live writer's", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "sandbox-wire-"));
    // The child writes what an interrupted save leaves (`notes.json.tmp-<its pid>`), then is killed.
    const child = spawn(
      process.execPath,
      [
        "-e",
        `require("node:fs").writeFileSync(require("node:path").join(process.argv[1], "notes.json.tmp-" + process.pid), "{\\"half\\":");
         process.stdout.write("written\\n"); setInterval(() => {}, 1000);`,
        dataDir,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
    const exited = new Promise((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
    child.kill("SIGKILL");
    expect(await exited).toBe("SIGKILL");
    const killedTemp = join(dataDir, `notes.json.tmp-${child.pid}`);
    expect(existsSync(killedTemp)).toBe(true);

    const gone = join(dataDir, `notes.json.tmp-${await deadPid()}`);
    const mine = join(dataDir, `notes.json.tmp-${process.pid}`);
    const live = join(dataDir, `notes.json.tmp-${process.ppid}`);
    const otherProvider = join(dataDir, `other.json.tmp-${await deadPid()}`);
    for (const path of [gone, mine, live, otherProvider]) writeFileSync(path, "{");

    const sandbox = await start({ dataDir });
    expect(existsSync(killedTemp)).toBe(false);
    expect(existsSync(gone)).toBe(false);
    expect(existsSync(mine)).toBe(false);
    expect(existsSync(live)).toBe(true); // its writer may still rename it
    expect(existsSync(otherProvider)).toBe(true); // not this provider's
    await fetch(`${sandbox.url}/notes`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text: "kept" }),
    });
    expect(
      readdirSync(dataDir)
        .filter((name) => name.startsWith("notes.json"))
        .sort(),
    ).toEqual(["notes.json", `notes.json.tmp-${process.ppid}`]);
  });

  it("creates its folders 0700 and its files 0600", async () => {
    const root = mkdtempSync(join(tmpdir(), "sandbox-wire-"));
    const dataDir = join(root, "a", "b");
    const sandbox = await start({ dataDir });
    await fetch(`${sandbox.url}/notes`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text: "private" }),
    });
    await sandbox.close();
    running.length = 0;
    expect(statSync(join(root, "a")).mode & 0o777).toBe(0o700);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dataDir, "notes.json")).mode & 0o777).toBe(0o600);
    // A temp file left over with a loose mode is not reused: the next save creates its own.
    writeFileSync(join(dataDir, `notes.json.tmp-${process.pid}`), "{", { mode: 0o644 });
    const again = await start({ dataDir });
    again.admin.save();
    expect(statSync(join(dataDir, "notes.json")).mode & 0o777).toBe(0o600);
    expect(existsSync(join(dataDir, `notes.json.tmp-${process.pid}`))).toBe(false);
  });
});
