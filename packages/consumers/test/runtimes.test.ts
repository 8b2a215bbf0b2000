/**
 * The clients with default options (no transport, no fetch) on Node 20 (this process's node),
 * Node 22, Bun and Deno: fixtures/runtime/main.mjs creates every client, calls its sandbox (which
 * runs in this test process), then does the same with every option left to the environment.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resultOf, run } from "./helpers/run.js";
import { type Found, findBun, findDeno, findNode22, mustHave } from "./helpers/runtimes.js";
import type { Outcome } from "./helpers/types.js";
import { clientEnv, consumer, expectedObservations, startWorld, type World } from "./helpers/world.js";

const project = consumer();
const SCRIPT = "fixtures/runtime/main.mjs";

interface RuntimeResult {
  runtime: string;
  explicit: Record<string, Outcome>;
  fromEnv: Record<string, Outcome>;
}

const RUNTIMES: Array<{ found: Found; args: (path: string) => string[]; optionalInCi?: boolean }> = [
  {
    found: { name: "node 20", path: process.execPath, version: process.version, missing: undefined },
    args: () => [SCRIPT],
  },
  { found: findNode22(), args: () => [SCRIPT], optionalInCi: true },
  { found: findBun(), args: () => [SCRIPT] },
  // The project's own node_modules, as npm laid it out (no Deno-managed install).
  { found: findDeno(), args: () => ["run", "-A", "--node-modules-dir=manual", SCRIPT] },
];

let world: World;
beforeAll(async () => {
  world = await startWorld(project);
});
afterAll(() => world?.close());

const clientNames = Object.keys(expectedObservations({} as never));

for (const { found, args, optionalInCi } of RUNTIMES) {
  const decision = mustHave(found, { optionalInCi: optionalInCi ?? false });
  const title = found.path ? `${found.name} (${found.version})` : `${found.name}: ${found.missing}`;

  if (decision === "fail") {
    it(`${found.name} is installed (CI)`, () => {
      throw new Error(`${found.missing} — CI installs it in .ci/run before this suite`);
    });
    continue;
  }

  describe.skipIf(decision === "skip")(title, () => {
    let result: RuntimeResult | undefined;
    let failure: Error | undefined;
    beforeAll(async () => {
      const path = found.path as string;
      const output = await run(path, args(path), {
        cwd: project.dir,
        env: {
          ...clientEnv(world.config),
          SPECYARD_CONSUMER_CONFIG: JSON.stringify(world.config),
          DENO_NO_UPDATE_CHECK: "1",
          DENO_NO_PROMPT: "1",
          NO_COLOR: "1",
        },
      });
      try {
        result = resultOf<RuntimeResult>(`${found.name} ${SCRIPT}`, output);
      } catch (error) {
        failure = error as Error;
      }
    });
    const observed = (mode: "explicit" | "fromEnv", name: string) => {
      if (!result) throw failure ?? new Error("the script did not run");
      const outcome = result[mode][name];
      if (!outcome) throw new Error(`the script reported nothing for ${name}`);
      if (!outcome.ok) throw new Error(`${result.runtime}: ${outcome.error}`);
      return outcome.value;
    };

    it.each(clientNames)("%s: one authenticated call with default options", (name) => {
      const value = observed("explicit", name);
      expect(expectedObservations(world.config)[name]?.(value), `observed ${JSON.stringify(value)}`).toBe(
        true,
      );
    });

    it.each(clientNames)("%s: created without options, configured from the environment", (name) => {
      const value = observed("fromEnv", name);
      expect(expectedObservations(world.config)[name]?.(value), `observed ${JSON.stringify(value)}`).toBe(
        true,
      );
    });
  });
}
