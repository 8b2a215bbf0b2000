/** The documented rate limits, enforced as sliding windows on the sandbox clock. */

export interface RateRule {
  /** Operations the rule counts (one shared window per key across them). */
  operations: readonly string[];
  limit: number;
  windowMs: number;
  /** Whose window: the caller's IP by default, or e.g. the feed id. */
  key?: (request: { ip: string; params: Record<string, unknown> }) => string;
}

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Epoch seconds when a slot frees up. */
  resetAt: number;
  retryAfterMs: number;
}

export class RateLimits {
  readonly #rules: RateRule[];
  readonly #windows = new Map<string, number[]>();
  /** 429s sent, per rule, so tests can show a well-behaved client earned none. */
  readonly rejected = new Map<string, number>();

  constructor(rules: readonly RateRule[]) {
    this.#rules = [...rules];
  }

  ruleFor(operationId: string): RateRule | undefined {
    return this.#rules.find((rule) => rule.operations.includes(operationId));
  }

  /** Counts one request (when allowed) and says whether it may proceed. */
  take(rule: RateRule, request: { ip: string; params: Record<string, unknown> }, now: number): RateDecision {
    const name = rule.operations.join(",");
    const key = `${name}|${rule.key ? rule.key(request) : request.ip}`;
    const window = (this.#windows.get(key) ?? []).filter((at) => at > now - rule.windowMs);
    const allowed = window.length < rule.limit;
    if (allowed) window.push(now);
    this.#windows.set(key, window);
    const oldest = window[0] ?? now;
    const retryAfterMs = allowed ? 0 : Math.max(1, oldest + rule.windowMs - now);
    if (!allowed) this.rejected.set(name, (this.rejected.get(name) ?? 0) + 1);
    return {
      allowed,
      limit: rule.limit,
      remaining: Math.max(0, rule.limit - window.length),
      resetAt: Math.ceil((oldest + rule.windowMs) / 1000),
      retryAfterMs,
    };
  }

  /** The windows, to save with the state (`take` drops timestamps that have aged out). */
  snapshot(): Record<string, number[]> {
    return Object.fromEntries(this.#windows);
  }

  /** Takes back windows saved by `snapshot`, so a restart does not hand out a fresh allowance. */
  restore(windows: Record<string, number[]>): void {
    for (const [key, window] of Object.entries(windows)) this.#windows.set(key, [...window]);
  }

  reset(): void {
    this.#windows.clear();
    this.rejected.clear();
  }

  totalRejected(): number {
    let sum = 0;
    for (const count of this.rejected.values()) sum += count;
    return sum;
  }
}

export function rateLimitHeaders(decision: RateDecision): Record<string, string> {
  const headers: Record<string, string> = {
    "X-RateLimit-Limit": String(decision.limit),
    "X-RateLimit-Remaining": String(decision.remaining),
    "X-RateLimit-Reset": String(decision.resetAt),
  };
  if (!decision.allowed) headers["Retry-After"] = String(Math.ceil(decision.retryAfterMs / 1000));
  return headers;
}
