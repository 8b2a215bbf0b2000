/**
 * The whole suite over one provider and target session: the checks with phases of their own —
 * `unsupported_method` (`methods.ts`), `pagination_consistency` (`pagination.ts`) and
 * `update_applied` (`updates.ts`) — then `runProvider`'s per-operation and stateful checks, their
 * outcomes merged per operation. The own phases run first, as the resource links do: later
 * operations may log out or rotate the credentials.
 */
import { CHECK_NAMES, PHASE_CHECKS } from "../exchange/checks.js";
import type { Failure, Outcome } from "../exchange/exchange.js";
import type { TargetSession } from "../exchange/session.js";
import { type ResourceLink, resourceLinks } from "../spec/links.js";
import type { ApiSpec, Operation } from "../spec/openapi.js";
import type { Caller } from "./calls.js";
import { pathGroups, probePath, runMethods } from "./methods.js";
import { checkPagination, paginationOf, runPagination } from "./pagination.js";
import {
  type OperationResult,
  type ProviderResult,
  type RunOptions,
  replayFailure,
  runProvider,
} from "./runner.js";
import { checkUpdate, runUpdates, updateTargets } from "./updates.js";

export type PhaseCheck = keyof typeof PHASE_CHECKS;

export interface SuiteOptions extends RunOptions {
  /** Only these operations (ids `GET /path`); default all. */
  operations?: string[];
  /** Only these phase checks; default all three. Other checks run unless `phasesOnly`. */
  phases?: PhaseCheck[];
  /** Run only the phase checks (not `runProvider`'s), e.g. for a quick self-test. */
  phasesOnly?: boolean;
}

const ALL_PHASES = Object.keys(PHASE_CHECKS) as PhaseCheck[];

/** The outcomes of the phase checks, by operation id. */
export async function runPhases(
  spec: ApiSpec,
  session: TargetSession,
  target: string,
  options: SuiteOptions,
): Promise<Map<string, Partial<Record<PhaseCheck, Outcome>>>> {
  const c: Caller = { spec, session, target };
  const ops = options.operations
    ? spec.operations.filter((o) => options.operations?.includes(o.id))
    : spec.operations;
  const phases = options.phases ?? ALL_PHASES;
  const stateful = options.stateful === true;
  const out = new Map<string, Partial<Record<PhaseCheck, Outcome>>>(ops.map((o) => [o.id, {}]));
  const put = (check: PhaseCheck, outcomes: Map<string, Outcome>) => {
    for (const [op, outcome] of outcomes) {
      const entry = out.get(op);
      if (entry) entry[check] = outcome;
    }
  };
  const progress = (operation: string) =>
    options.onProgress?.({
      provider: spec.provider,
      target,
      done: 0,
      total: ops.length,
      operation,
      failed: 0,
    });
  if (phases.includes("update_applied")) {
    progress("update_applied");
    put("update_applied", await runUpdates(c, ops, { seed: options.seed, runs: options.runs, stateful }));
  }
  if (phases.includes("pagination_consistency")) {
    progress("pagination_consistency");
    put("pagination_consistency", await runPagination(c, ops, { seed: options.seed, stateful }));
  }
  if (phases.includes("unsupported_method")) {
    progress("unsupported_method");
    put("unsupported_method", await runMethods(c, ops, { seed: options.seed, runs: options.runs }));
  }
  return out;
}

/** Every check over one provider; the phase checks' outcomes replace `runProvider`'s placeholders. */
export async function runSuite(
  spec: ApiSpec,
  session: TargetSession,
  target: string,
  options: SuiteOptions,
): Promise<ProviderResult> {
  const started = Date.now();
  const phased = await runPhases(spec, session, target, options);
  const only = options.operations;
  const scoped: ApiSpec = only
    ? { ...spec, operations: spec.operations.filter((o) => only.includes(o.id)) }
    : spec;
  const result: ProviderResult = options.phasesOnly
    ? { provider: spec.provider, target, operations: scoped.operations.map(notRun), seconds: 0 }
    : await runProvider(
        scoped,
        session,
        target,
        only ? { ...options, links: linksWithin(spec, only) } : options,
      );
  for (const op of result.operations) Object.assign(op.outcomes, phased.get(op.operation));
  result.seconds = (Date.now() - started) / 1000;
  return result;
}

/** The resource links whose every call (setup, create, read, delete) is among `only`. */
function linksWithin(spec: ApiSpec, only: string[]): ResourceLink[] {
  return resourceLinks(spec).filter((l) =>
    [
      l.create,
      l.read.operation,
      l.delete?.operation,
      l.readAfterDelete?.operation,
      ...(l.setup ?? []).map((step) => step.operation),
    ].every((op) => op === undefined || only.includes(op)),
  );
}

/** An operation whose checks did not run (phases only): each `n/a`, to be replaced by the phases'. */
function notRun(op: Operation): OperationResult {
  const outcomes = Object.fromEntries(
    CHECK_NAMES.map((name) => [name, { status: "n/a", reason: "not run: phase checks only" }]),
  ) as OperationResult["outcomes"];
  return { operation: op.id, outcomes } as OperationResult;
}

/** Replays a recorded failure of any check (the phase checks here, the others by `replayFailure`). */
export async function replaySuiteFailure(
  failure: Failure,
  spec: ApiSpec,
  session: TargetSession,
): Promise<Failure | undefined> {
  const c: Caller = { spec, session, target: failure.target };
  const op = spec.operations.find((o) => o.id === failure.operation);
  if (!op && failure.check in PHASE_CHECKS)
    throw new Error(`operation ${failure.operation} is no longer in the ${spec.provider} spec`);
  let outcome: Outcome | undefined;
  if (failure.check === "unsupported_method") {
    const group = pathGroups(spec.operations).find((g) => g[0]?.id === failure.operation);
    if (!group) throw new Error(`${failure.operation} is no longer the first operation of its path`);
    outcome = await probePath(c, group, { seed: failure.seed, runs: failure.runs, path: failure.path });
  } else if (failure.check === "pagination_consistency") {
    const p = op ? paginationOf(spec, op) : undefined;
    if (!p) throw new Error(`${failure.operation} is no longer a paginated list`);
    outcome = await checkPagination(c, p, { seed: failure.seed });
  } else if (failure.check === "update_applied") {
    const found = updateTargets(spec).find((u) => u.update.operation === failure.operation);
    if (!found) throw new Error(`${failure.operation} is no longer an update of a linked resource`);
    outcome = await checkUpdate(c, found, { seed: failure.seed, runs: failure.runs, path: failure.path });
  } else return replayFailure(failure, spec, session);
  return outcome?.status === "fail" ? outcome.failure : undefined;
}
