/** Where the suite sends its requests: Prism mocks, live hosts, and the stateful sandboxes. */
import { liveTarget } from "./live.js";
import { prismTarget } from "./prism.js";
import { sandboxTarget } from "./sandbox.js";
import type { Target, TargetName, TargetOptions } from "./target.js";

/**
 * The registration point for targets: a factory per name (the sandboxes are the `Target` with
 * `stateful: true`).
 */
export const targetFactories: Partial<Record<TargetName, (options?: TargetOptions) => Target>> = {
  prism: () => prismTarget(),
  sandbox: () => sandboxTarget(),
  live: (options) => liveTarget(process.env, options),
};

/** Targets run when `--target` is not given, if registered (live needs its variables, so it is opt-in). */
export const DEFAULT_TARGETS: TargetName[] = ["prism", "sandbox"];
