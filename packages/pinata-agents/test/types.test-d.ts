import { describe, expectTypeOf, it } from "vitest";
import {
  type Agent,
  type AgentDetail,
  type AgentList,
  type AgentStatus,
  createPinataAgentsClient,
  type ExecResult,
  type HubSkillPage,
  type PinataError,
  unwrap,
} from "../src/index.js";

const api = createPinataAgentsClient({ jwt: "jwt" });
const agentPath = { params: { path: { agentId: "k57ab3cd9e2f" } } };

describe("pinata-agents client types", () => {
  it("good calls have the right data and error types", async () => {
    const detail = await api.GET("/v0/agents/{agentId}", agentPath);
    expectTypeOf(detail.data).toEqualTypeOf<AgentDetail | undefined>();
    expectTypeOf(detail.error).toEqualTypeOf<PinataError | undefined>();

    expectTypeOf(await unwrap(api.GET("/v0/agents"))).toEqualTypeOf<AgentList>();
    expectTypeOf<Agent["status"]>().toEqualTypeOf<AgentStatus>();
    expectTypeOf<AgentStatus>().toEqualTypeOf<"starting" | "running" | "not_running">();

    const page = await unwrap(api.GET("/v0/clawhub", { params: { query: { featured: true } } }));
    expectTypeOf(page).toEqualTypeOf<HubSkillPage>();
    expectTypeOf(page.nextCursor).toEqualTypeOf<string | null>();

    const ran = await unwrap(
      api.POST("/v0/agents/{agentId}/console/exec", { ...agentPath, body: { command: "ls" } }),
    );
    expectTypeOf(ran).toEqualTypeOf<ExecResult>();
    expectTypeOf(ran.exitCode).toEqualTypeOf<number>();
  });

  it("a wrong body does not compile", () => {
    // @ts-expect-error name must be a string
    api.POST("/v0/agents", { body: { name: 42 } });
    // @ts-expect-error command is required
    api.POST("/v0/agents/{agentId}/console/exec", { ...agentPath, body: { cwd: "/tmp" } });
    api.POST("/v0/agents/{agentId}/channels/{channel}", {
      // @ts-expect-error "irc" is not a channel
      params: { path: { agentId: "a", channel: "irc" } },
      body: { botToken: "t" },
    });
  });

  it("a missing path parameter does not compile", () => {
    // @ts-expect-error agentId is missing
    api.GET("/v0/agents/{agentId}", { params: { path: {} } });
    // @ts-expect-error jobId is missing
    api.GET("/v0/agents/{agentId}/tasks/{jobId}", { params: { path: { agentId: "a" } } });
  });

  it("reading a field the response does not have does not compile", async () => {
    const created = await unwrap(api.POST("/v0/agents", { body: { name: "My Agent" } }));
    expectTypeOf(created.agent.gatewayToken).toEqualTypeOf<string | undefined>();
    // @ts-expect-error the created agent has no `id` (it is `agentId`)
    created.agent.id;
    const uploaded = await unwrap(
      api.POST("/v0/agents/{agentId}/files/upload", {
        ...agentPath,
        body: { filename: "a.txt", contentBase64: "YQ==" },
      }),
    );
    // @ts-expect-error the upload answer is {path, filename, size}
    uploaded.url;
  });

  it("options are typed", () => {
    // @ts-expect-error the gateway token goes as bearer, query or cookie
    createPinataAgentsClient({ gatewayToken: "t", gatewayTokenAs: "header" });
    // @ts-expect-error a credential is a string or a function returning one
    createPinataAgentsClient({ jwt: 42 });
  });
});
