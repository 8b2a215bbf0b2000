/** The PipedAI sandbox's role table: what viewers, operators, admins, owners and outsiders may do. */
import type { PipedAIClient } from "@specyard/pipedai";
import { beforeAll, describe, expect, it } from "vitest";
import {
  anonymous,
  clientFor,
  createTrigger,
  mint,
  newUser,
  sandbox,
  type Team,
  team,
  useSandbox,
} from "./helpers.js";

useSandbox();

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
