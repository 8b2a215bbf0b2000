/** What a target is, and the two ways opening one can go wrong. */
import type { TargetSession } from "../exchange/session.js";

export type TargetName = "prism" | "sandbox" | "live";

/** What the user said for the run (the live target's spending calls). */
export interface TargetOptions {
  /** `--yes`: spending calls may go without asking. */
  yes?: boolean;
  /** Whether a question can be asked (default: stdin and stderr are terminals). */
  interactive?: boolean;
  /** How a question is asked (default: a prompt on the terminal); for tests. */
  ask?: (question: string) => Promise<boolean>;
}

export interface Target {
  name: TargetName;
  /** Whether state carries over between calls (stateful checks run only there). */
  stateful: boolean;
  /** Starts (or connects to) the target for one provider. Throws `TargetSkip` or `TargetError`. */
  open(provider: string): Promise<TargetSession>;
}

/** The provider cannot run on this target (e.g. no live URL configured); the reason is one line. */
export class TargetSkip extends Error {
  override name = "TargetSkip";
}

/** The target is misconfigured or failed to start: a configuration error (exit 2). */
export class TargetError extends Error {
  override name = "TargetError";
}
