import { specPath } from "@specyard/testkit";
import { expect, test } from "vitest";
import { runProvider } from "../src/run/runner.js";
import { readSpec } from "../src/spec/openapi.js";
import { prismTarget } from "../src/targets/prism.js";

const PROVIDERS = ["pipe-storage", "pipeagent", "pipedai", "atelier", "pinata-agents"];

// What `pnpm contract --target prism --runs 5` does, one provider at a time.
test.each(PROVIDERS)("the Prism mock of %s passes every check (fixed seed, 5 runs)", async (provider) => {
  const spec = readSpec(specPath(provider), provider);
  const session = await prismTarget().open(provider);
  try {
    const result = await runProvider(spec, session, "prism", { runs: 5, seed: 20_260_101 });
    const failed = result.operations.flatMap((op) =>
      Object.entries(op.outcomes)
        .filter(([, o]) => o.status === "fail")
        .map(([check, o]) => `${op.operation} ${check}: ${o.status === "fail" ? o.failure.message : ""}`),
    );
    expect(failed).toEqual([]);
    expect(result.operations).toHaveLength(spec.operations.length);
    for (const op of result.operations) {
      // Every operation was really exercised: a valid request got a documented, conforming answer.
      expect(op.outcomes.status_code_conformance.status, op.operation).toBe("pass");
      expect(op.outcomes.positive_data_acceptance.status, op.operation).toBe("pass");
    }
  } finally {
    await session.close();
  }
});
