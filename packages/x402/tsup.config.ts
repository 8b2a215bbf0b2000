import { rmSync } from "node:fs";
import { defineConfig, type Options } from "tsup";

// Both formats write into dist/, built side by side: clear it once, before either starts.
rmSync("dist", { recursive: true, force: true });

const shared: Options = {
  entry: { index: "src/index.ts", node: "src/node.ts", v2: "src/v2/index.ts" },
  dts: true,
  sourcemap: true,
  target: "es2022",
};

export default defineConfig([
  { ...shared, format: "esm" },
  // esbuild reads `import bs58 from "bs58"` in a `"type": "module"` package as Node would: in
  // CommonJS output `.default` becomes bs58's whole CommonJS module, not its codec. Bundling bs58's
  // ESM build (and base-x under it) into the CommonJS files avoids that interop altogether.
  { ...shared, format: "cjs", noExternal: ["bs58", "base-x"] },
]);
