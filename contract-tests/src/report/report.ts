/** Reports: a terminal table per provider, JUnit XML, one self-contained HTML file, failures.json for replays. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CHECK_NAMES, type CheckName } from "../exchange/checks.js";
import type { Failure, Outcome } from "../exchange/exchange.js";
import type { ProviderResult } from "../run/runner.js";
import type { ScenarioFailure, ScenarioResult } from "../run/scenario.js";

export interface RunInfo {
  seed: number;
  runs: number;
  startedAt: string;
}

/** What `--replay` reads back. */
export interface FailuresFile extends RunInfo {
  failures: Failure[];
}

export const SHORT: Record<CheckName, string> = {
  not_a_server_error: "5xx",
  status_code_conformance: "status",
  content_type_conformance: "ctype",
  response_headers_conformance: "headers",
  response_schema_conformance: "schema",
  negative_data_rejection: "neg",
  positive_data_acceptance: "pos",
  missing_required_header: "req-hdr",
  ignored_auth: "auth",
  use_after_free: "uaf",
  ensure_resource_availability: "avail",
};

const cell = (o: Outcome) => (o.status === "fail" ? "FAIL" : o.status);

export function allFailures(results: ProviderResult[]): Failure[] {
  return results.flatMap((r) =>
    r.operations.flatMap((op) =>
      Object.values(op.outcomes).flatMap((o) => (o.status === "fail" ? [o.failure] : [])),
    ),
  );
}

function counts(results: ProviderResult[]) {
  const all = results.flatMap((r) => r.operations.flatMap((op) => Object.values(op.outcomes)));
  return {
    operations: results.reduce((n, r) => n + r.operations.length, 0),
    pass: all.filter((o) => o.status === "pass").length,
    fail: all.filter((o) => o.status === "fail").length,
    na: all.filter((o) => o.status === "n/a").length,
  };
}

/** The end-of-run text: one table per provider (operations × checks), the failures, a summary. */
export function terminalReport(
  results: ProviderResult[],
  outDir: string,
  replayCommand: string,
  scenarios: ScenarioResult[] = [],
): string {
  const lines: string[] = [];
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
    lines.push(
      row(
        "operation",
        CHECK_NAMES.map((name) => SHORT[name]),
      ),
    );
    for (const op of r.operations)
      lines.push(
        row(
          op.operation,
          CHECK_NAMES.map((name) => cell(op.outcomes[name])),
        ),
      );
  }
  lines.push("", `checks: ${CHECK_NAMES.map((name) => `${SHORT[name]} = ${name}`).join(", ")}`);
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

const cellOf = (r: ScenarioResult) => (r.status === "fail" ? "FAIL" : r.status);

function scenarioCounts(scenarios: ScenarioResult[]) {
  return {
    pass: scenarios.filter((r) => r.status === "pass").length,
    fail: scenarios.filter((r) => r.status === "fail").length,
    na: scenarios.filter((r) => r.status === "n/a").length,
  };
}

function scenarioFailureText(r: ScenarioResult): string {
  const f = r.failure as ScenarioFailure;
  return [
    `step: ${f.step}`,
    f.message,
    ...(f.curl ? ["", `curl: ${f.curl}`] : []),
    ...(f.response ? ["", `response: ${f.response.status}`, f.response.body] : []),
  ].join("\n");
}

const oneLine = (s: string, max: number) => {
  const flat = s.replace(/\s+/g, " ");
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
};

// biome-ignore lint/suspicious/noControlCharactersInRegex: XML 1.0 forbids these characters
const xmlInvalid = /[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd]/gu;
const escapeXml = (s: string) =>
  s
    .replace(xmlInvalid, "\ufffd")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");

function failureText(f: Failure, replayCommand: string): string {
  const response = f.response
    ? [
        `response: ${f.response.status}`,
        ...Object.entries(f.response.headers).map(([k, v]) => `  ${k}: ${v}`),
        f.response.body,
      ]
    : [`no response: ${f.error ?? ""}`];
  return [
    f.message,
    "",
    `request: ${f.request.method} ${f.request.url}`,
    ...Object.entries(f.request.headers).map(([k, v]) => `  ${k}: ${v}`),
    ...(f.request.body === undefined ? [] : [f.request.body]),
    "",
    `curl: ${f.curl}`,
    "",
    ...response,
    "",
    `replay: ${replayCommand} --replay ${f.id} (seed ${f.seed}, path ${f.path})`,
  ].join("\n");
}

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

const escapeHtml = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** One HTML file, styles inline, no scripts or external assets. */
export function htmlReport(
  results: ProviderResult[],
  info: RunInfo,
  replayCommand: string,
  scenarios: ScenarioResult[] = [],
): string {
  const c = counts(results);
  const sections = results.map((r) => {
    const title = `${escapeHtml(r.target)} · ${escapeHtml(r.provider)}`;
    if (r.skipped) return `<h2>${title}</h2><p class="na">${escapeHtml(r.skipped)}</p>`;
    const head = CHECK_NAMES.map((name) => `<th title="${name}">${SHORT[name]}</th>`).join("");
    const rows = r.operations
      .map((op) => {
        const cells = CHECK_NAMES.map((name) => {
          const o = op.outcomes[name];
          const tip = o.status === "n/a" ? o.reason : o.status === "fail" ? o.failure.message : "pass";
          const body = o.status === "fail" ? `<a href="#${o.failure.id}">FAIL</a>` : o.status;
          return `<td class="${o.status === "n/a" ? "na" : o.status}" title="${escapeHtml(tip)}">${body}</td>`;
        }).join("");
        return `<tr><th class="op">${escapeHtml(op.operation)}</th>${cells}</tr>`;
      })
      .join("\n");
    return `<h2>${title} <small>${r.seconds.toFixed(1)} s</small></h2>\n<table><tr><th class="op">operation</th>${head}</tr>\n${rows}</table>`;
  });
  const failures = allFailures(results).map(
    (f) =>
      `<section class="failure" id="${f.id}"><h3>${escapeHtml(f.check)} · ${escapeHtml(`${f.target} ${f.provider}`)} · ${escapeHtml(f.operation)}</h3><pre>${escapeHtml(failureText(f, replayCommand))}</pre></section>`,
  );
  const scenarioRows = scenarios
    .map((r, i) => {
      const tip =
        r.status === "n/a" ? (r.reason ?? "") : r.status === "fail" ? (r.failure?.message ?? "") : "pass";
      const body = r.status === "fail" ? `<a href="#scenario-${i}">FAIL</a>` : r.status;
      return `<tr><th class="op">${escapeHtml(`${r.target} · ${r.provider}`)}</th><th class="op">scenario: ${escapeHtml(r.scenario)}</th><td class="${r.status === "n/a" ? "na" : r.status}" title="${escapeHtml(tip)}">${body}</td></tr>`;
    })
    .join("\n");
  const scenarioSection = scenarios.length
    ? `<h2>Scenarios</h2>\n<table><tr><th class="op">target · provider</th><th class="op">scenario</th><th>result</th></tr>\n${scenarioRows}</table>`
    : "";
  const scenarioFailures = scenarios.flatMap((r, i) =>
    r.failure
      ? [
          `<section class="failure" id="scenario-${i}"><h3>scenario: ${escapeHtml(r.scenario)} · ${escapeHtml(`${r.target} ${r.provider}`)}</h3><pre>${escapeHtml(scenarioFailureText(r))}</pre></section>`,
        ]
      : [],
  );
  failures.push(...scenarioFailures);
  const legend = CHECK_NAMES.map((name) => `<code>${SHORT[name]}</code> ${name}`).join(" · ");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>specyard contract report</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin-bottom:1.5em}
td,th{border:1px solid #ccc;padding:2px 6px;text-align:center;font-size:12px}
th.op{text-align:left;font-family:monospace;font-weight:normal}
td.pass{background:#e6f4ea}td.fail{background:#fbd3d0;font-weight:bold}td.na{color:#999}
p.na{color:#777}pre{background:#f6f6f6;padding:1em;overflow-x:auto;white-space:pre-wrap}
.failure h3{color:#b3261e}
</style></head><body>
<h1>specyard contract report</h1>
<p>${c.operations} operations: ${c.pass} pass, <strong>${c.fail} FAIL</strong>, ${c.na} n/a · seed ${info.seed} · ${info.runs} runs per operation and phase · started ${escapeHtml(info.startedAt)}</p>
<p>${legend}</p>
${sections.join("\n")}
${scenarioSection}
${failures.length ? `<h2>Failures</h2>\n${failures.join("\n")}` : ""}
</body></html>
`;
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
