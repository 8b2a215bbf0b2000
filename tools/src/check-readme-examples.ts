/**
 * Type-checks the ```ts examples in every package README (and the root README) against the built
 * packages, so that an example that no longer compiles fails CI. Each block becomes one module.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { repoRoot } from "./providers.js";

const out = join(repoRoot, "tools", ".readme-examples");
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const readmes = [join(repoRoot, "README.md")];
for (const pkg of readdirSync(join(repoRoot, "packages"))) {
  const file = join(repoRoot, "packages", pkg, "README.md");
  if (existsSync(file)) readmes.push(file);
}

const files: string[] = [];
for (const readme of readmes) {
  const text = readFileSync(readme, "utf8");
  const blocks = [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] ?? "");
  const name = relative(repoRoot, readme).replace(/[/.]/g, "_");
  blocks.forEach((block, i) => {
    const file = join(out, `${name}_${i + 1}.mts`);
    writeFileSync(file, `// from ${relative(repoRoot, readme)}, example ${i + 1}\n${block}\nexport {};\n`);
    files.push(file);
  });
}

writeFileSync(
  join(out, "tsconfig.json"),
  JSON.stringify({
    extends: "../../tsconfig.base.json",
    compilerOptions: { types: ["node"], noUnusedLocals: false, module: "NodeNext", target: "ES2022" },
    include: ["*.mts"],
  }),
);
try {
  execFileSync(process.execPath, [require_tsc(), "-p", join(out, "tsconfig.json")], {
    stdio: "inherit",
    cwd: join(repoRoot, "tools"),
  });
  console.log(`README examples: ${files.length} blocks from ${readmes.length} READMEs compile`);
} catch {
  console.error("README examples do not compile (see above)");
  process.exitCode = 1;
}

function require_tsc(): string {
  return join(repoRoot, "node_modules", "typescript", "bin", "tsc");
}
