/**
 * The stateful checks on a stateful target: for each resource link of the provider, a fast-check
 * property creates a resource from a generated (schema-valid) request, reads it, deletes it and
 * reads it again. A failing chain is shrunk to a minimal create request.
 */
import fc from "fast-check";
import { type Case, caseArbitraries, seedCase } from "../cases/cases.js";
import {
  type Chain,
  type CheckName,
  type Exchange,
  STATEFUL,
  type StatefulCheck,
} from "../exchange/checks.js";
import { type Context, execute, type Failure, failureOf, type Outcome } from "../exchange/exchange.js";
import type { TargetSession } from "../exchange/session.js";
import type { LinkedCall, ResourceLink, SetupStep } from "../spec/links.js";
import type { ApiSpec, Operation } from "../spec/openapi.js";
import { evaluate, pointer } from "../spec/pointer.js";
import type { World } from "./world.js";

type Vars = Record<string, string>;

export interface LinkResult {
  link: ResourceLink;
  outcomes: Partial<Record<CheckName, Outcome>>;
}

/** The operation a link names (`resourceLinks` has checked that it exists). */
function operation(spec: ApiSpec, id: string): Operation {
  const op = spec.operations.find((o) => o.id === id);
  if (!op) throw new Error(`resource link: ${spec.provider} has no operation ${id}`);
  return op;
}

/** A plain request to an operation: required parts only (so a list is not filtered or paged), path values from `vars`. */
function plainCase(op: Operation, vars: Vars, seed: number): Case {
  const positive = caseArbitraries(op, { verifiesCredentials: true }).positive as fc.Arbitrary<Case>;
  const [sample] = fc.sample(positive, { numRuns: 1, seed });
  if (!sample) throw new Error(`no request could be generated for ${op.id}`);
  const required = (where: "query" | "header" | "cookie", values: Record<string, unknown>) =>
    Object.fromEntries(
      Object.entries(values).filter(([name]) =>
        op.parameters.some((p) => p.in === where && p.name === name && p.required),
      ),
    );
  return {
    ...sample,
    path: withVars(op, sample.path, vars),
    query: required("query", sample.query),
    headers: required("header", sample.headers),
    cookies: required("cookie", sample.cookies),
    body: op.requestBody?.required ? sample.body : undefined,
  };
}

/** Path values replaced by known variables (parent ids, the new resource's id). */
function withVars(op: Operation, path: Record<string, unknown>, vars: Vars): Record<string, unknown> {
  const out = { ...path };
  for (const p of op.parameters)
    if (p.in === "path" && vars[p.name] !== undefined) out[p.name] = vars[p.name];
  return out;
}

const is2xx = (ex: Exchange) =>
  ex.response !== undefined && ex.response.status < 300 && ex.response.status >= 200;

function bodyOf(ex: Exchange): unknown {
  try {
    return JSON.parse(ex.response?.body ?? "");
  } catch {
    return undefined;
  }
}

/** Runs the setup calls; a string says why they failed. */
async function setup(
  spec: ApiSpec,
  session: TargetSession,
  target: string,
  steps: SetupStep[],
  seed: number,
) {
  const vars: Vars = {};
  for (const step of steps) {
    const op = operation(spec, step.operation);
    const ex = await execute({ spec, op, session, target }, "positive", plainCase(op, vars, seed));
    if (!is2xx(ex))
      return `setup ${step.operation} ${ex.response ? `answered ${ex.response.status}` : ex.error}`;
    for (const [name, at] of Object.entries(step.pick)) {
      const value = pointer(bodyOf(ex), at);
      if (value === undefined || value === null) return `setup ${step.operation}: nothing at ${at}`;
      vars[name] = String(value);
    }
  }
  return vars;
}

/** One chain: create from `c`, then read, delete and read again as far as each step succeeds. */
async function runChain(
  spec: ApiSpec,
  session: TargetSession,
  target: string,
  link: ResourceLink,
  vars: Vars,
  c: Case,
  seed: number,
  world?: World,
): Promise<Chain | undefined> {
  const ctx = (id: string): Context => ({ spec, op: operation(spec, id), session, target });
  const createOp = operation(spec, link.create);
  const budget = world?.session.budget;
  if (budget && !budget.take(createOp, "positive")) return undefined; // over the live budget: not sent
  const create = await execute(ctx(link.create), "positive", world ? world.prepare(createOp, c) : c);
  const chain: Chain = { link, create };
  const made = world?.record(link, create);
  if (!is2xx(create)) return chain;
  const found = pointer(bodyOf(create), link.id);
  if (typeof found !== "string" && typeof found !== "number") return chain;
  const id = String(found);
  chain.id = id;
  const answer = { path: c.path, body: bodyOf(create) };
  const call = (linked: LinkedCall) => {
    const op = operation(spec, linked.operation);
    const values = { ...vars };
    for (const [name, e] of Object.entries(linked.parameters)) values[name] = String(evaluate(e, answer));
    return execute(ctx(op.id), "positive", plainCase(op, values, seed));
  };
  chain.read = await call(link.read);
  if (!link.delete) return chain;
  chain.delete = await call(link.delete);
  if (is2xx(chain.delete)) {
    if (made) made.deleted = true;
    chain.readAfterDelete = await call(link.readAfterDelete ?? link.read);
  }
  return chain;
}

/** A generated JSON object body with the link's `body` adjustments. */
function adjusted(link: ResourceLink, body: Case["body"]): Case["body"] {
  const value = body?.value;
  if (!link.body || !body || !value || typeof value !== "object" || Array.isArray(value)) return body;
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>), ...link.body.set };
  for (const name of link.body.omit ?? []) delete out[name];
  return { ...body, value: out };
}

/** The exchange a stateful failure is shown by: the step the check judged. */
function shownStep(check: CheckName, chain: Chain): Exchange {
  return (check === "use_after_free" ? chain.readAfterDelete : chain.read) ?? chain.create;
}

/**
 * Runs the stateful checks of one link as a property over create requests. Each failed check is
 * shrunk and recorded; with `options.path` it replays one recorded counterexample instead.
 */
export async function runLink(
  spec: ApiSpec,
  session: TargetSession,
  target: string,
  link: ResourceLink,
  options: { seed: number; runs: number; path?: string; world?: World },
  checks: StatefulCheck[] = STATEFUL,
): Promise<LinkResult> {
  const outcomes: Partial<Record<CheckName, Outcome>> = {};
  const { world } = options;
  const vars = world
    ? worldVars(world, link)
    : await setup(spec, session, target, link.setup ?? [], options.seed);
  if (typeof vars === "string") {
    for (const c of checks) outcomes[c.name] = { status: "n/a", reason: vars };
    return { link, outcomes };
  }
  const createOp = operation(spec, link.create);
  const known = world?.known(createOp);
  const positive = caseArbitraries(createOp, { verifiesCredentials: true, ...(known ? { known } : {}) })
    .positive as fc.Arbitrary<Case>;
  const arb = positive.map((c) => ({
    ...c,
    path: withVars(createOp, c.path, vars),
    body: adjusted(link, c.body),
  }));
  // With a world, a prepared body (a fixture's) goes first: generated ones may name nothing real.
  // (It cannot shrink: generated cases can, so they stay first otherwise.)
  const prepared = world?.bodyFor(createOp);
  const first = prepared === undefined ? undefined : seedCase(createOp, known ?? {}, options.seed, prepared);
  const ran = new Set<CheckName>();
  let created = 0;
  let active = checks;
  while (active.length) {
    const judged = active;
    let last: { chain: Chain; failed: [CheckName, string][] } | undefined;
    let bug: unknown;
    const property = fc.asyncProperty(arb, async (c) => {
      let chain: Chain | undefined;
      try {
        chain = await runChain(spec, session, target, link, vars, c, options.seed, world);
      } catch (error) {
        bug ??= error; // a bug of the suite (or of a link in the spec), not of the target
        return true;
      }
      if (!chain) return true; // over the live budget: not sent
      if (chain.id !== undefined) created++;
      const failed: [CheckName, string][] = [];
      for (const check of judged) {
        const verdict = check.evaluate(chain);
        if (verdict === "skip") continue;
        ran.add(check.name);
        if (verdict !== "pass") failed.push([check.name, verdict.fail]);
      }
      if (failed.length) last = { chain, failed };
      return failed.length === 0;
    });
    const details = await fc.check(property, {
      seed: options.seed,
      numRuns: options.runs,
      ...(first ? { examples: [[first] as [Case]] } : {}),
      ...(options.path ? { path: options.path } : {}),
    });
    if (bug)
      throw new Error(`${link.create} (stateful): the suite itself failed: ${(bug as Error).stack ?? bug}`);
    if (!details.failed) break;
    if (!last) throw new Error(`${link.create}: the stateful property failed without a failing check`);
    const { chain, failed } = last;
    for (const [check, message] of failed) {
      const step = shownStep(check, chain);
      const steps = [chain.create, chain.read, chain.delete, chain.readAfterDelete].filter(
        (e): e is Exchange => e !== undefined,
      );
      const failure: Failure = failureOf(
        { spec, op: createOp, session, target },
        { ...step, curl: steps.map((e) => e.curl).join("\n"), secrets: mergedSecrets(steps) },
        check,
        message,
        {
          seed: options.seed,
          path: details.counterexamplePath ?? "",
          runs: options.runs,
          activeChecks: judged.map((c) => c.name),
        },
      );
      outcomes[check] = { status: "fail", failure };
    }
    if (options.path) break;
    active = active.filter((c) => !failed.some(([name]) => name === c.name));
  }
  for (const c of checks) {
    if (outcomes[c.name]) continue;
    outcomes[c.name] = ran.has(c.name)
      ? { status: "pass" }
      : { status: "n/a", reason: notRunReason(c.name, link, created, options.runs) };
  }
  return { link, outcomes };
}

/** The chain's path values from the world: what it knows for the create, and its setup picks. */
function worldVars(world: World, link: ResourceLink): Vars | string {
  const problem = world.problems.get(link.create);
  if (problem?.startsWith("setup")) return problem;
  const vars: Vars = { ...world.vars };
  for (const [name, values] of Object.entries(world.known(world.operation(link.create))))
    if (values[0] !== undefined) vars[name] = values[0];
  return vars;
}

function notRunReason(name: CheckName, link: ResourceLink, created: number, runs: number): string {
  if (created === 0) return `${link.create} created no ${link.resource} in ${runs} tries`;
  if (name === "use_after_free")
    return link.delete ? `${link.delete.operation} never succeeded` : `a ${link.resource} cannot be deleted`;
  return "no read answered";
}

function mergedSecrets(steps: Exchange[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of steps) for (const [k, v] of e.secrets ?? []) out.set(k, v);
  return out;
}
