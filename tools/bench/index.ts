/** `pnpm bench [name…]` runs the benchmarks under tools/bench (all of them by default). */
import { pathToFileURL } from "node:url";

const BENCHES: Record<string, () => Promise<void>> = {
  "http-overhead": async () => (await import("./http-overhead.js")).main(),
  sandbox: async () => (await import("./sandbox.js")).main(),
  x402: async () => (await import("./x402.js")).main(),
  contract: async () => (await import("./contract.js")).main(),
  push: async () => (await import("./push.js")).main(),
};

const wanted = process.argv.slice(2).filter((arg) => !arg.startsWith("--"));
for (const name of wanted.length ? wanted : Object.keys(BENCHES)) {
  const bench = BENCHES[name];
  if (!bench) {
    console.error(`unknown bench ${name}; have: ${Object.keys(BENCHES).join(", ")}`);
    process.exit(2);
  }
  console.log(`\n# ${name}`);
  await bench();
}
if (import.meta.url !== pathToFileURL(process.argv[1] ?? "").href) process.exit(0);
