/**
 * The published types as a TypeScript user gets them: fixtures/types/consumer.ts, which uses
 * every entry point, compiled with `tsc --strict --noEmit` against the installed tarballs, once
 * with module/moduleResolution node16 (as .mts and .cts: the import and the require types) and
 * once with moduleResolution bundler (module esnext). The node16 compile checks every .d.ts it
 * reaches (skipLibCheck off: ours and what they pull in, as the strictest consumer would); the
 * bundler compile skips library checks, as bundler templates do, and checks resolution and usage.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { type RunResult, run } from "./helpers/run.js";
import { consumer } from "./helpers/world.js";

const project = consumer();
const dir = join(project.dir, "types-check");
const source = join(project.dir, "fixtures", "types", "consumer.ts");

const base = { strict: true, noEmit: true, target: "es2022", types: ["node"] };
const CONFIGS = {
  node16: {
    compilerOptions: { ...base, module: "node16", moduleResolution: "node16", skipLibCheck: false },
    files: ["consumer.mts", "consumer.cts"],
  },
  bundler: {
    compilerOptions: { ...base, module: "esnext", moduleResolution: "bundler", skipLibCheck: true },
    files: ["consumer.ts"],
  },
} as const;

/** Both compiles start at once (each tsc is single-threaded). */
const compiles: Partial<Record<keyof typeof CONFIGS, Promise<RunResult>>> = {};
beforeAll(() => {
  mkdirSync(dir, { recursive: true });
  const tsc = join(project.dir, "node_modules", "typescript", "bin", "tsc");
  for (const [name, config] of Object.entries(CONFIGS) as Array<
    [keyof typeof CONFIGS, (typeof CONFIGS)[keyof typeof CONFIGS]]
  >) {
    for (const file of config.files) copyFileSync(source, join(dir, file));
    const tsconfig = join(dir, `tsconfig.${name}.json`);
    writeFileSync(tsconfig, JSON.stringify(config, null, 2));
    compiles[name] = run(process.execPath, [tsc, "-p", tsconfig, "--pretty", "false"], { cwd: dir });
  }
});

it("the consumer file imports every published entry point", () => {
  const text = readFileSync(source, "utf8");
  const imported = new Set([...text.matchAll(/from "(@specyard\/[^"]+)"/g)].map((m) => m[1]));
  const published = project.packages.flatMap((pkg) =>
    Object.keys(pkg.exports)
      .filter((subpath) => !subpath.endsWith(".json"))
      .map((subpath) => (subpath === "." ? pkg.name : `${pkg.name}/${subpath.slice(2)}`)),
  );
  expect(published.filter((specifier) => !imported.has(specifier))).toEqual([]);
});

describe.each(Object.keys(CONFIGS) as Array<keyof typeof CONFIGS>)(
  "tsc --strict, moduleResolution %s",
  (name) => {
    it(`compiles ${CONFIGS[name].files.join(" and ")} without errors`, async () => {
      const result = await compiles[name];
      expect(`${result?.stdout}${result?.stderr}`.trim(), `tsc -p tsconfig.${name}.json in ${dir}`).toBe("");
      expect(result?.code).toBe(0);
    });
  },
);
