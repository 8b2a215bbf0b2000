/**
 * What the flow makes of the server's answers: a malformed, cut or oversized body is a
 * `SiwsProtocolError` (never a raw `TypeError` or `SyntaxError`), an HTTP error is the `ApiError`
 * for its status, and no signature or token reaches a message, an error body or a log line.
 */
import {
  ApiError,
  AuthenticationError,
  BadRequestError,
  InternalServerError,
  type Logger,
  NotFoundError,
  RateLimitError,
} from "@specyard/http";
import type { Fault } from "@specyard/testkit";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_MAX_BODY_BYTES, SiwsProtocolError, SiwsSession, signIn } from "../src/index.js";
import { countingSigner, rejectionOf, type SiwsServer, staleTokens, startSiwsServer } from "./support.js";

let siws: SiwsServer;
beforeAll(async () => {
  siws = await startSiwsServer();
});
afterEach(() => {
  siws.server.reset();
  siws.answers = {};
});
afterAll(() => siws.close());

const big = { nonce: "a".repeat(16), message: "x".repeat(DEFAULT_MAX_BODY_BYTES + 10) };

const BAD_BODIES: Array<[string, Fault]> = [
  ["cut short", { kind: "truncated-body" }],
  ["not JSON", { kind: "status", status: 200, body: "<html>maintenance</html>" }],
  ["JSON but not an object", { kind: "status", status: 200, body: "[1,2,3]" }],
  ["over the size limit (content-length)", { kind: "status", status: 200, body: big }],
  ["over the size limit (streamed, no content-length)", { kind: "slow-body", chunks: 4, delayMs: 1 }],
  [
    "headers over the size limit",
    { kind: "status", status: 200, headers: { "x-padding": "p".repeat(20_000) } },
  ],
];

function expectProtocolError(error: unknown, stage: string) {
  expect(error).toBeInstanceOf(SiwsProtocolError);
  expect(error).not.toBeInstanceOf(TypeError);
  expect(error).not.toBeInstanceOf(SyntaxError);
  expect((error as SiwsProtocolError).stage).toBe(stage);
  return error as SiwsProtocolError;
}

describe.each(BAD_BODIES)("an answer %s", (name, fault) => {
  it("from the challenge is a SiwsProtocolError, and nothing is signed", async () => {
    if (name.includes("streamed")) siws.answers.challenge = () => ({ status: 200, body: big });
    siws.server.enqueueFor("/auth/siws/challenge", fault);
    const { signer, counter } = countingSigner();
    const error = await rejectionOf(signIn({ signer, origin: siws.origin, signedNonces: new Set() }));
    expectProtocolError(error, "challenge");
    expect(counter.signed).toBe(0);
    // A POST that reached the server is not sent again on its own.
    expect(siws.server.requests.filter((r) => r.url === "/auth/siws/challenge")).toHaveLength(1);
  });

  it("from the verify is a SiwsProtocolError without the signature in it", async () => {
    if (name.includes("streamed")) siws.answers.verify = () => ({ status: 200, body: big });
    siws.server.enqueueFor("/auth/siws/verify", fault);
    const { signer } = countingSigner();
    const error = await rejectionOf(signIn({ signer, origin: siws.origin, signedNonces: new Set() }));
    expectProtocolError(error, "verify");
    const sent = JSON.parse(siws.server.requests.find((r) => r.url === "/auth/siws/verify")?.body ?? "{}");
    expect(String(error)).not.toContain(sent.signature_b64);
  });

  it("from the refresh is a SiwsProtocolError without the refresh token in it", async () => {
    if (name.includes("streamed")) siws.answers.refresh = () => ({ status: 200, body: big });
    siws.server.enqueueFor("/auth/refresh", fault);
    const { signer } = countingSigner();
    const tokens = staleTokens();
    const session = new SiwsSession({ signer, origin: siws.origin, tokens, signedNonces: new Set() });
    const error = expectProtocolError(await rejectionOf(session.accessToken()), "refresh");
    expect(String(error)).not.toContain(tokens.refreshToken);
    expect(session.tokens()).toBe(tokens); // nothing half-read is kept
  });
});

describe("token answers that lack a field", () => {
  it.each([
    ["access_token", { refresh_token: "rt-0123456789", expires_in: 900 }],
    ["refresh_token", { access_token: "at-0123456789", expires_in: 900 }],
    ["expires_in", { access_token: "at-0123456789", refresh_token: "rt-0123456789", expires_in: "soon" }],
  ])("a verify answer without a valid %s is a SiwsProtocolError", async (field, body) => {
    siws.answers.verify = () => ({ status: 200, body });
    const { signer } = countingSigner();
    const error = expectProtocolError(
      await rejectionOf(signIn({ signer, origin: siws.origin, signedNonces: new Set() })),
      "verify",
    );
    expect(error.message).toContain(field);
    expect(error.message).not.toContain("0123456789");
  });

  it("a challenge answer without a nonce is a SiwsProtocolError", async () => {
    siws.answers.challenge = () => ({ status: 200, body: { message: "hello" } });
    const { signer } = countingSigner();
    expectProtocolError(
      await rejectionOf(signIn({ signer, origin: siws.origin, signedNonces: new Set() })),
      "challenge",
    );
  });
});

describe("HTTP errors", () => {
  it.each([
    [400, BadRequestError],
    [401, AuthenticationError],
    [404, NotFoundError],
    [500, InternalServerError],
    [503, InternalServerError],
  ])(
    "a %i from the challenge is its ApiError, sent once (a POST with no retry hint)",
    async (status, Class) => {
      siws.server.enqueueFor("/auth/siws/challenge", { kind: "status", status }, { kind: "status", status });
      const { signer } = countingSigner();
      const error = await rejectionOf(signIn({ signer, origin: siws.origin, signedNonces: new Set() }));
      expect(error).toBeInstanceOf(Class);
      expect((error as ApiError).status).toBe(status);
      expect(siws.server.requests).toHaveLength(1);
    },
  );

  it("a 429 with a retry hint is waited out and sent again; one without stays a RateLimitError", async () => {
    siws.server.enqueueFor("/auth/siws/challenge", { kind: "rate-limit", hint: "retry-after-ms", ms: 20 });
    const { signer } = countingSigner();
    const tokens = await signIn({ signer, origin: siws.origin, signedNonces: new Set() });
    expect(tokens.accessToken).toMatch(/^eyJ/);
    expect(siws.server.requests.filter((r) => r.url === "/auth/siws/challenge")).toHaveLength(2);

    siws.server.reset();
    siws.server.enqueueFor("/auth/siws/challenge", { kind: "rate-limit", hint: "none", ms: 0 });
    const error = await rejectionOf(signIn({ signer, origin: siws.origin, signedNonces: new Set() }));
    expect(error).toBeInstanceOf(RateLimitError);
  });

  it("a redirect is an answer, not a hop: the signature never follows it", async () => {
    siws.server.enqueueFor("/auth/siws/verify", {
      kind: "status",
      status: 307,
      headers: { location: "http://127.0.0.1:9/steal" },
    });
    const { signer } = countingSigner();
    const error = await rejectionOf(signIn({ signer, origin: siws.origin, signedNonces: new Set() }));
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(307);
  });
});

describe("secrets in what the server echoes", () => {
  function logger() {
    const lines: string[] = [];
    const log = (message: string, fields?: Record<string, unknown>) =>
      void lines.push(`${message} ${JSON.stringify(fields ?? {})}`);
    const sink: Logger = { debug: log, info: log, warn: log, error: log };
    return { lines, sink };
  }

  it("a refresh error echoing the refresh and access tokens: message, body and logs redacted", async () => {
    const tokens = staleTokens();
    const echo = {
      error: `refresh_token ${tokens.refreshToken} is not valid for ${tokens.accessToken}`,
      detail: { received: { refresh_token: tokens.refreshToken }, csrf: tokens.csrfToken },
    };
    siws.server.enqueueFor(
      "/auth/refresh",
      { kind: "rate-limit", hint: "retry-after-ms", ms: 10 },
      { kind: "status", status: 400, body: echo },
    );
    const { signer } = countingSigner();
    const { lines, sink } = logger();
    const session = new SiwsSession({ signer, origin: siws.origin, tokens, logger: sink, logLevel: "debug" });
    const error = await rejectionOf(session.accessToken());
    expect(error).toBeInstanceOf(BadRequestError);
    const api = error as BadRequestError;
    const everything = [api.message, JSON.stringify(api.body), String(api.stack), ...lines].join("\n");
    for (const secret of [tokens.refreshToken, tokens.accessToken, tokens.csrfToken ?? "-"])
      expect(everything).not.toContain(secret);
    expect(JSON.stringify(api.body)).toContain("[redacted]");
    expect(api.message).toContain("[redacted]");
    expect(lines.some((line) => line.includes("retrying"))).toBe(true); // the log was exercised
  });

  it("a verify error echoing the signature: message and body redacted", async () => {
    siws.answers.verify = (request) => {
      const sent = JSON.parse(request.body) as { signature_b64: string };
      return {
        status: 401,
        body: { error: `signature ${sent.signature_b64} does not verify`, request: sent },
      };
    };
    const { signer } = countingSigner();
    const error = await rejectionOf(signIn({ signer, origin: siws.origin, signedNonces: new Set() }));
    expect(error).toBeInstanceOf(AuthenticationError);
    const sent = JSON.parse(siws.server.requests.find((r) => r.url === "/auth/siws/verify")?.body ?? "{}");
    expect(sent.signature_b64).toHaveLength(88);
    const api = error as AuthenticationError;
    expect(api.message).not.toContain(sent.signature_b64);
    expect(JSON.stringify(api.body)).not.toContain(sent.signature_b64);
    expect(api.message).toContain("[redacted]");
  });

  it("tokens a successful sign-in received stay out of a later refresh error", async () => {
    const { signer } = countingSigner();
    const session = new SiwsSession({
      signer,
      origin: siws.origin,
      signedNonces: new Set(),
      refreshBeforeMs: 0,
    });
    await session.accessToken();
    const issued = session.tokens();
    if (!issued) throw new Error("no tokens");
    siws.server.enqueueFor("/auth/refresh", {
      kind: "status",
      status: 500,
      body: { error: `could not refresh ${issued.refreshToken}`, token: issued.accessToken },
    });
    const error = await rejectionOf(session.refresh());
    expect(error).toBeInstanceOf(InternalServerError);
    const text = `${(error as Error).message} ${JSON.stringify((error as InternalServerError).body)}`;
    expect(text).not.toContain(issued.refreshToken);
    expect(text).not.toContain(issued.accessToken);
  });
});
