/**
 * The contract suite's full default run (every provider against Prism and the sandboxes) with 100
 * runs per operation: total time, checks/s, and where the time goes — starting targets, waiting on
 * Prism or a sandbox to answer (time inside fetch), and the suite's own generation and checking.
 */
import { performance } from "node:perf_hooks";
import {
  DEFAULT_TARGETS,
  readSpec,
  runProvider,
  TargetSkip,
  targetFactories,
} from "@specyard/contract-tests";
import { specPath } from "@specyard/testkit";

const RUNS = Number(process.env.BENCH_RUNS ?? 100);
const PROVIDERS = ["pipe-storage", "pipeagent", "pipedai", "atelier", "pinata-agents"];

export async function main() {
  // Every request the suite sends goes through the global fetch. The wall time during which at
  // least one request is in flight is time spent waiting on the target (and loopback); requests
  // overlap (4 operations run at once), so overlapping intervals are counted once.
  let inFetch = 0;
  let requests = 0;
  let inFlight = 0;
  let busySince = 0;
  const realFetch = globalThis.fetch;
  globalThis.fetch = async (...args: Parameters<typeof fetch>) => {
    if (inFlight++ === 0) busySince = performance.now();
    try {
      return await realFetch(...args);
    } finally {
      requests++;
      if (--inFlight === 0) inFetch += performance.now() - busySince;
    }
  };
  const rows: string[][] = [
    ["target", "provider", "start ms", "run s", "in target s", "suite s", "requests", "checks"],
  ];
  const totals = { start: 0, run: 0, target: new Map<string, number>(), suite: 0, checks: 0 };
  const started = performance.now();
  try {
    for (const targetName of DEFAULT_TARGETS) {
      const target = targetFactories[targetName]?.();
      if (!target) continue;
      for (const provider of PROVIDERS) {
        const spec = readSpec(specPath(provider), provider);
        const t0 = performance.now();
        let session: Awaited<ReturnType<typeof target.open>>;
        try {
          session = await target.open(provider);
        } catch (error) {
          if (error instanceof TargetSkip) continue;
          throw error;
        }
        const startMs = performance.now() - t0;
        const [fetchBefore, requestsBefore] = [inFetch, requests];
        const t1 = performance.now();
        const result = await runProvider(spec, session, target.name, { runs: RUNS, seed: 20_260_101 });
        const runMs = performance.now() - t1;
        await session.close();
        const targetMs = inFetch - fetchBefore;
        const checks = result.operations.reduce(
          (sum, op) => sum + Object.values(op.outcomes).filter((o) => o.status !== "n/a").length,
          0,
        );
        totals.start += startMs;
        totals.run += runMs;
        totals.target.set(target.name, (totals.target.get(target.name) ?? 0) + targetMs);
        totals.suite += runMs - targetMs;
        totals.checks += checks * RUNS;
        rows.push([
          target.name,
          provider,
          startMs.toFixed(0),
          (runMs / 1000).toFixed(1),
          (targetMs / 1000).toFixed(1),
          ((runMs - targetMs) / 1000).toFixed(1),
          String(requests - requestsBefore),
          String(checks),
        ]);
      }
    }
  } finally {
    globalThis.fetch = realFetch;
  }
  const total = performance.now() - started;
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => r[i]?.length ?? 0))) ?? [];
  console.log(`full default run, ${RUNS} runs per operation and phase\n`);
  for (const row of rows) console.log(row.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  "));
  const share = (ms: number) => `${((ms / total) * 100).toFixed(0)}%`;
  console.log(
    `\ntotal ${(total / 1000).toFixed(1)} s (target: under 180 s); ~${(totals.checks / (total / 1000)).toFixed(0)} check evaluations/s`,
  );
  console.log(`  starting Prism and sandboxes  ${share(totals.start)}`);
  for (const [name, ms] of totals.target) console.log(`  answering in ${name.padEnd(16)} ${share(ms)}`);
  console.log(`  generation and checking       ${share(totals.suite)}`);
}
