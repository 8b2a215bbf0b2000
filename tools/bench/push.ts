/**
 * `pushRows` at scale: for 100k and 1M generated rows of mixed sizes, the requests sent against
 * the lower bound (max(rows/500, bytes/2 MiB)), rows/s against the PipeAgent sandbox (run as a
 * separate process with its rate limits lifted, so its memory is not counted), and this process's
 * peak RSS. Targets: within 2% of the lower bound; RSS under 200 MB at 1M rows.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { createPipeAgentClient, PUSH_LIMITS, pushRows, type Row, unwrap } from "@specyard/pipeagent";

const COUNTS = (process.env.BENCH_ROWS ?? "100000,1000000").split(",").map(Number);
const require = createRequire(import.meta.url);

async function sandboxProcess(): Promise<{ url: string; child: ChildProcess }> {
  const cli = join(dirname(require.resolve("@specyard/sandbox/package.json")), "dist", "cli.js");
  const child = spawn(process.execPath, [cli, "pipeagent", "--no-rate-limits", "--seed", "bench"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout?.once("data", (chunk: Buffer) => resolve(chunk.toString()));
    child.once("exit", (code) => reject(new Error(`sandbox exited with ${code}`)));
  });
  return { url: (JSON.parse(line) as { url: string }).url, child };
}

/** Mixed sizes: mostly small rows, some medium, a few near the 50 KB row limit. */
function* generate(count: number, totals: { bytes: number }): Generator<Row> {
  for (let i = 0; i < count; i++) {
    const r = (i * 2654435761) % 1000;
    const pad = r < 900 ? 50 + (r % 200) : r < 990 ? 2_000 + r * 5 : 40_000;
    const row = { id: `row-${i}`, v: i, pad: "x".repeat(pad) };
    totals.bytes += JSON.stringify(row).length + 1;
    yield row;
  }
}

export async function main() {
  const { url, child } = await sandboxProcess();
  try {
    const admin = await fetch(`${url}/__sandbox/actions/createAccount`, {
      method: "POST",
      body: JSON.stringify({ kind: "provider", max_feeds_allowed: 100 }),
    });
    const keys = (await admin.json()) as { writeKey: string; readKey: string };
    const client = createPipeAgentClient({ baseUrl: url, writeKey: keys.writeKey });
    const rows: string[][] = [["rows", "requests", "lower bound", "over bound", "rows/s", "peak RSS MB"]];
    for (const [n, count] of COUNTS.entries()) {
      const feed = await unwrap(
        client.POST("/api/v1/provider/feed/create", {
          body: {
            name: `bench ${n}`,
            description: "push bench",
            endpoint_path: `bench-${n}-${Date.now()}`,
            feed_type: "stream",
            status: "draft",
          } as never,
        }),
      );
      await unwrap(
        client.PATCH("/api/v1/provider/feed/{feed_id}/edit", {
          params: { path: { feed_id: feed.id } },
          body: { status: "inactive", schema_definition: { type: "object" } } as never,
        }),
      );
      const totals = { bytes: 0 };
      let peak = process.memoryUsage().rss;
      const sampler = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().rss);
      }, 50);
      const t0 = performance.now();
      const report = await pushRows(client, feed.id, generate(count, totals), { type: "stream" });
      const seconds = (performance.now() - t0) / 1000;
      clearInterval(sampler);
      peak = Math.max(peak, process.memoryUsage().rss);
      const bound = Math.ceil(Math.max(count / PUSH_LIMITS.rows, totals.bytes / PUSH_LIMITS.requestBytes));
      rows.push([
        String(count),
        String(report.requests),
        String(bound),
        `${(((report.requests - bound) / bound) * 100).toFixed(2)}%`,
        (count / seconds).toFixed(0),
        (peak / 1024 / 1024).toFixed(0),
      ]);
    }
    const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => r[i]?.length ?? 0))) ?? [];
    console.log(
      "pushRows into a stream feed of the PipeAgent sandbox (separate process, rate limits lifted)\n",
    );
    for (const row of rows) console.log(row.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  "));
    console.log("\ntargets: within 2% of the lower bound; peak RSS under 200 MB at 1M rows");
  } finally {
    child.kill("SIGTERM");
  }
}
