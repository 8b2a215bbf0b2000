/**
 * Deadlines, signals and size limits of a payment flow, on loopback servers that misbehave: no
 * timings as assertions — a call must settle with the typed error before a generous hang guard.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { Connection, Keypair } from "@solana/web3.js";
import { AbortError, ConnectionError, createRuntime, TimeoutError } from "@specyard/http";
import { afterEach, describe, expect, it } from "vitest";
import {
  boundedFetch,
  MAX_PAYMENT_REQUIRED_BYTES,
  MemoryJournal,
  PaymentRefusedError,
  parsePaymentRequired,
  pause,
  payingFetch,
  ResponseTooLargeError,
  refusalOfOversizedHeaders,
  sizeLimitOf,
  within,
  withJournalLock,
} from "../src/index.js";

/** Past a call's deadline, how long it may take to settle before the test calls it hung (CI is slow; a hang is minutes). */
const HANG_GUARD_MS = 5_000;

async function settles<T>(work: Promise<T>, deadlineMs: number): Promise<T | unknown> {
  let guard: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<"hung">((resolve) => {
    guard = setTimeout(() => resolve("hung"), deadlineMs + HANG_GUARD_MS);
  });
  const outcome = await Promise.race([work.catch((error: unknown) => error), hung]);
  clearTimeout(guard);
  return outcome;
}

type Handler = (req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse) => void;
const servers: Array<{ server: Server; sockets: Set<Socket> }> = [];
async function serve(handler: Handler): Promise<string> {
  const sockets = new Set<Socket>();
  const server = createServer(handler);
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push({ server, sockets });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
afterEach(async () => {
  for (const { server, sockets } of servers.splice(0)) {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

describe("within and pause", () => {
  it("hand back the work's value, or end at the deadline with TimeoutError, or at the signal with AbortError", async () => {
    expect(await within({ deadlineAt: Date.now() + 1_000 }, "x", Promise.resolve(7))).toBe(7);
    const never = new Promise<never>(() => undefined);
    expect(await settles(within({ deadlineAt: Date.now() + 100 }, "x", never), 100)).toBeInstanceOf(
      TimeoutError,
    );
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    expect(await settles(within({ signal: controller.signal }, "x", never), 20)).toBeInstanceOf(AbortError);
    // A caller's own timeout signal is a timeout.
    const timedOut = within({ signal: AbortSignal.timeout(20) }, "x", never);
    expect(await settles(timedOut, 20)).toBeInstanceOf(TimeoutError);
    expect(await settles(pause({ deadlineAt: Date.now() + 50 }, "x", 60_000), 50)).toBeInstanceOf(
      TimeoutError,
    );
    await expect(within({ deadlineAt: Date.now() - 1 }, "x", Promise.resolve(1))).rejects.toBeInstanceOf(
      TimeoutError,
    );
  });
});

describe("boundedFetch", () => {
  it("reads bodies whole up to the limit, and refuses more (declared or streamed) with ResponseTooLargeError", async () => {
    const url = await serve((req, res) => {
      if (req.url === "/small") return res.writeHead(200, { "content-type": "text/plain" }).end("hello");
      if (req.url === "/declared")
        return res.writeHead(200, { "content-length": "5000" }).end("x".repeat(5000));
      res.writeHead(200, { "content-type": "application/octet-stream" });
      res.write("x".repeat(3000));
      res.end("y".repeat(3000));
    });
    const bounded = boundedFetch((r) => fetch(r), 4096);
    expect(await (await bounded(new Request(`${url}/small`))).text()).toBe("hello");
    for (const path of ["/declared", "/streamed"]) {
      const error = await bounded(new Request(`${url}${path}`)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ResponseTooLargeError);
      expect(error).toMatchObject({ part: "body", limit: 4096 });
    }
  });

  it("gives up when the request's signal fires, even over a fetch that ignores signals", async () => {
    const deaf = () => new Promise<Response>(() => undefined);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("stop")), 20);
    const outcome = await settles(
      boundedFetch(deaf)(new Request("http://127.0.0.1:1/", { signal: controller.signal })),
      20,
    );
    expect(outcome).toMatchObject({ message: "stop" });
  });
});

describe("headers over the HTTP client's limit", () => {
  it("are a typed size error (not fetch's TypeError), and a refusal naming Payment-Required on the first call", async () => {
    const url = await serve((_req, res) => {
      res
        .writeHead(402, { "Payment-Required": "A".repeat(64 * 1024), "content-type": "application/json" })
        .end("{}");
    });
    const runtime = createRuntime({ fetch: (r) => fetch(r) });
    const error = await runtime.fetch(new Request(url)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    const tooLarge = sizeLimitOf(error);
    expect(tooLarge).toMatchObject({ part: "headers", limit: 16 * 1024 });
    const refusal = refusalOfOversizedHeaders(tooLarge as ResponseTooLargeError);
    expect(refusal).toMatchObject({ field: "Payment-Required", rule: "size" });
  });

  it("parsePaymentRequired refuses a header over its own limit by size, naming the limit", () => {
    const header = "A".repeat(MAX_PAYMENT_REQUIRED_BYTES + 4);
    const error = (() => {
      try {
        parsePaymentRequired(header);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(PaymentRefusedError);
    expect(error).toMatchObject({ field: "Payment-Required", rule: "size" });
    expect((error as Error).message).toContain(`${MAX_PAYMENT_REQUIRED_BYTES}-byte limit`);
  });
});

describe("payingFetch against a server that never finishes its first answer", () => {
  const options = () => ({
    connection: new Connection("http://127.0.0.1:9"),
    payer: Keypair.generate(),
    policy: { maxPerPayment: 1n, budget: 1n, treasuryOwner: Keypair.generate().publicKey.toBase58() },
    journal: new MemoryJournal(),
    deadlineMs: 300,
  });
  it.each([
    ["sends nothing", ((_req, _res) => undefined) as Handler],
    [
      "sends headers, then nothing",
      ((_req, res) => {
        res.writeHead(402, { "content-type": "application/json" });
        res.flushHeaders();
      }) as Handler,
    ],
    [
      "drips its body one byte a second",
      ((_req, res) => {
        res.writeHead(402, { "content-type": "application/octet-stream", "Payment-Required": "e30=" });
        const timer = setInterval(() => res.write("x"), 1_000);
        res.on("close", () => clearInterval(timer));
      }) as Handler,
    ],
  ])("that %s: TimeoutError by the deadline, nothing journaled", async (_, handler) => {
    const url = await serve(handler);
    const opts = options();
    const outcome = await settles(
      payingFetch(undefined, opts)(`${url}/pay`, { method: "POST" }),
      opts.deadlineMs,
    );
    expect(outcome).toBeInstanceOf(TimeoutError);
    expect(await opts.journal.list()).toEqual([]);
  });

  it("a 64 KB Payment-Required: PaymentRefusedError naming the header, and no TypeError", async () => {
    const url = await serve((_req, res) => {
      res.writeHead(402, { "Payment-Required": "A".repeat(64 * 1024) }).end();
    });
    const error = await payingFetch((r) => fetch(r), options())(url).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(TypeError);
    expect(error).toMatchObject({ name: "PaymentRefusedError", field: "Payment-Required", rule: "size" });
  });

  it("the caller's signal ends it with AbortError", async () => {
    const url = await serve(() => undefined);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    const outcome = await settles(
      payingFetch(undefined, { ...options(), deadlineMs: 60_000, signal: controller.signal })(url),
      30,
    );
    expect(outcome).toBeInstanceOf(AbortError);
  });
});

describe("withJournalLock", () => {
  it("runs the work of one journal one at a time, in order, past a failure", async () => {
    const journal = new MemoryJournal();
    const other = new MemoryJournal();
    const log: string[] = [];
    const step =
      (name: string, ms: number, fail = false) =>
      async () => {
        log.push(`${name}+`);
        await new Promise((resolve) => setTimeout(resolve, ms));
        log.push(`${name}-`);
        if (fail) throw new Error(name);
        return name;
      };
    const results = await Promise.allSettled([
      withJournalLock(journal, step("a", 20, true)),
      withJournalLock(journal, step("b", 1)),
      withJournalLock(other, step("c", 5)),
    ]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "fulfilled", "fulfilled"]);
    expect(log.indexOf("b+")).toBeGreaterThan(log.indexOf("a-"));
    expect(log.indexOf("c+")).toBeLessThan(log.indexOf("a-"));
  });
});
