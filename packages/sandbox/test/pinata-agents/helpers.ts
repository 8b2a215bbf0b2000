/**
 * Shared setup of the Pinata Agents sandbox tests through the generated client: one sandbox per test
 * file (`useSandbox`) with its Pinata JWT, calls checked for status and schema, and new agents.
 */
import type { PinataAgentsClient } from "@specyard/pinata-agents";
import { responseValidator } from "@specyard/testkit";
import { afterAll, beforeAll, expect } from "vitest";
import { runSandbox, type Sandbox } from "../../src/framework/server.js";
import { type PinataState, pinataAgents } from "../../src/providers/pinata-agents/index.js";
import { createPinataAgentsClient } from "../clients.js";

const conforms = responseValidator("pinata-agents");

type Result = { response: Response; data?: unknown; error?: unknown };

/** Awaits a call, checks its status and that its JSON body matches the spec; returns the body. */
export async function expectStatus<T = Record<string, unknown>>(
  path: string,
  method: string,
  call: Promise<Result>,
  status: number,
): Promise<T> {
  const result = await call;
  const body = result.response.ok ? result.data : result.error;
  expect(result.response.status, `${method} ${path}: ${JSON.stringify(body)}`).toBe(status);
  expect(conforms(path, method, status, body), `${method} ${path} ${status} body`).toBeNull();
  return body as T;
}

export let sandbox: Sandbox<PinataState>;

export let jwt: string;

export let pinata: PinataAgentsClient;

export interface AgentInfo {
  agentId: string;
  gatewayToken: string;
}

export let counter = 0;

export async function newAgent(body: Record<string, unknown> = {}, client = pinata): Promise<AgentInfo> {
  counter++;
  const created = await expectStatus<{ agent: AgentInfo }>(
    "/v0/agents",
    "post",
    client.POST("/v0/agents", { body: { name: `Agent ${counter}`, ...body } as never }),
    201,
  );
  return created.agent;
}

/** The next number of the names tests give (agents, secrets): unique within a sandbox. */
export const nextCount = () => counter++;

export const path = (agentId: string) => ({ params: { path: { agentId } } });

/** Starts the file's sandbox before its tests and closes it after them (call once per test file). */
export function useSandbox(): void {
  beforeAll(async () => {
    sandbox = await runSandbox(pinataAgents, { seed: "pinata-tests" });
    jwt = ((await sandbox.admin.act("jwt")) as { jwt: string }).jwt;
    await sandbox.admin.act("setAgentLimit", { agentLimit: 1000 });
    pinata = createPinataAgentsClient({ baseUrl: sandbox.url, jwt, maxRetries: 0 });
  });

  afterAll(() => sandbox?.close());
}
