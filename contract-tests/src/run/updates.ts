/**
 * The `update_applied` phase, on a stateful target: for each documented update of a resource the
 * links can create and read, one resource is created, then a fast-check property sends generated
 * (schema-valid) updates to it and reads it back after each 2xx, comparing the fields sent with
 * the fields read (`src/exchange/updates.ts`). Reported on the update operation.
 *
 * The update of a resource link is an OpenAPI link of the create's 2xx answer to a PATCH or PUT
 * operation (not `x-specyard-after-delete`), or else the PATCH / PUT on the path of its read or
 * delete; a singleton (a PATCH / PUT beside a GET on a path without parameters, `/agents/me`) needs
 * no create. The update operation's own `x-specyard-body` adjusts the generated bodies.
 */
import fc from "fast-check";
import type { Exchange } from "../exchange/checks.js";
import { execute, type Failure, failureOf, hash, type Outcome } from "../exchange/exchange.js";
import { judgeUpdate, type UpdateChain } from "../exchange/updates.js";
import { schemaAt } from "../spec/link-check.js";
import { type LinkedCall, type Reader, type ResourceLink, resourceLinks } from "../spec/links.js";
import type { ApiSpec, Operation, Schema } from "../spec/openapi.js";
import { evaluate, expression, pointer, segments } from "../spec/pointer.js";
import {
  answered,
  bodyOf,
  bodyRuleOf,
  type Caller,
  call,
  ctxOf,
  is2xx,
  operationNamed,
  pathVars,
  type Vars,
  validCases,
} from "./calls.js";

/** Updates per resource (each one an update and a read). */
export const UPDATE_RUNS = 5;

/** A documented update, the read that shows its result and, for a resource a link creates, that link. */
export interface UpdateTarget {
  resource: string;
  update: LinkedCall;
  read: Reader;
  /** The resource link that creates the resource first; absent for a singleton (`GET|PATCH /agents/me`). */
  link?: ResourceLink;
}

const UPDATES = ["PATCH", "PUT"];

/** The updates a link's create declares: its 2xx links to a PATCH / PUT (not the after-delete ones). */
function declaredUpdates(spec: ApiSpec, create: Operation): LinkedCall[] {
  return Object.entries(create.responses)
    .filter(([status]) => status.startsWith("2"))
    .flatMap(([, r]) => Object.values(r.links))
    .filter((l: Schema) => l["x-specyard-after-delete"] !== true)
    .flatMap((l: Schema) => {
      const op = operationNamed(spec, String(l.operationId));
      if (!op || !UPDATES.includes(op.method)) return [];
      const parameters = Object.fromEntries(
        Object.entries<unknown>(l.parameters ?? {}).flatMap(([k, v]) => {
          const e = expression(v);
          return e ? [[k.replace(/^path\./, ""), e]] : [];
        }),
      );
      return [{ operation: op.id, parameters }];
    });
}

/**
 * The documented updates the suite can check: those of the resource links (declared as links of
 * the create, else the PATCH / PUT on the path of the read or delete), then singletons (a PATCH /
 * PUT and a GET on one path without path parameters).
 */
export function updateTargets(spec: ApiSpec): UpdateTarget[] {
  const out: UpdateTarget[] = [];
  const add = (t: UpdateTarget) => {
    if (!out.some((u) => u.update.operation === t.update.operation)) out.push(t);
  };
  for (const link of resourceLinks(spec)) {
    const create = operationNamed(spec, link.create) as Operation;
    const readers = [link.read, link.delete, link.readAfterDelete].filter((r): r is LinkedCall => !!r);
    const inferred = readers.flatMap((r) => {
      const path = operationNamed(spec, r.operation)?.path;
      return spec.operations
        .filter((op) => op.path === path && UPDATES.includes(op.method))
        .map((op) => ({ operation: op.id, parameters: r.parameters }));
    });
    const declared = declaredUpdates(spec, create);
    for (const update of declared.length ? declared : inferred)
      add({ resource: link.resource, update, read: link.read, link });
  }
  for (const op of spec.operations) {
    if (!UPDATES.includes(op.method) || op.parameters.some((p) => p.in === "path")) continue;
    const read = spec.operations.find((o) => o.method === "GET" && o.path === op.path);
    const resource = op.path.split("/").filter(Boolean).join(" ");
    if (read)
      add({
        resource,
        update: { operation: op.id, parameters: {} },
        read: { operation: read.id, parameters: {} },
      });
  }
  return out;
}

export const updateSeed = (seed: number, op: string) => hash(`${seed} ${op} update_applied`).readInt32BE(0);

const parent = (at: string) => at.split("/").slice(0, -1).join("/");
const isObject = (v: unknown): v is Record<string, unknown> =>
  !!v && typeof v === "object" && !Array.isArray(v);

/**
 * The resource in a read's answer (the listed item with the id; else the object beside the create's
 * id pointer, `/data` or the whole answer, whichever holds a field sent), and the fields the read's
 * schema gives it.
 */
function located(
  spec: ApiSpec,
  t: UpdateTarget,
  read: Exchange,
  id: string | undefined,
  sent: Record<string, unknown>,
): { found?: Record<string, unknown>; fields?: Set<string> } {
  const body = bodyOf(read);
  const op = operationNamed(spec, t.read.operation) as Operation;
  const media = Object.entries(op.responses["200"]?.content ?? {}).find(([type]) => /json/i.test(type));
  const schema = media?.[1].schema;
  const fieldsAt = (s: Schema | undefined) =>
    s?.properties ? new Set(Object.keys(s.properties)) : undefined;
  if (t.read.listed) {
    const { array, key } = t.read.listed;
    const items = pointer(body, array);
    const found = Array.isArray(items)
      ? items.find((item) => isObject(item) && String(item[key]) === id)
      : undefined;
    const fields = fieldsAt(schemaAt(schema, segments(array))?.items);
    return { ...(isObject(found) ? { found } : {}), ...(fields ? { fields } : {}) };
  }
  const candidates = [...new Set([...(t.link ? [parent(t.link.id)] : []), "/data", ""])].filter((at) =>
    isObject(pointer(body, at)),
  );
  const at =
    candidates.find((c) => Object.keys(sent).some((k) => k in (pointer(body, c) as object))) ?? candidates[0];
  if (at === undefined) return {};
  const fields = fieldsAt(schemaAt(schema, segments(at)));
  return { found: pointer(body, at) as Record<string, unknown>, ...(fields ? { fields } : {}) };
}

/** The resource to update: a new one (from the link) or the singleton; a string says why there is none. */
async function subject(
  c: Caller,
  t: UpdateTarget,
  seed: number,
): Promise<
  | { vars: Vars; id?: string; made?: Exchange; answer: { path: Record<string, unknown>; body: unknown } }
  | string
> {
  const link = t.link;
  if (!link) return { vars: {}, answer: { path: {}, body: undefined } };
  const create = operationNamed(c.spec, link.create) as Operation;
  const setup = await pathVars(c, create, link.setup, seed);
  if (typeof setup === "string") return setup;
  const made = await call(c, create, setup, seed, { rule: link.body });
  const id = pointer(bodyOf(made), link.id);
  if (!is2xx(made) || (typeof id !== "string" && typeof id !== "number"))
    return `no ${link.resource} to update: ${link.create} ${answered(made)}`;
  return { vars: setup, id: String(id), made, answer: { path: made.case.path, body: bodyOf(made) } };
}

/** `update_applied` of one update; with `options.path` it replays one recorded counterexample. */
export async function checkUpdate(
  c: Caller,
  t: UpdateTarget,
  options: { seed: number; runs: number; path?: string },
): Promise<Outcome> {
  const { spec } = c;
  const found = await subject(c, t, options.seed);
  if (typeof found === "string") return { status: "n/a", reason: found };
  const { vars, id, made, answer } = found;
  const values = (linked: LinkedCall): Vars => {
    const out = { ...vars };
    for (const [name, e] of Object.entries(linked.parameters)) out[name] = String(evaluate(e, answer));
    return out;
  };
  const op = operationNamed(spec, t.update.operation) as Operation;
  const readOp = operationNamed(spec, t.read.operation) as Operation;
  const arb = validCases(op, values(t.update), bodyRuleOf(op));
  let last: { chain: UpdateChain; message: string } | undefined;
  let ran = false;
  let succeeded = 0;
  let bug: unknown;
  const property = fc.asyncProperty(arb, async (u) => {
    try {
      const sent = u.body?.value;
      if (!isObject(sent)) return true;
      const updated = await execute(ctxOf(c, op), "positive", u);
      const chain: UpdateChain = { resource: t.resource, ...(id ? { id } : {}), update: updated, sent };
      if (is2xx(updated)) {
        succeeded++;
        chain.read = await call(c, readOp, values(t.read), options.seed);
        Object.assign(chain, located(spec, t, chain.read, id, sent));
      }
      const verdict = judgeUpdate(chain);
      if (verdict === "skip") return true;
      ran = true;
      if (verdict === "pass") return true;
      last = { chain, message: verdict.fail };
      return false;
    } catch (error) {
      bug ??= error;
      return true;
    }
  });
  const details = await fc.check(property, {
    seed: options.seed,
    numRuns: options.runs,
    ...(options.path ? { path: options.path } : {}),
  });
  if (bug)
    throw new Error(`${op.id} (update_applied): the suite itself failed: ${(bug as Error).stack ?? bug}`);
  if (details.failed && last) {
    const steps = [made, last.chain.update, last.chain.read].filter((e): e is Exchange => e !== undefined);
    const secrets = new Map<string, string>();
    for (const e of steps) for (const [k, v] of e.secrets ?? []) secrets.set(k, v);
    const shown = last.chain.read ?? last.chain.update;
    const failure: Failure = failureOf(
      ctxOf(c, op),
      { ...shown, curl: steps.map((e) => e.curl).join("\n"), secrets },
      "update_applied",
      last.message,
      {
        seed: options.seed,
        path: details.counterexamplePath ?? "",
        runs: options.runs,
        activeChecks: ["update_applied"],
      },
    );
    return { status: "fail", failure };
  }
  if (ran) return { status: "pass" };
  return {
    status: "n/a",
    reason: succeeded
      ? `no field ${op.id} sent shows in ${readOp.id}`
      : `${op.id} answered no generated update 2xx in ${options.runs} tries`,
  };
}

/** `update_applied` for the operations in `ops`: operation id → outcome. */
export async function runUpdates(
  c: Caller,
  ops: Operation[],
  options: { seed: number; runs: number; stateful: boolean },
): Promise<Map<string, Outcome>> {
  const out = new Map<string, Outcome>();
  const updates = updateTargets(c.spec);
  for (const op of ops) {
    const found = updates.find((u) => u.update.operation === op.id);
    if (!found) {
      const reason = UPDATES.includes(op.method)
        ? "an update, but of no resource the links create and read (nor a singleton)"
        : "not an update (PATCH / PUT)";
      out.set(op.id, { status: "n/a", reason });
    } else if (!options.stateful)
      out.set(op.id, {
        status: "n/a",
        reason: `an update of the ${found.resource}: needs a stateful target`,
      });
    else
      out.set(
        op.id,
        await checkUpdate(c, found, {
          seed: updateSeed(options.seed, op.id),
          runs: Math.min(options.runs, UPDATE_RUNS),
        }),
      );
  }
  return out;
}
