import type { Client } from "openapi-fetch";
import { describe, expectTypeOf, it } from "vitest";
import {
  type AuthSession,
  type CreatedApiKey,
  createPipedAIClient,
  type DashboardOverview,
  type ErrorBody,
  type PollResponse,
  type paths,
  type Role,
  type Run,
  type RunStatus,
  type Trigger,
  unwrap,
} from "../src/index.js";

const api = createPipedAIClient({ apiKey: "pwk_x" });

describe("PipedAI client types", () => {
  it("gives good calls the right data and error types", async () => {
    const { data, error } = await api.GET("/api/v1/triggers/{id}", { params: { path: { id: "t1" } } });
    expectTypeOf(data).toEqualTypeOf<Trigger | undefined>();
    expectTypeOf(error).toEqualTypeOf<ErrorBody | undefined>();

    expectTypeOf(unwrap(api.GET("/api/v1/auth/me"))).resolves.toEqualTypeOf<AuthSession>();
    expectTypeOf(
      unwrap(
        api.POST("/api/v1/environments/{envId}/api-keys", {
          params: { path: { envId: "e1" } },
          body: { name: "ci", prefix: "pwk" },
        }),
      ),
    ).resolves.toEqualTypeOf<CreatedApiKey>();
    expectTypeOf(
      unwrap(
        api.GET("/api/v1/environments/{envId}/dashboard/overview", { params: { path: { envId: "e1" } } }),
      ),
    ).resolves.toEqualTypeOf<DashboardOverview>();
    expectTypeOf(
      unwrap(api.GET("/api/v1/workers/{id}/poll", { params: { path: { id: "w1" } } })),
    ).resolves.toEqualTypeOf<PollResponse>();

    const run = await unwrap(api.POST("/api/v1/triggers/{id}/run", { params: { path: { id: "t1" } } }));
    expectTypeOf(run).toEqualTypeOf<Run>();
    expectTypeOf(run.status).toEqualTypeOf<RunStatus>();
    expectTypeOf<RunStatus>().toEqualTypeOf<
      "queued" | "assigned" | "claimed" | "running" | "succeeded" | "failed" | "timed_out"
    >();
    expectTypeOf<Role>().toEqualTypeOf<"viewer" | "operator" | "admin" | "owner">();
    expectTypeOf(run.output).toEqualTypeOf<{ [key: string]: unknown } | null>();
  });

  it("rejects a wrong body", () => {
    api.POST("/api/v1/environments/{envId}/members", {
      params: { path: { envId: "e1" } },
      // @ts-expect-error "superuser" is not a role
      body: { userId: "u1", role: "superuser" },
    });
    api.POST("/api/v1/workers/{id}/runs/{runId}/complete", {
      params: { path: { id: "w1", runId: "r1" } },
      // @ts-expect-error a run completes as succeeded or failed, not running
      body: { status: "running" },
    });
    // @ts-expect-error the login body is required
    api.POST("/api/v1/auth/login", {});
  });

  it("rejects a missing path parameter", () => {
    api.GET("/api/v1/triggers/{id}", {
      // @ts-expect-error `id` is missing
      params: { path: {} },
    });
    api.POST("/api/v1/workers/{id}/runs/{runId}/claim", {
      // @ts-expect-error `runId` is missing
      params: { path: { id: "w1" } },
    });
  });

  it("rejects reading a field the response does not have", async () => {
    const overview = await unwrap(
      api.GET("/api/v1/environments/{envId}/dashboard/overview", { params: { path: { envId: "e1" } } }),
    );
    // @ts-expect-error the overview has no `failedRuns`
    overview.failedRuns;
    const trigger = await unwrap(api.GET("/api/v1/triggers/{id}", { params: { path: { id: "t1" } } }));
    // @ts-expect-error a trigger has no `mcpToken` (only the create answer does)
    trigger.mcpToken;
  });

  it("types the credential options", () => {
    createPipedAIClient({ apiKey: "pwk_x", workerToken: async () => "wkt_y", authToken: () => undefined });
    // @ts-expect-error credentials are strings or functions returning strings
    createPipedAIClient({ apiKey: 42 });
    // @ts-expect-error there is no `token` option: pick apiKey, workerToken or authToken
    createPipedAIClient({ token: "pwk_x" });
  });
});

describe("PipedAIClient", () => {
  it("is an openapi-fetch Client over the generated paths", () => {
    expectTypeOf(api).toExtend<Client<paths>>();
  });
});
