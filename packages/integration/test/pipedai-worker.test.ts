/** The PipedAI worker loop against the sandbox, through faults, with two workers racing. */
import {
  createPipedAIClient,
  runWorker,
  unwrap,
  type WorkerCredentials,
  type WorkerEvent,
} from "@specyard/pipedai";
import { type Sandbox, startSandbox } from "@specyard/sandbox";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox("pipedai");
});
afterAll(() => sandbox?.close());

async function world(runs: number) {
  const made = (await sandbox.admin.act("credentials")) as {
    authTokenCookie: string;
    pwkApiKey: string;
    environmentId: string;
  };
  const owner = createPipedAIClient({ baseUrl: sandbox.url, authToken: made.authTokenCookie });
  const envId = made.environmentId;
  const registration = await unwrap(
    owner.POST("/api/v1/environments/{envId}/api-keys", {
      params: { path: { envId } },
      body: { name: "worker", prefix: "wrk" },
    }),
  );
  const second = await unwrap(
    owner.POST("/api/v1/environments/{envId}/api-keys", {
      params: { path: { envId } },
      body: { name: "worker 2", prefix: "wrk" },
    }),
  );
  const trigger = await unwrap(
    owner.POST("/api/v1/environments/{envId}/triggers", {
      params: { path: { envId } },
      body: { name: "job", type: "manual" },
    }),
  );
  const api = createPipedAIClient({ baseUrl: sandbox.url, apiKey: made.pwkApiKey });
  for (let i = 0; i < runs; i++) {
    await unwrap(
      api.POST("/api/v1/triggers/{id}/run", {
        params: { path: { id: trigger.trigger.id } },
        body: { input: { n: i } },
      }),
    );
  }
  return { owner, envId, tokens: [registration.token, second.token] };
}

describe("runWorker", () => {
  it("completes every run exactly once with two racing workers and injected faults, and registers once", async () => {
    const { owner, envId, tokens } = await world(6);
    sandbox.admin.setFaults([
      { route: "pollWorker", sequence: [{ kind: "server-error" }, { kind: "reset" }] },
      { route: "completeRun", sequence: [{ kind: "reset-after" }] },
    ]);
    const saved: WorkerCredentials[] = [];
    const events: WorkerEvent[] = [];
    const handled: unknown[] = [];
    const done = async () => {
      const page = await unwrap(
        owner.GET("/api/v1/environments/{envId}/runs", { params: { path: { envId } } }),
      );
      return page.items.every((run) => run.status === "succeeded") && page.items.length === 6;
    };
    const workers = await Promise.all(
      tokens.map((token, i) =>
        runWorker({
          baseUrl: sandbox.url,
          credentials: { registrationToken: token, name: `w${i}` },
          onRegistered: (c) => {
            saved.push(c);
          },
          concurrency: 2,
          pollIntervalMs: 5,
          handler: async (run) => {
            handled.push(run.id);
            return { doubled: Number((run.input as { n?: number }).n ?? 0) * 2 };
          },
          onEvent: (event) => {
            events.push(event);
            if (event.type === "success" || event.type === "failure") {
              void done().then((all) => all && workers.forEach((w) => void w.stop()));
            }
          },
        }),
      ),
    );
    await Promise.all(workers.map((w) => w.done));
    sandbox.admin.setFaults([]);
    const page = await unwrap(
      owner.GET("/api/v1/environments/{envId}/runs", { params: { path: { envId } } }),
    );
    expect(page.items.map((r) => r.status)).toEqual(Array(6).fill("succeeded"));
    expect(new Set(handled).size).toBe(6);
    expect(handled.length).toBe(6); // a lost claim is never run
    expect(saved.map((c) => c.workerToken.startsWith("wkt_"))).toEqual([true, true]);
    for (const run of page.items)
      expect(run.output).toEqual({ doubled: Number((run.input as { n: number }).n) * 2 });
  });

  it("reuses saved credentials instead of registering again, and a spent registration token is refused", async () => {
    const { tokens } = await world(0);
    let saved: WorkerCredentials | undefined;
    const first = await runWorker({
      baseUrl: sandbox.url,
      credentials: { registrationToken: tokens[0] ?? "", name: "once" },
      onRegistered: (c) => {
        saved = c;
      },
      handler: async () => undefined,
      pollIntervalMs: 5,
    });
    await first.stop();
    if (!saved) throw new Error("not registered");
    const again = await runWorker({
      baseUrl: sandbox.url,
      credentials: saved,
      handler: async () => undefined,
      pollIntervalMs: 5,
    });
    expect(again.workerId).toBe(saved.workerId);
    await again.stop();
    await expect(
      runWorker({
        baseUrl: sandbox.url,
        credentials: { registrationToken: tokens[0] ?? "", name: "twice" },
        handler: async () => undefined,
      }),
    ).rejects.toMatchObject({ status: expect.any(Number) });
  });
});
