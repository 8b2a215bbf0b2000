/**
 * The crash matrix: `topUp` in a real child process, killed with SIGKILL at every step of a top-up
 * (and at random times), then the obvious restart — `topUp(amount)` again with the same journal —
 * against one real Pipe sandbox. Over every run: no double payment, no stuck account, and payer
 * debit = treasury credit = credited amount, read from the sandbox's Solana RPC and from the API.
 *
 * The child is bundled once (esbuild, found through vitest's vite) so each run costs a process
 * start, not a module graph; runs go three at a time, each on an account of its own.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { getAssociatedTokenAddressSync } from "@solana/spl-token";
import { PublicKey } from "@solana/web3.js";
import { type TopUpStep, topUp } from "@specyard/pipe-storage/topup";
import { USDC_MINT } from "@specyard/x402";
import { FileJournal } from "@specyard/x402/node";
import { afterAll, beforeAll, expect, it } from "vitest";
import { agent, type PipeWorld, pipeWorld } from "./pipe-world.js";
import type { ChildJob } from "./topup-child.js";

const AMOUNT = 1_500_000n;
/** TOPUP_CRASH_RUNS lowers the count for a quick local look; the suite runs 20 per point. */
const RUNS_PER_POINT = Number(process.env.TOPUP_CRASH_RUNS ?? 20);
const RANDOM_RUNS = Math.ceil(RUNS_PER_POINT * 1.5);
const PARALLEL = 3;
/** A child that neither finishes nor dies in this long is hung (a run takes well under a second). */
const CHILD_HANG_GUARD_MS = 30_000;

/** Every step `topUp` reports, in order. */
const KILL_POINTS: TopUpStep[] = [
  "journaled",
  "payment-required",
  "intent",
  "signed",
  "sent",
  "confirmed",
  "accepted",
  "credited",
  "done",
];

interface Run {
  point: TopUpStep | "random";
  /** keyless: the plain rerun of `topUp(amount)`; keyed: the same `idempotencyKey` again. */
  mode: "keyless" | "keyed";
  killed: boolean;
  debit: bigint;
  credited: bigint;
  pending: boolean;
  restart: string;
}

const here = dirname(fileURLToPath(import.meta.url));
let world: PipeWorld;
let work: string;
let child: { command: string; args: string[] };
let treasuryBefore = 0n;

interface Esbuild {
  build(options: Record<string, unknown>): Promise<unknown>;
}

/** esbuild, from the vite that vitest runs on (this package depends on vitest, not on esbuild). */
function findEsbuild(): Esbuild | undefined {
  try {
    const fromVitest = createRequire(createRequire(import.meta.url).resolve("vitest/package.json"));
    return createRequire(fromVitest.resolve("vite/package.json"))("esbuild") as Esbuild;
  } catch {
    return undefined;
  }
}

beforeAll(async () => {
  world = await pipeWorld();
  work = mkdtempSync(join(tmpdir(), "topup-crash-"));
  const esbuild = findEsbuild();
  if (!esbuild) throw new Error("esbuild not found through vitest's vite: cannot bundle the child");
  const outfile = join(work, "child.mjs");
  await esbuild.build({
    entryPoints: [join(here, "topup-child.ts")],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "error",
    minify: true,
    // CommonJS dependencies inside an ESM bundle still call require() for Node's built-ins, and
    // `bindings` (under bigint-buffer) reads __filename.
    banner: {
      js: [
        "import { createRequire as __topupRequire } from 'node:module';",
        "import { fileURLToPath as __topupPath } from 'node:url';",
        "const require = __topupRequire(import.meta.url);",
        "const __filename = __topupPath(import.meta.url);",
        "const __dirname = __filename.slice(0, __filename.lastIndexOf('/'));",
      ].join(" "),
    },
  });
  child = { command: process.execPath, args: [outfile] };
  treasuryBefore = await usdcAt(world.treasury.usdcAccount);
}, 120_000);

afterAll(async () => {
  await world?.sandbox.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

async function usdcAt(tokenAccount: string): Promise<bigint> {
  const { value } = await world.connection.getTokenAccountBalance(new PublicKey(tokenAccount));
  return BigInt(value.amount);
}

const payerAta = (owner: PublicKey) =>
  getAssociatedTokenAddressSync(new PublicKey(USDC_MINT), owner).toBase58();

async function creditsOf(appKey: string) {
  const answer = await fetch(`${world.sandbox.url}/api/credits/status`, {
    headers: { authorization: `ApiKey ${appKey}` },
  });
  return (await answer.json()) as { balance_usdc_raw: number; intent?: { status: string } };
}

/** Runs the child to its end; `killAfterMs` kills it that long after it is loaded. */
function runChild(
  job: ChildJob,
  killAfterMs?: number,
): Promise<{ killed: boolean; output: string; loadedMs: number }> {
  return new Promise((resolve, reject) => {
    const proc: ChildProcess = spawn(child.command, child.args, {
      env: { ...process.env, TOPUP_JOB: JSON.stringify(job) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    let loadedAt = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const guard = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`the child hung at ${job.killAt ?? "a random time"}: ${output}`));
    }, CHILD_HANG_GUARD_MS);
    proc.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
      if (!loadedAt && output.includes("ready\n")) {
        loadedAt = performance.now();
        if (killAfterMs !== undefined) timer = setTimeout(() => proc.kill("SIGKILL"), killAfterMs);
      }
    });
    proc.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
    });
    proc.on("exit", (_code, signal) => {
      clearTimeout(guard);
      if (timer) clearTimeout(timer);
      resolve({
        killed: signal === "SIGKILL",
        output,
        loadedMs: loadedAt ? performance.now() - loadedAt : 0,
      });
    });
  });
}

async function oneRun(
  point: TopUpStep | "random",
  mode: Run["mode"],
  killAfterMs?: number,
): Promise<Run & { loadedMs: number }> {
  const { wallet, appKey } = await agent(world, 5_000_000n);
  const journalPath = join(work, `${wallet.publicKey.toBase58()}.json`);
  const idempotencyKey = mode === "keyed" ? `order-${wallet.publicKey.toBase58().slice(0, 8)}` : undefined;
  const ata = payerAta(wallet.publicKey);
  const before = await usdcAt(ata);
  const job: ChildJob = {
    baseUrl: world.sandbox.url,
    appKey,
    rpcUrl: world.rpcUrl,
    secretKey: [...wallet.secretKey],
    treasuryOwner: world.treasury.owner,
    journalPath,
    amount: AMOUNT.toString(),
    ...(point === "random" ? {} : { killAt: point }),
    ...(idempotencyKey ? { idempotencyKey } : {}),
  };
  const { killed, loadedMs, output } = await runChild(job, killAfterMs);
  if (point !== "random" && !killed) console.log(`the child was not killed at ${point}:`, output);

  // The restart: the same call again, in a new process's shoes (a new FileJournal on the same file).
  let restart = "ok";
  try {
    const result = await topUp(AMOUNT, {
      baseUrl: world.sandbox.url,
      appKey,
      connection: world.connection,
      payer: wallet,
      policy: { maxPerPayment: 10_000_000n, budget: 1_000_000_000n, treasuryOwner: world.treasury.owner },
      journal: new FileJournal(journalPath),
      pollIntervalMs: 10,
      ...(idempotencyKey ? { idempotencyKey } : {}),
    });
    if (result.creditedRaw !== AMOUNT) restart = `credited ${result.creditedRaw}`;
  } catch (error) {
    restart = `${(error as Error).name}: ${(error as Error).message}`;
  }
  const status = await creditsOf(appKey);
  return {
    point,
    mode,
    killed,
    debit: before - (await usdcAt(ata)),
    credited: BigInt(status.balance_usdc_raw),
    pending: status.intent !== undefined,
    restart,
    loadedMs,
  };
}

/** Runs the jobs `PARALLEL` at a time. */
async function pool<T>(jobs: Array<() => Promise<T>>): Promise<T[]> {
  const out: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: PARALLEL }, async () => {
      while (next < jobs.length) {
        const job = jobs[next++] as () => Promise<T>;
        out.push(await job());
      }
    }),
  );
  return out;
}

it("kill -9 at every step and at random times, then topUp again: no double payment, no stuck account", async () => {
  const started = performance.now();
  // How long a whole top-up takes in the child once it is loaded: random kills land inside it.
  const calibration = await oneRun("random", "keyed");
  expect(calibration).toMatchObject({ killed: false, debit: AMOUNT, credited: AMOUNT, restart: "ok" });
  const window = Math.max(50, calibration.loadedMs * 1.2);

  const jobs: Array<() => Promise<Run & { loadedMs: number }>> = [];
  for (const point of KILL_POINTS) {
    // After `done` the outcome is journaled: a keyless rerun is a new top-up by design (see topUp's
    // doc), so that point runs with an idempotency key; every other point with the plain rerun.
    const mode = point === "done" ? "keyed" : "keyless";
    for (let i = 0; i < RUNS_PER_POINT; i++) jobs.push(() => oneRun(point, mode));
  }
  for (let i = 0; i < RANDOM_RUNS; i++) jobs.push(() => oneRun("random", "keyed", Math.random() * window));
  const runs = await pool(jobs);

  const rows = [...KILL_POINTS, "random" as const].map((point) => {
    const at = runs.filter((run) => run.point === point);
    return {
      point,
      mode: at[0]?.mode,
      runs: at.length,
      killed: at.filter((r) => r.killed).length,
      double: at.filter((r) => r.debit > AMOUNT).length,
      stuck: at.filter((r) => r.restart !== "ok" || r.credited !== AMOUNT || r.pending).length,
    };
  });
  const doubles = runs.filter((r) => r.debit > AMOUNT);
  const stuck = runs.filter((r) => r.restart !== "ok" || r.credited !== AMOUNT || r.pending);
  const debits = runs.reduce((sum, r) => sum + r.debit, calibration.debit);
  const creditedTotal = runs.reduce((sum, r) => sum + r.credited, calibration.credited);
  const treasury = (await usdcAt(world.treasury.usdcAccount)) - treasuryBefore;
  console.table(rows);
  console.log(
    `crash matrix: ${runs.length} runs (${RUNS_PER_POINT} per kill point, ${RANDOM_RUNS} random within ${Math.round(window)} ms), ` +
      `${doubles.length} double payments, ${stuck.length} stuck; payer debit ${debits} = treasury credit ${treasury} = credited ${creditedTotal}; ` +
      `${Math.round((performance.now() - started) / 1000)} s`,
  );
  if (stuck.length) console.log(stuck.slice(0, 5));

  for (const row of rows.filter((r) => r.point !== "random")) expect(row.killed, row.point).toBe(row.runs);
  expect(doubles).toEqual([]);
  expect(stuck).toEqual([]);
  for (const run of runs) expect(run.debit).toBe(AMOUNT);
  expect(treasury).toBe(debits);
  expect(creditedTotal).toBe(debits);
}, 600_000);
