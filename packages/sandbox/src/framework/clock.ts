/**
 * The sandbox's clock: real time plus an offset that `advance` moves, so token expiry, rate-limit
 * windows and 48-hour auto-completion can be tested in milliseconds.
 */
export class SandboxClock {
  #offset = 0;
  readonly #listeners = new Set<(now: number) => void>();

  now(): number {
    return Date.now() + this.#offset;
  }

  /** Moves time forward by `ms` and runs whatever became due (expiries, auto-completions). */
  advance(ms: number): number {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError("clock.advance: ms must be a finite number ≥ 0");
    this.#offset += ms;
    const now = this.now();
    for (const listener of this.#listeners) listener(now);
    return now;
  }

  /** Time jumps call `listener` (providers use it to run due work). */
  onAdvance(listener: (now: number) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get offset(): number {
    return this.#offset;
  }

  set offset(value: number) {
    this.#offset = value;
  }
}
