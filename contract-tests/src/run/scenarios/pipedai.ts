/** The pipedai scenario: a `wrk_` key → worker register → poll → claim → start → heartbeat → complete. */
import type { Scenario, ScenarioApi } from "../scenario.js";
import { bearer, needed } from "./helpers.js";

export const pipedai: Scenario = {
  provider: "pipedai",
  name: "worker register → poll → claim → heartbeat → complete",
  credentials: ["authTokenCookie"],
  steps() {
    let envId = "";
    let workerId = "";
    let workerToken = "";
    let runId = "";
    const owner = (api: ScenarioApi) => ({ cookie: `auth_token=${needed(api, "authTokenCookie")}` });
    const worker = () => bearer(workerToken);
    const runStep = (api: ScenarioApi, step: string, json?: unknown) =>
      api.call(
        {
          method: "POST",
          path: `/api/v1/workers/${workerId}/runs/${runId}/${step}`,
          headers: worker(),
          json,
        },
        200,
      );
    return [
      {
        name: "register a worker with a wrk_ key minted through the API",
        async run(api) {
          const workspaces = await api.call(
            { method: "GET", path: "/api/v1/workspaces", headers: owner(api) },
            200,
          );
          const wsId = workspaces.items[0]?.id;
          const envs = await api.call(
            { method: "GET", path: `/api/v1/workspaces/${wsId}/environments`, headers: owner(api) },
            200,
          );
          envId = envs.items[0]?.id;
          const minted = await api.call(
            {
              method: "POST",
              path: `/api/v1/environments/${envId}/api-keys`,
              headers: owner(api),
              json: { name: "scenario worker", prefix: "wrk" },
            },
            201,
          );
          const registration = api.secret("registrationToken", minted.token);
          api.expect(registration.startsWith("wrk_"), "the minted key is not a wrk_ key");
          const registered = await api.call(
            {
              method: "POST",
              path: "/api/v1/workers/register",
              json: { registrationToken: registration, name: "scenario-worker" },
            },
            201,
          );
          workerId = registered.worker.id;
          workerToken = api.secret("wktWorkerToken", registered.token);
        },
      },
      {
        name: "a run for the worker, then poll",
        async run(api) {
          const made = await api.call(
            {
              method: "POST",
              path: `/api/v1/environments/${envId}/triggers`,
              headers: owner(api),
              json: { name: "scenario", type: "manual", workerId },
            },
            201,
          );
          const run = await api.call(
            {
              method: "POST",
              path: `/api/v1/triggers/${made.trigger.id}/run`,
              headers: owner(api),
              json: { input: { from: "scenario" } },
            },
            202,
          );
          runId = run.id;
          const polled = await api.call(
            { method: "GET", path: `/api/v1/workers/${workerId}/poll`, headers: worker() },
            200,
          );
          api.expect(
            polled.runs.some((r: { id: string }) => r.id === runId),
            "the run is not in the worker's poll",
          );
        },
      },
      {
        name: "claim",
        async run(api) {
          const claimed = await runStep(api, "claim");
          api.expect(
            claimed.status === "claimed" && claimed.workerId === workerId,
            `status ${claimed.status}`,
          );
        },
      },
      {
        name: "start and heartbeat",
        async run(api) {
          await runStep(api, "start");
          const beat = await runStep(api, "heartbeat", { progressPct: 50, message: "half way" });
          api.expect(beat.status === "running", `status after heartbeat: ${beat.status}`);
        },
      },
      {
        name: "complete",
        async run(api) {
          const done = await runStep(api, "complete", { status: "succeeded", output: { summary: "done" } });
          api.expect(done.status === "succeeded", `status after complete: ${done.status}`);
        },
      },
    ];
  },
};
