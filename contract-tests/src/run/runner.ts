/**
 * Runs every check on every operation of one provider against one target session. On a stateful
 * target the run first builds its world (`world.ts`: a resource of every link, parents first), so
 * that valid requests name things that exist; then the stateful chains; then the operations in
 * four waves — the others (a few at a time), the updates (one at a time), the deletes (each on a
 * resource of its own), and the operations that revoke the caller's credentials (one at a time,
 * new credentials before each).
 * The negative cases of an operation that accepted a request are derived from what it accepted.
 */
import fc from "fast-check";
import {
  bodyExamples,
  type Case,
  caseArbitraries,
  isSecured,
  PHASES,
  type Phase,
  seedCase,
} from "../cases/cases.js";
import { derivedNegatives } from "../cases/derived.js";
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
import { costsOf } from "../spec/costs.js";
import { type ResourceLink, resourceLinks } from "../spec/links.js";
import type { ApiSpec, Operation } from "../spec/openapi.js";
import { runLink } from "./stateful.js";
import { buildWorld, type StatefulSession, World } from "./world.js";

export interface RunOptions {
  /** Generated cases per operation and phase. */
  runs: number;
  seed: number;
  /** Operations of the provider run at the same time. */
  concurrency?: number;
  onProgress?: (progress: Progress) => void;
  /** A stateful target: the world is built and the stateful checks run over the resource links. */
  stateful?: boolean;
  /** The resource links to follow; default those of the spec. */
  links?: ResourceLink[];
  /** Negative cases derived from accepted requests (default true; false: only the schema's mutations). */
  derivedNegatives?: boolean;
  /** Names what the run creates (`specyard-contract-<runId>-<n>`); default from the seed. */
  runId?: string;
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
  /** Whether a positive case was answered with a documented 2xx (so the conformance checks saw one). */
  reached2xx: boolean;
  /** Positive cases answered 2xx, of `positiveTotal` sent (the first pass, before any shrinking). */
  positive2xx: number;
  positiveTotal: number;
  /** Without a 2xx: what the positive cases got instead (the commonest status and an answer). */
  not2xx?: string;
}

export interface ProviderResult {
  provider: string;
  target: string;
  operations: OperationResult[];
  /** One line when the provider did not run on this target. */
  skipped?: string;
  seconds: number;
  /** On a stateful target: what the run created and deleted again, and what it left (and why). */
  created?: { count: number; deleted: number; left: string[] };
}

/** Where an operation's cases come from and what may be sent. */
interface OperationSetup {
  world?: World;
  /** Known path values (default: the world's). */
  known?: Record<string, string[]>;
  /** Replaying one failure: only its phase runs with its path (and the positive phase before a derived negative). */
  replay?: Failure;
}

export async function runProvider(
  spec: ApiSpec,
  session: TargetSession,
  target: string,
  options: RunOptions,
): Promise<ProviderResult> {
  const started = Date.now();
  const operations: OperationResult[] = new Array(spec.operations.length);
  const links = options.links ?? resourceLinks(spec);
  const stateful = session as StatefulSession;
  const world = options.stateful ? await openWorld(spec, stateful, target, options, links) : undefined;
  let done = 0;
  let failed = 0;
  // Before the other operations: those may log out or rotate the credentials.
  const linked = new Map<string, Partial<Record<CheckName, Outcome>>>();
  if (world) {
    for (const link of links) {
      const seed = phaseSeed(options.seed, `${link.create} → ${link.read.operation}`, "positive");
      const runs = chainRuns(world.operation(link.create), options.runs);
      const result = await runLink(spec, session, target, link, { seed, runs, world });
      linked.set(link.create, result.outcomes);
    }
  }
  const one = async (op: Operation, setup: OperationSetup) => {
    const i = spec.operations.indexOf(op);
    const result = await runOperation({ spec, op, session, target }, options, setup);
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
  };
  const [others, updates, deletes, revoking] = world ? waves(spec.operations) : [spec.operations, [], [], []];
  await pool(others, options.concurrency ?? 4, (op) => one(op, { ...(world ? { world } : {}) }));
  for (const op of updates) await one(op, { ...(world ? { world } : {}) });
  for (const op of deletes) {
    const known = await world?.fresh(op);
    await one(op, { ...(world ? { world } : {}), ...(known ? { known } : {}) });
  }
  for (const op of revoking) {
    await stateful.renew?.();
    await one(op, { ...(world ? { world } : {}) });
  }
  const result: ProviderResult = { provider: spec.provider, target, operations, seconds: 0 };
  if (world) {
    const cleaned = stateful.cleanup ? await world.cleanup() : { deleted: 0, left: [] };
    result.created = { count: world.created.length, ...cleaned };
  }
  result.seconds = (Date.now() - started) / 1000;
  return result;
}

async function openWorld(
  spec: ApiSpec,
  session: StatefulSession,
  target: string,
  options: RunOptions,
  links: ResourceLink[],
): Promise<World> {
  const runId = options.runId ?? hash(`run ${options.seed}`).toString("hex").slice(0, 6);
  return buildWorld(new World(spec, session, target, runId, options.seed), links);
}

/**
 * Chains of a create with a documented rate limit take at most a quarter of it, so that the
 * create's own checks still see 2xx answers after them.
 */
function chainRuns(create: Operation, runs: number): number {
  const rate = costsOf(create).rateLimit;
  return rate ? Math.max(1, Math.min(runs, Math.floor(rate.limit / 4))) : runs;
}

/**
 * The others; the updates (after the others, so that an update that pauses or closes the shared
 * resource cannot turn the others' actions on it into 409s, whatever order the pool ran them in);
 * the deletes, deepest path first; the operations that revoke credentials.
 */
function waves(ops: Operation[]): [Operation[], Operation[], Operation[], Operation[]] {
  const revoking = ops.filter((op) => costsOf(op).revokes.length > 0);
  const deletes = ops
    .filter((op) => op.method === "DELETE" && !revoking.includes(op))
    .sort((a, b) => b.path.split("/").length - a.path.split("/").length);
  const updates = ops.filter(
    (op) => (op.method === "PATCH" || op.method === "PUT") && !revoking.includes(op),
  );
  const later = [...revoking, ...deletes, ...updates];
  return [ops.filter((op) => !later.includes(op)), updates, deletes, revoking];
}

/** How the positive cases of an operation were answered. */
interface Tally {
  reached2xx: boolean;
  positive2xx: number;
  positiveTotal: number;
  statuses: Map<number, { count: number; body: string }>;
  /** Positive cases answered 2xx, as sent: the negative phase breaks them. */
  accepted: Case[];
}

/** A documented 2xx answer. */
const documented2xx = (ex: Exchange) => {
  const status = ex.response?.status ?? 0;
  return status >= 200 && status < 300 && !ex.proxyViolations && String(status) in ex.op.responses;
};
const is2xx = (ex: Exchange) =>
  ex.response !== undefined && ex.response.status >= 200 && ex.response.status < 300;

/** Accepted requests kept per operation, for the derived negatives. */
const ACCEPTED = 5;

async function runOperation(
  ctx: Context,
  options: RunOptions,
  setup: OperationSetup,
): Promise<OperationResult> {
  const { op, session } = ctx;
  const { world, replay } = setup;
  const budget = (session as StatefulSession).budget;
  const known = setup.known ?? world?.known(op) ?? {};
  const arbitraries = caseArbitraries(op, {
    verifiesCredentials: session.verifiesCredentials !== false,
    known,
  });
  const failures = new Map<CheckName, Failure>();
  const ran = new Set<CheckName>();
  const reasons = new Map<CheckName, string>();
  const tally: Tally = {
    reached2xx: false,
    positive2xx: 0,
    positiveTotal: 0,
    statuses: new Map(),
    accepted: [],
  };
  const missing = isSecured(op) && !usableAlternative(op, session);
  const link = world ? (options.links ?? resourceLinks(ctx.spec)).find((l) => l.create === op.id) : undefined;
  const derive = options.derivedNegatives !== false;
  for (const [index, phase] of PHASES.entries()) {
    let arb = arbitraries[phase];
    const checks = CHECKS.filter((c) => c.phases.includes(phase));
    if (!arb) continue;
    const notRun = (reason: string) => {
      for (const c of checks) if (!ran.has(c.name)) reasons.set(c.name, reason);
    };
    if (missing && phase !== "auth") {
      const needed = op.security.map((alt) =>
        alt.map((s) => credentialVariable(ctx.spec.provider, s)).join(" + "),
      );
      notRun(`no credentials: set ${needed.join(" or ")}`);
      continue;
    }
    const seed = phaseSeed(options.seed, op.id, phase);
    let examples: Case[] = [];
    // The seed case goes first where it knows more than a generated case does (it cannot shrink):
    // known values, a prepared or documented body, or a read without its optional parameters.
    const prepared = world?.bodyFor(op);
    const plausible = Object.keys(known).length || prepared || documentedBody(op) || op.method === "GET";
    if (phase === "positive" && world && plausible) {
      const first = seedCase(op, known, seed, prepared);
      if (first) examples = [first];
    }
    if (phase === "negative" && derive && tally.accepted.length) {
      const derived = derivedNegatives(op, tally.accepted, seed);
      if (derived) ({ arbitrary: arb, examples } = derived);
    }
    // Replaying: the failure's phase with its path, and the positive phase its derived negatives need.
    const needed =
      replay && (phase === replay.phase || (phase === "positive" && replay.phase === "negative"));
    if (replay && !needed) continue;
    let runs = options.runs;
    if (budget) {
      const refused = phase === "auth" ? undefined : await budget.spending(op);
      if (refused) {
        notRun(refused);
        continue;
      }
      runs = budget.share(op, phase, PHASES.length - index, options.runs);
      if (runs < 1) {
        notRun(budget.why(op));
        continue;
      }
    }
    const active = replay
      ? checks.filter((c) => phase === replay.phase && replay.activeChecks.includes(c.name))
      : checks.filter((c) => !failures.has(c.name));
    const send = async (c: Case): Promise<Exchange | undefined> => {
      if (budget && !budget.take(op, phase)) return undefined;
      const exchange = await execute(ctx, phase, world ? world.prepare(op, c) : c);
      if (link && world && is2xx(exchange)) world.record(link, exchange);
      return exchange;
    };
    const own =
      phase === replay?.phase ? { seed: replay.seed, runs: replay.runs, path: replay.path } : { seed, runs };
    const found = await runPhase(
      ctx,
      phase,
      arb,
      active,
      { ...own, examples: examples.slice(0, own.runs) },
      ran,
      {
        send,
        ...(phase === "positive" ? { tally } : {}),
      },
    );
    for (const f of found) failures.set(f.check, f);
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
  const { reached2xx, positive2xx, positiveTotal } = tally;
  const result: OperationResult = { operation: op.id, outcomes, reached2xx, positive2xx, positiveTotal };
  if (!reached2xx) result.not2xx = instead(tally, reasons.get("status_code_conformance"));
  return result;
}

const documentedBody = (op: Operation) =>
  Object.entries(op.requestBody?.content ?? {}).some(([type, media]) => bodyExamples(op, type, media).length);

/** What the positive cases got instead of a 2xx: the commonest status and one answer. */
function instead(tally: Tally, reason: string | undefined): string {
  const [status, seen] = [...tally.statuses].sort((a, b) => b[1].count - a[1].count)[0] ?? [];
  if (status === undefined || !seen) return reason ?? "no positive case was sent";
  return `${status} (${seen.count} of ${tally.positiveTotal}): ${seen.body.replace(/\s+/g, " ").slice(0, 200)}`;
}

interface PhaseRun {
  seed: number;
  runs: number;
  path?: string;
  /** Cases sent first (fast-check examples): the seed case, the derived negatives. */
  examples?: Case[];
}

/**
 * Runs one phase as fast-check properties. A failing property is shrunk to a minimal request;
 * the checks it failed are recorded and the property runs again (same seed) with the other checks,
 * so that each failed check gets its own shrunk reproduction. With a `tally`, the phase runs at
 * least once (for its accepted cases) and its first pass is counted.
 */
async function runPhase(
  ctx: Context,
  phase: Phase,
  arb: fc.Arbitrary<Case>,
  checks: Check[],
  replay: PhaseRun,
  ran: Set<CheckName>,
  hooks: { send?: (c: Case) => Promise<Exchange | undefined>; tally?: Tally } = {},
): Promise<Failure[]> {
  const found: Failure[] = [];
  const { tally } = hooks;
  const send = hooks.send ?? ((c: Case) => execute(ctx, phase, c));
  let active = checks;
  // The first pass's generated cases are counted; its shrinking and the later passes repeat them.
  let counting = tally !== undefined;
  while (active.length || counting) {
    let last: { exchange: Exchange; failed: [CheckName, string][] } | undefined;
    let bug: unknown;
    const judged = active;
    const property = fc.asyncProperty(arb, async (c) => {
      try {
        const exchange = await send(c);
        if (!exchange) return true; // over the live budget: not sent
        if (tally && counting) count(tally, exchange);
        if (tally && documented2xx(exchange)) tally.reached2xx = true;
        const failed: [CheckName, string][] = [];
        for (const check of judged) {
          const verdict = check.evaluate(exchange);
          if (verdict === "skip") continue;
          ran.add(check.name);
          if (verdict !== "pass") failed.push([check.name, verdict.fail]);
        }
        if (failed.length) {
          last = { exchange, failed };
          counting = false;
        }
        return failed.length === 0;
      } catch (error) {
        bug ??= error; // a bug of the suite, not of the target: reported below, never shrunk
        return true;
      }
    });
    const details = await fc.check(property, {
      seed: replay.seed,
      numRuns: replay.runs,
      ...(replay.examples?.length ? { examples: replay.examples.map((e) => [e] as [Case]) } : {}),
      ...(replay.path ? { path: replay.path } : {}),
    });
    counting = false;
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

function count(tally: Tally, exchange: Exchange): void {
  tally.positiveTotal++;
  const status = exchange.response?.status;
  if (status === undefined) return;
  if (is2xx(exchange)) {
    tally.positive2xx++;
    if (tally.accepted.length < ACCEPTED) tally.accepted.push(exchange.case);
    return;
  }
  const seen = tally.statuses.get(status) ?? { count: 0, body: exchange.response?.body ?? "" };
  seen.count++;
  tally.statuses.set(status, seen);
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

/**
 * Replays a recorded failure: runs its counterexample (and shrinks further), same checks. On a
 * stateful target (`stateful`, default: any target but Prism) the world is built again first.
 */
export async function replayFailure(
  failure: Failure,
  spec: ApiSpec,
  session: TargetSession,
  links: ResourceLink[] = resourceLinks(spec),
  stateful = failure.target !== "prism",
): Promise<Failure | undefined> {
  const options: RunOptions = { runs: failure.runs, seed: failure.seed, links, stateful };
  const world = stateful
    ? await openWorld(spec, session as StatefulSession, failure.target, options, links)
    : undefined;
  if (failure.check in STATEFUL_CHECKS) {
    const link = links.find((l) => l.create === failure.operation);
    if (!link) throw new Error(`no resource link starts at ${failure.operation} any more`);
    const checks = STATEFUL.filter((c) => failure.activeChecks.includes(c.name));
    const { outcomes } = await runLink(
      spec,
      session,
      failure.target,
      link,
      { ...failure, ...(world ? { world } : {}) },
      checks,
    );
    const outcome = outcomes[failure.check];
    return outcome?.status === "fail" ? outcome.failure : undefined;
  }
  const op = spec.operations.find((o) => o.id === failure.operation);
  if (!op) throw new Error(`operation ${failure.operation} is no longer in the ${spec.provider} spec`);
  if (!caseArbitraries(op, { verifiesCredentials: true })[failure.phase])
    throw new Error(`${failure.operation} has no ${failure.phase} cases any more`);
  const known = op.method === "DELETE" ? await world?.fresh(op) : undefined;
  const result = await runOperation({ spec, op, session, target: failure.target }, options, {
    ...(world ? { world } : {}),
    ...(known ? { known } : {}),
    replay: failure,
  });
  const outcome = result.outcomes[failure.check];
  return outcome?.status === "fail" ? outcome.failure : undefined;
}
