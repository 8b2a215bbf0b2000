/**
 * The main job's closing report until the contract suite lands: per provider, the spec's operation
 * count, the generated schema, and the built package files.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { parse } from "yaml";
import { type Doc, operations } from "./openapi-walk.js";
import { providers, repoRoot, schemaFile, specFile } from "./providers.js";

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

function distFiles(pkg: string): string[] {
  const dist = join(repoRoot, "packages", pkg, "dist");
  if (!existsSync(dist)) return [];
  return readdirSync(dist).filter((file) => !file.endsWith(".map"));
}

const rows: string[][] = [["provider", "operations", "schemas", "generated", "package", "dist"]];
for (const provider of providers()) {
  const doc = parse(readFileSync(specFile(provider), "utf8")) as Doc;
  const generated = schemaFile(provider);
  const files = distFiles(provider);
  const size = files.reduce(
    (sum, file) => sum + statSync(join(repoRoot, "packages", provider, "dist", file)).size,
    0,
  );
  rows.push([
    provider,
    String(operations(doc).size),
    String(Object.keys(doc.components?.schemas ?? {}).length),
    existsSync(generated) ? `${relative(repoRoot, generated)} (${kib(statSync(generated).size)})` : "missing",
    `@specyard/${provider}`,
    files.length ? `${files.join(", ")} (${kib(size)})` : "not built",
  ]);
}
const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => row[i]?.length ?? 0))) ?? [];
for (const [i, row] of rows.entries()) {
  console.log(row.map((cell, j) => cell.padEnd(widths[j] ?? 0)).join("  "));
  if (i === 0) console.log(widths.map((w) => "-".repeat(w)).join("  "));
}
const missing = rows.slice(1).filter((row) => row[3] === "missing" || row[5] === "not built");
if (missing.length) {
  console.error(`not produced: ${missing.map((row) => row[0]).join(", ")}`);
  process.exit(1);
}
console.log(`\nGenerated and built ${rows.length - 1} clients (ESM + CJS + types) and @specyard/http.`);
