/**
 * Sign-in, refresh and a client call whose credential is a `SiwsSession`, against a server that
 * sends nothing, sends headers and then nothing, or drips its answer a byte at a time: each ends
 * with a typed `TimeoutError` at its (short) deadline and leaves no timer behind. The caller's
 * abort ends each stage with `AbortError`.
 */
import { AbortError, authorizationHeader, createRuntime, TimeoutError } from "@specyard/http";
import type { Fault } from "@specyard/testkit";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { SiwsSession, type SiwsSigner, signIn } from "../src/index.js";
import {
  countingSigner,
  rejectionOf,
  requested,
  type SiwsServer,
  staleTokens,
  startSiwsServer,
  timersLeft,
} from "./support.js";

let siws: SiwsServer;
beforeAll(async () => {
  siws = await startSiwsServer();
});
afterEach(() => {
  siws.server.reset();
  siws.answers = {};
});
afterAll(() => siws.close());

const DEADLINE_MS = 600;

const STALLS: Array<[string, Fault]> = [
  ["nothing at all", { kind: "stall" }],
  ["headers, then nothing", { kind: "headers-only" }],
  ["one byte at a time from the status line", { kind: "drip", intervalMs: 250, from: "start" }],
  ["headers, then one byte at a time", { kind: "drip", intervalMs: 250, from: "body" }],
];

/** Runs `flow`, expects a TimeoutError (before the hang guard) and no timer left behind. */
async function expectTimeout(flow: () => Promise<unknown>): Promise<TimeoutError> {
  const error = await rejectionOf(flow());
  expect(error).toBeInstanceOf(TimeoutError);
  expect(await timersLeft()).toBe(0);
  return error as TimeoutError;
}

describe.each(STALLS)("a server that sends %s", (_name, fault) => {
  it("signIn ends with TimeoutError at its deadline (challenge)", async () => {
    siws.server.enqueueFor("/auth/siws/challenge", fault);
    const { signer, counter } = countingSigner();
    const error = await expectTimeout(() =>
      signIn({ signer, origin: siws.origin, deadlineMs: DEADLINE_MS, signedNonces: new Set() }),
    );
    expect(error.kind).toBe("deadline");
    expect(counter.signed).toBe(0);
  });

  it("signIn ends with TimeoutError at its deadline (verify)", async () => {
    siws.server.enqueueFor("/auth/siws/verify", fault);
    const { signer, counter } = countingSigner();
    await expectTimeout(() =>
      signIn({ signer, origin: siws.origin, deadlineMs: DEADLINE_MS, signedNonces: new Set() }),
    );
    expect(counter.signed).toBe(1);
    // A POST that may have been received is not sent twice.
    expect(siws.server.requests.filter((r) => r.url === "/auth/siws/verify")).toHaveLength(1);
  });

  it("a per-attempt timeout alone bounds it too", async () => {
    siws.server.enqueueFor("/auth/siws/challenge", fault);
    const { signer } = countingSigner();
    const error = await expectTimeout(() =>
      signIn({ signer, origin: siws.origin, timeoutMs: DEADLINE_MS, signedNonces: new Set() }),
    );
    expect(error.kind).toBe("attempt");
  });

  it("a session's refresh ends with TimeoutError at its deadline, and is not sent twice", async () => {
    siws.server.enqueueFor("/auth/refresh", fault);
    const { signer, counter } = countingSigner();
    const session = new SiwsSession({
      signer,
      origin: siws.origin,
      tokens: staleTokens(),
      deadlineMs: DEADLINE_MS,
      signedNonces: new Set(),
    });
    await expectTimeout(() => session.accessToken());
    expect(session.counts).toEqual({ signIns: 0, refreshes: 1 });
    expect(counter.signed).toBe(0);
    expect(siws.server.requests.filter((r) => r.url === "/auth/refresh")).toHaveLength(1);
  });

  it("a client call whose credential is a SiwsSession ends at the call's deadline (sign-in in the getter)", async () => {
    siws.server.enqueueFor("/auth/siws/challenge", fault);
    const { signer } = countingSigner();
    // The session's own deadline is the 30 s default: the call's deadline must win.
    const session = new SiwsSession({ signer, origin: siws.origin, signedNonces: new Set() });
    const runtime = createRuntime({
      deadlineMs: DEADLINE_MS,
      auth: [authorizationHeader(session.clientOptions().accessToken)],
    });
    const error = await expectTimeout(() => runtime.fetch(new Request(`${siws.origin}/protected`)));
    expect(error.kind).toBe("deadline");
    expect(siws.server.requests.some((r) => r.url === "/protected")).toBe(false);
  });

  it("a client call whose credential is a SiwsSession ends at the call's deadline (refresh in the getter)", async () => {
    siws.server.enqueueFor("/auth/refresh", fault);
    const { signer } = countingSigner();
    const session = new SiwsSession({
      signer,
      origin: siws.origin,
      tokens: staleTokens(),
      signedNonces: new Set(),
    });
    const runtime = createRuntime({
      deadlineMs: DEADLINE_MS,
      auth: [authorizationHeader(session.clientOptions().accessToken)],
    });
    await expectTimeout(() => runtime.fetch(new Request(`${siws.origin}/protected`)));
    expect(session.counts.refreshes).toBe(1);
  });
});

describe("the caller's abort", () => {
  /** Aborts once the server has read a request to `path`; the flow must end with AbortError. */
  async function abortDuring(path: string, flow: (signal: AbortSignal) => Promise<unknown>) {
    const controller = new AbortController();
    const running = flow(controller.signal);
    await requested(siws.server, path);
    controller.abort();
    const error = await rejectionOf(running);
    expect(error).toBeInstanceOf(AbortError);
    expect(await timersLeft()).toBe(0);
  }

  it("before anything is sent", async () => {
    const { signer } = countingSigner();
    const error = await rejectionOf(
      signIn({ signer, origin: siws.origin, signal: AbortSignal.abort(), signedNonces: new Set() }),
    );
    expect(error).toBeInstanceOf(AbortError);
    expect(siws.server.requests).toHaveLength(0);
  });

  it("while the challenge is pending", async () => {
    siws.server.enqueueFor("/auth/siws/challenge", { kind: "stall" });
    const { signer, counter } = countingSigner();
    await abortDuring("/auth/siws/challenge", (signal) =>
      signIn({ signer, origin: siws.origin, signal, signedNonces: new Set() }),
    );
    expect(counter.signed).toBe(0);
  });

  it("while the signer is deciding (a wallet that never answers)", async () => {
    const { signer: inner } = countingSigner();
    let asked = false;
    const signer: SiwsSigner = {
      publicKey: inner.publicKey,
      signMessage: () => {
        asked = true;
        return new Promise<Uint8Array>(() => undefined);
      },
    };
    const controller = new AbortController();
    const running = signIn({
      signer,
      origin: siws.origin,
      signal: controller.signal,
      signedNonces: new Set(),
    });
    while (!asked) await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    expect(await rejectionOf(running)).toBeInstanceOf(AbortError);
    expect(await timersLeft()).toBe(0);
    expect(siws.server.requests.some((r) => r.url === "/auth/siws/verify")).toBe(false);
  });

  it("a signer that never answers meets the deadline", async () => {
    const { signer: inner } = countingSigner();
    const signer: SiwsSigner = {
      publicKey: inner.publicKey,
      signMessage: () => new Promise<Uint8Array>(() => undefined),
    };
    await expectTimeout(() =>
      signIn({ signer, origin: siws.origin, deadlineMs: DEADLINE_MS, signedNonces: new Set() }),
    );
  });

  it("while the verify is pending", async () => {
    siws.server.enqueueFor("/auth/siws/verify", { kind: "headers-only" });
    const { signer } = countingSigner();
    await abortDuring("/auth/siws/verify", (signal) =>
      signIn({ signer, origin: siws.origin, signal, signedNonces: new Set() }),
    );
  });

  it("while a session's refresh is pending (the call's context signal)", async () => {
    siws.server.enqueueFor("/auth/refresh", { kind: "stall" });
    const { signer } = countingSigner();
    const session = new SiwsSession({ signer, origin: siws.origin, tokens: staleTokens() });
    await abortDuring("/auth/refresh", (signal) => session.accessToken({ signal }));
  });

  it("while a session's refresh is pending (the session's own signal)", async () => {
    siws.server.enqueueFor("/auth/refresh", { kind: "drip", intervalMs: 200 });
    const { signer } = countingSigner();
    const controller = new AbortController();
    const session = new SiwsSession({
      signer,
      origin: siws.origin,
      tokens: staleTokens(),
      signal: controller.signal,
    });
    const running = session.refresh();
    await requested(siws.server, "/auth/refresh");
    controller.abort();
    expect(await rejectionOf(running)).toBeInstanceOf(AbortError);
  });

  it("of a client call while its getter signs in", async () => {
    siws.server.enqueueFor("/auth/siws/challenge", { kind: "stall" });
    const { signer } = countingSigner();
    const session = new SiwsSession({ signer, origin: siws.origin, signedNonces: new Set() });
    const runtime = createRuntime({ auth: [authorizationHeader(session.clientOptions().accessToken)] });
    await abortDuring("/auth/siws/challenge", (signal) =>
      runtime.fetch(new Request(`${siws.origin}/protected`), { signal }),
    );
    expect(siws.server.requests.some((r) => r.url === "/protected")).toBe(false);
  });
});

describe("a renewal shared by several callers", () => {
  it("goes on for those still waiting when one caller's deadline passes", async () => {
    siws.server.enqueueFor("/auth/siws/challenge", { kind: "latency", ms: 400 });
    const { signer } = countingSigner();
    const session = new SiwsSession({ signer, origin: siws.origin, signedNonces: new Set() });
    const hurried = session.accessToken({ deadline: 100 });
    const patient = session.accessToken();
    expect(await rejectionOf(hurried)).toBeInstanceOf(TimeoutError);
    expect(await patient).toMatch(/^eyJ/);
    expect(session.counts).toEqual({ signIns: 1, refreshes: 0 });
  });

  it("a caller deadline past setTimeout's range is as good as none", async () => {
    siws.server.enqueueFor("/auth/siws/challenge", { kind: "latency", ms: 30 });
    const { signer } = countingSigner();
    const session = new SiwsSession({ signer, origin: siws.origin, signedNonces: new Set() });
    expect(await session.accessToken({ deadline: 10_000_000_000 })).toMatch(/^eyJ/);
  });

  it("is cancelled when its last caller leaves, and the next caller starts afresh", async () => {
    siws.server.enqueueFor("/auth/siws/challenge", { kind: "stall" });
    const { signer } = countingSigner();
    const session = new SiwsSession({ signer, origin: siws.origin, signedNonces: new Set() });
    expect(await rejectionOf(session.accessToken({ deadline: 200 }))).toBeInstanceOf(TimeoutError);
    expect(await timersLeft()).toBe(0);
    expect(await session.accessToken()).toMatch(/^eyJ/);
    expect(session.counts.signIns).toBe(2);
  });
});
