/** The pinata-agents scenario: an agent → a secret → a task → run now → the run history. */
import type { Scenario, ScenarioApi } from "../scenario.js";
import { bearer, needed } from "./helpers.js";

export const pinataAgents: Scenario = {
  provider: "pinata-agents",
  name: "create agent → secret → task → run now → run history",
  needsAdmin: true,
  credentials: ["bearerAuth"],
  steps() {
    let agentId = "";
    let jobId = "";
    let runId = "";
    const jwt = (api: ScenarioApi) => bearer(needed(api, "bearerAuth"));
    return [
      {
        name: "create an agent",
        async run(api) {
          await api.act("setAgentLimit", { agentLimit: 1000 });
          const made = await api.call(
            { method: "POST", path: "/v0/agents", headers: jwt(api), json: { name: "Scenario agent" } },
            201,
          );
          agentId = made.agent.agentId;
          api.secret("gatewayToken", made.agent.gatewayToken);
          await api.advance(30_000); // the gateway comes up
        },
      },
      {
        name: "create a secret and attach it",
        async run(api) {
          const secret = await api.call(
            {
              method: "POST",
              path: "/v0/secrets",
              headers: jwt(api),
              json: { name: `SCENARIO_${Date.now()}`, value: "scenario-value" },
            },
            201,
          );
          const id = secret.id ?? secret.secret?.id;
          await api.call(
            {
              method: "POST",
              path: `/v0/agents/${agentId}/secrets`,
              headers: jwt(api),
              json: { secretIds: [id] },
            },
            200,
          );
        },
      },
      {
        name: "create a task",
        async run(api) {
          const task = await api.call(
            {
              method: "POST",
              path: `/v0/agents/${agentId}/tasks`,
              headers: jwt(api),
              json: { name: "digest", schedule: "@daily", prompt: "Summarise the scenario" },
            },
            201,
          );
          jobId = task.jobId;
        },
      },
      {
        name: "run the task now",
        async run(api) {
          const started = await api.call(
            { method: "POST", path: `/v0/agents/${agentId}/tasks/${jobId}/run`, headers: jwt(api) },
            200,
          );
          runId = started.runId;
          await api.advance(2_000);
        },
      },
      {
        name: "the run is in the run history",
        async run(api) {
          const { runs } = await api.call(
            { method: "GET", path: `/v0/agents/${agentId}/tasks/${jobId}/runs`, headers: jwt(api) },
            200,
          );
          api.expect(
            runs.some((r: { runId: string }) => r.runId === runId),
            `run ${runId} is not in the history`,
          );
        },
      },
    ];
  },
};
