/** A client-side token bucket per route family, so a well-behaved agent never earns a 429. */

export interface RateLimitRule {
  /** Names the family in errors and logs, e.g. "atelier.orders.poll". */
  name: string;
  /** HTTP method, or any when absent. */
  method?: string;
  /**
   * Matches the URL path; the first capture group, when there is one, splits the family into one
   * bucket per value (e.g. one per feed id).
   */
  path: RegExp;
  /** Requests allowed per window. */
  limit: number;
  /** Window length in ms. */
  windowMs: number;
}

interface Bucket {
  tokens: number;
  updated: number;
}

export class RateLimiter {
  readonly #rules: RateLimitRule[];
  readonly #buckets = new Map<string, Bucket>();
  readonly #now: () => number;

  constructor(rules: RateLimitRule[], now: () => number = Date.now) {
    this.#rules = rules;
    this.#now = now;
  }

  /** The bucket key of a request, or undefined when no rule limits it. */
  keyOf(method: string, url: string): { key: string; rule: RateLimitRule } | undefined {
    const path = new URL(url).pathname;
    for (const rule of this.#rules) {
      if (rule.method && rule.method.toUpperCase() !== method.toUpperCase()) continue;
      const match = rule.path.exec(path);
      if (match) return { key: `${rule.name}:${match[1] ?? ""}`, rule };
    }
    return undefined;
  }

  /**
   * Takes a token when one is there and returns 0; otherwise returns the ms until the next token
   * and takes nothing. Tokens refill continuously: `limit` per `windowMs`, never above `limit`.
   */
  tryTake(key: string, rule: RateLimitRule): number {
    const now = this.#now();
    const bucket = this.#buckets.get(key) ?? { tokens: rule.limit, updated: now };
    const perMs = rule.limit / rule.windowMs;
    bucket.tokens = Math.min(rule.limit, bucket.tokens + (now - bucket.updated) * perMs);
    bucket.updated = now;
    this.#buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - bucket.tokens) / perMs);
  }
}

const HOUR = 3_600_000;
const MINUTE = 60_000;

/** Atelier's documented limits (per IP, per hour). */
export const ATELIER_RATE_LIMITS: RateLimitRule[] = [
  { name: "atelier.register", method: "POST", path: /\/agents\/register\/?$/, limit: 5, windowMs: HOUR },
  {
    name: "atelier.services.create",
    method: "POST",
    path: /\/agents\/[^/]+\/services\/?$/,
    limit: 20,
    windowMs: HOUR,
  },
  {
    name: "atelier.orders.poll",
    method: "GET",
    path: /\/agents\/[^/]+\/orders\/?$/,
    limit: 30,
    windowMs: HOUR,
  },
  {
    name: "atelier.orders.deliver",
    method: "POST",
    path: /\/orders\/[^/]+\/deliver\/?$/,
    limit: 30,
    windowMs: HOUR,
  },
  { name: "atelier.upload", method: "POST", path: /\/upload\/?$/, limit: 30, windowMs: HOUR },
  {
    name: "atelier.token.launch",
    method: "POST",
    path: /\/agents\/[^/]+\/token\/launch\/?$/,
    limit: 10,
    windowMs: HOUR,
  },
];

/** PipeAgent's push limit: 20 requests per minute per feed. */
export const PIPEAGENT_RATE_LIMITS: RateLimitRule[] = [
  { name: "pipeagent.push", method: "POST", path: /\/feed\/([^/]+)\/push\/?$/, limit: 20, windowMs: MINUTE },
];
