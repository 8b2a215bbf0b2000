/** What the reports share: the run's info, the checks' short names, counts and failure texts. */
import type { CheckName } from "../exchange/checks.js";
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
  unsupported_method: "405",
  pagination_consistency: "pages",
  update_applied: "update",
};

export const cell = (o: Outcome) => (o.status === "fail" ? "FAIL" : o.status);

export function allFailures(results: ProviderResult[]): Failure[] {
  return results.flatMap((r) =>
    r.operations.flatMap((op) =>
      Object.values(op.outcomes).flatMap((o) => (o.status === "fail" ? [o.failure] : [])),
    ),
  );
}

export function counts(results: ProviderResult[]) {
  const all = results.flatMap((r) => r.operations.flatMap((op) => Object.values(op.outcomes)));
  return {
    operations: results.reduce((n, r) => n + r.operations.length, 0),
    pass: all.filter((o) => o.status === "pass").length,
    fail: all.filter((o) => o.status === "fail").length,
    na: all.filter((o) => o.status === "n/a").length,
  };
}

export const cellOf = (r: ScenarioResult) => (r.status === "fail" ? "FAIL" : r.status);

export function scenarioCounts(scenarios: ScenarioResult[]) {
  return {
    pass: scenarios.filter((r) => r.status === "pass").length,
    fail: scenarios.filter((r) => r.status === "fail").length,
    na: scenarios.filter((r) => r.status === "n/a").length,
  };
}

export function scenarioFailureText(r: ScenarioResult): string {
  const f = r.failure as ScenarioFailure;
  return [
    `step: ${f.step}`,
    f.message,
    ...(f.curl ? ["", `curl: ${f.curl}`] : []),
    ...(f.response ? ["", `response: ${f.response.status}`, f.response.body] : []),
  ].join("\n");
}

export const oneLine = (s: string, max: number) => {
  const flat = s.replace(/\s+/g, " ");
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
};

export function failureText(f: Failure, replayCommand: string): string {
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

export const escapeHtml = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
