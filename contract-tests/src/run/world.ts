/**
 * What a stateful run knows exists on its target, so that valid requests can succeed: before the
 * checks, every resource the specs' links describe is created once, parents first (the create's
 * own path parameters must be known), from its most plausible request (`seedCase`: documented
 * examples, `x-specyard-body`, the body rules) and then from a few generated ones. Its id and its
 * parents' ids fill the path parameters of
 *
 * - the operations its links name (read, delete, and any other link such as an edit or a push),
 * - every operation under the path those links reach (`/v0/agents/{agentId}` → `/v0/agents/{agentId}/tasks`),
 * - and by name, the values the `x-specyard-setup` calls of any operation pick and the target's own fixtures.
 *
 * The world also tags what the run creates (`x-specyard-unique` fields get `specyard-contract-<run>-<n>`),
 * remembers every resource created through a linked create, and deletes them at the end where the
 * API can (on live hosts).
 */
import fc from "fast-check";
import { bodyKind, type Case, caseArbitraries, seedCase } from "../cases/cases.js";
import type { Exchange } from "../exchange/checks.js";
import { execute } from "../exchange/exchange.js";
import type { TargetSession } from "../exchange/session.js";
import { tagPrefix, uniqueValue } from "../generate/unique.js";
import { flatten } from "../generate/values.js";
import { type LinkedCall, type ResourceLink, setupOf } from "../spec/links.js";
import type { ApiSpec, Operation, Schema } from "../spec/openapi.js";
import { evaluate, pointer } from "../spec/pointer.js";
import { uniqueFields } from "../spec/rules.js";
import { isValid } from "../spec/validate.js";
import type { Budget } from "./budget.js";

export type Vars = Record<string, string>;

/** What a stateful target can add to its session. */
export interface StatefulSession extends TargetSession {
  /** New credentials for the same account, after an operation revoked the current ones (logout). */
  renew?(): Promise<void>;
  /**
   * What the target prepares once the world exists (a sandbox's admin actions: an order a client
   * placed, a signed challenge): path values by name (`vars`) or by operationId (`operations`),
   * and seed bodies by operationId. `known` looks up a path value the world knows by name. Asked
   * twice: `before` the world's creates and `after` them (for what needs a created resource).
   */
  fixtures?(known: (name: string) => string | undefined, stage: "before" | "after"): Promise<Fixtures>;
  /** What the run may spend on a live account (quotas, rate limits, money); unlimited without. */
  budget?: Budget;
  /** Delete what the run created, at its end (a live account is kept; a sandbox is thrown away). */
  cleanup?: boolean;
}

export interface Fixtures {
  vars?: Vars;
  operations?: Record<string, Vars>;
  /** Seed bodies by operationId: each use takes the next (the last one stays). */
  bodies?: Record<string, unknown[]>;
}

/** A resource the run created through a linked create. */
export interface Created {
  link: ResourceLink;
  id: string;
  /** The create's path values and parsed answer, which the links' expressions read. */
  answer: { path: Record<string, unknown>; body: unknown };
  deleted?: boolean;
}

interface Binding {
  /** Path segments of the linked operation up to its last bound parameter. */
  segments: string[];
  values: Vars;
  link: ResourceLink;
}

const is2xx = (ex: Exchange | undefined) =>
  ex?.response !== undefined && ex.response.status >= 200 && ex.response.status < 300;

function bodyOf(ex: Exchange | undefined): unknown {
  try {
    return JSON.parse(ex?.response?.body ?? "");
  } catch {
    return undefined;
  }
}

const segmentsOf = (path: string) => path.split("/").filter(Boolean);
const paramOf = (segment: string) => /^\{(.+)\}$/.exec(segment)?.[1];

export class World {
  /** Values by path parameter name: setup picks, the target's fixtures. */
  readonly vars: Vars = {};
  /** Values for one operation's path parameters (from a link that names it, or its own setup). */
  private readonly byOperation = new Map<string, Vars>();
  private readonly bindings: Binding[] = [];
  readonly created: Created[] = [];
  /** Why a linked create did not succeed, by create operation. */
  readonly problems = new Map<string, string>();
  /** Seed bodies the target prepared, by operationId (see `StatefulSession.fixtures`). */
  readonly bodies = new Map<string, unknown[]>();
  private counter = 0;

  constructor(
    readonly spec: ApiSpec,
    readonly session: StatefulSession,
    readonly target: string,
    readonly runId: string,
    readonly seed: number,
  ) {}

  operation(id: string): Operation {
    const op = this.spec.operations.find((o) => o.id === id);
    if (!op) throw new Error(`${this.spec.provider} has no operation ${id}`);
    return op;
  }

  /** The known values of an operation's path parameters. */
  known(op: Operation): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    const own = this.byOperation.get(op.id) ?? {};
    const path = segmentsOf(op.path);
    for (const p of op.parameters) {
      // Other parameters only from what names this operation (a fixture's query value).
      const value =
        p.in === "path"
          ? (own[p.name] ?? this.bindingFor(path, p.name)?.values[p.name] ?? this.vars[p.name])
          : own[p.name];
      if (value !== undefined) out[p.name] = [value];
    }
    return out;
  }

  /** A path value the world knows by name, from anywhere. */
  value(name: string): string | undefined {
    if (this.vars[name] !== undefined) return this.vars[name];
    for (const b of [...this.bindings].reverse()) if (b.values[name] !== undefined) return b.values[name];
    for (const values of this.byOperation.values()) if (values[name] !== undefined) return values[name];
    return undefined;
  }

  /** Takes the target's fixtures in. */
  async fixtures(stage: "before" | "after"): Promise<void> {
    const made = (await this.session.fixtures?.((name) => this.value(name), stage)) ?? {};
    Object.assign(this.vars, made.vars);
    for (const [operationId, values] of Object.entries(made.operations ?? {})) {
      const op = this.spec.operations.find((o) => o.operationId === operationId);
      if (op) this.byOperation.set(op.id, { ...this.byOperation.get(op.id), ...values });
    }
    for (const [operationId, bodies] of Object.entries(made.bodies ?? {}))
      this.bodies.set(operationId, [...bodies]);
  }

  /** The seed body the target prepared for an operation, if any. */
  bodyFor(op: Operation): unknown {
    const list = op.operationId ? this.bodies.get(op.operationId) : undefined;
    return list && list.length > 1 ? list.shift() : list?.[0];
  }

  /** The longest binding whose path is a prefix of `path` and binds `name`. */
  private bindingFor(path: string[], name: string): Binding | undefined {
    let best: Binding | undefined;
    for (const b of this.bindings) {
      if (!(name in b.values) || b.segments.length > path.length) continue;
      if (!b.segments.every((s, i) => s === path[i])) continue;
      if (!best || b.segments.length > best.segments.length) best = b;
    }
    return best;
  }

  /** The next `specyard-contract-<run>-<n>` tag. */
  tag(): string {
    return `${tagPrefix(this.runId)}-${++this.counter}`;
  }

  /**
   * A case as it is sent: each `x-specyard-unique` body field (when valid) gets a fresh tag, and a
   * top-level body value `$known.<name>` (alone or in a list) the value the world knows by that name.
   */
  prepare(op: Operation, c: Case): Case {
    const body = c.body;
    if (!body || bodyKind(body.mediaType) === "raw") return c;
    const schema = op.requestBody?.content[body.mediaType]?.schema;
    const fields = uniqueFields(schema);
    const value = body.value;
    if (!value || typeof value !== "object" || Array.isArray(value)) return c;
    const properties: Record<string, Schema> = flatten(schema ?? {}).properties ?? {};
    const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    const resolve = (v: unknown) => {
      const name = typeof v === "string" ? /^\$known\.(.+)$/.exec(v)?.[1] : undefined;
      return name === undefined ? v : (this.value(name) ?? v);
    };
    for (const [name, v] of Object.entries(out)) out[name] = Array.isArray(v) ? v.map(resolve) : resolve(v);
    for (const name of fields) {
      const sub = properties[name];
      if (!sub || !(name in out) || !isValid(sub, out[name])) continue;
      out[name] = uniqueValue(sub, this.tag());
    }
    return { ...c, body: { ...body, value: out } };
  }

  /** Sends a case (prepared) as a valid request. */
  send(op: Operation, c: Case): Promise<Exchange> {
    return execute(
      { spec: this.spec, op, session: this.session, target: this.target },
      "positive",
      this.prepare(op, c),
    );
  }

  /** Runs an operation's `x-specyard-setup` calls; their picks become known values. */
  async setup(op: Operation, steps = setupOf(this.spec, op) ?? []): Promise<string | undefined> {
    for (const step of steps) {
      const stepOp = this.operation(step.operation);
      const c = seedCase(stepOp, this.known(stepOp), this.seed);
      if (!c) return `setup ${step.operation}: no request could be made`;
      const budget = this.session.budget;
      if (budget && !budget.take(stepOp, "positive")) return `setup ${step.operation}: ${budget.why(stepOp)}`;
      const ex = await this.send(stepOp, c);
      if (!is2xx(ex))
        return `setup ${step.operation} ${ex.response ? `answered ${ex.response.status}` : ex.error}`;
      const own = this.byOperation.get(op.id) ?? {};
      for (const [name, at] of Object.entries(step.pick)) {
        const value = pointer(bodyOf(ex), at);
        if (value === undefined || value === null) return `setup ${step.operation}: nothing at ${at}`;
        this.vars[name] ??= String(value);
        own[name] = String(value);
      }
      this.byOperation.set(op.id, own);
    }
    return undefined;
  }

  /**
   * Creates one resource of a link from its most plausible request, then from a few generated
   * ones; binds what its links name. Undefined (and a problem recorded) when no create succeeded.
   */
  async create(link: ResourceLink, bind = true): Promise<Created | undefined> {
    const op = this.operation(link.create);
    const known = this.known(op);
    // The seed case first; generated ones only when it did not do.
    function* tries(seed: number, body: unknown): Generator<Case> {
      const first = seedCase(op, known, seed, body);
      if (first) yield first;
      const positive = caseArbitraries(op, { verifiesCredentials: true, known }).positive;
      if (positive) yield* fc.sample(positive, { numRuns: 4, seed });
    }
    let last: Exchange | undefined;
    for (const c of tries(this.seed, this.bodyFor(op))) {
      const budget = this.session.budget;
      if (budget && !budget.take(op, "positive")) {
        this.problems.set(op.id, budget.why(op));
        return undefined;
      }
      last = await this.send(op, c);
      const made = this.record(link, last);
      if (made) {
        if (bind) this.bind(made);
        return made;
      }
    }
    this.problems.set(
      op.id,
      last?.response
        ? `answered ${last.response.status} ${last.response.body.slice(0, 160)}`
        : `${last?.error ?? "no request could be made"}`,
    );
    return undefined;
  }

  /** Records the resource a linked create's 2xx answer made (for the links and the cleanup). */
  record(link: ResourceLink, ex: Exchange): Created | undefined {
    if (!is2xx(ex)) return undefined;
    const body = bodyOf(ex);
    const found = pointer(body, link.id);
    if (typeof found !== "string" && typeof found !== "number") return undefined;
    const made: Created = { link, id: String(found), answer: { path: ex.case.path, body } };
    this.created.push(made);
    return made;
  }

  /** The linked calls of a created resource: its read, delete and other links, with their values. */
  calls(made: Created): { call: LinkedCall; values: Vars }[] {
    const { link } = made;
    const all = [link.read, link.readAfterDelete, link.delete, ...(link.uses ?? [])].filter(
      (c): c is LinkedCall => c !== undefined,
    );
    return all.map((call) => {
      const values: Vars = {};
      for (const [name, e] of Object.entries(call.parameters)) {
        const v = evaluate(e, made.answer);
        if (v !== undefined && v !== null) values[name] = String(v);
      }
      return { call, values };
    });
  }

  private bind(made: Created): void {
    for (const { call, values } of this.calls(made)) {
      this.byOperation.set(call.operation, { ...this.byOperation.get(call.operation), ...values });
      const segments = segmentsOf(this.operation(call.operation).path);
      let last = -1;
      segments.forEach((s, i) => {
        const name = paramOf(s);
        if (name && name in values) last = i;
      });
      if (last >= 0) this.bindings.push({ segments: segments.slice(0, last + 1), values, link: made.link });
    }
  }

  /**
   * The known values of a destructive operation (a delete) on a resource of its own, made for it,
   * so that deleting it leaves the shared one to the other operations.
   */
  async fresh(op: Operation): Promise<Record<string, string[]> | undefined> {
    const path = segmentsOf(op.path);
    const last = [...path].reverse().map(paramOf).find(Boolean);
    // Only the resource's own delete (by its link, or at the path that reads it): a delete of
    // something related (a detach) needs the shared resource as the others left it.
    const own = this.bindings.find((b) => b.link.delete?.operation === op.id)?.link;
    const byPath = last ? this.bindingFor(path, last)?.link : undefined;
    const link =
      own ?? (byPath && this.operation(byPath.read.operation).path === op.path ? byPath : undefined);
    if (!link) return undefined;
    const made = await this.create(link, false);
    if (!made) return undefined;
    const known = this.known(op);
    for (const { values } of this.calls(made))
      for (const [name, value] of Object.entries(values))
        if (path.includes(`{${name}}`)) known[name] = [value];
    return known;
  }

  /** Deletes every created resource that was not deleted yet, where its link has a delete. */
  async cleanup(): Promise<{ deleted: number; left: string[] }> {
    let deleted = 0;
    const left: string[] = [];
    for (const made of [...this.created].reverse()) {
      if (made.deleted) continue;
      const entry = this.calls(made).find(({ call }) => call.operation === made.link.delete?.operation);
      if (!entry) {
        left.push(`${made.link.resource} ${made.id} (the API cannot delete it)`);
        continue;
      }
      const op = this.operation(entry.call.operation);
      const c = seedCase(
        op,
        Object.fromEntries(Object.entries(entry.values).map(([k, v]) => [k, [v]])),
        this.seed,
      );
      const ex = c ? await this.send(op, c) : undefined;
      if (is2xx(ex) || ex?.response?.status === 404 || ex?.response?.status === 410) {
        made.deleted = true;
        deleted++;
      } else left.push(`${made.link.resource} ${made.id} (${op.id} ${ex?.response?.status ?? ex?.error})`);
    }
    return { deleted, left };
  }
}

/** The links in an order that creates parents first: a create whose path values are all known. */
export async function buildWorld(world: World, links: ResourceLink[]): Promise<World> {
  await world.fixtures("before");
  const pending = [...links];
  while (pending.length) {
    const ready = (l: ResourceLink) => {
      const op = world.operation(l.create);
      const known = world.known(op);
      return op.parameters.every((p) => p.in !== "path" || known[p.name] || setupOf(world.spec, op));
    };
    const index = Math.max(0, pending.findIndex(ready));
    const [link] = pending.splice(index, 1);
    if (!link) break;
    const op = world.operation(link.create);
    const problem = link.setup ? await world.setup(op, link.setup) : undefined;
    if (problem) world.problems.set(op.id, problem);
    else await world.create(link);
  }
  // The other operations' setup calls, once their parents exist.
  for (const op of world.spec.operations) {
    if (op.extensions["x-specyard-setup"] === undefined || links.some((l) => l.create === op.id)) continue;
    const problem = await world.setup(op);
    if (problem) world.problems.set(op.id, problem);
  }
  await world.fixtures("after");
  return world;
}
