/**
 * The planted-defect self-test: every defect of the corpus (`defects/corpus.ts`) — planted by a
 * proxy in front of a real sandbox, or a toggle of the fixture server — is caught by the check it
 * names, on the operation it names; the same operations and checks on the clean sandboxes (behind
 * a proxy that plants nothing) and the clean fixture give no failure. The score, caught / planted
 * per check and per provider, is printed at the end.
 */
import { afterAll, expect, test } from "vitest";
import { CHECK_NAMES } from "../src/exchange/checks.js";
import type { PhaseCheck } from "../src/run/suite.js";
import { DEFECTS, type PlantedDefect } from "./defects/corpus.js";
import { caught, runDefect, runFixture, runPlanted, score } from "./defects/harness.js";

const PROVIDERS = ["atelier", "pinata-agents", "pipe-storage", "pipeagent", "pipedai"];
const results: { defect: PlantedDefect; caught: boolean }[] = [];

afterAll(() => {
  if (results.length) process.stdout.write(`\n${score(results).join("\n")}\n`);
});

test("the corpus plants at least one defect per check and per provider", () => {
  expect(CHECK_NAMES.filter((name) => !DEFECTS.some((d) => d.check === name))).toEqual([]);
  expect(PROVIDERS.filter((p) => !DEFECTS.some((d) => d.provider === p))).toEqual([]);
});

test.each(DEFECTS.map((d) => [`${d.provider}: ${d.name} → ${d.check}`, d] as const))(
  "%s",
  async (_title, defect) => {
    const run = await runDefect(defect);
    const hit = caught(defect, run);
    results.push({ defect, caught: hit });
    if (defect.plant) expect(run.planted, "the proxy never planted the defect").toBeGreaterThan(0);
    expect(
      hit,
      `${defect.check} on ${defect.operation}; the run failed: ${run.failures.map((f) => `${f.check} ${f.operation}: ${f.message}`).join(" | ") || "nothing"}`,
    ).toBe(true);
  },
);

/** Per provider: every operation the corpus touches, every phase check it names, and the others where a defect needs them. */
const clean = PROVIDERS.map((provider) => {
  const mine = DEFECTS.filter((d) => d.provider === provider);
  const operations = [...new Set(mine.flatMap((d) => d.operations))];
  const phases = [...new Set(mine.flatMap((d) => d.phases ?? []))] as PhaseCheck[];
  return [provider, operations, phases, mine.some((d) => !d.phases)] as const;
});

test.each(clean)(
  "the clean %s sandbox passes the same operations and checks",
  async (provider, operations, phases, others) => {
    const run = await runPlanted(provider, operations, phases, undefined, others);
    expect(run.planted).toBe(0);
    expect(run.failures.map((f) => `${f.check} ${f.operation}: ${f.message}`)).toEqual([]);
    // Each defect's check ran on its operation and passed (a clean run of n/a cells proves nothing).
    const judged = DEFECTS.filter((d) => d.provider === provider).map((d) => `${d.check} ${d.operation}`);
    expect(judged.filter((key) => run.outcomes.get(key) !== "pass")).toEqual([]);
  },
);

test("the clean fixture server passes the same operations", async () => {
  const operations = [
    ...new Set(DEFECTS.filter((d) => d.provider === "fixture").flatMap((d) => d.operations)),
  ];
  const run = await runFixture(operations, undefined);
  expect(run.failures.map((f) => `${f.check} ${f.operation}: ${f.message}`)).toEqual([]);
  const judged = DEFECTS.filter((d) => d.provider === "fixture").map((d) => `${d.check} ${d.operation}`);
  expect(judged.filter((key) => run.outcomes.get(key) !== "pass")).toEqual([]);
});
