/**
 * A sandbox restart in the middle of a run: the sandbox goes away and comes back on the same port
 * with its data dir, and the loops finish their work exactly once.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createPipeAgentClient,
  type FeedCreateRequest,
  pushRows,
  type Row,
  unwrap,
} from "@specyard/pipeagent";
import { type Sandbox, startSandbox } from "@specyard/sandbox";
import { expect, it } from "vitest";

it("pushRows rides out a sandbox restart mid-push: every row stored once, the batch completes", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "restart-"));
  let sandbox: Sandbox = await startSandbox("pipeagent", { dataDir, seed: "restart" });
  const port = Number(new URL(sandbox.url).port);
  const made = (await sandbox.admin.act("createAccount", { kind: "provider", max_feeds_allowed: 5 })) as {
    writeKey: string;
    readKey: string;
  };
  const client = createPipeAgentClient({
    baseUrl: sandbox.url,
    writeKey: made.writeKey,
    readKey: made.readKey,
    initialDelayMs: 50,
    maxDelayMs: 500,
  });
  const body: FeedCreateRequest = {
    name: "Restart",
    description: "restart test",
    endpoint_path: "restart",
    feed_type: "collection",
    schema_definition: { type: "object", required: ["id"], properties: { id: { type: "string" } } },
  };
  const feedId = (await unwrap(client.POST("/api/v1/provider/feed/create", { body }))).id;

  let restarted = false;
  async function* rows(): AsyncGenerator<Row> {
    for (let i = 0; i < 1800; i++) {
      if (i === 1100 && !restarted) {
        restarted = true;
        await sandbox.close();
        sandbox = await startSandbox("pipeagent", { dataDir, seed: "restart", port });
      }
      yield { id: `r${i}`, n: i };
    }
  }
  const report = await pushRows(client, feedId, rows(), { type: "collection" });
  expect(restarted).toBe(true);
  expect(report.rows).toBe(1800);

  const stored: string[] = [];
  let cursor: string | null = null;
  do {
    const page = (await unwrap(
      client.GET("/v1/feed/{id}", {
        params: { path: { id: feedId }, query: { limit: 100, ...(cursor ? { cursor } : {}) } as never },
      }),
    )) as unknown as { data: Array<{ id: string }>; next_cursor: string | null };
    stored.push(...page.data.map((r) => r.id));
    cursor = page.next_cursor;
  } while (cursor);
  expect(stored.length).toBe(1800);
  expect(new Set(stored).size).toBe(1800);
  await sandbox.close();
});
