/**
 * A live host per provider: `SPECYARD_LIVE_<PROVIDER>_URL` and one `SPECYARD_LIVE_<PROVIDER>_<SCHEME>`
 * per security scheme. Valid requests go through `prism proxy --errors`, which turns a response
 * that breaks the spec into a violation report; deliberately invalid ones go through a plain
 * `prism proxy` (with `--errors` Prism would answer them itself instead of forwarding them).
 *
 * A live host is a real account: the run is stateful there (it creates a resource of each link,
 * follows the chains), within a budget (`src/run/budget.ts`) — the documented quotas and rate
 * limits less what the scenarios need afterwards, a few valid writes per operation, no call that
 * would revoke the credentials given, and no spending call unless allowed (asked on a terminal,
 * `--yes`, else `n/a`). Everything it creates is named `specyard-contract-<run>-…` and deleted at
 * the end where the API can.
 */
import { createInterface } from "node:readline/promises";
import { specPath, startPrism } from "@specyard/testkit";
import { credentialVariable } from "../exchange/http.js";
import { Budget, type BudgetPlan } from "../run/budget.js";
import type { StatefulSession } from "../run/world.js";
import { startOrFail } from "./prism.js";
import { type Target, type TargetOptions, TargetSkip } from "./target.js";

/** Name of the environment variable holding a provider's live base URL. */
export function liveUrlVariable(provider: string): string {
  return credentialVariable(provider, "URL");
}

/** Valid writes per operation on a live account when the spec documents no tighter quota. */
export const LIVE_WRITES = 5;

/** What the scenarios, which run after the checks, need left on the account (by operationId). */
export const SCENARIO_RESERVE: Record<string, Record<string, number>> = {
  // Three feeds (one of each type) against the documented quota of three: the checks create none.
  pipeagent: { createFeed: 3 },
  // A registration and a service, against the documented per-IP rate limits.
  atelier: { registerAgent: 1, createService: 1 },
};

/** Asks on the terminal, one line; anything but y / yes is a no. */
async function askOnTerminal(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`\n${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

/** The budget plan of a live run: `yes` allows spending; otherwise a terminal is asked, or nothing spends. */
export function livePlan(provider: string, options: TargetOptions = {}): BudgetPlan {
  const interactive = options.interactive ?? (process.stdin.isTTY === true && process.stderr.isTTY === true);
  return {
    writes: LIVE_WRITES,
    reserve: SCENARIO_RESERVE[provider] ?? {},
    reserveNote: "for the scenario that runs after the checks",
    approve: options.yes
      ? async () => true
      : interactive
        ? (options.ask ?? askOnTerminal)
        : async () => false,
    refusal: options.yes
      ? "allowed"
      : interactive
        ? "you said no"
        : "not asked, no terminal: pass --yes to allow spending calls",
  };
}

export function liveTarget(env: NodeJS.ProcessEnv = process.env, options: TargetOptions = {}): Target {
  return {
    name: "live",
    stateful: true,
    async open(provider) {
      const urlVariable = liveUrlVariable(provider);
      const upstream = env[urlVariable];
      if (!upstream) throw new TargetSkip(`live ${provider}: skipped, ${urlVariable} is not set`);
      const started = await Promise.allSettled([
        startOrFail(provider, () =>
          startPrism(specPath(provider), { mode: "proxy", upstream, args: ["--errors"] }),
        ),
        startOrFail(provider, () => startPrism(specPath(provider), { mode: "proxy", upstream })),
      ]);
      const [validating, plain] = started.map((s) => (s.status === "fulfilled" ? s.value : undefined));
      if (!validating || !plain) {
        await Promise.all([validating?.close(), plain?.close()]);
        throw started.find((s) => s.status === "rejected")?.reason;
      }
      const session: StatefulSession = {
        baseUrl: validating.url,
        probeBaseUrl: plain.url,
        curlBaseUrl: `\${${urlVariable}}`,
        credential: (scheme) => env[credentialVariable(provider, scheme)] || undefined,
        budget: new Budget(provider, livePlan(provider, options)),
        cleanup: true,
        close: async () => {
          await Promise.all([validating.close(), plain.close()]);
        },
      };
      return session;
    },
  };
}
