/**
 * The session against a token server on loopback that issues tokens on a shared, controllable
 * clock with random lifetimes, and records every refresh and every authenticated call.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fc, test as propTest } from "@fast-check/vitest";
import nacl from "tweetnacl";
import { afterAll, beforeAll, expect } from "vitest";
import { SiwsSession, secretKeySigner } from "../src/index.js";

let server: Server;
let origin: string;
let clock = Date.parse("2026-11-23T12:00:00Z");
let lifetimes: number[] = [];
const log = {
  refreshes: 0,
  signIns: 0,
  inFlight: 0,
  maxInFlight: 0,
  expiredCalls: 0,
  calls: 0,
  refusedRefresh: false,
};
const tokens = new Map<string, number>(); // token → expiry (ms)

function issue() {
  const ttl = lifetimes.shift() ?? 60_000;
  const exp = clock + ttl;
  const payload = Buffer.from(JSON.stringify({ exp: Math.floor(exp / 1000), n: Math.random() })).toString(
    "base64url",
  );
  const token = `eyJhbGciOiJIUzI1NiJ9.${payload}.sig`;
  tokens.set(token, Math.floor(exp / 1000) * 1000);
  return {
    access_token: token,
    refresh_token: `r-${Math.random()}`,
    token_type: "Bearer",
    expires_in: ttl / 1000,
    csrf_token: "c",
  };
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", async () => {
      res.setHeader("content-type", "application/json");
      if (req.url === "/auth/siws/challenge") {
        const wallet = JSON.parse(body).wallet_public_key;
        const nonce = Math.random().toString(36).slice(2, 14).padEnd(12, "0");
        const host = new URL(origin).host;
        const message = [
          `${host} wants you to sign in with your Solana account:`,
          wallet,
          "",
          `URI: ${origin}`,
          "Version: 1",
          `Nonce: ${nonce}`,
          `Issued At: ${new Date(clock).toISOString()}`,
        ].join("\n");
        return res.end(JSON.stringify({ nonce, message }));
      }
      if (req.url === "/auth/siws/verify") {
        log.signIns++;
        return res.end(JSON.stringify(issue()));
      }
      if (req.url === "/auth/refresh") {
        log.refreshes++;
        log.inFlight++;
        log.maxInFlight = Math.max(log.maxInFlight, log.inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
        log.inFlight--;
        if (log.refusedRefresh) {
          res.statusCode = 401;
          return res.end(JSON.stringify({ error: "refresh token expired" }));
        }
        return res.end(JSON.stringify(issue()));
      }
      if (req.url === "/protected") {
        log.calls++;
        const token = (req.headers.authorization ?? "").replace("Bearer ", "");
        const exp = tokens.get(token);
        if (exp === undefined || exp <= clock) log.expiredCalls++;
        return res.end("{}");
      }
      res.statusCode = 404;
      res.end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

propTest.prop(
  [
    fc.array(fc.integer({ min: 31_000, max: 600_000 }), { minLength: 1, maxLength: 8 }),
    fc.array(
      fc.record({ advanceMs: fc.integer({ min: 0, max: 700_000 }), callers: fc.integer({ min: 1, max: 8 }) }),
      {
        minLength: 1,
        maxLength: 6,
      },
    ),
    fc.boolean(),
  ],
  { numRuns: 40 },
)(
  "random expiry schedules with concurrent callers: one refresh in flight at most, never an expired token",
  async (ttls, rounds, refuse) => {
    Object.assign(log, {
      refreshes: 0,
      signIns: 0,
      inFlight: 0,
      maxInFlight: 0,
      expiredCalls: 0,
      calls: 0,
      refusedRefresh: refuse,
    });
    lifetimes = [...ttls];
    const session = new SiwsSession({
      signer: secretKeySigner(nacl.sign.keyPair().secretKey),
      origin,
      now: () => clock,
    });
    for (const round of rounds) {
      clock += round.advanceMs;
      await Promise.all(
        Array.from({ length: round.callers }, async () => {
          const token = await session.accessToken();
          await fetch(`${origin}/protected`, { headers: { authorization: `Bearer ${token}` } });
        }),
      );
    }
    expect(log.maxInFlight).toBeLessThanOrEqual(1);
    expect(log.expiredCalls).toBe(0);
    expect(log.calls).toBe(rounds.reduce((sum, r) => sum + r.callers, 0));
    // A refused refresh falls back to a full sign-in.
    if (refuse) expect(log.signIns).toBe(1 + log.refreshes);
    expect(session.counts).toEqual({ signIns: log.signIns, refreshes: log.refreshes });
  },
);
