import { rmSync } from "node:fs";
import { defineConfig, type Options } from "tsup";

// Both formats write into dist/, built side by side: clear it once, before either starts.
rmSync("dist", { recursive: true, force: true });

const shared: Options = {
  entry: ["src/index.ts", "src/node.ts", "src/files.ts"],
  dts: true,
  sourcemap: true,
  target: "es2022",
};

export default defineConfig([
  { ...shared, format: "esm" },
  // esbuild reads `import createClient from "openapi-fetch"` in a `"type": "module"` package as
  // Node would: in CommonJS output `.default` becomes the whole module, not the function. Bundling
  // openapi-fetch's ESM build into the CommonJS files avoids that interop altogether.
  { ...shared, format: "cjs", noExternal: ["openapi-fetch"] },
]);
