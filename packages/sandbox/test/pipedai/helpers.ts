/**
 * Shared setup of the PipedAI sandbox tests: one sandbox per test file (`useSandbox`), clients whose
 * every answer is checked against the spec's schema for its status (a middleware), seeded users,
 * teams with one member of each role, keys, triggers, workers and their run steps.
 */
import type { PipedAIClient, Role, Run } from "@specyard/pipedai";
import { loadSpec, responseValidator } from "@specyard/testkit";
import { afterAll, beforeAll, expect } from "vitest";
import { runSandbox, type Sandbox } from "../../src/framework/server.js";
import { type PipedAIState, pipedai } from "../../src/providers/pipedai/index.js";
import { createPipedAIClient } from "../clients.js";

const conforms = responseValidator("pipedai");

const templates = Object.keys(loadSpec("pipedai").paths as object)
  .map((path) => ({ path, pattern: new RegExp(`^${path.replace(/\{[^}]+\}/g, "[^/]+")}$`) }))
  .sort((a, b) => (a.path.match(/\{/g)?.length ?? 0) - (b.path.match(/\{/g)?.length ?? 0));

export let sandbox: Sandbox<PipedAIState>;

interface Credentials {
  authToken?: string;
  apiKey?: string;
  workerToken?: string;
  headers?: Record<string, string>;
}

/** A client whose every answer must match the spec's schema for its status. */
export function clientFor(
  credentials: Credentials = {},
  box: Sandbox<PipedAIState> = sandbox,
): PipedAIClient {
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

export const anonymous = () => clientFor();

export const cookieOf = (response: Response) =>
  /auth_token=([^;]*)/.exec(response.headers.getSetCookie().join("\n"))?.[1] ?? "";

export const act = <T>(action: string, input: Record<string, unknown> = {}, box = sandbox) =>
  box.admin.act(action, input) as Promise<T>;

interface TestUser {
  id: string;
  email: string;
  password: string;
  token: string;
  client: PipedAIClient;
}

export async function newUser(box = sandbox): Promise<TestUser> {
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

export interface Team {
  workspaceId: string;
  envId: string;
  owner: TestUser;
  admin: TestUser;
  operator: TestUser;
  viewer: TestUser;
  outsider: TestUser;
}

/** An environment with one member of each role, and an outsider. */
export async function team(): Promise<Team> {
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

export async function createTrigger(client: PipedAIClient, envId: string, extra: { workerId?: string } = {}) {
  const made = await client.POST("/api/v1/environments/{envId}/triggers", {
    params: { path: { envId } },
    body: { name: "nightly", type: "manual", ...extra },
  });
  expect(made.response.status).toBe(201);
  return made.data?.trigger.id as string;
}

export async function mint(client: PipedAIClient, envId: string, prefix: "pwk" | "wrk", name = "key") {
  const made = await client.POST("/api/v1/environments/{envId}/api-keys", {
    params: { path: { envId } },
    body: { name, prefix },
  });
  expect(made.response.status).toBe(201);
  return made.data as { apiKey: { id: string; last4: string }; token: string };
}

export interface TestWorker {
  id: string;
  token: string;
  client: PipedAIClient;
}

export async function newWorker(
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

export const runStep = (w: TestWorker, runId: string, step: "claim" | "start" | "heartbeat") =>
  w.client.POST(`/api/v1/workers/{id}/runs/{runId}/${step}`, {
    params: { path: { id: w.id, runId } },
  });

export const complete = (
  w: TestWorker,
  runId: string,
  body: { status: "succeeded" | "failed"; tokenSpendUsd?: number },
) =>
  w.client.POST("/api/v1/workers/{id}/runs/{runId}/complete", {
    params: { path: { id: w.id, runId } },
    body,
  });

export const startRun = async (
  client: PipedAIClient,
  triggerId: string,
  input: Record<string, unknown> = {},
) => {
  const started = await client.POST("/api/v1/triggers/{id}/run", {
    params: { path: { id: triggerId } },
    body: { input },
  });
  expect(started.response.status).toBe(202);
  return started.data as Run;
};

/** Starts the file's sandbox before its tests and closes it after them (call once per test file). */
export function useSandbox(): void {
  beforeAll(async () => {
    sandbox = await runSandbox(pipedai, { seed: "pipedai-tests" });
  });

  afterAll(() => sandbox?.close());
}
