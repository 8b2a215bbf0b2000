/**
 * Shared setup of the PipeAgent sandbox tests: one sandbox per test file (`useSandbox`) with its
 * keys, calls whose body is checked against the spec's schema, fresh provider accounts, feeds,
 * pushes and reads.
 */
import type { Feed, FeedCreateRequest, PipeAgentClient } from "@specyard/pipeagent";
import { responseValidator } from "@specyard/testkit";
import { afterAll, beforeAll, expect } from "vitest";
import { type Sandbox, startSandbox } from "../../src/index.js";
import { createPipeAgentClient } from "../clients.js";

const conforms = responseValidator("pipeagent");
export const PUSH = "/api/v1/provider/feed/{feed_id}/push";
export const EDIT = "/api/v1/provider/feed/{feed_id}/edit";
export const CREATE = "/api/v1/provider/feed/create";

export interface Keys {
  writeKey: string;
  readKey: string;
}

/** A call's body checked against the spec's response schema for its status. */
export async function checked<R extends { response: Response; data?: unknown; error?: unknown }>(
  path: string,
  method: string,
  call: Promise<R>,
): Promise<R> {
  const result = await call;
  const body = result.response.ok ? result.data : result.error;
  expect(
    conforms(path, method, result.response.status, body),
    `${method} ${path} ${result.response.status}`,
  ).toBeNull();
  return result;
}

export const clientFor = (sandbox: Sandbox, keys: Partial<Keys>): PipeAgentClient =>
  createPipeAgentClient({ baseUrl: sandbox.url, ...keys, maxRetries: 0 });

export const ROW_SCHEMA = {
  type: "object",
  properties: { id: { type: "string" }, name: { type: "string" }, stars: { type: "integer" } },
  required: ["id", "name"],
};

export let counter = 0;
export function feedBody(overrides: Partial<FeedCreateRequest> = {}): FeedCreateRequest {
  counter++;
  return {
    name: `Feed ${counter}`,
    description: `A test feed number ${counter}`,
    endpoint_path: `feed-${counter}`,
    feed_type: "collection",
    schema_definition: ROW_SCHEMA,
    ...overrides,
  };
}

/** The next number of the names tests give feeds: unique within a sandbox. */
export const nextCount = () => counter++;

export let sandbox: Sandbox;
export let keys: Keys;
export let pa: PipeAgentClient;

/** A fresh provider account (own quota, own keys) so tests do not share feed slots. */
export async function provider(
  max = 50,
): Promise<{ client: PipeAgentClient; keys: Keys; accountId: string }> {
  const made = (await sandbox.admin.act("createAccount", {
    kind: "provider",
    max_feeds_allowed: max,
  })) as Keys & {
    account: { id: string };
  };
  const own = { writeKey: made.writeKey, readKey: made.readKey };
  return { client: clientFor(sandbox, own), keys: own, accountId: made.account.id };
}

export async function create(client: PipeAgentClient, body: FeedCreateRequest): Promise<Feed> {
  const { data, error } = await checked(CREATE, "post", client.POST(CREATE, { body }));
  expect(error).toBeUndefined();
  return data as Feed;
}

export async function push(client: PipeAgentClient, feedId: string, body: unknown) {
  return checked(
    PUSH,
    "post",
    client.POST(PUSH, { params: { path: { feed_id: feedId } }, body: body as never }),
  );
}

export async function read(client: PipeAgentClient, id: string, query: Record<string, unknown> = {}) {
  return checked(
    "/v1/feed/{id}",
    "get",
    client.GET("/v1/feed/{id}", { params: { path: { id }, query: query as never } }),
  );
}

export const rowsOf = (data: unknown) => (data as { data: Array<Record<string, unknown>> }).data;

/** Starts the file's sandbox before its tests and closes it after them (call once per test file). */
export function useSandbox(): void {
  beforeAll(async () => {
    sandbox = await startSandbox("pipeagent", { seed: "pipeagent-tests" });
    keys = (await sandbox.admin.act("keys")) as Keys;
    pa = clientFor(sandbox, keys);
  });

  afterAll(() => sandbox?.close());
}
