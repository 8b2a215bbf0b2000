/**
 * The repository's layout stays readable: no hand-written source file (a tracked `.ts`, `.mts`, `.js`
 * or `.mjs` outside `generated/` and `dist/`) grows past 500 lines, and no relative-import circle
 * appears in `packages/<name>/src`, `contract-tests/src` or `tools/src`. Imports are read from the
 * `import … from "./…"`, `import "./…"` and `export … from "./…"` statements (type-only ones
 * included; dynamic `import()` is lazy and left out).
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const MAX_LINES = 500;
/**
 * Not hand-written: generated clients and specs, build output. Test fixtures are hand-written and
 * count like any other file (none needs an exception today).
 */
const NOT_HAND_WRITTEN = [/(^|\/)generated\//, /(^|\/)dist\//];
/** Where import circles are looked for. */
const SOURCE_ROOTS = [/^packages\/[^/]+\/src\//, /^contract-tests\/src\//, /^tools\/src\//];
/** A relative import or re-export at the start of a statement (multi-line braces included). */
const RELATIVE_IMPORT = /^\s*(?:import|export)\s(?:[^;"'`]*?\sfrom\s*)?["'](\.\.?\/[^"']+)["']/gm;

/** Tracked source files (repository-relative, `/`-separated) that exist in the working tree. */
function trackedSources(): string[] {
  const listed = execFileSync("git", ["ls-files", "-z", "--", "*.ts", "*.mts", "*.js", "*.mjs"], {
    cwd: ROOT,
    encoding: "utf8",
  });
  return listed
    .split("\0")
    .filter((file) => file && existsSync(join(ROOT, file)))
    .sort();
}

const read = (file: string) => readFileSync(join(ROOT, file), "utf8");
const lineCount = (text: string) => text.split("\n").length - (text.endsWith("\n") ? 1 : 0);

/** The file an import names: `./x.js` is `./x.ts` in the sources, `./dir` its `index.ts`. */
function resolveImport(from: string, specifier: string, files: Set<string>): string | undefined {
  const base = relative(ROOT, resolve(ROOT, dirname(from), specifier))
    .split("\\")
    .join("/");
  const candidates = [
    base,
    base.replace(/\.js$/, ".ts"),
    base.replace(/\.mjs$/, ".mts"),
    `${base}.ts`,
    `${base}/index.ts`,
  ];
  return candidates.find((candidate) => files.has(candidate));
}

type Graph = Map<string, string[]>;

/** Each source file of `SOURCE_ROOTS` → the source files it imports relatively. */
function importGraph(all: string[]): Graph {
  const sources = all.filter((file) => SOURCE_ROOTS.some((root) => root.test(file)));
  const files = new Set(sources);
  const graph: Graph = new Map();
  for (const file of sources) {
    const imports = [...read(file).matchAll(RELATIVE_IMPORT)]
      .map((match) => resolveImport(file, match[1] ?? "", files))
      .filter((target): target is string => target !== undefined);
    graph.set(file, [...new Set(imports)]);
  }
  return graph;
}

/** The import circles, each as `a → b → a`, found by a depth-first search (each circle once). */
function circles(graph: Graph): string[] {
  const found = new Set<string>();
  const done = new Set<string>();
  const visit = (file: string, stack: string[]) => {
    const at = stack.indexOf(file);
    if (at >= 0) {
      const loop = stack.slice(at);
      // The same circle entered elsewhere is one circle: start it at its smallest file.
      const start = loop.indexOf([...loop].sort()[0] ?? file);
      const rotated = [...loop.slice(start), ...loop.slice(0, start)];
      found.add([...rotated, rotated[0]].join(" → "));
      return;
    }
    if (done.has(file)) return;
    for (const next of graph.get(file) ?? []) visit(next, [...stack, file]);
    done.add(file);
  };
  for (const file of [...graph.keys()].sort()) visit(file, []);
  return [...found];
}

describe("repository layout", () => {
  const files = trackedSources();

  it(`has no hand-written source file over ${MAX_LINES} lines`, () => {
    const handWritten = files.filter((file) => !NOT_HAND_WRITTEN.some((pattern) => pattern.test(file)));
    expect(handWritten.length).toBeGreaterThan(100);
    const tooLong = handWritten
      .map((file) => ({ file, lines: lineCount(read(file)) }))
      .filter(({ lines }) => lines > MAX_LINES)
      .map(({ file, lines }) => `${file}: ${lines} lines`);
    expect(tooLong, `split these files by concern (at most ${MAX_LINES} lines each)`).toEqual([]);
  });

  it("has no relative-import circle in packages/*/src, contract-tests/src or tools/src", () => {
    const graph = importGraph(files);
    expect([...graph.values()].flat().length).toBeGreaterThan(100);
    expect(circles(graph)).toEqual([]);
  });

  it("finds a circle however it is entered, and only once", () => {
    const graph: Graph = new Map([
      ["c.ts", ["a.ts"]],
      ["a.ts", ["b.ts", "d.ts"]],
      ["b.ts", ["c.ts"]],
      ["d.ts", []],
      ["e.ts", ["e.ts"]],
    ]);
    expect(circles(graph)).toEqual(["a.ts → b.ts → c.ts → a.ts", "e.ts → e.ts"]);
    expect(
      circles(
        new Map([
          ["a.ts", ["b.ts"]],
          ["b.ts", []],
        ]),
      ),
    ).toEqual([]);
  });
});
