/** Fault injection per route: a probability or a scripted sequence of misbehaviours. */

export type FaultSpec =
  /** 429 (or 503) with one kind of retry hint. */
  | {
      kind: "rate-limit";
      hint?: "retry-after" | "retry-after-ms" | "body" | "none";
      ms?: number;
      status?: 429 | 503;
    }
  /** Any 5xx, before the handler runs (nothing changes). */
  | { kind: "server-error"; status?: number }
  /** The connection is destroyed before the handler runs. */
  | { kind: "reset" }
  /** The handler runs (the change is made), then the connection is destroyed: a lost answer. */
  | { kind: "reset-after" }
  /** Waits, then answers normally. */
  | { kind: "latency"; ms: number }
  /** The handler runs, then the answer is cut halfway through its body. */
  | { kind: "truncated" };

export interface FaultRule {
  /** An operationId, a path prefix starting with "/", or "*" for every route. */
  route: string;
  /** Each request draws: with this probability one of `faults` (picked uniformly) applies. */
  probability?: number;
  /** Or the next requests meet these in order (then the rule is spent). */
  sequence?: FaultSpec[];
  faults?: FaultSpec[];
}

export class FaultPlan {
  #rules: FaultRule[] = [];
  readonly #random: () => number;
  /** Faults applied so far, by kind. */
  readonly applied = new Map<string, number>();

  constructor(rules: readonly FaultRule[], random: () => number) {
    this.set(rules);
    this.#random = random;
  }

  set(rules: readonly FaultRule[]): void {
    this.#rules = rules.map((rule) => ({
      ...rule,
      ...(rule.sequence ? { sequence: [...rule.sequence] } : {}),
    }));
  }

  rules(): FaultRule[] {
    return this.#rules.map((rule) => ({ ...rule }));
  }

  /** The fault this request meets, if any. */
  draw(operationId: string, pathname: string): FaultSpec | undefined {
    for (const rule of this.#rules) {
      const matches =
        rule.route === "*" ||
        rule.route === operationId ||
        (rule.route.startsWith("/") && pathname.startsWith(rule.route));
      if (!matches) continue;
      let fault: FaultSpec | undefined;
      if (rule.sequence?.length) fault = rule.sequence.shift();
      else if (rule.probability && rule.faults?.length && this.#random() < rule.probability) {
        fault = rule.faults[Math.floor(this.#random() * rule.faults.length)];
      }
      if (fault) {
        this.applied.set(fault.kind, (this.applied.get(fault.kind) ?? 0) + 1);
        return fault;
      }
    }
    return undefined;
  }
}

/** Parses `--faults`: JSON (a rule or a list) or a shorthand `route:probability:kind[,kind]`. */
export function parseFaults(text: string): FaultRule[] {
  const trimmed = text.trim();
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
    const parsed = JSON.parse(trimmed) as FaultRule | FaultRule[];
    return Array.isArray(parsed) ? parsed : [parsed];
  }
  return trimmed.split(";").map((part) => {
    const [route = "*", probability = "0.1", kinds = "server-error"] = part.split(":");
    return {
      route,
      probability: Number(probability),
      faults: kinds.split(",").map((kind) => ({ kind }) as FaultSpec),
    };
  });
}
