/** Runs every check on every operation of one provider against one target session. */
import { createHash } from "node:crypto";
import fc from "fast-check";
import { type Case, caseArbitraries, isSecured, PHASES, type Phase } from "./cases.js";
import {
  CHECK_NAMES,
  CHECKS,
  type Check,
  type CheckName,
  type Exchange,
  notApplicableReason,
  type ProxyViolation,
  STATEFUL_CHECKS,
} from "./checks.js";
import {
  credentialVariable,
  prepareRequest,
  redactText,
  type ShownRequest,
  send,
  usableAlternative,
} from "./http.js";
import type { ApiSpec, Operation } from "./openapi.js";
import type { TargetSession } from "./targets.js";

export interface RunOptions {
  /** Generated cases per operation and phase. */
  runs: number;
  seed: number;
  /** Operations of the provider run at the same time. */
  concurrency?: number;
  onProgress?: (progress: Progress) => void;
}

export interface Progress {
  provider: string;
  target: string;
  done: number;
  total: number;
  operation: string;
  failed: number;
}

/** A failed check with everything needed to understand and replay it. */
export interface Failure {
  id: string;
  target: string;
  provider: string;
  operation: string;
  check: CheckName;
  phase: Phase;
  message: string;
  /** The shrunk request, credentials redacted. */
  request: ShownRequest;
  curl: string;
  response?: { status: number; headers: Record<string, string>; body: string };
  error?: string;
  /** fast-check replay data: the phase's seed, the counterexample path and the run count. */
  seed: number;
  path: string;
  runs: number;
  /** The checks the property judged when it failed (a replay judges the same ones). */
  activeChecks: CheckName[];
}

export type Outcome =
  | { status: "pass" }
  | { status: "fail"; failure: Failure }
  | { status: "n/a"; reason: string };

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

/** Response bodies kept in reports, in characters. */
const BODY_LIMIT = 2000;

interface Context {
  spec: ApiSpec;
  op: Operation;
  session: TargetSession;
  target: string;
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
  await pool(spec.operations, options.concurrency ?? 4, async (op, i) => {
    const result = await runOperation({ spec, op, session, target }, options);
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

async function execute(ctx: Context, phase: Phase, c: Case): Promise<Exchange> {
  const { session } = ctx;
  // Only valid requests go to `baseUrl`: a validating proxy would answer invalid ones itself.
  const baseUrl = phase === "positive" ? session.baseUrl : (session.probeBaseUrl ?? session.baseUrl);
  const prepared = prepareRequest(c, {
    spec: ctx.spec,
    op: ctx.op,
    baseUrl,
    source: session,
    ...(session.curlBaseUrl ? { curlBaseUrl: session.curlBaseUrl } : {}),
  });
  const exchange: Exchange = {
    phase,
    op: ctx.op,
    case: c,
    request: prepared.shown,
    curl: prepared.curl,
    secrets: prepared.secrets,
  };
  try {
    exchange.response = await send(prepared);
    const violations = prismViolations(exchange.response);
    if (violations) exchange.proxyViolations = violations;
  } catch (error) {
    const cause = (error as { cause?: { message?: string } }).cause?.message;
    exchange.error = `${(error as Error).message}${cause ? ` (${cause})` : ""}`;
  }
  return exchange;
}

/** The violations in a `prism proxy --errors` report, or undefined for any other response. */
function prismViolations(response: {
  headers: Record<string, string>;
  body: string;
}): ProxyViolation[] | undefined {
  if (!response.headers["content-type"]?.includes("application/problem+json")) return undefined;
  try {
    const problem = JSON.parse(response.body) as { type?: string; validation?: ProxyViolation[] };
    if (problem.type !== "https://stoplight.io/prism/errors#VIOLATIONS") return undefined;
    return (problem.validation ?? []).map((v) => ({ location: v.location, message: v.message }));
  } catch {
    return undefined;
  }
}

function failureOf(
  ctx: Context,
  exchange: Exchange,
  check: CheckName,
  message: string,
  replay: Pick<Failure, "seed" | "path" | "runs" | "activeChecks">,
): Failure {
  const secrets = exchange.secrets ?? new Map<string, string>();
  const redact = (s: string) => redactText(s, secrets);
  const response = exchange.response;
  return {
    id: failureId(ctx.target, ctx.spec.provider, ctx.op.id, check),
    target: ctx.target,
    provider: ctx.spec.provider,
    operation: ctx.op.id,
    check,
    phase: exchange.phase,
    message: redact(message),
    request: exchange.request,
    curl: exchange.curl,
    ...(response
      ? {
          response: {
            status: response.status,
            headers: Object.fromEntries(Object.entries(response.headers).map(([k, v]) => [k, redact(v)])),
            body: truncate(redact(response.body)),
          },
        }
      : {}),
    ...(exchange.error ? { error: exchange.error } : {}),
    ...replay,
  };
}

const truncate = (s: string) =>
  s.length > BODY_LIMIT ? `${s.slice(0, BODY_LIMIT)}… (${s.length} characters)` : s;

const hash = (text: string) => createHash("sha256").update(text).digest();

/** A stable short id per target, provider, operation and check. */
export const failureId = (target: string, provider: string, operation: string, check: string) =>
  `${provider}-${hash(`${target} ${provider} ${operation} ${check}`).toString("hex").slice(0, 8)}`;

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
): Promise<Failure | undefined> {
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
