#!/usr/bin/env tsx
/**
 * specyard's contract suite:
 *   pnpm contract [--target prism|sandbox|live] [--provider p ...] [--runs N] [--seed S] [--replay id] [--out DIR]
 * Exit codes: 0 every check passed, 1 a check failed, 2 a configuration or spec error.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { repoRoot, specPath } from "@specyard/testkit";
import type { TargetSession } from "./exchange/session.js";
import { type FailuresFile, terminalReport, writeReports } from "./report/report.js";
import type { Progress, ProviderResult } from "./run/runner.js";
import { runScenario, type ScenarioResult } from "./run/scenario.js";
import { SCENARIOS } from "./run/scenarios/index.js";
import { replaySuiteFailure, runSuite } from "./run/suite.js";
import { type ApiSpec, readSpec } from "./spec/openapi.js";
import { DEFAULT_TARGETS, targetFactories } from "./targets/index.js";
import { type Target, type TargetName, TargetSkip } from "./targets/target.js";

export const DEFAULT_RUNS = 20;
export const DEFAULT_SEED = 20_260_101;
const REPLAY = "pnpm contract";
const TARGET_NAMES: TargetName[] = ["prism", "sandbox", "live"];

const USAGE = `usage: pnpm contract [--target prism|sandbox|live] [--provider p ...] [--runs N] [--seed S]
                     [--replay id] [--out DIR]
  --target    target to test (repeatable); default: ${DEFAULT_TARGETS.join(" and ")}, those registered
  --provider  provider(s) to test (repeatable, or several names after it); default: all specs
  --runs      generated cases per operation and phase (default ${DEFAULT_RUNS})
  --seed      fast-check seed (default ${DEFAULT_SEED})
  --replay    replay one failure recorded in <out>/failures.json
  --out       report folder (default <repo>/reports/contract)
  --yes       live target: let calls that spend money or credits go without asking
live target: SPECYARD_LIVE_<PROVIDER>_URL and SPECYARD_LIVE_<PROVIDER>_<SCHEME> (e.g. SPECYARD_LIVE_ATELIER_BEARER_AUTH)`;

/** A bad argument or setup: exit 2. */
class ConfigError extends Error {}

/** Providers are the folders of `specs/` that hold an openapi.yaml. */
export function knownProviders(): string[] {
  const dir = join(repoRoot, "specs");
  return readdirSync(dir)
    .filter((name) => existsSync(join(dir, name, "openapi.yaml")))
    .sort();
}

interface Args {
  targets: TargetName[];
  providers: string[];
  runs: number;
  seed: number;
  replay: string | undefined;
  out: string;
  /** Live target: calls that spend may go without asking. */
  yes: boolean;
}

function parse(argv: string[]): Args | "help" {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      target: { type: "string", multiple: true },
      provider: { type: "string", multiple: true },
      runs: { type: "string" },
      seed: { type: "string" },
      replay: { type: "string" },
      out: { type: "string" },
      yes: { type: "boolean", short: "y" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return "help";
  const split = (list: string[] | undefined) => (list ?? []).flatMap((v) => v.split(",")).filter(Boolean);
  const providers = [...split(values.provider), ...positionals];
  if (positionals.length && !values.provider) throw new ConfigError(`unexpected argument ${positionals[0]}`);
  const known = knownProviders();
  for (const p of providers) {
    if (!known.includes(p)) throw new ConfigError(`unknown provider ${p} (known: ${known.join(", ")})`);
  }
  const targets = split(values.target) as TargetName[];
  for (const t of targets) {
    if (!TARGET_NAMES.includes(t))
      throw new ConfigError(`unknown target ${t} (known: ${TARGET_NAMES.join(", ")})`);
    if (!targetFactories[t]) throw new ConfigError(`target ${t} is not registered yet`);
  }
  const integer = (name: string, text: string | undefined, fallback: number, min: number) => {
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!Number.isInteger(n) || n < min)
      throw new ConfigError(`--${name} needs an integer ≥ ${min}, got ${text}`);
    return n;
  };
  return {
    targets: targets.length ? targets : DEFAULT_TARGETS.filter((t) => targetFactories[t]),
    providers: providers.length ? providers : known,
    runs: integer("runs", values.runs, DEFAULT_RUNS, 1),
    seed: integer("seed", values.seed, DEFAULT_SEED, -(2 ** 31)),
    replay: values.replay,
    out: resolve(values.out ?? join(repoRoot, "reports", "contract")),
    yes: values.yes === true,
  };
}

/** A live progress line on a terminal, plain lines otherwise (both on stderr). */
function progressPrinter(): { update(p: Progress): void; done(): void } {
  const tty = process.stderr.isTTY === true;
  return {
    update(p) {
      const line = `${p.target} ${p.provider} ${p.done}/${p.total} ${p.operation}${p.failed ? ` · ${p.failed} failed` : ""}`;
      if (tty)
        process.stderr.write(`\r\x1b[K${line.slice(0, Math.max(process.stderr.columns || 100, 40) - 1)}`);
      else process.stderr.write(`${line}\n`);
    },
    done() {
      if (tty) process.stderr.write("\r\x1b[K");
    },
  };
}

async function run(args: Args): Promise<number> {
  const specs = args.providers.map((p) => readSpec(specPath(p), p));
  const results: ProviderResult[] = [];
  const startedAt = new Date().toISOString();
  const progress = progressPrinter();
  // Prism and the sandboxes are independent processes, so their targets run side by side; live asks
  // before it spends, so it runs alone, after them.
  const runTarget = async (targetName: (typeof args.targets)[number]): Promise<ProviderResult[]> => {
    const results: ProviderResult[] = [];
    const target = targetFactories[targetName]?.({ yes: args.yes });
    if (!target) throw new ConfigError(`target ${targetName} is not registered yet`);
    // The next provider's target starts while one runs (a Prism takes seconds to start).
    const open = (spec: ApiSpec | undefined) =>
      spec
        ? target.open(spec.provider).then(
            (session) => ({ session }),
            (error: unknown) => ({ error }),
          )
        : undefined;
    let next = open(specs[0]);
    for (const [i, spec] of specs.entries()) {
      let session: Awaited<ReturnType<typeof target.open>>;
      const opened = await next;
      next = open(specs[i + 1]);
      try {
        if (!opened || "error" in opened) throw opened?.error;
        session = opened.session;
      } catch (error) {
        if (!(error instanceof TargetSkip)) {
          const pending = await next;
          if (pending && "session" in pending) await pending.session.close();
          throw error;
        }
        process.stderr.write(`${error.message}\n`);
        results.push({
          provider: spec.provider,
          target: target.name,
          operations: [],
          skipped: error.message,
          seconds: 0,
        });
        continue;
      }
      try {
        results.push(
          await runSuite(spec, session, target.name, {
            runs: args.runs,
            seed: args.seed,
            stateful: target.stateful,
            onProgress: (p) => progress.update(p),
          }),
        );
      } finally {
        progress.done();
        await session.close();
      }
    }
    return results;
  };
  const local = args.targets.filter((t) => t !== "live");
  for (const batch of await Promise.all(local.map(runTarget))) results.push(...batch);
  if (args.targets.includes("live")) results.push(...(await runTarget("live")));
  const scenarios: ScenarioResult[] = [];
  for (const targetName of args.targets) {
    const target = targetFactories[targetName]?.({ yes: args.yes });
    if (target && (target.stateful || target.name === "live"))
      for (const spec of specs) scenarios.push(...(await runScenarios(target, spec)));
  }
  writeReports(args.out, results, { seed: args.seed, runs: args.runs, startedAt }, REPLAY, scenarios);
  process.stdout.write(`${terminalReport(results, args.out, REPLAY, scenarios)}\n`);
  const failed = results.some((r) =>
    r.operations.some((op) => Object.values(op.outcomes).some((o) => o.status === "fail")),
  );
  return failed || scenarios.some((r) => r.status === "fail") ? 1 : 0;
}

/** The provider's scenarios, on a fresh session (the checks before may have used up quotas or sessions). */
async function runScenarios(target: Target, spec: ApiSpec): Promise<ScenarioResult[]> {
  const mine = SCENARIOS.filter((s) => s.provider === spec.provider);
  if (!mine.length) return [];
  const skipped = (reason: string) =>
    mine.map((s) => ({
      provider: s.provider,
      target: target.name,
      scenario: s.name,
      status: "n/a" as const,
      reason,
      seconds: 0,
    }));
  if (mine.every((s) => s.needsAdmin) && target.name !== "sandbox")
    return skipped("needs the sandbox's admin actions (the other party): sandbox only");
  let session: TargetSession;
  try {
    session = await target.open(spec.provider);
  } catch (error) {
    if (error instanceof TargetSkip) return skipped(error.message);
    throw error;
  }
  try {
    const out: ScenarioResult[] = [];
    for (const scenario of mine) {
      process.stderr.write(`${target.name} ${spec.provider} scenario: ${scenario.name}\n`);
      out.push(await runScenario(scenario, spec, session, target.name));
    }
    return out;
  } finally {
    await session.close();
  }
}

async function replay(id: string, out: string): Promise<number> {
  const file = join(out, "failures.json");
  if (!existsSync(file)) throw new ConfigError(`no ${file}: run the suite first (or pass --out)`);
  const recorded = JSON.parse(readFileSync(file, "utf8")) as FailuresFile;
  const failure = recorded.failures.find((f) => f.id === id);
  if (!failure) throw new ConfigError(`no failure ${id} in ${file}`);
  const target = targetFactories[failure.target as TargetName]?.();
  if (!target) throw new ConfigError(`target ${failure.target} is not registered`);
  const spec = readSpec(specPath(failure.provider), failure.provider);
  let session: Awaited<ReturnType<typeof target.open>>;
  try {
    session = await target.open(failure.provider);
  } catch (error) {
    if (error instanceof TargetSkip) throw new ConfigError(error.message);
    throw error;
  }
  try {
    process.stdout.write(
      `replaying ${failure.check} · ${failure.target} ${failure.provider} · ${failure.operation}\n`,
    );
    const again = await replaySuiteFailure(failure, spec, session);
    if (!again) {
      process.stdout.write("did not reproduce: the check passes now\n");
      return 0;
    }
    const response = again.response
      ? `${again.response.status} ${again.response.body.slice(0, 500)}`
      : again.error;
    process.stdout.write(`reproduced: ${again.message}\nrequest: ${again.curl}\nresponse: ${response}\n`);
    return 1;
  } finally {
    await session.close();
  }
}

export async function main(argv: string[]): Promise<number> {
  try {
    const args = parse(argv);
    if (args === "help") {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    return args.replay ? await replay(args.replay, args.out) : await run(args);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const usage =
      error instanceof ConfigError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS");
    process.stderr.write(`specyard-contract: ${message}\n${usage ? `${USAGE}\n` : ""}`);
    return 2; // configuration, spec or target errors (SpecError, TargetError, Prism not starting, …)
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename ?? "")) {
  process.exitCode = await main(process.argv.slice(2));
}
