/**
 * Start-up time and requests/s of a mixed workload per sandbox, against a bare node:http server
 * answering JSON on the same machine in the same run (the baseline: what routing, validation,
 * state and persistence cost on top of HTTP itself).
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { Keypair } from "@solana/web3.js";
import { createPipeStorageClient, unwrap as unwrapPipe } from "@specyard/pipe-storage";
import { createPipeAgentClient } from "@specyard/pipeagent";
import { availableProviders, type ProviderName, startSandbox } from "@specyard/sandbox";
import { secretKeySigner, signIn } from "@specyard/siws";

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 2000);

async function timed(requests: number, call: (i: number) => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 100; i++) await call(i);
  const started = performance.now();
  for (let i = 0; i < requests; i++) await call(i);
  return (requests / (performance.now() - started)) * 1000;
}

/** A mixed workload per provider: reads and writes in the proportions an agent makes them. */
const WORKLOADS: Partial<
  Record<
    ProviderName,
    (
      url: string,
      act: (a: string, i?: Record<string, unknown>) => Promise<unknown>,
    ) => Promise<(i: number) => Promise<unknown>>
  >
> = {
  pipeagent: async (url, act) => {
    const keys = (await act("keys")) as { writeKey: string; readKey: string };
    const client = createPipeAgentClient({
      baseUrl: url,
      writeKey: keys.writeKey,
      readKey: keys.readKey,
      maxRetries: 0,
    });
    const feed = await client.POST("/api/v1/provider/feed/create", {
      body: { name: "bench", endpoint_path: "bench", feed_type: "stream", status: "draft" } as never,
    });
    const id = (feed.data as { id?: string } | undefined)?.id ?? "bench";
    return (i) =>
      i % 4 === 0
        ? client.POST(
            "/api/v1/provider/feed/{feed_id}/edit" as never,
            { params: { path: { feed_id: id } }, body: { description: `d${i}` } } as never,
          )
        : i % 4 === 1
          ? client.GET("/v1/catalog", { params: { query: { limit: 20 } } })
          : i % 4 === 2
            ? client.GET("/v1/search", { params: { query: { q: "bench" } } })
            : client.GET("/v1/feed/{id}/metadata", { params: { path: { id } } });
  },
  "pipe-storage": async (url) => {
    const tokens = await signIn({ signer: secretKeySigner(Keypair.generate().secretKey), origin: url });
    const bearer = createPipeStorageClient({ baseUrl: url, accessToken: tokens.accessToken });
    const me = await unwrapPipe(bearer.GET("/user/me"));
    const client = createPipeStorageClient({ baseUrl: url, appKey: me.user_app_key, maxRetries: 0 });
    return (i) =>
      i % 4 === 0
        ? client.PATCH("/api/s3/bucket", { body: { cors_allowed_origins: [`https://o${i % 7}.example`] } })
        : i % 4 === 1
          ? client.GET("/user/me")
          : i % 4 === 2
            ? client.GET("/api/credits/status")
            : client.GET("/api/user/activity", { params: { query: { limit: 5 } } });
  },
};

export async function main() {
  const body = JSON.stringify({ ok: true, items: [{ id: "x" }] });
  const bare = createServer((_req, res) =>
    res.writeHead(200, { "content-type": "application/json" }).end(body),
  );
  await new Promise<void>((resolve) => bare.listen(0, "127.0.0.1", resolve));
  const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}`;
  const baseline = await timed(REQUESTS, () => fetch(bareUrl).then((r) => r.json()));
  bare.close();

  const rows: string[][] = [["sandbox", "start ms (median of 5)", "mixed req/s", "vs bare node:http"]];
  rows.push(["(baseline) bare node:http", "-", baseline.toFixed(0), "1.00×"]);
  for (const provider of availableProviders()) {
    const starts: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      const sandbox = await startSandbox(provider);
      await fetch(`${sandbox.url}/__sandbox/clock`);
      starts.push(performance.now() - t0);
      await sandbox.close();
    }
    starts.sort((a, b) => a - b);
    const workload = WORKLOADS[provider];
    let rate = "n/a";
    let ratio = "-";
    if (workload) {
      const sandbox = await startSandbox(provider);
      try {
        const call = await workload(sandbox.url, (a, input) => sandbox.admin.act(a, input));
        const perSecond = await timed(REQUESTS, call);
        rate = perSecond.toFixed(0);
        ratio = `${(perSecond / baseline).toFixed(2)}×`;
      } finally {
        await sandbox.close();
      }
    }
    rows.push([provider, (starts[2] ?? 0).toFixed(0), rate, ratio]);
  }
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => r[i]?.length ?? 0))) ?? [];
  console.log(`${REQUESTS} sequential requests per workload (¼ writes), 127.0.0.1\n`);
  for (const row of rows) console.log(row.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  "));
}
