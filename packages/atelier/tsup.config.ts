import { readFileSync } from "node:fs";
import { defineConfig } from "tsup";

const { version } = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };

export default defineConfig({
  entry: ["src/index.ts", "src/index.node.ts", "src/node.ts", "src/agent-cli.ts"],
  format: ["esm", "cjs"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "es2022",
  // The version in the `User-Agent` the client sends.
  define: { __PACKAGE_VERSION__: JSON.stringify(version) },
});
