/**
 * The PipedAI sandbox through the generated client: auth and sessions, CORS, workspaces,
 * environments, members, API keys, the audit log, triggers, runs, workers and the dashboard, the
 * role table, heartbeat timeouts and claim races, persistence and rate limits. Every answer's body
 * is checked against the spec's schema for its status (a middleware on each client).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PipedAIClient, Role, Run } from "@specyard/pipedai";
import { loadSpec, responseValidator } from "@specyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runSandbox, type Sandbox } from "../src/framework/server.js";
import {
  HEARTBEAT_TIMEOUT_MS,
  MAX_REQUEUES,
  type PipedAIState,
  pipedai,
  RATE_LIMITS,
  SESSION_TTL_MS,
  WORKER_ONLINE_MS,
} from "../src/providers/pipedai/index.js";
import { sha256 } from "../src/providers/pipedai/state.js";
import { createPipedAIClient } from "./clients.js";

const conforms = responseValidator("pipedai");
const templates = Object.keys(loadSpec("pipedai").paths as object)
  .map((path) => ({ path, pattern: new RegExp(`^${path.replace(/\{[^}]+\}/g, "[^/]+")}$`) }))
  .sort((a, b) => (a.path.match(/\{/g)?.length ?? 0) - (b.path.match(/\{/g)?.length ?? 0));

let sandbox: Sandbox<PipedAIState>;
beforeAll(async () => {
  sandbox = await runSandbox(pipedai, { seed: "pipedai-tests" });
});
afterAll(() => sandbox?.close());

interface Credentials {
  authToken?: string;
  apiKey?: string;
  workerToken?: string;
  headers?: Record<string, string>;
}

/** A client whose every answer must match the spec's schema for its status. */
function clientFor(credentials: Credentials = {}, box: Sandbox<PipedAIState> = sandbox): PipedAIClient {
  const client = createPipedAIClient({ baseUrl: box.url, maxRetries: 0, ...credentials });
  client.use({
    async onResponse({ request, response }) {
      const pathname = new URL(request.url).pathname;
      const template = templates.find((t) => t.pattern.test(pathname))?.path;
      if (!template) throw new Error(`no spec path for ${pathname}`);
      const text = await response.clone().text();
      // The spec documents no 429 (the sandbox's limits are its own): those bodies are checked by hand.
      if (!text || response.status === 429) return undefined;
      const errors = conforms(template, request.method, response.status, JSON.parse(text));
      if (errors)
        throw new Error(`${request.method} ${template} ${response.status}: ${JSON.stringify(errors)}`);
      return undefined;
    },
  });
  return client;
}

const anonymous = () => clientFor();
const cookieOf = (response: Response) =>
  /auth_token=([^;]*)/.exec(response.headers.getSetCookie().join("\n"))?.[1] ?? "";
const act = <T>(action: string, input: Record<string, unknown> = {}, box = sandbox) =>
  box.admin.act(action, input) as Promise<T>;

interface TestUser {
  id: string;
  email: string;
  password: string;
  token: string;
  client: PipedAIClient;
}

async function newUser(box = sandbox): Promise<TestUser> {
  const made = await act<{ user: { id: string; email: string }; password: string; authToken: string }>(
    "seedUser",
    {},
    box,
  );
  return {
    ...made.user,
    password: made.password,
    token: made.authToken,
    client: clientFor({ authToken: made.authToken }, box),
  };
}

interface Team {
  workspaceId: string;
  envId: string;
  owner: TestUser;
  admin: TestUser;
  operator: TestUser;
  viewer: TestUser;
  outsider: TestUser;
}

/** An environment with one member of each role, and an outsider. */
async function team(): Promise<Team> {
  const owner = await newUser();
  const { workspace, environment } = await act<{ workspace: { id: string }; environment: { id: string } }>(
    "seedWorkspace",
    { ownerId: owner.id },
  );
  const members: Partial<Record<Role, TestUser>> = { owner };
  for (const role of ["admin", "operator", "viewer"] as const) {
    const user = await newUser();
    const added = await owner.client.POST("/api/v1/environments/{envId}/members", {
      params: { path: { envId: environment.id } },
      body: { userId: user.id, role },
    });
    expect(added.response.status).toBe(201);
    members[role] = user;
  }
  return {
    workspaceId: workspace.id,
    envId: environment.id,
    ...(members as Record<Role, TestUser>),
    outsider: await newUser(),
  };
}

async function createTrigger(client: PipedAIClient, envId: string, extra: { workerId?: string } = {}) {
  const made = await client.POST("/api/v1/environments/{envId}/triggers", {
    params: { path: { envId } },
    body: { name: "nightly", type: "manual", ...extra },
  });
  expect(made.response.status).toBe(201);
  return made.data?.trigger.id as string;
}

async function mint(client: PipedAIClient, envId: string, prefix: "pwk" | "wrk", name = "key") {
  const made = await client.POST("/api/v1/environments/{envId}/api-keys", {
    params: { path: { envId } },
    body: { name, prefix },
  });
  expect(made.response.status).toBe(201);
  return made.data as { apiKey: { id: string; last4: string }; token: string };
}

interface TestWorker {
  id: string;
  token: string;
  client: PipedAIClient;
}

async function newWorker(
  client: PipedAIClient,
  envId: string,
  name = "box",
  box = sandbox,
): Promise<TestWorker> {
  const { token: registrationToken } = await mint(client, envId, "wrk", name);
  const registered = await clientFor({}, box).POST("/api/v1/workers/register", {
    body: { registrationToken, name },
  });
  expect(registered.response.status).toBe(201);
  const { worker, token } = registered.data as { worker: { id: string }; token: string };
  return { id: worker.id, token, client: clientFor({ workerToken: token }, box) };
}

const runStep = (w: TestWorker, runId: string, step: "claim" | "start" | "heartbeat") =>
  w.client.POST(`/api/v1/workers/{id}/runs/{runId}/${step}`, {
    params: { path: { id: w.id, runId } },
  });
const complete = (
  w: TestWorker,
  runId: string,
  body: { status: "succeeded" | "failed"; tokenSpendUsd?: number },
) =>
  w.client.POST("/api/v1/workers/{id}/runs/{runId}/complete", {
    params: { path: { id: w.id, runId } },
    body,
  });
const poll = (w: TestWorker) => w.client.GET("/api/v1/workers/{id}/poll", { params: { path: { id: w.id } } });
const startRun = async (client: PipedAIClient, triggerId: string, input: Record<string, unknown> = {}) => {
  const started = await client.POST("/api/v1/triggers/{id}/run", {
    params: { path: { id: triggerId } },
    body: { input },
  });
  expect(started.response.status).toBe(202);
  return started.data as Run;
};
const getRun = async (client: PipedAIClient, envId: string, runId: string) => {
  const list = await client.GET("/api/v1/environments/{envId}/runs", {
    params: { path: { envId }, query: { limit: 100 } },
  });
  return list.data?.items.find((run) => run.id === runId);
};

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

describe("PipedAI sandbox: workspaces and environments", () => {
  it("creates, lists, renames and deletes, hiding them from non-members with 404", async () => {
    const ada = await newUser();
    const grace = await newUser();
    const ws = await ada.client.POST("/api/v1/workspaces", { body: { name: "Acme" } });
    expect(ws.response.status).toBe(201);
    const wsId = ws.data?.id as string;
    expect((await ada.client.GET("/api/v1/workspaces")).data?.items.map((w) => w.id)).toContain(wsId);
    expect((await grace.client.GET("/api/v1/workspaces")).data?.items.map((w) => w.id)).not.toContain(wsId);

    const env = await ada.client.POST("/api/v1/workspaces/{wsId}/environments", {
      params: { path: { wsId } },
      body: { name: "production" },
    });
    expect(env.response.status).toBe(201);
    const envId = env.data?.id as string;
    expect(env.data?.workspaceId).toBe(wsId);
    const members = await ada.client.GET("/api/v1/environments/{envId}/members", {
      params: { path: { envId } },
    });
    expect(members.data?.items).toEqual([expect.objectContaining({ userId: ada.id, role: "owner" })]);

    const listed = await ada.client.GET("/api/v1/workspaces/{wsId}/environments", {
      params: { path: { wsId } },
    });
    expect(listed.data?.items.map((e) => e.id)).toEqual([envId]);
    for (const call of [
      grace.client.GET("/api/v1/workspaces/{wsId}/environments", { params: { path: { wsId } } }),
      grace.client.POST("/api/v1/workspaces/{wsId}/environments", {
        params: { path: { wsId } },
        body: { name: "x" },
      }),
      grace.client.PATCH("/api/v1/environments/{id}", {
        params: { path: { id: envId } },
        body: { name: "x" },
      }),
      grace.client.DELETE("/api/v1/environments/{id}", { params: { path: { id: envId } } }),
    ]) {
      expect((await call).response.status).toBe(404);
    }

    sandbox.admin.clock.advance(1000);
    const renamed = await ada.client.PATCH("/api/v1/environments/{id}", {
      params: { path: { id: envId } },
      body: { name: "prod" },
    });
    expect(renamed.data?.name).toBe("prod");
    expect(Date.parse(renamed.data?.updatedAt ?? "")).toBeGreaterThan(
      Date.parse(renamed.data?.createdAt ?? ""),
    );
    const empty = await ada.client.PATCH("/api/v1/environments/{id}", {
      params: { path: { id: envId } },
      body: {},
    });
    expect(empty.response.status).toBe(400);
    // A JSON null is no environment change either (not a crash).
    const nullPatch = await fetch(`${sandbox.url}/api/v1/environments/${envId}`, {
      method: "PATCH",
      headers: { cookie: `auth_token=${ada.token}`, "content-type": "application/json" },
      body: "null",
    });
    expect(nullPatch.status).toBe(400);

    // A member of an environment sees its workspace; a viewer may not create environments there.
    await ada.client.POST("/api/v1/environments/{envId}/members", {
      params: { path: { envId } },
      body: { userId: grace.id, role: "viewer" },
    });
    expect((await grace.client.GET("/api/v1/workspaces")).data?.items.map((w) => w.id)).toContain(wsId);
    const denied = await grace.client.POST("/api/v1/workspaces/{wsId}/environments", {
      params: { path: { wsId } },
      body: { name: "mine" },
    });
    expect(denied.response.status).toBe(403);

    // Soft-deleting an environment with an active trigger is a 409; without, a 204 and then 404s.
    const triggerId = await createTrigger(ada.client, envId);
    const blocked = await ada.client.DELETE("/api/v1/environments/{id}", { params: { path: { id: envId } } });
    expect(blocked.response.status).toBe(409);
    await ada.client.DELETE("/api/v1/triggers/{id}", { params: { path: { id: triggerId } } });
    const deleted = await ada.client.DELETE("/api/v1/environments/{id}", { params: { path: { id: envId } } });
    expect(deleted.response.status).toBe(204);
    const gone = await ada.client.GET("/api/v1/environments/{envId}/members", {
      params: { path: { envId } },
    });
    expect(gone.response.status).toBe(404);
    const after = await ada.client.GET("/api/v1/workspaces/{wsId}/environments", {
      params: { path: { wsId } },
    });
    expect(after.data?.items).toEqual([]);
  });

  it("validates bodies and ids (400) after authentication (401 first)", async () => {
    const ada = await newUser();
    const bad = await ada.client.POST("/api/v1/workspaces", { body: { name: "" } });
    expect(bad.response.status).toBe(400);
    expect(bad.error?.details?.fieldErrors.name).toBeDefined();
    const nullBody = await fetch(`${sandbox.url}/api/v1/workspaces`, {
      method: "POST",
      headers: { cookie: `auth_token=${ada.token}`, "content-type": "application/json" },
      body: "null",
    });
    expect(nullBody.status).toBe(400);
    const unauthenticatedBad = await anonymous().POST("/api/v1/workspaces", { body: { name: "" } });
    expect(unauthenticatedBad.response.status).toBe(401);
    const longId = await ada.client.GET("/api/v1/environments/{envId}/members", {
      params: { path: { envId: "x".repeat(65) } },
    });
    expect(longId.response.status).toBe(404); // visibility before validation: an id nobody has
  });
});

describe("PipedAI sandbox: members", () => {
  it("looks users up, adds, changes and removes members, and guards the last owner with 409", async () => {
    const { envId, owner, admin, viewer } = await team();
    const newcomer = await newUser();
    const found = await admin.client.GET("/api/v1/users/lookup", {
      params: { query: { email: newcomer.email } },
    });
    expect(found.data?.user).toEqual({ id: newcomer.id, email: newcomer.email, name: null });
    const unknown = await admin.client.GET("/api/v1/users/lookup", {
      params: { query: { email: "ghost@example.org" } },
    });
    expect(unknown.response.status).toBe(404);
    const badEmail = await admin.client.GET("/api/v1/users/lookup", {
      params: { query: { email: "ghost" } },
    });
    expect(badEmail.response.status).toBe(400);
    expect(
      (await anonymous().GET("/api/v1/users/lookup", { params: { query: { email: "a@b.co" } } })).response
        .status,
    ).toBe(401);

    const path = { params: { path: { envId } } };
    const added = await admin.client.POST("/api/v1/environments/{envId}/members", {
      ...path,
      body: { userId: newcomer.id, role: "operator" },
    });
    expect(added.response.status).toBe(201);
    expect(added.data).toMatchObject({ userId: newcomer.id, email: newcomer.email, role: "operator" });
    const twice = await admin.client.POST("/api/v1/environments/{envId}/members", {
      ...path,
      body: { userId: newcomer.id, role: "viewer" },
    });
    expect(twice.response.status).toBe(409);
    const nobody = await admin.client.POST("/api/v1/environments/{envId}/members", {
      ...path,
      body: { userId: "no-such-user", role: "viewer" },
    });
    expect(nobody.response.status).toBe(404);
    const badRole = await admin.client.POST("/api/v1/environments/{envId}/members", {
      ...path,
      body: { userId: newcomer.id, role: "superuser" as Role },
    });
    expect(badRole.response.status).toBe(400);

    const member = (userId: string) => ({ params: { path: { envId, userId } } });
    const promoted = await admin.client.PATCH("/api/v1/environments/{envId}/members/{userId}", {
      ...member(newcomer.id),
      body: { role: "admin" },
    });
    expect(promoted.data?.role).toBe("admin");
    // Only an owner makes or unmakes owners.
    const toOwner = await admin.client.PATCH("/api/v1/environments/{envId}/members/{userId}", {
      ...member(newcomer.id),
      body: { role: "owner" },
    });
    expect(toOwner.response.status).toBe(403);
    const demoteOwner = await admin.client.PATCH("/api/v1/environments/{envId}/members/{userId}", {
      ...member(owner.id),
      body: { role: "viewer" },
    });
    expect(demoteOwner.response.status).toBe(403);
    expect(
      (await admin.client.DELETE("/api/v1/environments/{envId}/members/{userId}", member(owner.id))).response
        .status,
    ).toBe(403);
    expect(
      (await viewer.client.DELETE("/api/v1/environments/{envId}/members/{userId}", member(newcomer.id)))
        .response.status,
    ).toBe(403);

    // The last owner can neither be demoted nor removed.
    const lastDemote = await owner.client.PATCH("/api/v1/environments/{envId}/members/{userId}", {
      ...member(owner.id),
      body: { role: "admin" },
    });
    expect(lastDemote.response.status).toBe(409);
    const lastRemove = await owner.client.DELETE(
      "/api/v1/environments/{envId}/members/{userId}",
      member(owner.id),
    );
    expect(lastRemove.response.status).toBe(409);
    // With a second owner, the first may go.
    await owner.client.PATCH("/api/v1/environments/{envId}/members/{userId}", {
      ...member(newcomer.id),
      body: { role: "owner" },
    });
    const leave = await owner.client.DELETE(
      "/api/v1/environments/{envId}/members/{userId}",
      member(owner.id),
    );
    expect(leave.response.status).toBe(204);
    expect((await owner.client.GET("/api/v1/environments/{envId}/members", path)).response.status).toBe(404);
    const missing = await newcomer.client.DELETE(
      "/api/v1/environments/{envId}/members/{userId}",
      member(owner.id),
    );
    expect(missing.response.status).toBe(404);
    const roles = await newcomer.client.GET("/api/v1/environments/{envId}/members", path);
    expect(roles.data?.items.map((m) => m.role).sort()).toEqual(["admin", "operator", "owner", "viewer"]);
  });
});

describe("PipedAI sandbox: API keys", () => {
  it("shows a pwk_ key once, keeps only its hash, scopes it to its environment as an operator and revokes it", async () => {
    const { envId, owner } = await team();
    const other = await team();
    const made = await mint(owner.client, envId, "pwk", "ci-deploys");
    expect(made.token).toMatch(/^pwk_[0-9a-f]{40}$/);
    expect(made.apiKey.last4).toBe(made.token.slice(-4));
    const stored = sandbox.admin.state().apiKeys[made.apiKey.id];
    expect(stored?.hash === sha256(made.token)).toBe(true);
    expect(JSON.stringify(sandbox.admin.state()).includes(made.token)).toBe(false);
    expect(JSON.stringify(sandbox.admin.inspect()).includes(stored?.hash ?? "-")).toBe(false);

    const listed = await owner.client.GET("/api/v1/environments/{envId}/api-keys", {
      params: { path: { envId } },
    });
    expect(listed.data?.items).toEqual([
      expect.objectContaining({ id: made.apiKey.id, name: "ci-deploys", prefix: "pwk", lastUsedAt: null }),
    ]);
    expect(JSON.stringify(listed.data).includes(made.token)).toBe(false);

    const key = clientFor({ apiKey: made.token });
    const triggerId = await createTrigger(owner.client, envId);
    expect(
      (await key.GET("/api/v1/environments/{envId}/triggers", { params: { path: { envId } } })).response
        .status,
    ).toBe(200);
    expect((await startRun(key, triggerId)).status).toBe("queued");
    const write = await key.POST("/api/v1/environments/{envId}/triggers", {
      params: { path: { envId } },
      body: { name: "x", type: "manual" },
    });
    expect(write.response.status).toBe(403);
    const elsewhere = await key.GET("/api/v1/environments/{envId}/triggers", {
      params: { path: { envId: other.envId } },
    });
    expect(elsewhere.response.status).toBe(404);
    expect((await key.POST("/api/v1/workspaces", { body: { name: "no" } })).response.status).toBe(401);
    const lastUsed = await owner.client.GET("/api/v1/environments/{envId}/api-keys", {
      params: { path: { envId } },
    });
    expect(lastUsed.data?.items[0]?.lastUsedAt).not.toBeNull();

    const revoke = (id: string) =>
      owner.client.DELETE("/api/v1/environments/{envId}/api-keys/{keyId}", {
        params: { path: { envId, keyId: id } },
      });
    expect((await revoke(made.apiKey.id)).response.status).toBe(204);
    expect((await revoke(made.apiKey.id)).response.status).toBe(404);
    expect(
      (await key.GET("/api/v1/environments/{envId}/triggers", { params: { path: { envId } } })).response
        .status,
    ).toBe(401);
    const after = await owner.client.GET("/api/v1/environments/{envId}/api-keys", {
      params: { path: { envId } },
    });
    expect(after.data?.items).toEqual([]);
    const foreign = await other.owner.client.DELETE("/api/v1/environments/{envId}/api-keys/{keyId}", {
      params: { path: { envId: other.envId, keyId: made.apiKey.id } },
    });
    expect(foreign.response.status).toBe(404);
    const badPrefix = await owner.client.POST("/api/v1/environments/{envId}/api-keys", {
      params: { path: { envId } },
      body: { name: "x", prefix: "sk" as "pwk" },
    });
    expect(badPrefix.response.status).toBe(400);
  });
});

describe("PipedAI sandbox: audit log", () => {
  it("records every mutation newest first, filters by action, actions and targetId, and pages with a cursor", async () => {
    const { envId, owner, viewer } = await team();
    const key = await mint(owner.client, envId, "pwk");
    const triggerId = await createTrigger(owner.client, envId);
    await owner.client.PATCH("/api/v1/triggers/{id}", {
      params: { path: { id: triggerId } },
      body: { name: "renamed" },
    });
    await owner.client.POST("/api/v1/triggers/{id}/rotate-mcp-token", {
      params: { path: { id: triggerId } },
    });
    const run = await startRun(owner.client, triggerId);
    await owner.client.PATCH("/api/v1/environments/{envId}/members/{userId}", {
      params: { path: { envId, userId: viewer.id } },
      body: { role: "operator" },
    });
    await owner.client.DELETE("/api/v1/environments/{envId}/api-keys/{keyId}", {
      params: { path: { envId, keyId: key.apiKey.id } },
    });

    const log = (query: Record<string, string | number> = {}) =>
      owner.client.GET("/api/v1/environments/{envId}/audit-log", { params: { path: { envId }, query } });
    const all = (await log({ limit: 100 })).data?.items ?? [];
    expect(all.map((e) => e.action)).toEqual([
      "api_key.revoke",
      "member.update",
      "trigger.run",
      "trigger.rotate_mcp_token",
      "trigger.update",
      "trigger.create",
      "api_key.create",
      "member.add",
      "member.add",
      "member.add",
      "environment.create",
    ]);
    expect(all.find((e) => e.action === "trigger.run")).toMatchObject({
      actorId: owner.id,
      targetId: run.id,
    });
    expect(all.find((e) => e.action === "member.update")?.metadata).toEqual({
      from: "viewer",
      role: "operator",
    });

    expect((await log({ action: "member.add" })).data?.items).toHaveLength(3);
    const some = (await log({ actions: "trigger.create,api_key.revoke" })).data?.items.map((e) => e.action);
    expect(some).toEqual(["api_key.revoke", "trigger.create"]);
    const aboutTrigger = (await log({ targetId: triggerId })).data?.items.map((e) => e.action);
    expect(aboutTrigger).toEqual(["trigger.rotate_mcp_token", "trigger.update", "trigger.create"]);

    const seen: string[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 20; pages++) {
      const page = await log({ limit: 3, ...(cursor ? { cursor } : {}) });
      seen.push(...(page.data?.items ?? []).map((e) => e.id));
      if (!page.data?.nextCursor) break;
      cursor = page.data.nextCursor;
    }
    expect(seen).toEqual(all.map((e) => e.id));
    expect((await log({ cursor: "not-a-cursor" })).response.status).toBe(400);
    expect((await log({ limit: 0 })).response.status).toBe(400);
    expect((await log({ limit: 101 })).response.status).toBe(400);
  });
});

describe("PipedAI sandbox: triggers and runs", () => {
  it("creates, reads, pauses, resumes, rotates and soft-deletes triggers", async () => {
    const { envId, owner } = await team();
    const envPath = { params: { path: { envId } } };
    const made = await owner.client.POST("/api/v1/environments/{envId}/triggers", {
      ...envPath,
      body: { name: "nightly-report", type: "schedule", schedule: "0 6 * * *", config: { queue: "support" } },
    });
    expect(made.response.status).toBe(201);
    const trigger = made.data?.trigger;
    expect(trigger).toMatchObject({
      status: "active",
      workerId: null,
      deletedAt: null,
      config: { queue: "support" },
    });
    expect(made.data?.mcpToken).toMatch(/^mcp_/);
    const id = trigger?.id as string;
    const path = { params: { path: { id } } };
    expect(JSON.stringify(sandbox.admin.state().triggers[id]).includes(made.data?.mcpToken ?? "-")).toBe(
      false,
    );

    const noSchedule = await owner.client.POST("/api/v1/environments/{envId}/triggers", {
      ...envPath,
      body: { name: "x", type: "schedule" },
    });
    expect(noSchedule.response.status).toBe(400);
    expect(noSchedule.error?.details?.fieldErrors.schedule).toEqual(["Required for schedule triggers"]);
    const badCron = await owner.client.POST("/api/v1/environments/{envId}/triggers", {
      ...envPath,
      body: { name: "x", type: "schedule", schedule: "every day" },
    });
    expect(badCron.response.status).toBe(400);
    const noWorker = await owner.client.POST("/api/v1/environments/{envId}/triggers", {
      ...envPath,
      body: { name: "x", type: "manual", workerId: "no-such-worker" },
    });
    expect(noWorker.response.status).toBe(404);
    const badType = await owner.client.POST("/api/v1/environments/{envId}/triggers", {
      ...envPath,
      body: { name: "x", type: "cron" as "manual" },
    });
    expect(badType.response.status).toBe(400);

    expect((await owner.client.GET("/api/v1/triggers/{id}", path)).data).toEqual(trigger);
    const rotated = await owner.client.POST("/api/v1/triggers/{id}/rotate-mcp-token", path);
    expect(rotated.data?.mcpToken).toMatch(/^mcp_/);
    expect(rotated.data?.mcpToken).not.toBe(made.data?.mcpToken);

    const paused = await owner.client.PATCH("/api/v1/triggers/{id}", { ...path, body: { status: "paused" } });
    expect(paused.data?.status).toBe("paused");
    const refused = await owner.client.POST("/api/v1/triggers/{id}/run", { ...path, body: {} });
    expect(refused.response.status).toBe(409);
    const unschedule = await owner.client.PATCH("/api/v1/triggers/{id}", {
      ...path,
      body: { schedule: null },
    });
    expect(unschedule.response.status).toBe(400);
    // Undocumented fields never reach the record.
    await owner.client.PATCH("/api/v1/triggers/{id}", {
      ...path,
      body: { status: "active", environmentId: "other", id: "other" } as never,
    });
    const resumed = (await owner.client.GET("/api/v1/triggers/{id}", path)).data;
    expect(resumed).toMatchObject({ id, environmentId: envId, status: "active" });
    const run = await startRun(owner.client, id, { ticketQueue: "support" });
    expect(run).toMatchObject({
      triggerId: id,
      environmentId: envId,
      status: "queued",
      input: { ticketQueue: "support" },
    });

    // Active runs block the soft delete; once finished, it goes.
    expect((await owner.client.DELETE("/api/v1/triggers/{id}", path)).response.status).toBe(409);
    const worker = await newWorker(owner.client, envId);
    await runStep(worker, run.id, "claim");
    await runStep(worker, run.id, "start");
    await complete(worker, run.id, { status: "succeeded" });
    expect((await owner.client.DELETE("/api/v1/triggers/{id}", path)).response.status).toBe(204);
    expect((await owner.client.GET("/api/v1/triggers/{id}", path)).response.status).toBe(404);
    expect(
      (await owner.client.POST("/api/v1/triggers/{id}/run", { ...path, body: {} })).response.status,
    ).toBe(404);
    expect((await owner.client.DELETE("/api/v1/triggers/{id}", path)).response.status).toBe(404);
    const state = sandbox.admin.state().triggers[id];
    expect(state?.deletedAt).not.toBeNull();
    const list = await owner.client.GET("/api/v1/environments/{envId}/triggers", envPath);
    expect(list.data?.items.map((t) => t.id)).not.toContain(id);
  });

  it("lists triggers by worker and pages them in creation order", async () => {
    const { envId, owner } = await team();
    const worker = await newWorker(owner.client, envId);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push(await createTrigger(owner.client, envId, i % 2 ? { workerId: worker.id } : {}));
    const list = (query: Record<string, string | number>) =>
      owner.client.GET("/api/v1/environments/{envId}/triggers", { params: { path: { envId }, query } });
    const first = await list({ limit: 2 });
    expect(first.data?.items.map((t) => t.id)).toEqual(ids.slice(0, 2));
    const second = await list({ limit: 2, cursor: first.data?.nextCursor as string });
    const third = await list({ limit: 2, cursor: second.data?.nextCursor as string });
    expect([...(second.data?.items ?? []), ...(third.data?.items ?? [])].map((t) => t.id)).toEqual(
      ids.slice(2),
    );
    expect(third.data?.nextCursor).toBeNull();
    const pinned = await list({ workerId: worker.id });
    expect(pinned.data?.items.map((t) => t.id)).toEqual([ids[1], ids[3]]);
  });

  it("filters runs by status, time window and worker, per trigger and across the environment", async () => {
    const { envId, owner } = await team();
    const worker = await newWorker(owner.client, envId);
    const triggerA = await createTrigger(owner.client, envId);
    const triggerB = await createTrigger(owner.client, envId, { workerId: worker.id });
    const early = await startRun(owner.client, triggerA);
    sandbox.admin.clock.advance(10_000);
    const middle = Date.now() + sandbox.admin.clock.offset;
    sandbox.admin.clock.advance(10_000);
    const late = await startRun(owner.client, triggerA);
    const pinned = await startRun(owner.client, triggerB);
    expect(pinned).toMatchObject({ status: "assigned", workerId: worker.id });
    await runStep(worker, early.id, "claim");

    const runsOf = (id: string, query: Record<string, string | number> = {}) =>
      owner.client.GET("/api/v1/triggers/{id}/runs", { params: { path: { id }, query } });
    expect((await runsOf(triggerA)).data?.items.map((r) => r.id)).toEqual([late.id, early.id]);
    expect((await runsOf(triggerA, { status: "claimed" })).data?.items.map((r) => r.id)).toEqual([early.id]);
    const at = new Date(middle).toISOString();
    expect((await runsOf(triggerA, { from: at })).data?.items.map((r) => r.id)).toEqual([late.id]);
    expect((await runsOf(triggerA, { to: at })).data?.items.map((r) => r.id)).toEqual([early.id]);
    expect((await runsOf(triggerA, { status: "bogus" })).response.status).toBe(400);
    expect((await runsOf(triggerA, { from: "yesterday" })).response.status).toBe(400);
    const paged = await runsOf(triggerA, { limit: 1 });
    const rest = await runsOf(triggerA, { limit: 1, cursor: paged.data?.nextCursor as string });
    expect(rest.data?.items.map((r) => r.id)).toEqual([early.id]);

    const envRuns = (query: Record<string, string | number> = {}) =>
      owner.client.GET("/api/v1/environments/{envId}/runs", { params: { path: { envId }, query } });
    expect((await envRuns()).data?.items.map((r) => r.id)).toEqual([pinned.id, late.id, early.id]);
    expect((await envRuns({ workerId: worker.id })).data?.items.map((r) => r.id)).toEqual([
      pinned.id,
      early.id,
    ]);
    expect((await envRuns({ status: "queued" })).data?.items.map((r) => r.id)).toEqual([late.id]);
  });
});

describe("PipedAI sandbox: workers", () => {
  it("exchanges a wrk_ token once for a wkt_ token, and keeps worker and user credentials apart", async () => {
    const { envId, owner } = await team();
    const { token: wrk, apiKey } = await mint(owner.client, envId, "wrk", "gpu-box");
    expect(wrk).toMatch(/^wrk_/);
    const register = (registrationToken: string) =>
      anonymous().POST("/api/v1/workers/register", { body: { registrationToken, name: "gpu-box-1" } });
    const first = await register(wrk);
    expect(first.response.status).toBe(201);
    expect(first.data?.token).toMatch(/^wkt_/);
    expect(first.data?.worker).toMatchObject({ environmentId: envId, name: "gpu-box-1", status: "online" });
    expect((await register(wrk)).response.status).toBe(401);
    expect((await register(`wrk_${"0".repeat(40)}`)).response.status).toBe(401);
    const { token: pwk } = await mint(owner.client, envId, "pwk");
    expect((await register(pwk)).response.status).toBe(400);
    const keys = await owner.client.GET("/api/v1/environments/{envId}/api-keys", {
      params: { path: { envId } },
    });
    expect(keys.data?.items.find((k) => k.id === apiKey.id)?.lastUsedAt).not.toBeNull();
    // A revoked registration token cannot register.
    const revoked = await mint(owner.client, envId, "wrk");
    await owner.client.DELETE("/api/v1/environments/{envId}/api-keys/{keyId}", {
      params: { path: { envId, keyId: revoked.apiKey.id } },
    });
    expect((await register(revoked.token)).response.status).toBe(401);

    const workerId = first.data?.worker.id as string;
    const wkt = first.data?.token as string;
    expect(JSON.stringify(sandbox.admin.state()).includes(wkt)).toBe(false);
    const self = clientFor({ workerToken: wkt });
    expect(
      (await self.GET("/api/v1/workers/{id}/poll", { params: { path: { id: workerId } } })).data,
    ).toEqual({ runs: [] });
    const other = await newWorker(owner.client, envId);
    expect(
      (await self.GET("/api/v1/workers/{id}/poll", { params: { path: { id: other.id } } })).response.status,
    ).toBe(404);
    // A pwk_ key or a cookie is no worker credential; a wkt_ token is no user credential.
    const asKey = await fetch(`${sandbox.url}/api/v1/workers/${workerId}/poll`, {
      headers: { authorization: `Bearer ${pwk}` },
    });
    expect(asKey.status).toBe(401);
    const asCookie = await fetch(`${sandbox.url}/api/v1/workers/${workerId}/poll`, {
      headers: { cookie: `auth_token=${owner.token}` },
    });
    expect(asCookie.status).toBe(401);
    const wktOnUserRoute = await fetch(`${sandbox.url}/api/v1/environments/${envId}/triggers`, {
      headers: { authorization: `Bearer ${wkt}` },
    });
    expect(wktOnUserRoute.status).toBe(401);
    const bad = await register("");
    expect(bad.response.status).toBe(400);
  });

  it("drives a run through claim, start, heartbeat and complete, refusing every illegal step with 409", async () => {
    const { envId, owner } = await team();
    const worker = await newWorker(owner.client, envId);
    const triggerId = await createTrigger(owner.client, envId, { workerId: worker.id });
    const run = await startRun(owner.client, triggerId, { ticketQueue: "support" });
    const polled = await poll(worker);
    expect(polled.data?.runs.map((r) => r.id)).toEqual([run.id]);
    expect(polled.data?.runs[0]?.status).toBe("assigned");

    const status = async (call: Promise<{ response: Response }>) => (await call).response.status;
    expect(await status(runStep(worker, run.id, "start"))).toBe(409);
    expect(await status(runStep(worker, run.id, "heartbeat"))).toBe(409);
    expect(await status(complete(worker, run.id, { status: "succeeded" }))).toBe(409);
    const claimed = await runStep(worker, run.id, "claim");
    expect(claimed.data).toMatchObject({ status: "claimed", workerId: worker.id });
    expect((await poll(worker)).data?.runs).toEqual([]);
    expect(await status(runStep(worker, run.id, "claim"))).toBe(409);
    sandbox.admin.clock.advance(4_000);
    const started = await runStep(worker, run.id, "start");
    expect(started.data?.status).toBe("running");
    expect(started.data?.startedAt).toBe(started.data?.lastHeartbeatAt);
    // Real time moves too: stay well inside the timeout.
    sandbox.admin.clock.advance(HEARTBEAT_TIMEOUT_MS - 5_000);
    const beat = await worker.client.POST("/api/v1/workers/{id}/runs/{runId}/heartbeat", {
      params: { path: { id: worker.id, runId: run.id } },
      body: { progressPct: 40, message: "17 of 42" },
    });
    expect(beat.data?.status).toBe("running");
    expect(Date.parse(beat.data?.lastHeartbeatAt ?? "")).toBeGreaterThan(
      Date.parse(beat.data?.startedAt ?? ""),
    );
    const badBeat = await worker.client.POST("/api/v1/workers/{id}/runs/{runId}/heartbeat", {
      params: { path: { id: worker.id, runId: run.id } },
      body: { progressPct: 140 },
    });
    expect(badBeat.response.status).toBe(400);
    const badComplete = await worker.client.POST("/api/v1/workers/{id}/runs/{runId}/complete", {
      params: { path: { id: worker.id, runId: run.id } },
      body: { status: "done" as "succeeded" },
    });
    expect(badComplete.response.status).toBe(400);
    const done = await worker.client.POST("/api/v1/workers/{id}/runs/{runId}/complete", {
      params: { path: { id: worker.id, runId: run.id } },
      body: { status: "succeeded", output: { summary: "42 tickets" }, tokenSpendUsd: 0.0184 },
    });
    expect(done.data).toMatchObject({
      status: "succeeded",
      output: { summary: "42 tickets" },
      tokenSpendUsd: 0.0184,
      error: null,
    });
    expect(sandbox.admin.state().runs[run.id]?.tokenSpendMicroUsd).toBe(18_400n);
    expect(await status(complete(worker, run.id, { status: "failed" }))).toBe(409);
    expect(await status(runStep(worker, run.id, "claim"))).toBe(409);
    expect(await status(runStep(worker, "no-such-run", "claim"))).toBe(404);

    // A run of another environment is not found for this worker.
    const other = await team();
    const foreignTrigger = await createTrigger(other.owner.client, other.envId);
    const foreign = await startRun(other.owner.client, foreignTrigger);
    expect(await status(runStep(worker, foreign.id, "claim"))).toBe(404);

    // A failed run keeps its error.
    const second = await startRun(owner.client, triggerId);
    await runStep(worker, second.id, "claim");
    await runStep(worker, second.id, "start");
    const failed = await worker.client.POST("/api/v1/workers/{id}/runs/{runId}/complete", {
      params: { path: { id: worker.id, runId: second.id } },
      body: { status: "failed", error: "model quota exceeded" },
    });
    expect(failed.data).toMatchObject({ status: "failed", error: "model quota exceeded", output: null });
  });

  it("requeues a run whose worker stops heartbeating; the old worker's complete is then a 409", async () => {
    const { envId, owner } = await team();
    const [w1, w2] = [await newWorker(owner.client, envId, "w1"), await newWorker(owner.client, envId, "w2")];
    const triggerId = await createTrigger(owner.client, envId);
    const run = await startRun(owner.client, triggerId);
    await runStep(w1, run.id, "claim");
    await runStep(w1, run.id, "start");
    // Real time moves too: stay well inside the timeout, then step past it.
    sandbox.admin.clock.advance(HEARTBEAT_TIMEOUT_MS - 5_000);
    expect((await getRun(owner.client, envId, run.id))?.status).toBe("running");
    sandbox.admin.clock.advance(5_000);
    const requeued = await getRun(owner.client, envId, run.id);
    expect(requeued).toMatchObject({
      status: "queued",
      workerId: null,
      startedAt: null,
      lastHeartbeatAt: null,
    });
    expect((await complete(w1, run.id, { status: "succeeded" })).response.status).toBe(409);
    expect((await runStep(w1, run.id, "heartbeat")).response.status).toBe(409);

    expect((await poll(w2)).data?.runs.map((r) => r.id)).toEqual([run.id]);
    await runStep(w2, run.id, "claim");
    await runStep(w2, run.id, "start");
    // The old worker cannot finish what the new one holds.
    expect((await complete(w1, run.id, { status: "succeeded" })).response.status).toBe(409);
    expect((await complete(w2, run.id, { status: "succeeded" })).data?.status).toBe("succeeded");
    const log = await owner.client.GET("/api/v1/environments/{envId}/audit-log", {
      params: { path: { envId }, query: { targetId: run.id } },
    });
    expect(log.data?.items.map((e) => e.action)).toEqual([
      "run.complete",
      "run.start",
      "run.claim",
      "run.requeue",
      "run.start",
      "run.claim",
      "trigger.run",
    ]);
  });

  it("requeues without a clock advance too, back to a pinned worker, and times out after repeated silence", async () => {
    const { envId, owner } = await team();
    const worker = await newWorker(owner.client, envId);
    const triggerId = await createTrigger(owner.client, envId, { workerId: worker.id });
    const run = await startRun(owner.client, triggerId);
    // A claimed run that never starts is silent as well.
    for (let round = 0; round < MAX_REQUEUES; round++) {
      expect((await runStep(worker, run.id, "claim")).response.status).toBe(200);
      sandbox.admin.clock.offset += HEARTBEAT_TIMEOUT_MS; // time passing without onClock
      expect(await getRun(owner.client, envId, run.id)).toMatchObject({
        status: "assigned",
        workerId: worker.id,
      });
    }
    await runStep(worker, run.id, "claim");
    sandbox.admin.clock.advance(HEARTBEAT_TIMEOUT_MS);
    const ended = await getRun(owner.client, envId, run.id);
    expect(ended).toMatchObject({ status: "timed_out", error: "Worker stopped sending heartbeats" });
    expect(ended?.finishedAt).not.toBeNull();
  });

  it("lets exactly one of two racing workers claim a queued run", async () => {
    const { envId, owner } = await team();
    const workers = [await newWorker(owner.client, envId, "a"), await newWorker(owner.client, envId, "b")];
    const triggerId = await createTrigger(owner.client, envId);
    for (let i = 0; i < 5; i++) {
      const run = await startRun(owner.client, triggerId);
      for (const w of workers) expect((await poll(w)).data?.runs.map((r) => r.id)).toContain(run.id);
      const answers = await Promise.all(workers.map((w) => runStep(w, run.id, "claim")));
      expect(answers.map((a) => a.response.status).sort()).toEqual([200, 409]);
      const winner = answers.find((a) => a.response.status === 200)?.data;
      expect(workers.map((w) => w.id)).toContain(winner?.workerId);
      expect((await getRun(owner.client, envId, run.id))?.workerId).toBe(winner?.workerId);
    }
  });

  it("lists workers by presence and computes the dashboard overview from state", async () => {
    const { envId, owner, viewer } = await team();
    const box = (
      await owner.client.GET("/api/v1/environments/{envId}/dashboard/overview", {
        params: { path: { envId } },
      })
    ).data;
    expect(box).toEqual({ onlineWorkers: 0, todaysRuns: 0, successRatePct: 0, monthTokenSpendUsd: 0 });
    const [w1, w2] = [await newWorker(owner.client, envId, "w1"), await newWorker(owner.client, envId, "w2")];
    const triggerId = await createTrigger(owner.client, envId);
    const outcomes = ["succeeded", "succeeded", "failed"] as const;
    for (const [i, outcome] of outcomes.entries()) {
      const run = await startRun(owner.client, triggerId);
      await runStep(w1, run.id, "claim");
      await runStep(w1, run.id, "start");
      await complete(w1, run.id, { status: outcome, tokenSpendUsd: [0.1, 0.2, 0.000001][i] });
    }
    await startRun(owner.client, triggerId); // still queued
    const workers = (status?: "online" | "offline") =>
      viewer.client.GET("/api/v1/environments/{envId}/workers", {
        params: { path: { envId }, query: status ? { status } : {} },
      });
    expect((await workers("online")).data?.items.map((w) => w.id)).toEqual([w1.id, w2.id]);
    sandbox.admin.clock.advance(WORKER_ONLINE_MS);
    await poll(w2);
    expect((await workers("online")).data?.items.map((w) => w.id)).toEqual([w2.id]);
    expect((await workers("offline")).data?.items.map((w) => w.id)).toEqual([w1.id]);
    expect((await workers()).data?.items).toHaveLength(2);
    expect((await workers("away" as "online")).response.status).toBe(400);

    const overview = await viewer.client.GET("/api/v1/environments/{envId}/dashboard/overview", {
      params: { path: { envId } },
    });
    const now = new Date(Date.now() + sandbox.admin.clock.offset);
    const sameDay = now.getUTCHours() * 3600_000 + now.getUTCMinutes() * 60_000 > WORKER_ONLINE_MS + 120_000;
    expect(overview.data?.onlineWorkers).toBe(1);
    // Near midnight UTC the runs may belong to yesterday: the day figures are checked otherwise.
    if (sameDay) expect(overview.data).toMatchObject({ todaysRuns: 4, successRatePct: 66.7 });
    if (now.getUTCDate() > 1 || sameDay) expect(overview.data?.monthTokenSpendUsd).toBe(0.300001);
  });
});

describe("PipedAI sandbox: roles", () => {
  type Who = "viewer" | "operator" | "admin" | "owner" | "outsider" | "pwk key";
  const WHO: Who[] = ["viewer", "operator", "admin", "owner", "outsider", "pwk key"];
  type Call = (
    c: PipedAIClient,
    ids: { envId: string; triggerId: string; fresh: () => Promise<string> },
  ) => Promise<{ response: Response }>;

  /** Route family × kind → the call, and the status each caller must get. */
  const TABLE: Array<{
    family: string;
    kind: "read" | "write" | "run";
    op: string;
    call: Call;
    expected: Record<Who, number>;
  }> = [
    {
      family: "environments",
      kind: "write",
      op: "updateEnvironment",
      call: (c, { envId }) =>
        c.PATCH("/api/v1/environments/{id}", { params: { path: { id: envId } }, body: { name: "renamed" } }),
      expected: { viewer: 403, operator: 403, admin: 200, owner: 200, outsider: 404, "pwk key": 403 },
    },
    {
      family: "members",
      kind: "read",
      op: "listMembers",
      call: (c, { envId }) => c.GET("/api/v1/environments/{envId}/members", { params: { path: { envId } } }),
      expected: { viewer: 200, operator: 200, admin: 200, owner: 200, outsider: 404, "pwk key": 200 },
    },
    {
      family: "members",
      kind: "write",
      op: "addMember",
      call: async (c, { envId, fresh }) =>
        c.POST("/api/v1/environments/{envId}/members", {
          params: { path: { envId } },
          body: { userId: await fresh(), role: "viewer" },
        }),
      expected: { viewer: 403, operator: 403, admin: 201, owner: 201, outsider: 404, "pwk key": 403 },
    },
    {
      family: "api-keys",
      kind: "read",
      op: "listApiKeys",
      call: (c, { envId }) => c.GET("/api/v1/environments/{envId}/api-keys", { params: { path: { envId } } }),
      expected: { viewer: 200, operator: 200, admin: 200, owner: 200, outsider: 404, "pwk key": 200 },
    },
    {
      family: "api-keys",
      kind: "write",
      op: "createApiKey",
      call: (c, { envId }) =>
        c.POST("/api/v1/environments/{envId}/api-keys", {
          params: { path: { envId } },
          body: { name: "k", prefix: "pwk" },
        }),
      expected: { viewer: 403, operator: 403, admin: 201, owner: 201, outsider: 404, "pwk key": 403 },
    },
    {
      family: "audit-log",
      kind: "read",
      op: "listAuditLog",
      call: (c, { envId }) =>
        c.GET("/api/v1/environments/{envId}/audit-log", { params: { path: { envId } } }),
      expected: { viewer: 403, operator: 403, admin: 200, owner: 200, outsider: 404, "pwk key": 403 },
    },
    {
      family: "triggers",
      kind: "read",
      op: "getTrigger",
      call: (c, { triggerId }) => c.GET("/api/v1/triggers/{id}", { params: { path: { id: triggerId } } }),
      expected: { viewer: 200, operator: 200, admin: 200, owner: 200, outsider: 404, "pwk key": 200 },
    },
    {
      family: "triggers",
      kind: "write",
      op: "createTrigger",
      call: (c, { envId }) =>
        c.POST("/api/v1/environments/{envId}/triggers", {
          params: { path: { envId } },
          body: { name: "t", type: "webhook" },
        }),
      expected: { viewer: 403, operator: 403, admin: 201, owner: 201, outsider: 404, "pwk key": 403 },
    },
    {
      family: "triggers",
      kind: "write",
      op: "rotateTriggerMcpToken",
      call: (c, { triggerId }) =>
        c.POST("/api/v1/triggers/{id}/rotate-mcp-token", { params: { path: { id: triggerId } } }),
      expected: { viewer: 403, operator: 403, admin: 200, owner: 200, outsider: 404, "pwk key": 403 },
    },
    {
      family: "runs",
      kind: "run",
      op: "runTrigger",
      call: (c, { triggerId }) =>
        c.POST("/api/v1/triggers/{id}/run", { params: { path: { id: triggerId } }, body: {} }),
      expected: { viewer: 403, operator: 202, admin: 202, owner: 202, outsider: 404, "pwk key": 202 },
    },
    {
      family: "runs",
      kind: "read",
      op: "listTriggerRuns",
      call: (c, { triggerId }) =>
        c.GET("/api/v1/triggers/{id}/runs", { params: { path: { id: triggerId } } }),
      expected: { viewer: 200, operator: 200, admin: 200, owner: 200, outsider: 404, "pwk key": 200 },
    },
    {
      family: "runs",
      kind: "read",
      op: "listEnvironmentRuns",
      call: (c, { envId }) => c.GET("/api/v1/environments/{envId}/runs", { params: { path: { envId } } }),
      expected: { viewer: 200, operator: 200, admin: 200, owner: 200, outsider: 404, "pwk key": 200 },
    },
    {
      family: "workers",
      kind: "read",
      op: "listWorkers",
      call: (c, { envId }) => c.GET("/api/v1/environments/{envId}/workers", { params: { path: { envId } } }),
      expected: { viewer: 200, operator: 200, admin: 200, owner: 200, outsider: 404, "pwk key": 200 },
    },
    {
      family: "dashboard",
      kind: "read",
      op: "getDashboardOverview",
      call: (c, { envId }) =>
        c.GET("/api/v1/environments/{envId}/dashboard/overview", { params: { path: { envId } } }),
      expected: { viewer: 200, operator: 200, admin: 200, owner: 200, outsider: 404, "pwk key": 200 },
    },
    {
      family: "environments",
      kind: "read",
      op: "listEnvironments",
      call: (c, { envId }) =>
        c.GET("/api/v1/workspaces/{wsId}/environments", {
          params: { path: { wsId: sandbox.admin.state().environments[envId]?.workspaceId ?? "" } },
        }),
      expected: { viewer: 200, operator: 200, admin: 200, owner: 200, outsider: 404, "pwk key": 200 },
    },
    {
      family: "triggers",
      kind: "write",
      op: "deleteTrigger",
      call: async (c, { envId }) => {
        // Each caller deletes a trigger of its own (made by the owner), so earlier deletes do not interfere.
        const id = await createTrigger(roleTeam.owner.client, envId);
        return c.DELETE("/api/v1/triggers/{id}", { params: { path: { id } } });
      },
      expected: { viewer: 403, operator: 403, admin: 204, owner: 204, outsider: 404, "pwk key": 403 },
    },
  ];

  let roleTeam: Team;
  let clients: Record<Who, PipedAIClient>;
  let triggerId: string;
  beforeAll(async () => {
    roleTeam = await team();
    const { token } = await mint(roleTeam.owner.client, roleTeam.envId, "pwk");
    clients = {
      viewer: roleTeam.viewer.client,
      operator: roleTeam.operator.client,
      admin: roleTeam.admin.client,
      owner: roleTeam.owner.client,
      outsider: roleTeam.outsider.client,
      "pwk key": clientFor({ apiKey: token }),
    };
    triggerId = await createTrigger(roleTeam.owner.client, roleTeam.envId);
  });

  for (const row of TABLE) {
    for (const who of WHO) {
      it(`${row.family} ${row.kind} (${row.op}) as ${who} → ${row.expected[who]}`, async () => {
        const fresh = async () => (await newUser()).id;
        const result = await row.call(clients[who], { envId: roleTeam.envId, triggerId, fresh });
        expect(result.response.status).toBe(row.expected[who]);
      });
    }
  }

  it("answers 401 to every route family without a credential", async () => {
    for (const row of TABLE) {
      const result = await row.call(anonymous(), {
        envId: roleTeam.envId,
        triggerId,
        fresh: async () => "x",
      });
      expect(result.response.status, row.family).toBe(401);
    }
  });
});

describe("PipedAI sandbox: persistence", () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it("keeps every accepted write across a restart with the same dataDir", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "pipedai-sandbox-"));
    dirs.push(dataDir);
    let box = await runSandbox(pipedai, { dataDir, seed: "persist" });
    const email = "persist@example.org";
    const password = "persist-password";
    const registered = await clientFor({}, box).POST("/api/v1/auth/register", { body: { email, password } });
    const cookie = cookieOf(registered.response);
    let ada = clientFor({ authToken: cookie }, box);
    const wsId = (await ada.POST("/api/v1/workspaces", { body: { name: "Persisted" } })).data?.id as string;
    const envId = (
      await ada.POST("/api/v1/workspaces/{wsId}/environments", {
        params: { path: { wsId } },
        body: { name: "prod" },
      })
    ).data?.id as string;
    const key = (
      await ada.POST("/api/v1/environments/{envId}/api-keys", {
        params: { path: { envId } },
        body: { name: "ci", prefix: "pwk" },
      })
    ).data as { apiKey: { id: string }; token: string };
    const worker = await newWorker(ada, envId, "box", box);
    const triggerId = await createTrigger(ada, envId);
    const run = await startRun(ada, triggerId, { n: 1 });
    await runStep(worker, run.id, "claim");
    await runStep(worker, run.id, "start");
    await box.close();

    box = await runSandbox(pipedai, { dataDir, seed: "persist" });
    ada = clientFor({ authToken: cookie }, box);
    expect((await ada.GET("/api/v1/auth/me")).data?.user.email).toBe(email);
    const login = await clientFor({}, box).POST("/api/v1/auth/login", { body: { email, password } });
    expect(login.response.status).toBe(200);
    expect((await ada.GET("/api/v1/workspaces")).data?.items.map((w) => w.id)).toEqual([wsId]);
    const keyClient = clientFor({ apiKey: key.token }, box);
    const triggers = await keyClient.GET("/api/v1/environments/{envId}/triggers", {
      params: { path: { envId } },
    });
    expect(triggers.data?.items.map((t) => t.id)).toEqual([triggerId]);
    const restartedWorker = { ...worker, client: clientFor({ workerToken: worker.token }, box) };
    const done = await complete(restartedWorker, run.id, { status: "succeeded" });
    expect(done.data).toMatchObject({ status: "succeeded", input: { n: 1 } });
    const log = await ada.GET("/api/v1/environments/{envId}/audit-log", { params: { path: { envId } } });
    expect(log.data?.items.map((e) => e.action)).toContain("run.start");
    // Ids made after the restart do not repeat ones made before it.
    const again = await createTrigger(ada, envId);
    expect([wsId, envId, key.apiKey.id, worker.id, triggerId, run.id]).not.toContain(again);
    await box.close();
  });
});

describe("PipedAI sandbox: rate limits", () => {
  it("accepts logins up to the limit per minute, answers 429 with Retry-After one over, and again after the window", async () => {
    const box = await runSandbox(pipedai, { seed: "limits" });
    try {
      const user = await newUser(box);
      const login = () =>
        clientFor({}, box).POST("/api/v1/auth/login", { body: { email: user.email, password: "wrong-pw" } });
      for (let i = 0; i < RATE_LIMITS.login.limit; i++) {
        const answer = await login();
        expect(answer.response.status).toBe(401);
        expect(answer.response.headers.get("x-ratelimit-remaining")).toBe(
          String(RATE_LIMITS.login.limit - i - 1),
        );
      }
      const over = await login();
      expect(over.response.status).toBe(429);
      expect(over.response.headers.get("x-ratelimit-limit")).toBe(String(RATE_LIMITS.login.limit));
      expect(Number(over.response.headers.get("retry-after"))).toBeGreaterThan(0);
      expect((over.error as { error: string }).error).toMatch(/too many/i);
      box.admin.clock.advance(RATE_LIMITS.login.windowMs);
      expect((await login()).response.status).toBe(401);
    } finally {
      await box.close();
    }
  });

  it("limits runs per trigger: one trigger at its limit leaves another free", async () => {
    const box = await runSandbox(pipedai, { seed: "limits-runs" });
    try {
      const owner = await newUser(box);
      const { environment } = await act<{ environment: { id: string } }>(
        "seedWorkspace",
        { ownerId: owner.id },
        box,
      );
      const [a, b] = [
        await createTrigger(owner.client, environment.id),
        await createTrigger(owner.client, environment.id),
      ];
      const run = (id: string) =>
        owner.client.POST("/api/v1/triggers/{id}/run", { params: { path: { id } }, body: {} });
      for (let i = 0; i < RATE_LIMITS.runTrigger.limit; i++) expect((await run(a)).response.status).toBe(202);
      expect((await run(a)).response.status).toBe(429);
      expect((await run(b)).response.status).toBe(202);
      box.admin.clock.advance(RATE_LIMITS.runTrigger.windowMs);
      expect((await run(a)).response.status).toBe(202);
    } finally {
      await box.close();
    }
  });
});
