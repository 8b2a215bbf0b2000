import { mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type ProviderDefinition, runSandbox, type Sandbox } from "../src/index.js";

interface State {
  notes: Record<string, { id: string; text: string; at: number; cents: bigint }>;
  next: number;
  ticks: number;
}

/** A tiny provider with a tiny spec: enough to exercise every framework part. */
const notes: ProviderDefinition<State> = {
  name: "notes",
  spec: {
    openapi: "3.0.3",
    info: { title: "notes", version: "1" },
    paths: {
      "/notes": {
        post: {
          operationId: "createNote",
          requestBody: {
            required: true,
            content: {
              "application/json": {
                schema: {
                  type: "object",
                  required: ["text"],
                  additionalProperties: false,
                  properties: { text: { type: "string", minLength: 1, maxLength: 20 } },
                },
              },
            },
          },
          responses: { "201": { description: "created" }, "400": { description: "bad" } },
        },
        get: {
          operationId: "listNotes",
          parameters: [
            { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 5 } },
            {
              name: "tags",
              in: "query",
              style: "form",
              explode: false,
              schema: { type: "array", items: { type: "string" } },
            },
          ],
          responses: { "200": { description: "ok" }, "422": { description: "bad" } },
        },
      },
      "/notes/{id}": {
        get: {
          operationId: "getNote",
          parameters: [
            { name: "id", in: "path", required: true, schema: { type: "string", pattern: "^n[0-9]+$" } },
          ],
          responses: { "200": { description: "ok" }, "404": { description: "missing" } },
        },
      },
    },
  },
  initialState: () => ({ notes: {}, next: 1, ticks: 0 }),
  errorBody: (status, message, details) => ({ error: message, status, ...(details ? { details } : {}) }),
  rateLimits: [{ operations: ["createNote"], limit: 3, windowMs: 60_000 }],
  handlers: {
    createNote: (request, ctx) => {
      const id = `n${ctx.state.next++}`;
      const note = {
        id,
        text: (request.body as { text: string }).text,
        at: ctx.clock.now(),
        cents: 2n ** 60n,
      };
      ctx.state.notes[id] = note;
      return { status: 201, body: note };
    },
    listNotes: (request, ctx) => ({
      status: 200,
      body: {
        items: Object.values(ctx.state.notes).slice(0, Number(request.query.limit ?? 5)),
        tags: request.query.tags ?? [],
      },
    }),
    getNote: (request, ctx) => {
      const note = ctx.state.notes[String(request.params.id)];
      return note ? { status: 200, body: note } : ctx.error(404, "no such note");
    },
  },
  onClock: (ctx) => {
    ctx.state.ticks++;
  },
  actions: {
    draw: (ctx) => ctx.random(),
    wipe: (ctx) => {
      ctx.state.notes = {};
      return { wiped: true };
    },
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
const post = (url: string, body: unknown) =>
  fetch(`${url}/notes`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

describe("the sandbox framework", () => {
  it("listens on loopback and answers invalid input with the spec's status and the provider's shape", async () => {
    const { url } = await start();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const tooLong = await post(url, { text: "x".repeat(21) });
    expect(tooLong.status).toBe(400);
    expect(await tooLong.json()).toMatchObject({ error: expect.stringContaining("body.text") });
    const extra = await post(url, { text: "ok", other: 1 });
    expect((await extra.json()).error).toContain("body.other");
    const notJson = await fetch(`${url}/notes`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{",
    });
    expect(notJson.status).toBe(400);
    const badQuery = await fetch(`${url}/notes?limit=9`);
    expect(badQuery.status).toBe(422); // the only 4xx listNotes documents
    const badPath = await fetch(`${url}/notes/zzz`);
    expect(badPath.status).toBe(400);
    expect((await fetch(`${url}/nowhere`)).status).toBe(404);
    expect((await fetch(`${url}/notes/n1`, { method: "DELETE" })).status).toBe(405);
  });

  it("answers malformed escapes in paths and cookies, and bad admin JSON, without a 5xx", async () => {
    const { url } = await start();
    expect((await fetch(`${url}/notes/%ZZ`)).status).toBe(404);
    expect((await fetch(`${url}/notes`, { headers: { cookie: "a=%ZZ" } })).status).toBe(200);
    expect((await fetch(`${url}/__sandbox/actions/wipe`, { method: "POST", body: "{" })).status).toBe(400);
  });

  it("coerces parameters and serves bigints as exact JSON integers", async () => {
    const { url } = await start();
    await post(url, { text: "hello" });
    const list = await fetch(`${url}/notes?limit=1&tags=a,b`);
    const text = await list.text();
    expect(text).toContain(`"cents":${2n ** 60n}`);
    expect(JSON.parse(text).tags).toEqual(["a", "b"]);
  });

  it("enforces rate limits on its own clock with the documented headers", async () => {
    const sandbox = await start();
    for (let i = 0; i < 3; i++) expect((await post(sandbox.url, { text: `n${i}` })).status).toBe(201);
    const limited = await post(sandbox.url, { text: "over" });
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("60");
    expect(limited.headers.get("x-ratelimit-remaining")).toBe("0");
    expect(Number(limited.headers.get("x-ratelimit-reset"))).toBeGreaterThan(Date.now() / 1000);
    expect(sandbox.admin.stats().rateLimited).toEqual({ createNote: 1 });
    sandbox.admin.clock.advance(60_001);
    expect((await post(sandbox.url, { text: "later" })).status).toBe(201);
    expect(sandbox.admin.state()).toMatchObject({ ticks: 1 });
  });

  it("injects scripted faults: before the handler nothing changes, after it the change stays", async () => {
    const sandbox = await start({
      faults: [
        {
          route: "createNote",
          sequence: [
            { kind: "server-error", status: 502 },
            { kind: "rate-limit", hint: "retry-after-ms", ms: 1500 },
            { kind: "rate-limit", hint: "body", ms: 700 },
            { kind: "reset" },
            { kind: "reset-after" },
            { kind: "truncated" },
          ],
        },
      ],
    });
    const count = () => Object.keys((sandbox.admin.state() as State).notes).length;
    expect((await post(sandbox.url, { text: "a" })).status).toBe(502);
    const hinted = await post(sandbox.url, { text: "a" });
    expect([hinted.status, hinted.headers.get("retry-after-ms")]).toEqual([429, "1500"]);
    expect((await (await post(sandbox.url, { text: "a" })).json()).retry_after_ms).toBe(700);
    await expect(post(sandbox.url, { text: "a" })).rejects.toThrow();
    expect(count()).toBe(0);
    await expect(post(sandbox.url, { text: "a" })).rejects.toThrow(); // the answer is lost...
    expect(count()).toBe(1); // ...but the note was made
    const cut = await post(sandbox.url, { text: "b" });
    await expect(cut.json()).rejects.toThrow();
    expect(count()).toBe(2);
    expect((await post(sandbox.url, { text: "c" })).status).toBe(201);
    expect(sandbox.admin.stats().faults).toMatchObject({
      "server-error": 1,
      "rate-limit": 2,
      reset: 1,
      "reset-after": 1,
      truncated: 1,
    });
  });

  it("persists every accepted write atomically, with mode 0600, and continues after a restart", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "sandbox-"));
    const first = await start({ dataDir });
    await post(first.url, { text: "kept" });
    first.admin.clock.advance(5_000);
    await first.admin.act("draw");
    await first.close();
    running.length = 0;
    expect(statSync(join(dataDir, "notes.json")).mode & 0o777).toBe(0o600);

    const second = await start({ dataDir });
    const note = await (await fetch(`${second.url}/notes/n1`)).json();
    expect(note).toMatchObject({ id: "n1", text: "kept" });
    expect(second.admin.clock.offset).toBe(5_000);
    expect((await post(second.url, { text: "next" })).status).toBe(201);
    // The seeded randomness goes on where it stopped (one draw was taken before the restart).
    const fresh = await start();
    const firstDraw = await fresh.admin.act("draw");
    const secondDraw = await fresh.admin.act("draw");
    expect(await second.admin.act("draw")).toBe(secondDraw);
    expect(secondDraw).not.toBe(firstDraw);
    expect((await (await fetch(`${second.url}/notes/n2`)).json()).text).toBe("next");
  });

  it("keeps rate-limit windows across a restart", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "sandbox-"));
    const first = await start({ dataDir });
    for (const text of ["a", "b", "c"]) expect((await post(first.url, { text })).status).toBe(201);
    await first.close();
    running.length = 0;

    const second = await start({ dataDir });
    const limited = await post(second.url, { text: "d" });
    expect(limited.status).toBe(429);
    second.admin.clock.advance(60_000);
    expect((await post(second.url, { text: "d" })).status).toBe(201);
  });

  it("has an admin HTTP surface off the spec's paths", async () => {
    const { url } = await start();
    await post(url, { text: "one" });
    const state = await (await fetch(`${url}/__sandbox/state`)).json();
    expect(Object.keys(state.notes)).toEqual(["n1"]);
    const clock = await (
      await fetch(`${url}/__sandbox/clock`, { method: "POST", body: JSON.stringify({ advanceMs: 1000 }) })
    ).json();
    expect(clock.offsetMs).toBe(1000);
    expect(await (await fetch(`${url}/__sandbox/actions/wipe`, { method: "POST" })).json()).toEqual({
      wiped: true,
    });
    await fetch(`${url}/__sandbox/faults`, {
      method: "PUT",
      body: JSON.stringify([{ route: "*", sequence: [{ kind: "server-error" }] }]),
    });
    expect((await fetch(`${url}/notes`)).status).toBe(503);
    expect((await fetch(`${url}/__sandbox/reset`, { method: "POST" })).status).toBe(200);
    expect(await (await fetch(`${url}/__sandbox/state`)).json()).toMatchObject({ notes: {} });
    expect((await fetch(`${url}/__sandbox/actions/nope`, { method: "POST" })).status).toBe(400);
  });
});
