/**
 * The summary reports open with: per target, the cells that passed, failed and were `n/a` (the
 * `n/a` ones grouped by reason), and how many operations had a positive case answered 2xx.
 */
import type { CheckName } from "../exchange/checks.js";
import type { OperationResult, ProviderResult } from "../run/runner.js";

export interface ReasonGroup {
  /** The reason with the operations it names generalised (`probed once per path, on <operation>`). */
  reason: string;
  count: number;
  checks: CheckName[];
  /** One reason as written. */
  example: string;
}

export interface TargetSummary {
  target: string;
  providers: number;
  skipped: string[];
  operations: number;
  pass: number;
  fail: number;
  na: number;
  /** Operations whose positive cases got a documented 2xx, of those that report it. */
  reached: number;
  reachedKnown: number;
  reasons: ReasonGroup[];
}

/** Whether a positive case of the operation was answered 2xx; undefined when the run does not say. */
export function reached2xx(op: OperationResult): boolean | undefined {
  const flag = (op as { reached2xx?: unknown }).reached2xx;
  return typeof flag === "boolean" ? flag : undefined;
}

/** The share of positive cases answered 2xx (`18/25`), when the run counted them. */
export function positiveShare(op: OperationResult): string | undefined {
  const { positive2xx, positiveTotal } = op as { positive2xx?: unknown; positiveTotal?: unknown };
  return typeof positive2xx === "number" && typeof positiveTotal === "number" && positiveTotal > 0
    ? `${positive2xx}/${positiveTotal}`
    : undefined;
}

/** What the positive cases got instead of a 2xx, when the run says. */
export function not2xx(op: OperationResult): string | undefined {
  const text = (op as { not2xx?: unknown }).not2xx;
  return typeof text === "string" ? text : undefined;
}

/** A reason with the operations it names generalised, so that like reasons group together. */
export function reasonKey(reason: string): string {
  return reason.replace(/\b(GET|PUT|POST|DELETE|PATCH|HEAD|OPTIONS) \/\S+/g, "<operation>");
}

export function reasonGroups(results: ProviderResult[]): ReasonGroup[] {
  const groups = new Map<string, ReasonGroup>();
  for (const r of results)
    for (const op of r.operations)
      for (const [check, o] of Object.entries(op.outcomes)) {
        if (o.status !== "n/a") continue;
        const key = reasonKey(o.reason);
        const group = groups.get(key) ?? { reason: key, count: 0, checks: [], example: o.reason };
        group.count++;
        if (!group.checks.includes(check as CheckName)) group.checks.push(check as CheckName);
        groups.set(key, group);
      }
  return [...groups.values()].sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
}

export function targetSummaries(results: ProviderResult[]): TargetSummary[] {
  const targets = [...new Set(results.map((r) => r.target))];
  return targets.map((target) => {
    const mine = results.filter((r) => r.target === target);
    const ops = mine.flatMap((r) => r.operations);
    const cells = ops.flatMap((op) => Object.values(op.outcomes));
    const known = ops.map(reached2xx).filter((v): v is boolean => v !== undefined);
    return {
      target,
      providers: mine.length,
      skipped: mine.filter((r) => r.skipped).map((r) => r.provider),
      operations: ops.length,
      pass: cells.filter((o) => o.status === "pass").length,
      fail: cells.filter((o) => o.status === "fail").length,
      na: cells.filter((o) => o.status === "n/a").length,
      reached: known.filter(Boolean).length,
      reachedKnown: known.length,
      reasons: reasonGroups(mine),
    };
  });
}

const percent = (part: number, whole: number) => (whole ? `${Math.round((100 * part) / whole)} %` : "0 %");

/** One line per target, then its `n/a` reasons (the commonest first). */
export function summaryLines(results: ProviderResult[], reasonsShown = 8): string[] {
  const lines = ["summary"];
  for (const s of targetSummaries(results)) {
    const cells = s.pass + s.fail + s.na;
    const reached = s.reachedKnown ? ` · 2xx reached on ${s.reached}/${s.reachedKnown} operations` : "";
    const skipped = s.skipped.length ? ` · skipped: ${s.skipped.join(", ")}` : "";
    lines.push(
      `  ${s.target}: ${s.providers - s.skipped.length} providers, ${s.operations} operations · ${s.pass} pass, ${s.fail} FAIL, ${s.na} n/a (${percent(s.na, cells)})${reached}${skipped}`,
    );
    for (const g of s.reasons.slice(0, reasonsShown))
      lines.push(`    n/a ${String(g.count).padStart(4)}  ${g.reason}  [${g.checks.join(", ")}]`);
    const rest = s.reasons.slice(reasonsShown);
    if (rest.length)
      lines.push(
        `    n/a ${String(rest.reduce((n, g) => n + g.count, 0)).padStart(4)}  ${rest.length} other reasons (report.html lists them all)`,
      );
  }
  return lines;
}

/** Operations of a result without a 2xx answer to a positive case, with what they got instead. */
export function unreached(r: ProviderResult): { operation: string; instead?: string }[] {
  return r.operations
    .filter((op) => reached2xx(op) === false)
    .map((op) => ({ operation: op.operation, ...(not2xx(op) ? { instead: not2xx(op) } : {}) }));
}
