/**
 * The `unsupported_method` phase: for each path of the spec, requests with a method the spec does
 * not list there (path values generated, valid credentials, no body) must be answered 405 with an
 * `Allow` header that lists the spec's methods. A fast-check property per path, so a failure is
 * shrunk and replayable; it is reported on the path's first operation.
 *
 * Per target: on Prism the 405 comes from Prism's own router (without `Allow`), so the check is
 * `n/a` there; live hosts get the probes through the plain (non-validating) Prism proxy, which
 * forwards them; the sandboxes answer 405 with `Allow`.
 */
import fc from "fast-check";
import { type Case, isSecured } from "../cases/cases.js";
import type { Exchange } from "../exchange/checks.js";
import { execute, type Failure, failureOf, hash, type Outcome } from "../exchange/exchange.js";
import { credentialVariable, usableAlternative } from "../exchange/http.js";
import { documentedMethods, judgeUnsupportedMethod, PROBED_METHODS } from "../exchange/methods.js";
import type { Operation } from "../spec/openapi.js";
import { type Caller, concretePath, ctxOf, mapPool, validCases } from "./calls.js";

/** Cases per path (the probes are cheap but there are many paths). */
export const METHOD_RUNS = 3;

export const PRISM_REASON =
  "Prism mock: its own router answers an unlisted method (405, no Allow header), the provider is not reached";

/** The operations of each path, in spec order. */
export function pathGroups(ops: Operation[]): Operation[][] {
  const groups = new Map<string, Operation[]>();
  for (const op of ops) groups.set(op.path, [...(groups.get(op.path) ?? []), op]);
  return [...groups.values()];
}

export const methodSeed = (seed: number, op: string) =>
  hash(`${seed} ${op} unsupported_method`).readInt32BE(0);

/** A probe: the valid case's path values and required parts, no body. */
function probeCase(op: Operation, c: Case): Case {
  const required = (where: "query" | "header" | "cookie", values: Record<string, unknown>) =>
    Object.fromEntries(
      Object.entries(values).filter(([name]) =>
        op.parameters.some((p) => p.in === where && p.name === name && p.required),
      ),
    );
  return {
    ...c,
    query: required("query", c.query),
    headers: required("header", c.headers),
    cookies: required("cookie", c.cookies),
    body: undefined,
  };
}

/**
 * `unsupported_method` of one path, reported on its first operation. `options.seed` is the path's
 * own seed (`methodSeed`); with `options.path` it replays one recorded counterexample.
 */
export async function probePath(
  c: Caller,
  group: Operation[],
  options: { seed: number; runs: number; path?: string },
): Promise<Outcome> {
  const first = group[0] as Operation;
  if (c.target === "prism") return { status: "n/a", reason: PRISM_REASON };
  const listed = new Set(group.map((o) => o.method));
  const candidates = PROBED_METHODS.filter((m) => !listed.has(m));
  if (!candidates.length) return { status: "n/a", reason: "every usual method is documented on this path" };
  if (isSecured(first) && !usableAlternative(first, c.session)) {
    const needed = first.security.map((alt) =>
      alt.map((s) => credentialVariable(c.spec.provider, s)).join(" + "),
    );
    return { status: "n/a", reason: `no credentials: set ${needed.join(" or ")}` };
  }
  const arb = fc
    .tuple(validCases(first, {}), fc.nat({ max: PROBED_METHODS.length - 1 }))
    .map(([v, pick]) => ({ c: probeCase(first, v), pick }));
  let last: { exchange: Exchange; message: string } | undefined;
  let ran = false;
  let bug: unknown;
  const property = fc.asyncProperty(arb, async ({ c: probe, pick }) => {
    try {
      const path = concretePath(first, probe.path);
      // Another template may take the same concrete path (`/domains/challenge`, `/domains/{id}`).
      const documented = documentedMethods(c.spec, path);
      const unlisted = PROBED_METHODS.filter((m) => !documented.includes(m));
      const method = unlisted[pick % Math.max(unlisted.length, 1)];
      if (!method) return true;
      const op: Operation = { ...first, id: `${method} ${first.path}`, method, requestBody: undefined };
      // Not a request the spec describes: it goes where invalid requests go (the plain proxy on live).
      const exchange = await execute(ctxOf(c, op), "negative", probe);
      const verdict = judgeUnsupportedMethod({ exchange, method, path, documented });
      if (verdict === "skip") return true;
      ran = true;
      if (verdict === "pass") return true;
      last = { exchange, message: verdict.fail };
      return false;
    } catch (error) {
      bug ??= error;
      return true;
    }
  });
  const { seed } = options;
  const details = await fc.check(property, {
    seed,
    numRuns: options.runs,
    ...(options.path ? { path: options.path } : {}),
  });
  if (bug)
    throw new Error(
      `${first.id} (unsupported_method): the suite itself failed: ${(bug as Error).stack ?? bug}`,
    );
  if (details.failed && last) {
    const failure: Failure = failureOf(ctxOf(c, first), last.exchange, "unsupported_method", last.message, {
      seed,
      path: details.counterexamplePath ?? "",
      runs: options.runs,
      activeChecks: ["unsupported_method"],
    });
    return { status: "fail", failure };
  }
  return ran
    ? { status: "pass" }
    : { status: "n/a", reason: "every generated path is also a path of another template with these methods" };
}

/** `unsupported_method` for every path whose operations are in `ops`: operation id → outcome. */
export async function runMethods(
  c: Caller,
  ops: Operation[],
  options: { seed: number; runs: number },
): Promise<Map<string, Outcome>> {
  const out = new Map<string, Outcome>();
  const groups = pathGroups(ops);
  const runs = Math.min(options.runs, METHOD_RUNS);
  const outcomes = await mapPool(groups, 4, (group) =>
    probePath(c, group, { seed: methodSeed(options.seed, (group[0] as Operation).id), runs }),
  );
  groups.forEach((group, i) => {
    const [first, ...rest] = group as [Operation, ...Operation[]];
    out.set(first.id, outcomes[i] as Outcome);
    for (const op of rest) out.set(op.id, { status: "n/a", reason: `probed once per path, on ${first.id}` });
  });
  return out;
}
