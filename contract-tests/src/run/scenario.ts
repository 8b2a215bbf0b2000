/**
 * Stateful scenarios: the documents' multi-step flows (sign in → refresh → a mutation, create a feed →
 * push → read back, …) run as named lists of steps with plain `fetch`. Every answer is judged by the
 * suite's conformance checks against the spec (status, content type, body schema), and each step
 * asserts the status and the fields that matter. A failure names the step and shows its curl
 * (credentials redacted) and the response.
 */
import { CHECKS, type CheckName, type Exchange } from "../exchange/checks.js";
import { credentialVariable, curlOf, redactText, type ShownRequest } from "../exchange/http.js";
import type { TargetSession } from "../exchange/session.js";
import type { ApiSpec, Operation } from "../spec/openapi.js";

/** One request of a step. `path` is concrete (`/v1/feed/abc`); it is matched to the spec's operation. */
export interface ScenarioRequest {
  method: string;
  path: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  /** Sent as JSON. */
  json?: unknown;
}

/** What a step sees: requests, the sandbox's admin actions and clock, assertions. */
export interface ScenarioApi {
  provider: string;
  /** The session's credential of a security scheme (redacted in every curl and response shown). */
  credential(scheme: string): string | undefined;
  /** Registers a credential obtained during the scenario, so that it is redacted too. */
  secret(name: string, value: string): string;
  /** Sends a request, judges it against the spec, expects `status`; returns the parsed JSON body. */
  call(request: ScenarioRequest, status: number): Promise<Json>;
  /** Like `call`, without the status expectation (for polling). */
  send(request: ScenarioRequest): Promise<{ status: number; json: Json }>;
  /** A sandbox admin action (`POST /__sandbox/actions/<name>`): the other party or the platform. */
  act(action: string, input?: Record<string, unknown>): Promise<Json>;
  /** Moves the sandbox's clock forward. */
  advance(ms: number): Promise<void>;
  /** Fails the step unless `condition` holds. */
  expect(condition: unknown, message: string): void;
}

export interface ScenarioStep {
  name: string;
  run(api: ScenarioApi): Promise<void>;
}

export interface Scenario {
  provider: string;
  /** Shown as `scenario: <name>`, e.g. `sign-in → refresh → CSRF`. */
  name: string;
  /** Needs the sandbox's admin actions or clock (the other party): `n/a` elsewhere. */
  needsAdmin?: boolean;
  /** Security schemes whose credentials the session must have (else `n/a`, naming the variables). */
  credentials?: string[];
  /** A fresh list per run, so that steps can share state in a closure. */
  steps(): ScenarioStep[];
}

/** Why a scenario failed: the step, what was wrong, the last request of the step and its answer. */
export interface ScenarioFailure {
  step: string;
  message: string;
  curl?: string;
  response?: { status: number; body: string };
}

export interface ScenarioResult {
  provider: string;
  target: string;
  scenario: string;
  status: "pass" | "fail" | "n/a";
  reason?: string;
  failure?: ScenarioFailure;
  seconds: number;
}

/** Sandbox sessions expose their admin surface here (the sandbox's own URL). */
export type ScenarioSession = TargetSession & { adminUrl?: string };

class StepError extends Error {}

type LastCall = Pick<ScenarioFailure, "curl" | "response">;

/** A parsed JSON answer: steps read it by field (the spec check has already validated its shape). */
// biome-ignore lint/suspicious/noExplicitAny: steps read validated answers by field
export type Json = any;

/** Response bodies kept in reports, in characters. */
const BODY_LIMIT = 2000;
const JUDGES: CheckName[] = [
  "status_code_conformance",
  "content_type_conformance",
  "response_schema_conformance",
];

/** The operation a concrete method and path belong to (literal segments win over templated ones). */
export function operationFor(spec: ApiSpec, method: string, path: string): Operation | undefined {
  const matches = spec.operations.filter((op) => {
    if (op.method.toLowerCase() !== method.toLowerCase()) return false;
    const pattern = op.path.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{[^}]+\}/g, "[^/]+");
    return new RegExp(`^${pattern}$`).test(path);
  });
  return matches.sort((a, b) => (a.path.match(/\{/g)?.length ?? 0) - (b.path.match(/\{/g)?.length ?? 0))[0];
}

/** Runs one scenario against a session; admin actions only where the session has an admin surface. */
export async function runScenario(
  scenario: Scenario,
  spec: ApiSpec,
  session: ScenarioSession,
  target: string,
): Promise<ScenarioResult> {
  const started = Date.now();
  const result = (r: Pick<ScenarioResult, "status" | "reason" | "failure">): ScenarioResult => ({
    provider: scenario.provider,
    target,
    scenario: scenario.name,
    ...r,
    seconds: (Date.now() - started) / 1000,
  });
  if (scenario.needsAdmin && !session.adminUrl)
    return result({
      status: "n/a",
      reason: `needs the sandbox's admin actions (the other party): sandbox only`,
    });
  const missing = (scenario.credentials ?? []).filter((scheme) => session.credential(scheme) === undefined);
  if (missing.length)
    return result({
      status: "n/a",
      reason: `no credentials: set ${missing.map((m) => credentialVariable(spec.provider, m)).join(", ")}`,
    });

  const secrets = new Map<string, string>();
  const secret = (name: string, value: string) => {
    secrets.set(value, `\${${credentialVariable(spec.provider, name)}}`);
    return value;
  };
  let last: LastCall | undefined;

  const send = async (request: ScenarioRequest) => {
    const op = operationFor(spec, request.method, request.path);
    if (!op) throw new StepError(`${request.method} ${request.path} is not in the ${spec.provider} spec`);
    const url = new URL(session.baseUrl.replace(/\/$/, "") + request.path);
    for (const [k, v] of Object.entries(request.query ?? {})) url.searchParams.set(k, v);
    const headers: Record<string, string> = { accept: "application/json", ...request.headers };
    const body = request.json === undefined ? undefined : JSON.stringify(request.json);
    if (body !== undefined) headers["content-type"] = "application/json";
    const shown: ShownRequest = {
      method: request.method.toUpperCase(),
      url: redactText(
        url
          .toString()
          .replace(
            session.baseUrl.replace(/\/$/, ""),
            session.curlBaseUrl ?? session.baseUrl.replace(/\/$/, ""),
          ),
        secrets,
      ),
      headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, redactText(v, secrets)])),
      body: body === undefined ? undefined : redactText(body, secrets),
    };
    last = { curl: curlOf(shown) };
    const answer = await fetch(url, {
      method: request.method.toUpperCase(),
      headers,
      body,
      signal: AbortSignal.timeout(30_000),
    });
    const received = {
      status: answer.status,
      headers: Object.fromEntries(answer.headers),
      body: await answer.text(),
    };
    last.response = { status: received.status, body: shownBody(received.body, secrets) };
    const exchange = {
      phase: "positive",
      op,
      request: shown,
      curl: last.curl,
      response: received,
    } as Exchange;
    for (const check of CHECKS.filter((c) => JUDGES.includes(c.name))) {
      const verdict = check.evaluate(exchange);
      if (verdict !== "pass" && verdict !== "skip")
        throw new StepError(`${check.name}: ${redactText(verdict.fail, secrets)}`);
    }
    let json: Json;
    try {
      json = received.body ? JSON.parse(received.body) : undefined;
    } catch {
      json = undefined;
    }
    return { status: received.status, json };
  };

  const api: ScenarioApi = {
    provider: spec.provider,
    credential: (scheme) => {
      const value = session.credential(scheme);
      if (value !== undefined) secret(scheme, value);
      return value;
    },
    secret,
    send,
    async call(request, status) {
      const answer = await send(request);
      if (answer.status !== status) throw new StepError(`expected status ${status}, got ${answer.status}`);
      return answer.json;
    },
    async act(action, input = {}) {
      return admin(session, `/actions/${action}`, input);
    },
    async advance(ms) {
      await admin(session, "/clock", { advanceMs: ms });
    },
    expect(condition, message) {
      if (!condition) throw new StepError(message);
    },
  };

  for (const step of scenario.steps()) {
    last = undefined;
    try {
      await step.run(api);
    } catch (error) {
      const message = redactText(error instanceof Error ? error.message : String(error), secrets);
      return result({
        status: "fail",
        failure: { step: step.name, message, ...(last as LastCall | undefined) },
      });
    }
  }
  return result({ status: "pass" });
}

async function admin(session: ScenarioSession, route: string, input: Record<string, unknown>): Promise<Json> {
  if (!session.adminUrl) throw new StepError("no sandbox admin surface on this target");
  const answer = await fetch(`${session.adminUrl}/__sandbox${route}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(input),
  });
  const text = await answer.text();
  if (!answer.ok) throw new StepError(`admin ${route} answered ${answer.status}: ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : undefined;
}

/** A response body as reports show it: known secrets and every token- or key-like JSON field redacted. */
function shownBody(body: string, secrets: Map<string, string>): string {
  let text = body;
  try {
    text = JSON.stringify(JSON.parse(body), (key, value) =>
      typeof value === "string" && /token|key|secret|jwt|password/i.test(key) ? "<redacted>" : value,
    );
  } catch {
    // not JSON: the known secrets are still redacted
  }
  return redactText(text, secrets).slice(0, BODY_LIMIT);
}
