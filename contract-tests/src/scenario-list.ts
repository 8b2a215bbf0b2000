/**
 * The documents' stateful flows, one scenario per provider. Each step asserts the status (judged
 * against the spec as well) and the fields that matter; later steps use what earlier ones returned.
 */
import { addressOf, secretKeySigner } from "@specyard/siws";
import nacl from "tweetnacl";
import type { Scenario, ScenarioApi } from "./scenarios.js";

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** A credential the session must have (sandbox: minted at start; live: its variable). */
function needed(api: ScenarioApi, scheme: string): string {
  const value = api.credential(scheme);
  if (value === undefined) throw new Error(`no ${scheme} credential on this target`);
  return value;
}

const pipeStorage: Scenario = {
  provider: "pipe-storage",
  name: "sign-in → refresh → CSRF",
  steps() {
    const signer = secretKeySigner(nacl.sign.keyPair().secretKey);
    const wallet = addressOf(signer);
    let refreshToken = "";
    let access = "";
    let csrf = "";
    return [
      {
        name: "SIWS sign-in (challenge → sign → verify)",
        async run(api) {
          const { nonce, message } = await api.call(
            { method: "POST", path: "/auth/siws/challenge", json: { wallet_public_key: wallet } },
            200,
          );
          api.expect(typeof message === "string" && message.includes(nonce), "the message lacks the nonce");
          const signature = await signer.signMessage(new TextEncoder().encode(message));
          const tokens = await api.call(
            {
              method: "POST",
              path: "/auth/siws/verify",
              json: {
                wallet_public_key: wallet,
                nonce,
                message,
                signature_b64: Buffer.from(signature).toString("base64"),
              },
            },
            200,
          );
          api.expect(tokens.access_token && tokens.refresh_token && tokens.csrf_token, "tokens missing");
          access = api.secret("bearerAuth", tokens.access_token);
          refreshToken = api.secret("refreshToken", tokens.refresh_token);
          csrf = api.secret("csrfToken", tokens.csrf_token);
        },
      },
      {
        name: "refresh",
        async run(api) {
          const tokens = await api.call(
            { method: "POST", path: "/auth/refresh", json: { refresh_token: refreshToken } },
            200,
          );
          api.expect(tokens.access_token && tokens.csrf_token, "the refresh answer lacks tokens");
          access = api.secret("bearerAuth", tokens.access_token);
          csrf = api.secret("csrfToken", tokens.csrf_token);
          if (tokens.refresh_token) refreshToken = api.secret("refreshToken", tokens.refresh_token);
          const me = await api.call({ method: "GET", path: "/user/me", headers: bearer(access) }, 200);
          api.expect(me.user_app_key, "GET /user/me with the refreshed token has no user_app_key");
          api.secret("appKey", me.user_app_key);
        },
      },
      {
        name: "mutation without X-CSRF-Token refused with 403",
        async run(api) {
          await api.call({ method: "POST", path: "/rotateAppKey", headers: bearer(access), json: {} }, 403);
        },
      },
      {
        name: "mutation with X-CSRF-Token",
        async run(api) {
          const rotated = await api.call(
            {
              method: "POST",
              path: "/rotateAppKey",
              headers: { ...bearer(access), "x-csrf-token": csrf },
              json: {},
            },
            200,
          );
          api.expect(rotated.new_user_app_key, "the rotated app key is missing");
          api.secret("appKey", rotated.new_user_app_key);
        },
      },
    ];
  },
};

/** What each feed type gets pushed, and what a read gives back. */
const PUSHES = {
  singleton: { market: "SOL-USDC", price: 172.41 },
  collection: [[{ id: "a", name: "first chunk" }], [{ id: "b", name: "second chunk" }]],
  stream: [
    { id: "e1", headline: "one", event_timestamp: "2025-06-01T08:00:00Z" },
    { id: "e2", headline: "two", event_timestamp: "2025-06-02T08:00:00Z" },
  ],
};

const pipeagent: Scenario = {
  provider: "pipeagent",
  name: "create feed → push each type → read back",
  credentials: ["WriteKey", "ReadKeyHeader"],
  steps() {
    const feeds: Record<string, string> = {};
    const suffix = Math.random().toString(36).slice(2, 8);
    const write = (api: ScenarioApi) => bearer(needed(api, "WriteKey"));
    const read = (api: ScenarioApi, id: string) =>
      api.call(
        { method: "GET", path: `/v1/feed/${id}`, headers: { "x-api-key": needed(api, "ReadKeyHeader") } },
        200,
      );
    const push = (api: ScenarioApi, type: string, body: unknown) =>
      api.call(
        {
          method: "POST",
          path: `/api/v1/provider/feed/${feeds[type]}/push`,
          headers: write(api),
          json: body,
        },
        200,
      );
    return [
      {
        name: "create a singleton, a collection and a stream feed",
        async run(api) {
          for (const type of ["singleton", "collection", "stream"]) {
            const feed = await api.call(
              {
                method: "POST",
                path: "/api/v1/provider/feed/create",
                headers: write(api),
                json: {
                  name: `Scenario ${type} ${suffix}`,
                  description: `A ${type} feed made by the contract scenario`,
                  endpoint_path: `scenario-${type}-${suffix}`,
                  feed_type: type,
                  schema_definition: { type: "object" },
                  price_type: "free",
                },
              },
              200,
            );
            api.expect(
              feed.id && feed.feed_type === type,
              `created feed is not a ${type}: ${feed.feed_type}`,
            );
            feeds[type] = feed.id;
          }
        },
      },
      {
        name: "push the singleton document",
        async run(api) {
          const pushed = await push(api, "singleton", { payload: PUSHES.singleton });
          api.expect(pushed.rows === 1, `rows: ${pushed.rows}`);
        },
      },
      {
        name: "push the collection as one batch over two requests (batch_id, batch_complete)",
        async run(api) {
          const [first, second] = PUSHES.collection;
          const one = await push(api, "collection", {
            payload: first,
            batch_id: "scenario",
            batch_complete: false,
          });
          api.expect(
            one.batch_complete === false && one.rows === 1,
            "the first chunk was not taken as an open batch",
          );
          await push(api, "collection", { payload: second, batch_id: "scenario", batch_complete: true });
        },
      },
      {
        name: "push the stream events",
        async run(api) {
          const pushed = await push(api, "stream", { payload: PUSHES.stream });
          api.expect(pushed.rows === PUSHES.stream.length, `rows: ${pushed.rows}`);
        },
      },
      {
        name: "read back exactly what was pushed",
        async run(api) {
          const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
          const single = await read(api, feeds.singleton ?? "");
          api.expect(same(single, PUSHES.singleton), `singleton reads ${JSON.stringify(single)}`);
          const rows = (await read(api, feeds.collection ?? "")).data;
          api.expect(same(rows, PUSHES.collection.flat()), `collection reads ${JSON.stringify(rows)}`);
          const events = (await read(api, feeds.stream ?? "")).data;
          api.expect(same(events, PUSHES.stream), `stream reads ${JSON.stringify(events)}`);
        },
      },
    ];
  },
};

const atelier: Scenario = {
  provider: "atelier",
  name: "register → service → order paid → deliver → approve → completed",
  needsAdmin: true,
  steps() {
    let agentId = "";
    let key = "";
    let serviceId = "";
    let orderId = "";
    return [
      {
        name: "register an agent",
        async run(api) {
          const { data } = await api.call(
            {
              method: "POST",
              path: "/agents/register",
              json: {
                name: "Scenario Agent",
                description: "Registered by the contract scenario",
                endpoint_url: "https://agent.example.com",
                capabilities: ["image_gen"],
              },
            },
            201,
          );
          agentId = data.agent_id;
          key = api.secret("bearerAuth", data.api_key);
        },
      },
      {
        name: "create a service",
        async run(api) {
          const { data } = await api.call(
            {
              method: "POST",
              path: `/agents/${agentId}/services`,
              headers: bearer(key),
              json: {
                category: "image_gen",
                title: "Scenario avatars",
                description: "An avatar from a brief, for the contract scenario.",
                price_usd: "5.00",
                price_type: "fixed",
              },
            },
            201,
          );
          serviceId = data.id;
        },
      },
      {
        name: "the client places and pays an order (admin placeOrder, pay)",
        async run(api) {
          orderId = (await api.act("placeOrder", { service_id: serviceId, brief: "A cyberpunk avatar" })).id;
          await api.act("pay", { order_id: orderId });
          const { data } = await api.call(
            {
              method: "GET",
              path: `/agents/${agentId}/orders`,
              query: { status: "paid" },
              headers: bearer(key),
            },
            200,
          );
          api.expect(
            data.some((o: { id: string }) => o.id === orderId),
            "the paid order is not in the agent's paid orders",
          );
        },
      },
      {
        name: "deliver",
        async run(api) {
          const { data } = await api.call(
            {
              method: "POST",
              path: `/orders/${orderId}/deliver`,
              headers: bearer(key),
              json: {
                deliverable_url: "https://cdn.example.com/result.png",
                deliverable_media_type: "image",
              },
            },
            200,
          );
          api.expect(data.status === "delivered", `status after deliver: ${data.status}`);
        },
      },
      {
        name: "the client approves (admin approve) → completed",
        async run(api) {
          await api.act("approve", { order_id: orderId });
          const { data } = await api.call(
            {
              method: "GET",
              path: `/agents/${agentId}/orders`,
              query: { status: "completed" },
              headers: bearer(key),
            },
            200,
          );
          api.expect(
            data.some((o: { id: string }) => o.id === orderId),
            "the approved order is not in the agent's completed orders",
          );
        },
      },
    ];
  },
};

const pipedai: Scenario = {
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

const pinataAgents: Scenario = {
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

export const SCENARIOS: Scenario[] = [pipeStorage, pipeagent, atelier, pipedai, pinataAgents];
