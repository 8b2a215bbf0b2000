/**
 * Plain calls for the check phases of their own (`methods.ts`, `pagination.ts`, `updates.ts`): a
 * valid request of an operation with known path values, its parsed answer, the setup calls a link
 * declares, and the sandbox's admin actions.
 */
import fc from "fast-check";
import { type Case, caseArbitraries } from "../cases/cases.js";
import type { Exchange } from "../exchange/checks.js";
import { type Context, execute } from "../exchange/exchange.js";
import type { TargetSession } from "../exchange/session.js";
import { simpleValue } from "../generate/parameters.js";
import { type ResourceLink, resourceLinks, type SetupStep } from "../spec/links.js";
import type { ApiSpec, Operation } from "../spec/openapi.js";
import { pointer } from "../spec/pointer.js";

export type Vars = Record<string, string>;

/** Body adjustments (`x-specyard-body`): `omit` leaves generated fields out, `set` fixes values. */
export interface BodyRule {
  omit?: string[];
  set?: Record<string, unknown>;
}

export interface Caller {
  spec: ApiSpec;
  session: TargetSession;
  target: string;
}

export const ctxOf = (c: Caller, op: Operation): Context => ({
  spec: c.spec,
  op,
  session: c.session,
  target: c.target,
});

/** The operation with this id (`GET /path`) or operationId. */
export function operationNamed(spec: ApiSpec, name: string): Operation | undefined {
  return spec.operations.find((o) => o.id === name || o.operationId === name);
}

export const is2xx = (ex: Exchange | undefined): boolean =>
  ex?.response !== undefined && ex.response.status >= 200 && ex.response.status < 300;

export function bodyOf(ex: Exchange | undefined): unknown {
  try {
    return JSON.parse(ex?.response?.body ?? "");
  } catch {
    return undefined;
  }
}

/** What an answer was, for messages: `answered 404` or `failed: <error>`. */
export const answered = (ex: Exchange | undefined): string =>
  ex?.response ? `answered ${ex.response.status}` : `failed: ${ex?.error ?? "not sent"}`;

/** Path values replaced by known variables (parent ids, a resource's id). */
export function withVars(op: Operation, path: Record<string, unknown>, vars: Vars): Record<string, unknown> {
  const out = { ...path };
  for (const p of op.parameters)
    if (p.in === "path" && vars[p.name] !== undefined) out[p.name] = vars[p.name];
  return out;
}

/** A JSON object body with `rule` applied (other bodies as they are). */
export function adjustBody(body: Case["body"], rule: BodyRule | undefined): Case["body"] {
  const value = body?.value;
  if (!rule || !body || !value || typeof value !== "object" || Array.isArray(value)) return body;
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>), ...rule.set };
  for (const name of rule.omit ?? []) delete out[name];
  return { ...body, value: out };
}

/** The operation's own `x-specyard-body`, if any. */
export const bodyRuleOf = (op: Operation): BodyRule | undefined =>
  op.extensions["x-specyard-body"] as BodyRule | undefined;

/** Valid requests of an operation: path values from `vars`, the body adjusted by `rule`. */
export function validCases(op: Operation, vars: Vars, rule?: BodyRule): fc.Arbitrary<Case> {
  const positive = caseArbitraries(op, { verifiesCredentials: true }).positive as fc.Arbitrary<Case>;
  return positive.map((c) => ({ ...c, path: withVars(op, c.path, vars), body: adjustBody(c.body, rule) }));
}

/**
 * A plain valid request: required parts only (so a list is neither filtered nor paged), path values
 * from `vars`, `query` added, the body adjusted by `rule`.
 */
export function plainRequest(
  op: Operation,
  vars: Vars,
  seed: number,
  extra: { query?: Record<string, unknown>; rule?: BodyRule | undefined } = {},
): Case {
  const [sample] = fc.sample(validCases(op, vars, extra.rule), { numRuns: 1, seed });
  if (!sample) throw new Error(`no request could be generated for ${op.id}`);
  const required = (where: "query" | "header" | "cookie", values: Record<string, unknown>) =>
    Object.fromEntries(
      Object.entries(values).filter(([name]) =>
        op.parameters.some((p) => p.in === where && p.name === name && p.required),
      ),
    );
  return {
    ...sample,
    query: { ...required("query", sample.query), ...extra.query },
    headers: required("header", sample.headers),
    cookies: required("cookie", sample.cookies),
    body: op.requestBody?.required ? sample.body : undefined,
  };
}

/** Sends a plain valid request. */
export function call(
  c: Caller,
  op: Operation,
  vars: Vars,
  seed: number,
  extra: { query?: Record<string, unknown>; rule?: BodyRule | undefined } = {},
): Promise<Exchange> {
  return execute(ctxOf(c, op), "positive", plainRequest(op, vars, seed, extra));
}

/** Runs setup calls (`x-specyard-setup`); a string says why they failed. */
export async function runSetup(c: Caller, steps: SetupStep[], seed: number): Promise<Vars | string> {
  const vars: Vars = {};
  for (const step of steps) {
    const op = operationNamed(c.spec, step.operation);
    if (!op) return `setup: no operation ${step.operation}`;
    const ex = await call(c, op, vars, seed);
    if (!is2xx(ex)) return `setup ${step.operation} ${answered(ex)}`;
    for (const [name, at] of Object.entries(step.pick)) {
      const value = pointer(bodyOf(ex), at);
      if (value === undefined || value === null) return `setup ${step.operation}: nothing at ${at}`;
      vars[name] = String(value);
    }
  }
  return vars;
}

/** The parents a phase created, per caller (one workspace for every environment it needs). */
const parentsMade = new WeakMap<Caller, Map<string, Vars>>();

/** The shape of a path template, parameter names left out (`/environments/{}`). */
const shape = (path: string) => path.replace(/\{[^}]+\}/g, "{}");

/**
 * The resource link that makes the values of a path parameter: the create of the collection the
 * parameter indexes (`POST /v0/agents` for `/v0/agents/{agentId}/…`), or a link that reads or
 * deletes by a path of that shape (`DELETE /environments/{id}` for `/environments/{envId}/…`).
 */
export function parentLink(spec: ApiSpec, path: string, name: string): ResourceLink | undefined {
  const at = path.indexOf(`{${name}}`);
  if (at < 0) return undefined;
  const collection = shape(path.slice(0, at).replace(/\/$/, ""));
  const item = shape(`${path.slice(0, at)}{${name}}`);
  const pathOf = (id: string | undefined) => (id ? operationNamed(spec, id)?.path : undefined);
  return resourceLinks(spec).find((l) => {
    if (shape(pathOf(l.create) ?? "") === collection) return true;
    return [l.read, l.delete, l.readAfterDelete].some((r) => shape(pathOf(r?.operation) ?? "") === item);
  });
}

/**
 * Path values for `op`: the setup calls' picks (`x-specyard-setup`), then each parameter still
 * unknown from a parent created through its resource link (and that parent's parents, three deep).
 * A string says what could not be made.
 */
export async function pathVars(
  c: Caller,
  op: Operation,
  setup: SetupStep[] | undefined,
  seed: number,
  known: Vars = {},
  depth = 0,
): Promise<Vars | string> {
  const picked = setup?.length ? await runSetup(c, setup, seed) : {};
  if (typeof picked === "string") return picked;
  const vars: Vars = { ...known, ...picked };
  const made = parentsMade.get(c) ?? new Map<string, Vars>();
  parentsMade.set(c, made);
  for (const p of op.parameters) {
    if (p.in !== "path" || vars[p.name] !== undefined) continue;
    const link = parentLink(c.spec, op.path, p.name);
    const create = link ? operationNamed(c.spec, link.create) : undefined;
    if (!link || !create || create === op || depth >= 3)
      return `no value for the path parameter ${p.name} of ${op.id}: no link creates one`;
    let parent = made.get(link.create);
    if (!parent) {
      const above = await pathVars(c, create, link.setup, seed, {}, depth + 1);
      if (typeof above === "string") return above;
      const ex = await call(c, create, above, seed, { rule: link.body });
      const id = pointer(bodyOf(ex), link.id);
      if (!is2xx(ex) || (typeof id !== "string" && typeof id !== "number"))
        return `no ${link.resource} for the path parameter ${p.name}: ${link.create} ${answered(ex)}`;
      parent = { ...above, [`#${link.create}`]: String(id) };
      made.set(link.create, parent);
    }
    vars[p.name] = parent[`#${link.create}`] as string;
    for (const [k, v] of Object.entries(parent)) if (!k.startsWith("#") && vars[k] === undefined) vars[k] = v;
  }
  return vars;
}

/** The concrete path a case's path values give (`/feeds/abc`), as it is sent. */
export function concretePath(op: Operation, path: Record<string, unknown>): string {
  let out = op.path;
  for (const p of op.parameters.filter((q) => q.in === "path"))
    out = out.replace(`{${p.name}}`, encodeURIComponent(simpleValue(p, path[p.name])));
  return out;
}

/** A sandbox admin action (`POST <adminUrl>/__sandbox/actions/<name>`); undefined without an admin surface. */
export async function act(
  session: TargetSession,
  name: string,
  input: Record<string, unknown>,
): Promise<{ ok: boolean; status: number; body: unknown } | undefined> {
  if (!session.adminUrl) return undefined;
  const response = await fetch(`${session.adminUrl.replace(/\/$/, "")}/__sandbox/actions/${name}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(input),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {}
  return { ok: response.ok, status: response.status, body };
}

/** Runs `task` over `items`, at most `size` at a time, keeping their order in the result. */
export async function mapPool<T, R>(items: T[], size: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await task(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, worker));
  return out;
}
