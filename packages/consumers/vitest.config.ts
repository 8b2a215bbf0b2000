import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Packs every publishable package and installs the tarballs with npm, once per run.
    globalSetup: ["test/setup/install.ts"],
    // Each file runs other processes (node, bun, deno, tsc, chromium); two at a time on two cores.
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
