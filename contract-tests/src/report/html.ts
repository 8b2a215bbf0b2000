/**
 * `report.html`: one self-contained file (styles inline, no scripts or external assets). It opens
 * with a table of contents and the per-target summary (pass / FAIL / n/a, the n/a cells grouped by
 * reason, operations that reached a 2xx), then a table per target and provider, the scenarios, and
 * the failures, each with its curl and the command that replays it.
 */
import { CHECK_NAMES } from "../exchange/checks.js";
import type { Failure } from "../exchange/exchange.js";
import type { ProviderResult } from "../run/runner.js";
import type { ScenarioResult } from "../run/scenario.js";
import {
  allFailures,
  counts,
  escapeHtml,
  failureText,
  type RunInfo,
  SHORT,
  scenarioFailureText,
} from "./common.js";
import { positiveShare, reached2xx, targetSummaries, unreached } from "./summary.js";

const anchor = (r: { target: string; provider: string }) =>
  `t-${r.target}-${r.provider}`.replace(/[^A-Za-z0-9_-]/g, "-");

function summarySection(results: ProviderResult[]): string {
  const summaries = targetSummaries(results);
  const rows = summaries
    .map((s) => {
      const reached = s.reachedKnown ? `${s.reached} / ${s.reachedKnown}` : "—";
      return `<tr><th class="op"><a href="#summary-${escapeHtml(s.target)}">${escapeHtml(s.target)}</a></th><td>${s.providers - s.skipped.length}${s.skipped.length ? ` (skipped: ${escapeHtml(s.skipped.join(", "))})` : ""}</td><td>${s.operations}</td><td class="pass">${s.pass}</td><td class="${s.fail ? "fail" : ""}">${s.fail}</td><td class="na">${s.na}</td><td>${reached}</td></tr>`;
    })
    .join("\n");
  const reasons = summaries.map((s) => {
    const list = s.reasons
      .map(
        (g) =>
          `<tr><td>${g.count}</td><td class="reason" title="${escapeHtml(g.example)}">${escapeHtml(g.reason)}</td><td class="reason">${g.checks.map((c) => `<code>${c}</code>`).join(" ")}</td></tr>`,
      )
      .join("\n");
    const unreachedOps = results
      .filter((r) => r.target === s.target)
      .flatMap((r) => unreached(r).map((u) => ({ ...u, provider: r.provider })));
    const noTwo = unreachedOps.length
      ? `<details><summary>${unreachedOps.length} operations never answered a positive case 2xx</summary><ul>${unreachedOps
          .map(
            (u) =>
              `<li><code>${escapeHtml(`${u.provider} ${u.operation}`)}</code>${u.instead ? ` — ${escapeHtml(u.instead)}` : ""}</li>`,
          )
          .join("")}</ul></details>`
      : "";
    return `<h3 id="summary-${escapeHtml(s.target)}">${escapeHtml(s.target)}: n/a by reason</h3>\n${noTwo}\n<table><tr><th>cells</th><th class="op">reason (hover for one as written)</th><th class="op">checks</th></tr>\n${list}</table>`;
  });
  return `<h2 id="summary">Summary</h2>\n<table><tr><th class="op">target</th><th>providers</th><th>operations</th><th>pass</th><th>FAIL</th><th>n/a</th><th>2xx reached</th></tr>\n${rows}</table>\n${reasons.join("\n")}`;
}

function providerSection(r: ProviderResult): string {
  const title = `${escapeHtml(r.target)} · ${escapeHtml(r.provider)}`;
  if (r.skipped) return `<h2 id="${anchor(r)}">${title}</h2><p class="na">${escapeHtml(r.skipped)}</p>`;
  const head = CHECK_NAMES.map((name) => `<th title="${name}">${SHORT[name]}</th>`).join("");
  const rows = r.operations
    .map((op) => {
      const cells = CHECK_NAMES.map((name) => {
        const o = op.outcomes[name];
        const tip = o.status === "n/a" ? o.reason : o.status === "fail" ? o.failure.message : "pass";
        const body = o.status === "fail" ? `<a href="#${o.failure.id}">FAIL</a>` : o.status;
        return `<td class="${o.status === "n/a" ? "na" : o.status}" title="${escapeHtml(tip)}">${body}</td>`;
      }).join("");
      const flag = reached2xx(op);
      const share = positiveShare(op) ?? (flag === undefined ? "—" : flag ? "yes" : "no");
      const reached = `<td class="${flag === false ? "no2xx" : ""}">${share}</td>`;
      return `<tr><th class="op">${escapeHtml(op.operation)}</th>${cells}${reached}</tr>`;
    })
    .join("\n");
  return `<h2 id="${anchor(r)}">${title} <small>${r.seconds.toFixed(1)} s</small></h2>\n<table><tr><th class="op">operation</th>${head}<th title="positive cases answered 2xx">2xx</th></tr>\n${rows}</table>`;
}

function failureSection(f: Failure, replayCommand: string): string {
  return `<section class="failure" id="${f.id}"><h3>${escapeHtml(f.check)} · ${escapeHtml(`${f.target} ${f.provider}`)} · ${escapeHtml(f.operation)}</h3>
<p>${escapeHtml(f.message)}</p>
<p>replay: <code>${escapeHtml(`${replayCommand} --replay ${f.id}`)}</code> (seed ${f.seed}, path ${escapeHtml(f.path || "—")})</p>
<pre class="curl">${escapeHtml(f.curl)}</pre>
<details><summary>request and response</summary><pre>${escapeHtml(failureText(f, replayCommand))}</pre></details></section>`;
}

export function htmlReport(
  results: ProviderResult[],
  info: RunInfo,
  replayCommand: string,
  scenarios: ScenarioResult[] = [],
): string {
  const c = counts(results);
  const found = allFailures(results);
  const failures = found.map((f) => failureSection(f, replayCommand));
  const scenarioRows = scenarios
    .map((r, i) => {
      const tip =
        r.status === "n/a" ? (r.reason ?? "") : r.status === "fail" ? (r.failure?.message ?? "") : "pass";
      const body = r.status === "fail" ? `<a href="#scenario-${i}">FAIL</a>` : r.status;
      return `<tr><th class="op">${escapeHtml(`${r.target} · ${r.provider}`)}</th><th class="op">scenario: ${escapeHtml(r.scenario)}</th><td class="${r.status === "n/a" ? "na" : r.status}" title="${escapeHtml(tip)}">${body}</td><td class="reason">${escapeHtml(r.status === "n/a" ? (r.reason ?? "") : "")}</td></tr>`;
    })
    .join("\n");
  const scenarioSection = scenarios.length
    ? `<h2 id="scenarios">Scenarios</h2>\n<table><tr><th class="op">target · provider</th><th class="op">scenario</th><th>result</th><th class="op">n/a because</th></tr>\n${scenarioRows}</table>`
    : "";
  for (const [i, r] of scenarios.entries())
    if (r.failure)
      failures.push(
        `<section class="failure" id="scenario-${i}"><h3>scenario: ${escapeHtml(r.scenario)} · ${escapeHtml(`${r.target} ${r.provider}`)}</h3><pre>${escapeHtml(scenarioFailureText(r))}</pre></section>`,
      );
  const legend = CHECK_NAMES.map((name) => `<code>${SHORT[name]}</code> ${name}`).join(" · ");
  const toc = [
    ...(results.length ? [`<li><a href="#summary">Summary</a> (n/a by reason, 2xx reached)</li>`] : []),
    `<li>Results<ul>${results.map((r) => `<li><a href="#${anchor(r)}">${escapeHtml(`${r.target} · ${r.provider}`)}</a>${r.skipped ? " (skipped)" : ""}</li>`).join("")}</ul></li>`,
    ...(scenarios.length ? [`<li><a href="#scenarios">Scenarios</a></li>`] : []),
    `<li><a href="#failures">Failures</a> (${failures.length})</li>`,
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>specyard contract report</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin-bottom:1.5em}
td,th{border:1px solid #ccc;padding:2px 6px;text-align:center;font-size:12px}
th.op{text-align:left;font-family:monospace;font-weight:normal}td.reason{text-align:left}
td.pass{background:#e6f4ea}td.fail{background:#fbd3d0;font-weight:bold}td.na{color:#999}td.no2xx{background:#fff4d6}
p.na{color:#777}pre{background:#f6f6f6;padding:1em;overflow-x:auto;white-space:pre-wrap}
.failure h3{color:#b3261e}nav ul{margin:0}
</style></head><body>
<h1>specyard contract report</h1>
<p>${c.operations} operations: ${c.pass} pass, <strong>${c.fail} FAIL</strong>, ${c.na} n/a · seed ${info.seed} · ${info.runs} runs per operation and phase · started ${escapeHtml(info.startedAt)}</p>
<nav><h2>Contents</h2><ul>${toc.join("\n")}</ul></nav>
${results.length ? summarySection(results) : ""}
<p>${legend} · <code>2xx</code> positive cases answered 2xx</p>
${results.map(providerSection).join("\n")}
${scenarioSection}
<h2 id="failures">Failures</h2>
${failures.length ? failures.join("\n") : "<p>None.</p>"}
</body></html>
`;
}
