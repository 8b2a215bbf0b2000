/** Sending one case and recording the exchange; turning a failed check into a `Failure`. */
import { createHash } from "node:crypto";
import type { Case, Phase } from "../cases/cases.js";
import type { ApiSpec, Operation } from "../spec/openapi.js";
import type { CheckName, Exchange, ProxyViolation } from "./checks.js";
import { prepareRequest, redactText, type ShownRequest, send } from "./http.js";
import type { TargetSession } from "./session.js";

/** Response bodies kept in reports, in characters. */
const BODY_LIMIT = 2000;

export interface Context {
  spec: ApiSpec;
  op: Operation;
  session: TargetSession;
  target: string;
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

export async function execute(ctx: Context, phase: Phase, c: Case): Promise<Exchange> {
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

export function failureOf(
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

export const hash = (text: string) => createHash("sha256").update(text).digest();

/** A stable short id per target, provider, operation and check. */
export const failureId = (target: string, provider: string, operation: string, check: string) =>
  `${provider}-${hash(`${target} ${provider} ${operation} ${check}`).toString("hex").slice(0, 8)}`;
