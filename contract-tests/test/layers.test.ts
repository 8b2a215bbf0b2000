/**
 * The suite's layout stays layered: a module of `src/<layer>/` imports only from its own layer or
 * the ones below it (`src/cli.ts` and `src/index.ts` sit on top), no import circle appears, and no
 * hand-written file grows past 500 lines. Imports are read with the TypeScript compiler's
 * `preProcessFile` (type-only, re-exports and dynamic imports included).
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { expect, test } from "vitest";

/** Bottom to top. */
const LAYERS = ["spec", "generate", "cases", "exchange", "run", "targets", "report"];
const MAX_LINES = 500;

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const src = join(root, "src");

type Graph = Map<string, string[]>;

const tsFiles = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((name) => name.endsWith(".ts"))
    .map((name) => join(dir, name));

/** Module (path relative to `src`) → the modules of `src` it imports. */
function importGraph(): Graph {
  const graph: Graph = new Map();
  for (const file of tsFiles(src)) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
    const local = importedFiles
      .map((f) => f.fileName)
      .filter((name) => name.startsWith("."))
      .map((name) => relative(src, resolve(dirname(file), name.replace(/\.js$/, ".ts"))));
    graph.set(relative(src, file), local);
  }
  return graph;
}

/** A module's layer: its folder under `src`, or `top` for the files directly in `src`. */
const layerOf = (module: string) => (module.includes("/") ? (module.split("/")[0] ?? "") : "top");
const rank = (module: string) => {
  const layer = layerOf(module);
  return layer === "top" ? LAYERS.length : LAYERS.indexOf(layer);
};

/** Every import that goes upwards (or out of a folder that is no layer). */
function upwardImports(graph: Graph): string[] {
  const out: string[] = [];
  for (const [module, imports] of graph) {
    if (rank(module) < 0) out.push(`${module}: ${layerOf(module)}/ is not a layer`);
    for (const imported of imports)
      if (rank(imported) > rank(module)) out.push(`${module} imports ${imported} (a higher layer)`);
  }
  return out;
}

/** The import circles, each as `a → b → a` (each found once, from where the search first entered it). */
function circles(graph: Graph): string[] {
  const found: string[] = [];
  const done = new Set<string>();
  const visit = (module: string, stack: string[]) => {
    const at = stack.indexOf(module);
    if (at >= 0) {
      found.push([...stack.slice(at), module].join(" → "));
      return;
    }
    if (done.has(module)) return;
    for (const next of graph.get(module) ?? []) visit(next, [...stack, module]);
    done.add(module);
  };
  for (const module of [...graph.keys()].sort()) visit(module, []);
  return found;
}

test("every module imports only from its own layer or the layers below", () => {
  expect(upwardImports(importGraph())).toEqual([]);
});

test("no import circles", () => {
  expect(circles(importGraph())).toEqual([]);
});

test(`no hand-written file over ${MAX_LINES} lines`, () => {
  const long = [...tsFiles(src), ...tsFiles(join(root, "test"))]
    .map((file) => [relative(root, file), readFileSync(file, "utf8").split("\n").length - 1] as const)
    .filter(([, lines]) => lines > MAX_LINES);
  expect(long).toEqual([]);
});

test("the layering checks catch an upward import and a circle", () => {
  const graph: Graph = new Map([
    ["spec/openapi.ts", ["run/runner.ts"]],
    ["run/runner.ts", ["run/stateful.ts", "spec/openapi.ts"]],
    ["run/stateful.ts", ["run/runner.ts"]],
    ["cli.ts", ["run/runner.ts"]],
    ["misc/x.ts", []],
  ]);
  expect(upwardImports(graph)).toEqual([
    "spec/openapi.ts imports run/runner.ts (a higher layer)",
    "misc/x.ts: misc/ is not a layer",
  ]);
  expect(circles(graph)).toEqual([
    "run/runner.ts → run/stateful.ts → run/runner.ts",
    "run/runner.ts → spec/openapi.ts → run/runner.ts",
  ]);
});
