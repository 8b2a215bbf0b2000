/**
 * What a run may spend on a live account. Per operation, from the spec (`src/spec/costs.ts`) and
 * the provider's plan (`src/targets/live.ts`):
 *
 * - calls: a documented rate limit (`x-rate-limit`) caps every call of the operation in the run,
 *   less what the plan keeps back for the scenarios that run after the checks;
 * - writes: valid calls of an operation that changes something (POST, PUT, PATCH, DELETE) are
 *   capped by the plan (`writes`), and a documented quota (`x-specyard-quota`, e.g. 3 feeds per
 *   account) caps them further, less what the plan keeps back. Invalid calls and calls without
 *   credentials are expected to change nothing, so only the rate limit counts them;
 * - money: a valid call of an operation that spends (`x-specyard-spends`) goes only when the user
 *   allowed it (asked once per operation on a terminal, or `--yes`); otherwise it is `n/a`;
 * - credentials: an operation that revokes the caller's credentials (`x-specyard-revokes`: a logout,
 *   a key rotation) gets only calls without credentials: the ones the user gave must keep working.
 */
import type { Phase } from "../cases/cases.js";
import { costsOf } from "../spec/costs.js";
import type { Operation } from "../spec/openapi.js";

export interface BudgetPlan {
  /** Valid calls per operation that writes, when the spec documents no tighter quota. */
  writes: number;
  /** Calls kept back per operationId for the scenarios, which run after the checks. */
  reserve?: Record<string, number>;
  /** Why some are kept back, for messages (e.g. "for the scenario's three feeds"). */
  reserveNote?: string;
  /** Whether spending calls of an operation may go; asked once per operation, one question at a time. */
  approve(question: string): Promise<boolean>;
  /** The reason shown when spending is not allowed (e.g. "pass --yes to allow"). */
  refusal: string;
}

const WRITES = ["POST", "PUT", "PATCH", "DELETE"];

/** Phases whose calls are valid and carry credentials: the ones that can change or spend something. */
const effective = (phase: Phase) => phase === "positive";
/** Operations whose calls with the user's credentials could revoke them. */
const revoking = (op: Operation, phase: Phase) => phase !== "auth" && costsOf(op).revokes.length > 0;

export class Budget {
  private readonly calls = new Map<string, number>();
  private readonly writes = new Map<string, number>();
  private readonly decisions = new Map<string, Promise<boolean>>();
  private asking: Promise<unknown> = Promise.resolve();

  constructor(
    readonly provider: string,
    readonly plan: BudgetPlan,
  ) {}

  private kept(op: Operation): number {
    return (op.operationId && this.plan.reserve?.[op.operationId]) || 0;
  }

  /** The cap on all calls of `op`, or Infinity. */
  callLimit(op: Operation): number {
    const rate = costsOf(op).rateLimit;
    return rate ? Math.max(0, rate.limit - this.kept(op)) : Number.POSITIVE_INFINITY;
  }

  /** The cap on valid calls of `op`, or Infinity. */
  writeLimit(op: Operation): number {
    if (!WRITES.includes(op.method)) return this.callLimit(op);
    const quota = costsOf(op).quota;
    const cap = Math.min(this.plan.writes, quota ? Math.max(0, quota.limit - this.kept(op)) : Infinity);
    return Math.min(cap, this.callLimit(op));
  }

  /** How many more calls of `op` in `phase` may go. */
  left(op: Operation, phase: Phase): number {
    if (revoking(op, phase)) return 0;
    const calls = this.callLimit(op) - (this.calls.get(op.id) ?? 0);
    if (!effective(phase)) return Math.max(0, calls);
    return Math.max(0, Math.min(calls, this.writeLimit(op) - (this.writes.get(op.id) ?? 0)));
  }

  /** Takes one call of `op` in `phase`; false (nothing taken) when the budget has none left. */
  take(op: Operation, phase: Phase): boolean {
    if (this.left(op, phase) < 1) return false;
    this.calls.set(op.id, (this.calls.get(op.id) ?? 0) + 1);
    if (effective(phase)) this.writes.set(op.id, (this.writes.get(op.id) ?? 0) + 1);
    return true;
  }

  /** Cases for one phase: an even share of what is left over the phases still to run, at most `runs`. */
  share(op: Operation, phase: Phase, phasesLeft: number, runs: number): number {
    const left = this.left(op, phase);
    if (left === Number.POSITIVE_INFINITY) return runs;
    return Math.min(runs, effective(phase) ? left : Math.floor(left / Math.max(1, phasesLeft)));
  }

  /** Why calls of `op` stop, for `n/a` reasons. */
  why(op: Operation): string {
    const { rateLimit, quota, revokes } = costsOf(op);
    if (revokes.length)
      return `not sent with your credentials: a 2xx would revoke ${revokes.join(", ")} (x-specyard-revokes)`;
    const kept = this.kept(op);
    const parts: string[] = [];
    if (quota) parts.push(`the documented quota is ${quota.limit} per ${quota.scope ?? "account"}`);
    if (rateLimit)
      parts.push(
        `the documented rate limit is ${rateLimit.limit} per ${rateLimit.period}${rateLimit.scope ? ` per ${rateLimit.scope}` : ""}`,
      );
    if (WRITES.includes(op.method)) parts.push(`at most ${this.plan.writes} valid writes per operation`);
    if (kept) parts.push(`${kept} kept ${this.plan.reserveNote ?? "for the scenarios"}`);
    return `live budget spent (${parts.join("; ")})`;
  }

  /** Undefined when `op`'s valid calls may go; else why not. Operations that spend nothing always may. */
  async spending(op: Operation): Promise<string | undefined> {
    const spends = costsOf(op).spends;
    if (spends === undefined) return undefined;
    let decision = this.decisions.get(op.id);
    if (!decision) {
      const question = `${this.provider} ${op.id} spends ${spends}. Send its calls to the live account?`;
      const asked = this.asking.then(() => this.plan.approve(question));
      this.asking = asked.catch(() => undefined);
      decision = asked.catch(() => false);
      this.decisions.set(op.id, decision);
    }
    return (await decision) ? undefined : `spends ${spends}: not allowed (${this.plan.refusal})`;
  }
}
