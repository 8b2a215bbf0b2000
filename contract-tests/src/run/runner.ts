/** Runs every check on every operation of one provider against one target session. */
import fc from "fast-check";
import { type Case, caseArbitraries, isSecured, PHASES, type Phase } from "../cases/cases.js";
import {
  CHECK_NAMES,
  CHECKS,
  type Check,
  type CheckName,
  type Exchange,
  notApplicableReason,
  STATEFUL,
  STATEFUL_CHECKS,
} from "../exchange/checks.js";
import { type Context, execute, type Failure, failureOf, hash, type Outcome } from "../exchange/exchange.js";
import { credentialVariable, usableAlternative } from "../exchange/http.js";
import type { TargetSession } from "../exchange/session.js";
import { type ResourceLink, resourceLinks } from "../spec/links.js";
import type { ApiSpec } from "../spec/openapi.js";
import { runLink } from "./stateful.js";

export interface RunOptions {
  /** Generated cases per operation and phase. */
  runs: number;
  seed: number;
  /** Operations of the provider run at the same time. */
  concurrency?: number;
  onProgress?: (progress: Progress) => void;
  /** A stateful target: the stateful checks run over the provider's resource links. */
  stateful?: boolean;
  /** The resource links to follow; default those of the spec. */
  links?: ResourceLink[];
}

export interface Progress {
  provider: string;
  target: string;
  done: number;
  total: number;
  operation: string;
  failed: number;
}

export interface OperationResult {
  operation: string;
  outcomes: Record<CheckName, Outcome>;
}

export interface ProviderResult {
  provider: string;
  target: string;
  operations: OperationResult[];
  /** One line when the provider did not run on this target. */
  skipped?: string;
  seconds: number;
}

export async function runProvider(
  spec: ApiSpec,
  session: TargetSession,
  target: string,
  options: RunOptions,
): Promise<ProviderResult> {
  const started = Date.now();
  const operations: OperationResult[] = new Array(spec.operations.length);
  let done = 0;
  let failed = 0;
  // Before the other operations: those may log out or rotate the credentials.
  const linked = new Map<string, Partial<Record<CheckName, Outcome>>>();
  if (options.stateful) {
    for (const link of options.links ?? resourceLinks(spec)) {
      const seed = phaseSeed(options.seed, `${link.create} → ${link.read.operation}`, "positive");
      const result = await runLink(spec, session, target, link, { seed, runs: options.runs });
      linked.set(link.create, result.outcomes);
    }
  }
  await pool(spec.operations, options.concurrency ?? 4, async (op, i) => {
    const result = await runOperation({ spec, op, session, target }, options);
    Object.assign(result.outcomes, linked.get(op.id));
    operations[i] = result;
    done++;
    failed += Object.values(result.outcomes).filter((o) => o.status === "fail").length;
    options.onProgress?.({
      provider: spec.provider,
      target,
      done,
      total: spec.operations.length,
      operation: op.id,
      failed,
    });
  });
  return { provider: spec.provider, target, operations, seconds: (Date.now() - started) / 1000 };
}

async function runOperation(ctx: Context, options: RunOptions): Promise<OperationResult> {
  const { op, session } = ctx;
  const arbitraries = caseArbitraries(op, { verifiesCredentials: session.verifiesCredentials !== false });
  const failures = new Map<CheckName, Failure>();
  const ran = new Set<CheckName>();
  const reasons = new Map<CheckName, string>();
  const missing = isSecured(op) && !usableAlternative(op, session);
  for (const phase of PHASES) {
    const arb = arbitraries[phase];
    const checks = CHECKS.filter((c) => c.phases.includes(phase));
    if (!arb) continue;
    if (missing && phase !== "auth") {
      const needed = op.security.map((alt) =>
        alt.map((s) => credentialVariable(ctx.spec.provider, s)).join(" + "),
      );
      for (const c of checks) reasons.set(c.name, `no credentials: set ${needed.join(" or ")}`);
      continue;
    }
    const active = checks.filter((c) => !failures.has(c.name));
    const seed = phaseSeed(options.seed, op.id, phase);
    for (const f of await runPhase(ctx, phase, arb, active, { seed, runs: options.runs }, ran)) {
      failures.set(f.check, f);
    }
  }
  const outcomes = {} as Record<CheckName, Outcome>;
  for (const name of CHECK_NAMES) {
    const failure = failures.get(name);
    const phase = CHECKS.find((c) => c.name === name)?.phases[0];
    outcomes[name] = failure
      ? { status: "fail", failure }
      : ran.has(name) && !(name in STATEFUL_CHECKS)
        ? { status: "pass" }
        : { status: "n/a", reason: reasons.get(name) ?? notApplicableReason(name, phase) };
  }
  return { operation: op.id, outcomes };
}

/**
 * Runs one phase as fast-check properties. A failing property is shrunk to a minimal request;
 * the checks it failed are recorded and the property runs again (same seed) with the other checks,
 * so that each failed check gets its own shrunk reproduction.
 */
async function runPhase(
  ctx: Context,
  phase: Phase,
  arb: fc.Arbitrary<Case>,
  checks: Check[],
  replay: { seed: number; runs: number; path?: string },
  ran: Set<CheckName>,
): Promise<Failure[]> {
  const found: Failure[] = [];
  let active = checks;
  while (active.length) {
    let last: { exchange: Exchange; failed: [CheckName, string][] } | undefined;
    let bug: unknown;
    const judged = active;
    const property = fc.asyncProperty(arb, async (c) => {
      try {
        const exchange = await execute(ctx, phase, c);
        const failed: [CheckName, string][] = [];
        for (const check of judged) {
          const verdict = check.evaluate(exchange);
          if (verdict === "skip") continue;
          ran.add(check.name);
          if (verdict !== "pass") failed.push([check.name, verdict.fail]);
        }
        if (failed.length) last = { exchange, failed };
        return failed.length === 0;
      } catch (error) {
        bug ??= error; // a bug of the suite, not of the target: reported below, never shrunk
        return true;
      }
    });
    const details = await fc.check(property, {
      seed: replay.seed,
      numRuns: replay.runs,
      ...(replay.path ? { path: replay.path } : {}),
    });
    if (bug)
      throw new Error(`${ctx.op.id} (${phase}): the suite itself failed: ${(bug as Error).stack ?? bug}`);
    if (!details.failed) break;
    if (!last) throw new Error(`${ctx.op.id} (${phase}): the property failed without a failing check`);
    const { exchange, failed } = last;
    for (const [check, message] of failed) {
      found.push(
        failureOf(ctx, exchange, check, message, {
          seed: replay.seed,
          path: details.counterexamplePath ?? "",
          runs: replay.runs,
          activeChecks: judged.map((c) => c.name),
        }),
      );
    }
    if (replay.path) break; // a replay is one property run
    active = active.filter((c) => !failed.some(([name]) => name === c.name));
  }
  return found;
}

/** Each operation and phase gets its own seed, so that one can be replayed alone. */
export const phaseSeed = (seed: number, operation: string, phase: Phase) =>
  hash(`${seed} ${operation} ${phase}`).readInt32BE(0);

/** Runs `task` over `items`, at most `size` at a time. */
async function pool<T>(
  items: T[],
  size: number,
  task: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await task(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, worker));
}

/** Replays a recorded failure: runs its counterexample (and shrinks further), same checks. */
export async function replayFailure(
  failure: Failure,
  spec: ApiSpec,
  session: TargetSession,
  links: ResourceLink[] = resourceLinks(spec),
): Promise<Failure | undefined> {
  if (failure.check in STATEFUL_CHECKS) {
    const link = links.find((l) => l.create === failure.operation);
    if (!link) throw new Error(`no resource link starts at ${failure.operation} any more`);
    const checks = STATEFUL.filter((c) => failure.activeChecks.includes(c.name));
    const { outcomes } = await runLink(spec, session, failure.target, link, failure, checks);
    const outcome = outcomes[failure.check];
    return outcome?.status === "fail" ? outcome.failure : undefined;
  }
  const op = spec.operations.find((o) => o.id === failure.operation);
  if (!op) throw new Error(`operation ${failure.operation} is no longer in the ${spec.provider} spec`);
  const arb = caseArbitraries(op, { verifiesCredentials: session.verifiesCredentials !== false })[
    failure.phase
  ];
  if (!arb) throw new Error(`${failure.operation} has no ${failure.phase} cases any more`);
  const checks = CHECKS.filter((c) => failure.activeChecks.includes(c.name));
  const found = await runPhase(
    { spec, op, session, target: failure.target },
    failure.phase,
    arb,
    checks,
    { seed: failure.seed, runs: failure.runs, path: failure.path },
    new Set(),
  );
  return found.find((f) => f.check === failure.check);
}
