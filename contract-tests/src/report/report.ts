/** Reports: a terminal table per provider, JUnit XML, one self-contained HTML file, failures.json for replays. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CHECK_NAMES } from "../exchange/checks.js";
import type { ProviderResult } from "../run/runner.js";
import type { ScenarioFailure, ScenarioResult } from "../run/scenario.js";
import {
  allFailures,
  cell,
  cellOf,
  counts,
  type FailuresFile,
  failureText,
  oneLine,
  type RunInfo,
  SHORT,
  scenarioCounts,
  scenarioFailureText,
} from "./common.js";
import { htmlReport } from "./html.js";
import { positiveShare, reached2xx, summaryLines } from "./summary.js";

export { allFailures, type FailuresFile, htmlReport, type RunInfo, SHORT };

/** Whether (and how often) an operation's positive cases were answered 2xx. */
const reachedCell = (op: ProviderResult["operations"][number]) => {
  const flag = reached2xx(op);
  return positiveShare(op) ?? (flag === undefined ? "-" : flag ? "yes" : "no");
};

/**
 * The end-of-run text: the per-target summary (with the `n/a` reasons grouped), one table per
 * provider (operations × checks, and 2xx reached), the failures, a closing line.
 */
export function terminalReport(
  results: ProviderResult[],
  outDir: string,
  replayCommand: string,
  scenarios: ScenarioResult[] = [],
): string {
  const lines: string[] = results.length ? summaryLines(results) : [];
  const widths = CHECK_NAMES.map((name) => Math.max(SHORT[name].length, 4));
  for (const r of results) {
    lines.push("", `${r.target} · ${r.provider}${r.skipped ? "" : ` (${r.seconds.toFixed(1)} s)`}`);
    if (r.skipped) {
      lines.push(`  ${r.skipped}`);
      continue;
    }
    const opWidth = Math.max(9, ...r.operations.map((op) => op.operation.length));
    const row = (first: string, cells: string[]) =>
      `  ${first.padEnd(opWidth)}  ${cells.map((c, i) => c.padEnd(widths[i] ?? 4)).join(" ")}`.trimEnd();
    lines.push(row("operation", [...CHECK_NAMES.map((name) => SHORT[name]), "2xx"]));
    for (const op of r.operations)
      lines.push(row(op.operation, [...CHECK_NAMES.map((name) => cell(op.outcomes[name])), reachedCell(op)]));
  }
  lines.push(
    "",
    `checks: ${CHECK_NAMES.map((name) => `${SHORT[name]} = ${name}`).join(", ")}; ` +
      "2xx = positive cases answered 2xx (first pass), '-' where the run does not say",
  );
  const failures = allFailures(results);
  for (const f of failures) {
    lines.push(
      "",
      `FAIL ${f.check} · ${f.target} ${f.provider} · ${f.operation}`,
      `  ${f.message}`,
      `  request: ${f.curl}`,
      f.response
        ? `  response: ${f.response.status} ${oneLine(f.response.body, 300)}`
        : `  no response: ${f.error ?? ""}`,
      `  replay: ${replayCommand} --replay ${f.id}   (seed ${f.seed}, path ${f.path})`,
    );
  }
  lines.push(...scenarioLines(scenarios));
  const c = counts(results);
  const s = scenarioCounts(scenarios);
  lines.push(
    "",
    `${c.operations} operations: ${c.pass} pass, ${c.fail} FAIL, ${c.na} n/a` +
      (scenarios.length
        ? ` · ${scenarios.length} scenarios: ${s.pass} pass, ${s.fail} FAIL, ${s.na} n/a`
        : "") +
      ` · reports in ${outDir}`,
  );
  return lines.join("\n");
}

/** `scenario: <name>` rows per target and provider, then each failed scenario's step, curl and response. */
function scenarioLines(scenarios: ScenarioResult[]): string[] {
  if (!scenarios.length) return [];
  const lines = ["", "scenarios"];
  const width = Math.max(...scenarios.map((r) => `${r.target} · ${r.provider}`.length));
  const nameWidth = Math.max(...scenarios.map((r) => r.scenario.length));
  for (const r of scenarios) {
    const where = `${r.target} · ${r.provider}`.padEnd(width);
    const tail =
      r.status === "n/a" ? `  (${r.reason})` : r.status === "fail" ? `  at ${r.failure?.step}` : "";
    lines.push(`  ${where}  scenario: ${r.scenario.padEnd(nameWidth)}  ${cellOf(r)}${tail}`);
  }
  for (const r of scenarios.filter((x) => x.failure)) {
    const f = r.failure as ScenarioFailure;
    lines.push(
      "",
      `FAIL scenario: ${r.scenario} · ${r.target} ${r.provider}`,
      `  step: ${f.step}`,
      `  ${f.message}`,
      ...(f.curl ? [`  request: ${f.curl}`] : []),
      ...(f.response ? [`  response: ${f.response.status} ${oneLine(f.response.body, 300)}`] : []),
    );
  }
  return lines;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: XML 1.0 forbids these characters
const xmlInvalid = /[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd]/gu;
const escapeXml = (s: string) =>
  s
    .replace(xmlInvalid, "\ufffd")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");

/** JUnit XML: a suite per target and provider, a test case per operation and check. */
export function junitXml(
  results: ProviderResult[],
  replayCommand: string,
  scenarios: ScenarioResult[] = [],
): string {
  const suites = results.map((r) => {
    const name = `${r.target}/${r.provider}`;
    if (r.skipped) {
      return `  <testsuite name="${escapeXml(name)}" tests="1" failures="0" skipped="1" time="0">\n    <testcase classname="${escapeXml(name)}" name="provider"><skipped message="${escapeXml(r.skipped)}"/></testcase>\n  </testsuite>`;
    }
    const cases = r.operations.flatMap((op) =>
      CHECK_NAMES.map((check) => {
        const o = op.outcomes[check];
        const open = `    <testcase classname="${escapeXml(`${name} ${op.operation}`)}" name="${check}" time="0"`;
        if (o.status === "pass") return `${open}/>`;
        if (o.status === "n/a") return `${open}><skipped message="${escapeXml(o.reason)}"/></testcase>`;
        return `${open}><failure type="${check}" message="${escapeXml(o.failure.message)}">${escapeXml(failureText(o.failure, replayCommand))}</failure></testcase>`;
      }),
    );
    const all = r.operations.flatMap((op) => Object.values(op.outcomes));
    const failures = all.filter((o) => o.status === "fail").length;
    const skipped = all.filter((o) => o.status === "n/a").length;
    return `  <testsuite name="${escapeXml(name)}" tests="${all.length}" failures="${failures}" skipped="${skipped}" time="${r.seconds.toFixed(3)}">\n${cases.join("\n")}\n  </testsuite>`;
  });
  if (scenarios.length) {
    const cases = scenarios.map((r) => {
      const open = `    <testcase classname="${escapeXml(`${r.target}/${r.provider}`)}" name="${escapeXml(`scenario: ${r.scenario}`)}" time="${r.seconds.toFixed(3)}"`;
      if (r.status === "pass") return `${open}/>`;
      if (r.status === "n/a") return `${open}><skipped message="${escapeXml(r.reason ?? "")}"/></testcase>`;
      return `${open}><failure type="scenario" message="${escapeXml(`${r.failure?.step}: ${r.failure?.message}`)}">${escapeXml(scenarioFailureText(r))}</failure></testcase>`;
    });
    const s = scenarioCounts(scenarios);
    suites.push(
      `  <testsuite name="scenarios" tests="${scenarios.length}" failures="${s.fail}" skipped="${s.na}" time="0">\n${cases.join("\n")}\n  </testsuite>`,
    );
  }
  const c = counts(results);
  const s = scenarioCounts(scenarios);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="specyard contract" tests="${c.pass + c.fail + c.na + scenarios.length}" failures="${c.fail + s.fail}" skipped="${c.na + s.na}">\n${suites.join("\n")}\n</testsuites>\n`;
}

/** Writes junit.xml, report.html and failures.json into `dir`; returns their paths. */
export function writeReports(
  dir: string,
  results: ProviderResult[],
  info: RunInfo,
  replayCommand: string,
  scenarios: ScenarioResult[] = [],
): string[] {
  mkdirSync(dir, { recursive: true });
  const files: [string, string][] = [
    ["junit.xml", junitXml(results, replayCommand, scenarios)],
    ["report.html", htmlReport(results, info, replayCommand, scenarios)],
    [
      "failures.json",
      `${JSON.stringify({ ...info, failures: allFailures(results) } satisfies FailuresFile, null, 2)}\n`,
    ],
  ];
  for (const [name, text] of files) writeFileSync(join(dir, name), text);
  return files.map(([name]) => join(dir, name));
}
