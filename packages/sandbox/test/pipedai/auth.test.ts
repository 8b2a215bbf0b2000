/**
 * The PipedAI sandbox's auth: register, login, logout and me with the `auth_token` cookie, and credentialed
 * CORS.
 */
import { describe, expect, it } from "vitest";
import { runSandbox } from "../../src/framework/server.js";
import { pipedai, SESSION_TTL_MS } from "../../src/providers/pipedai/index.js";
import { act, anonymous, clientFor, cookieOf, mint, newUser, sandbox, team, useSandbox } from "./helpers.js";

useSandbox();

describe("PipedAI sandbox: register, login, logout, me", () => {
  it("registers with a scrypt-hashed password, sets the auth_token cookie and answers me", async () => {
    const password = "correct-horse-battery";
    const registered = await anonymous().POST("/api/v1/auth/register", {
      body: { email: "Ada@Example.org", password, name: "Ada" },
    });
    expect(registered.response.status).toBe(201);
    expect(registered.data?.user).toMatchObject({ email: "ada@example.org", name: "Ada" });
    const setCookie = registered.response.headers.getSetCookie().join("\n");
    expect(setCookie).toMatch(/^auth_token=[^;]+; Path=\/; Max-Age=\d+; HttpOnly; Secure; SameSite=Lax$/);

    const me = await clientFor({ authToken: cookieOf(registered.response) }).GET("/api/v1/auth/me");
    expect(me.data?.user.id).toBe(registered.data?.user.id);

    const stored = sandbox.admin.state().users[registered.data?.user.id ?? ""];
    expect(stored?.passwordHash.startsWith("scrypt$16384$8$1$")).toBe(true);
    expect(stored?.passwordHash.includes(password)).toBe(false);
    expect(JSON.stringify(sandbox.admin.inspect()).includes(stored?.passwordHash ?? "-")).toBe(false);
    expect(JSON.stringify(sandbox.admin.inspect()).includes(sandbox.admin.state().jwtSecret)).toBe(false);
  });

  it("refuses a taken email (409), a short password and a bad email (400 with Zod details)", async () => {
    const body = { email: "dup@example.org", password: "long-enough-pw" };
    expect((await anonymous().POST("/api/v1/auth/register", { body })).response.status).toBe(201);
    const again = await anonymous().POST("/api/v1/auth/register", {
      body: { ...body, email: "DUP@example.org" },
    });
    expect(again.response.status).toBe(409);
    const short = await anonymous().POST("/api/v1/auth/register", {
      body: { email: "x@example.org", password: "short" },
    });
    expect(short.response.status).toBe(400);
    expect(short.error?.details?.fieldErrors.password?.length).toBeGreaterThan(0);
    const badEmail = await anonymous().POST("/api/v1/auth/register", {
      body: { email: "not-an-email", password: "long-enough-pw" },
    });
    expect(badEmail.response.status).toBe(400);
    expect(Object.keys(badEmail.error?.details?.fieldErrors ?? {})).toEqual(["email"]);
  });

  it("logs in with the right password only; unknown emails get the same 401", async () => {
    const user = await newUser();
    const ok = await anonymous().POST("/api/v1/auth/login", {
      body: { email: user.email, password: user.password },
    });
    expect(ok.response.status).toBe(200);
    expect(cookieOf(ok.response)).not.toBe("");
    const wrong = await anonymous().POST("/api/v1/auth/login", {
      body: { email: user.email, password: "nope-nope" },
    });
    const unknown = await anonymous().POST("/api/v1/auth/login", {
      body: { email: "nobody@example.org", password: "nope-nope" },
    });
    expect([wrong.response.status, unknown.response.status]).toEqual([401, 401]);
    expect(wrong.error).toEqual(unknown.error);
    const missing = await anonymous().POST("/api/v1/auth/login", { body: { email: user.email } as never });
    expect(missing.response.status).toBe(400);
  });

  it("answers 401 without a cookie, with a forged one, after logout and once the session expires", async () => {
    const user = await newUser();
    expect((await anonymous().GET("/api/v1/auth/me")).response.status).toBe(401);
    const [header, payload] = user.token.split(".");
    const forged = `${header}.${payload}.${"A".repeat(43)}`;
    expect((await clientFor({ authToken: forged }).GET("/api/v1/auth/me")).response.status).toBe(401);
    // A pwk_ key is no credential for /auth/*.
    const { envId, owner } = await team();
    const { token } = await mint(owner.client, envId, "pwk");
    expect((await clientFor({ apiKey: token }).GET("/api/v1/auth/me")).response.status).toBe(401);

    const out = await user.client.POST("/api/v1/auth/logout");
    expect(out.response.status).toBe(204);
    expect(out.response.headers.getSetCookie().join("\n")).toMatch(/^auth_token=; Path=\/; Max-Age=0/);
    expect((await user.client.GET("/api/v1/auth/me")).response.status).toBe(401);
    expect((await user.client.POST("/api/v1/auth/logout")).response.status).toBe(401);
    expect((await anonymous().POST("/api/v1/auth/logout")).response.status).toBe(401);

    const box = await runSandbox(pipedai, { seed: "expiry" });
    try {
      const other = await newUser(box);
      expect((await other.client.GET("/api/v1/auth/me")).response.status).toBe(200);
      box.admin.clock.advance(SESSION_TTL_MS);
      expect((await other.client.GET("/api/v1/auth/me")).response.status).toBe(401);
    } finally {
      await box.close();
    }
  });
});

describe("PipedAI sandbox: credentialed CORS", () => {
  const preflight = (origin: string) =>
    fetch(`${sandbox.url}/api/v1/workspaces`, {
      method: "OPTIONS",
      headers: {
        origin,
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
      },
    });

  it("answers preflights and requests of allowed origins with credentials, and echoes no other origin", async () => {
    await act("setAllowedOrigins", { origins: ["https://your.app"] });
    const allowed = await preflight("https://your.app");
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://your.app");
    expect(allowed.headers.get("access-control-allow-credentials")).toBe("true");
    expect(allowed.headers.get("access-control-allow-methods")).toContain("PATCH");
    expect(allowed.headers.get("vary")).toBe("Origin");

    const denied = await preflight("https://evil.example");
    expect(denied.status).toBe(403);
    expect(denied.headers.get("access-control-allow-origin")).toBeNull();

    const user = await newUser();
    const fromApp = clientFor({ authToken: user.token, headers: { origin: "https://your.app" } });
    const me = await fromApp.GET("/api/v1/auth/me");
    expect(me.response.headers.get("access-control-allow-origin")).toBe("https://your.app");
    expect(me.response.headers.get("access-control-allow-credentials")).toBe("true");
    const fromEvil = clientFor({ authToken: user.token, headers: { origin: "https://evil.example" } });
    const evil = await fromEvil.GET("/api/v1/auth/me");
    expect(evil.response.headers.get("access-control-allow-origin")).toBeNull();
    // Refusals carry the headers too, so the dashboard can read the error.
    const refused = await clientFor({ headers: { origin: "https://your.app" } }).GET("/api/v1/auth/me");
    expect(refused.response.status).toBe(401);
    expect(refused.response.headers.get("access-control-allow-origin")).toBe("https://your.app");
    // So do the answers the framework makes itself: no route, bad input.
    const noRoute = await fetch(`${sandbox.url}/api/v1/nowhere`, { headers: { origin: "https://your.app" } });
    expect(noRoute.status).toBe(404);
    expect(noRoute.headers.get("access-control-allow-origin")).toBe("https://your.app");
    const badInput = await fetch(`${sandbox.url}/api/v1/auth/login`, {
      method: "POST",
      headers: { origin: "https://your.app", "content-type": "application/json" },
      body: JSON.stringify({ email: 42 }),
    });
    expect(badInput.status).toBe(400);
    expect(badInput.headers.get("access-control-allow-origin")).toBe("https://your.app");
    expect(badInput.headers.get("access-control-allow-credentials")).toBe("true");
  });
});
