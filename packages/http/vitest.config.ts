import { defineConfig } from "vitest/config";

const shared = { include: ["test/**/*.test.ts"], testTimeout: 30_000, hookTimeout: 60_000 };

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          ...shared,
          name: "undici",
          typecheck: { enabled: true, include: ["test/**/*.test-d.ts"], tsconfig: "./tsconfig.json" },
        },
      },
      {
        test: {
          ...shared,
          name: "fetch",
          // Files have nothing to do with the transport: once is enough.
          exclude: ["test/node-entry.test.ts", "test/files.test.ts"],
          env: { SPECYARD_TEST_TRANSPORT: "fetch" },
        },
      },
    ],
  },
});
