/**
 * Credential getters run inside the call's bounds: they receive the call's signal and remaining
 * deadline, the call waits for them no longer than its deadline or its caller allow, and a
 * zero-argument getter works as it always did.
 */
import { type FaultServer, startFaultServer } from "@specyard/testkit";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  AbortError,
  authorizationHeader,
  type Credential,
  createRuntime,
  headerCredential,
  resolveCredential,
  TimeoutError,
} from "./subject.js";

type Context = Parameters<Exclude<Credential, string>>[0];

let server: FaultServer;
beforeAll(async () => {
  server = await startFaultServer();
});
afterEach(() => server.reset());
afterAll(() => server.close());

const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === "Timeout").length;

/**
 * The ref'ed timers left once the process has had a moment (up to ~300 ms) to drop short-lived ones
 * (the test runner keeps one for a few ms at the start of a test). A timer the call left armed
 * (an attempt timeout, a deadline) outlives that moment, so this still catches it.
 */
async function timersLeft(): Promise<number> {
  for (let i = 0; i < 12 && timers() > 0; i++) await new Promise((r) => setTimeout(r, 25));
  return timers();
}

/** A getter that records its context and never answers. */
function hangingGetter() {
  const seen: Context[] = [];
  const getter = (context: Context) => {
    seen.push(context);
    return new Promise<string>(() => undefined);
  };
  return { seen, getter };
}

/** The outcome of `promise`, or "hung" after a guard many times the deadlines under test. */
function outcome(promise: Promise<unknown>, guardMs = 5_000): Promise<unknown> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise.then(
      () => "resolved",
      (error: unknown) => error,
    ),
    new Promise((resolve) => {
      timer = setTimeout(() => resolve("hung"), guardMs);
    }),
  ]).finally(() => clearTimeout(timer));
}

describe("a credential getter", () => {
  it("receives the call's signal and the ms left of its deadline", async () => {
    const seen: Context[] = [];
    const runtime = createRuntime({
      deadlineMs: 4_000,
      auth: [
        authorizationHeader((context) => {
          seen.push(context);
          return "token-one";
        }),
      ],
    });
    const response = await runtime.fetch(new Request(`${server.url}/a`));
    expect(response.status).toBe(200);
    expect(server.requests[0]?.headers.authorization).toBe("Bearer token-one");
    expect(seen[0]?.signal).toBeInstanceOf(AbortSignal);
    expect(seen[0]?.signal.aborted).toBe(false);
    expect(seen[0]?.deadline).toBeGreaterThan(0);
    expect(seen[0]?.deadline).toBeLessThanOrEqual(4_000);
  });

  it("gets no deadline when the call has none, and zero-argument getters still work", async () => {
    const seen: Context[] = [];
    const runtime = createRuntime({
      auth: [
        authorizationHeader((context) => {
          seen.push(context);
          return "token-two";
        }),
        headerCredential("x-api-key", () => "key-zero-args"),
      ],
    });
    await runtime.fetch(new Request(`${server.url}/b`));
    expect(seen[0] && "deadline" in seen[0]).toBe(false);
    expect(server.requests[0]?.headers["x-api-key"]).toBe("key-zero-args");
    expect(await resolveCredential(() => "outside")).toBe("outside");
    let outside: Context | undefined;
    await resolveCredential((context) => {
      outside = context;
      return "x";
    });
    expect(outside?.signal.aborted).toBe(false);
  });

  it("that never answers ends the call with TimeoutError at the deadline: nothing sent, no timer left", async () => {
    const { seen, getter } = hangingGetter();
    const runtime = createRuntime({ deadlineMs: 300, auth: [authorizationHeader(getter)] });
    const error = await outcome(runtime.fetch(new Request(`${server.url}/c`)));
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).kind).toBe("deadline");
    expect(server.requests).toHaveLength(0);
    // The getter is told: its signal aborted with the call's error.
    expect(seen[0]?.signal.aborted).toBe(true);
    expect(seen[0]?.signal.reason).toBeInstanceOf(TimeoutError);
    expect(await timersLeft()).toBe(0);
  });

  it("is abandoned with AbortError when the caller aborts while it runs", async () => {
    const { seen, getter } = hangingGetter();
    const runtime = createRuntime({ auth: [authorizationHeader(getter)] });
    const controller = new AbortController();
    const running = outcome(runtime.fetch(new Request(`${server.url}/d`), { signal: controller.signal }));
    while (seen.length === 0) await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    const error = await running;
    expect(error).toBeInstanceOf(AbortError);
    expect(seen[0]?.signal.reason).toBeInstanceOf(AbortError);
    expect(server.requests).toHaveLength(0);
    expect(await timersLeft()).toBe(0);
  });

  it("with a deadline past setTimeout's range waits as if there were none (it does not fire at once)", async () => {
    const runtime = createRuntime({
      deadlineMs: 10_000_000_000,
      auth: [
        authorizationHeader(() => new Promise<string>((resolve) => setTimeout(() => resolve("slow"), 30))),
      ],
    });
    expect((await runtime.fetch(new Request(`${server.url}/f`))).status).toBe(200);
    expect(server.requests[0]?.headers.authorization).toBe("Bearer slow");
  });

  it("a refresh after a 401 that never answers ends the call at its deadline", async () => {
    server.enqueue({ kind: "status", status: 401 });
    const runtime = createRuntime({
      deadlineMs: 400,
      auth: [authorizationHeader("old-token")],
      refreshAuth: () => new Promise<boolean>(() => undefined),
    });
    const error = await outcome(runtime.fetch(new Request(`${server.url}/e`)));
    expect(error).toBeInstanceOf(TimeoutError);
    expect(server.requests).toHaveLength(1);
    expect(await timersLeft()).toBe(0);
  });
});
