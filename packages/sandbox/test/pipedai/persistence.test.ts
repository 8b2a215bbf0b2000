/** The PipedAI sandbox's state on a data directory, across a restart. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runSandbox } from "../../src/framework/server.js";
import { pipedai } from "../../src/providers/pipedai/index.js";
import {
  clientFor,
  complete,
  cookieOf,
  createTrigger,
  newWorker,
  runStep,
  startRun,
  useSandbox,
} from "./helpers.js";

useSandbox();

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
