/**
 * Runs the corpus: a defect's operations (and only its checks' phases) against a real sandbox
 * behind a planting proxy, or against the fixture server with its toggle; the clean runs do the
 * same through a proxy that plants nothing.
 */
import { fileURLToPath } from "node:url";
import { specPath } from "@specyard/testkit";
import type { Failure } from "../../src/exchange/exchange.js";
import type { TargetSession } from "../../src/exchange/session.js";
import type { ProviderResult } from "../../src/run/runner.js";
import { type PhaseCheck, runSuite } from "../../src/run/suite.js";
import { readSpec } from "../../src/spec/openapi.js";
import { sandboxTarget } from "../../src/targets/sandbox.js";
import { startDefectServer, TOKEN } from "../defect-server.js";
import type { PlantedDefect } from "./corpus.js";
import { type Plant, startProxy } from "./proxy.js";

/** Cases per operation and phase: few, the defects are planted where the first cases go. */
export const RUNS = 8;
export const SEED = 20_260_117;

export interface Run {
  failures: Failure[];
  /** `<check> <operation>` → pass / fail / n/a. */
  outcomes: Map<string, string>;
  /** Requests or answers the proxy changed (0 for the fixture). */
  planted: number;
  seconds: number;
}

const FIXTURE_SPEC = fileURLToPath(new URL("../fixtures/defects.yaml", import.meta.url));

const outcomesOf = (result: ProviderResult): Map<string, string> =>
  new Map(
    result.operations.flatMap((op) =>
      Object.entries(op.outcomes).map(([check, o]) => [`${check} ${op.operation}`, o.status] as const),
    ),
  );

export const failuresOf = (result: ProviderResult): Failure[] =>
  result.operations.flatMap((op) =>
    Object.values(op.outcomes).flatMap((o) => (o.status === "fail" ? [o.failure] : [])),
  );

/**
 * Runs `operations` on a fresh sandbox behind `plant`: the phase checks in `phases`, and the
 * per-operation and stateful checks when `others` (default: only when no phases are named).
 */
export async function runPlanted(
  provider: string,
  operations: string[],
  phases: PhaseCheck[] | undefined,
  plant: ((session: TargetSession) => Plant) | undefined,
  others = phases === undefined,
): Promise<Run> {
  const started = Date.now();
  const spec = readSpec(specPath(provider), provider);
  const session = await sandboxTarget().open(provider);
  const proxy = await startProxy(session.baseUrl, plant?.(session) ?? {});
  try {
    const planted: TargetSession = { ...session, baseUrl: proxy.url };
    const result = await runSuite(spec, planted, "sandbox", {
      runs: RUNS,
      seed: SEED,
      stateful: true,
      operations,
      phases: phases ?? [],
      phasesOnly: !others,
    });
    return {
      failures: failuresOf(result),
      outcomes: outcomesOf(result),
      planted: proxy.planted,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await proxy.close();
    await session.close();
  }
}

/** Runs the fixture server (`defects.yaml`) with one toggle, or none. */
export async function runFixture(operations: string[], defect: PlantedDefect["fixture"]): Promise<Run> {
  const started = Date.now();
  const spec = readSpec(FIXTURE_SPEC, "defects");
  const server = await startDefectServer(defect);
  try {
    const session: TargetSession = {
      baseUrl: server.url,
      credential: (scheme) => (scheme === "bearerAuth" ? TOKEN : undefined),
      close: async () => {},
    };
    const result = await runSuite(spec, session, "live", { runs: RUNS, seed: SEED, operations, phases: [] });
    return {
      failures: failuresOf(result),
      outcomes: outcomesOf(result),
      planted: 0,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await server.close();
  }
}

export const runDefect = (d: PlantedDefect): Promise<Run> =>
  d.provider === "fixture"
    ? runFixture(d.operations, d.fixture)
    : runPlanted(d.provider, d.operations, d.phases, d.plant);

/** Whether a run caught the defect: its check failed on its operation. */
export const caught = (d: PlantedDefect, run: Run): boolean =>
  run.failures.some((f) => f.check === d.check && f.operation === d.operation);

/** Caught / planted per check class and per provider, as printed lines. */
export function score(results: { defect: PlantedDefect; caught: boolean }[]): string[] {
  const tally = (key: (d: PlantedDefect) => string) => {
    const rows = new Map<string, [number, number]>();
    for (const { defect, caught: hit } of results) {
      const [c, n] = rows.get(key(defect)) ?? [0, 0];
      rows.set(key(defect), [c + (hit ? 1 : 0), n + 1]);
    }
    return [...rows]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, [c, n]]) => `  ${k.padEnd(30)} ${c}/${n}`);
  };
  const total = results.filter((r) => r.caught).length;
  return [
    `planted defects caught: ${total}/${results.length}`,
    "per check:",
    ...tally((d) => d.check),
    "per provider:",
    ...tally((d) => d.provider),
  ];
}
