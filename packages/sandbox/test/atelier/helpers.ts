/**
 * Test helpers for the Atelier sandbox: boot, register, checked calls, orders in any status, the
 * paths the tests call, and the cleanup after each test (`useCleanup`).
 */

import { rmSync } from "node:fs";
import type { AtelierClient, Order, Service } from "@specyard/atelier";
import { responseValidator } from "@specyard/testkit";
import { afterAll, afterEach, expect, vi } from "vitest";
import { runSandbox, type Sandbox } from "../../src/framework/server.js";
import type { SandboxOptions } from "../../src/framework/types.js";
import { type AtelierState, atelier } from "../../src/providers/atelier/index.js";
import { createAtelierClient } from "../clients.js";

export const HOUR = 3_600_000;
export const conforms = responseValidator("atelier");
export const WALLET = "7xKXtg2CW87d97TXJSDpbD5jBkheTqA83TZRuJosgAsU";
export const OTHER_WALLET = "9wFFyRfZBsuAha4YcuxcXLKwMxJR43S7fPfQLusDBzvT";

export type Box = Sandbox<AtelierState>;
const open: Box[] = [];

/** A fresh sandbox (closed by `closeAll`): each test gets its own rate-limit windows. */
export async function boot(options: SandboxOptions = {}): Promise<Box> {
  const box = await runSandbox(atelier, { seed: "atelier-tests", ...options });
  open.push(box);
  return box;
}

export async function closeAll(): Promise<void> {
  await Promise.all(open.splice(0).map((box) => box.close()));
}

/** A call whose body must match the spec's schema for the status it got. */
export async function checked<R extends { response: Response; data?: unknown; error?: unknown }>(
  path: string,
  method: string,
  call: Promise<R>,
): Promise<R> {
  const result = await call;
  const body = result.response.ok ? result.data : result.error;
  expect(
    conforms(path, method, result.response.status, body),
    `${method} ${path} ${result.response.status} ${JSON.stringify(body)}`,
  ).toBeNull();
  return result;
}

export const clientFor = (box: Box, apiKey?: string): AtelierClient =>
  createAtelierClient({ baseUrl: box.url, maxRetries: 0, ...(apiKey ? { apiKey } : {}) });

export interface Agent {
  agentId: string;
  apiKey: string;
  client: AtelierClient;
}

let counter = 0;
export async function register(box: Box, overrides: Record<string, unknown> = {}): Promise<Agent> {
  counter++;
  const result = await checked(
    "/agents/register",
    "post",
    clientFor(box).POST("/agents/register", {
      body: {
        name: `Agent ${counter}`,
        description: "Generates images for tests",
        endpoint_url: "https://agent.example.com",
        capabilities: ["image_gen"],
        ...overrides,
      },
    }),
  );
  expect(result.response.status).toBe(201);
  const data = result.data?.data;
  if (!data) throw new Error("registration failed");
  return { agentId: data.agent_id, apiKey: data.api_key, client: clientFor(box, data.api_key) };
}

export async function createService(agent: Agent, overrides: Record<string, unknown> = {}): Promise<Service> {
  const result = await checked(
    "/agents/{agent_id}/services",
    "post",
    agent.client.POST("/agents/{agent_id}/services", {
      params: { path: { agent_id: agent.agentId } },
      body: {
        category: "image_gen",
        title: "AI Image Generation",
        description: "High-quality AI images from text prompts.",
        price_usd: "5.00",
        price_type: "fixed",
        ...overrides,
      } as never,
    }),
  );
  expect(result.response.status, JSON.stringify(result.error)).toBe(201);
  return result.data?.data as Service;
}

export async function deliver(agent: Agent, orderId: string, url = "https://cdn.example.com/result.png") {
  return checked(
    "/orders/{order_id}/deliver",
    "post",
    agent.client.POST("/orders/{order_id}/deliver", {
      params: { path: { order_id: orderId } },
      body: { deliverable_url: url, deliverable_media_type: "image" },
    }),
  );
}

export async function quote(agent: Agent, orderId: string, price = "15.00") {
  return checked(
    "/orders/{order_id}/quote",
    "post",
    agent.client.POST("/orders/{order_id}/quote", {
      params: { path: { order_id: orderId } },
      body: { price_usd: price },
    }),
  );
}

export const act = async (box: Box, action: string, input: Record<string, unknown>) =>
  (await box.admin.act(action, input)) as Order;

export const statusOf = async (box: Box, orderId: string) =>
  ((await box.admin.act("order", { order_id: orderId })) as Order).status;

export type Status = Order["status"];

/** An order of `agent` brought to `status` through the documented moves. */
export async function orderIn(box: Box, agent: Agent, status: Status): Promise<string> {
  const type = ["pending_quote", "quoted"].includes(status) ? "quote" : "fixed";
  const service = await createService(agent, { price_type: type, title: `A ${type} service` });
  const order = await act(box, "placeOrder", { service_id: service.id, brief: "A cyberpunk avatar" });
  const id = order.id;
  if (status === "pending_quote") return id;
  if (status === "quoted") {
    expect((await quote(agent, id)).response.status).toBe(200);
    return id;
  }
  if (status === "accepted") return id;
  if (status === "cancelled") {
    await act(box, "cancel", { order_id: id });
    return id;
  }
  await act(box, "pay", { order_id: id });
  if (status === "paid") return id;
  if (status === "in_progress") {
    await act(box, "startOrder", { order_id: id });
    return id;
  }
  expect((await deliver(agent, id)).response.status).toBe(200);
  if (status === "completed") await act(box, "approve", { order_id: id });
  if (status === "disputed") await act(box, "dispute", { order_id: id });
  return id;
}

export const ME = "/agents/me";
export const SERVICES = "/agents/{agent_id}/services";
export const SERVICE = "/services/{service_id}";
export const ORDERS = "/agents/{agent_id}/orders";
export const MESSAGES = "/orders/{order_id}/messages";
export const LAUNCH = "/agents/{agent_id}/token/launch";

export const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);

export interface Payout {
  order_id: string;
  wallet: string | null;
  gross_raw: string;
  fee_raw: string;
  net_raw: string;
}

/** Data directories a test made; `useCleanup` removes them after the file. */
export const dirs: string[] = [];

/**
 * After each test: real timers again and the test's sandboxes closed; after the file: the data
 * directories in `dirs` removed (call once per test file).
 */
export function useCleanup(): void {
  afterEach(async () => {
    vi.useRealTimers();
    await closeAll();
  });
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
}
