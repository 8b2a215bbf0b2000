/**
 * Writes each block as its own module and type-checks them all in one strict `tsc` run against the
 * built packages; diagnostics are handed back per block, with README line numbers.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, relative, resolve } from "node:path";
import { type Block, blockName } from "./blocks.js";

/** Lines written above a block's code: its line N is line N + HEADER_LINES of the module. */
const HEADER_LINES = 1;

export interface Written {
  block: Block;
  /** The module's absolute path. */
  file: string;
}

/** `<readme path>_<n>.mts` in `dir`, which is emptied first. */
export function writeBlocks(dir: string, blocks: readonly Block[]): Written[] {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return blocks.map((block) => {
    const file = join(dir, `${block.readme.replace(/[/.]/g, "_")}_${block.index}.mts`);
    writeFileSync(file, `// ${blockName(block)}\n${block.code}export {};\n`);
    return { block, file };
  });
}

export interface CompileResult {
  /** Diagnostics per module path; a module without an entry compiled. */
  errors: Map<string, string[]>;
  /** Output tsc printed that names no block (a configuration problem): the run failed as a whole. */
  unattributed: string[];
}

export function typeCheck(dir: string, written: readonly Written[], toolsDir: string): CompileResult {
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify({
      extends: relative(dir, join(toolsDir, "..", "tsconfig.base.json")),
      compilerOptions: { types: ["node"], noUnusedLocals: false, module: "NodeNext", target: "ES2022" },
      include: ["*.mts"],
    }),
  );
  const tsc = createRequire(join(toolsDir, "package.json")).resolve("typescript/bin/tsc");
  const run = spawnSync(process.execPath, [tsc, "-p", join(dir, "tsconfig.json"), "--pretty", "false"], {
    cwd: toolsDir,
    encoding: "utf8",
  });
  const byFile = new Map(written.map((w) => [w.file, w.block]));
  const errors = new Map<string, string[]>();
  const unattributed: string[] = [];
  let current: string[] | undefined;
  for (const line of `${run.stdout}${run.stderr}`.split("\n")) {
    if (!line.trim()) continue;
    const diagnostic = /^(.+?)\((\d+),(\d+)\): (error|warning) (TS\d+: .*)$/.exec(line);
    if (diagnostic) {
      const [, path = "", row = "0", , , message = ""] = diagnostic;
      const file = resolve(toolsDir, path);
      const block = byFile.get(file);
      if (block) {
        const list = errors.get(file) ?? [];
        list.push(`${block.readme}:${block.line + Number(row) - 1 - HEADER_LINES}: ${message}`);
        errors.set(file, list);
        current = list;
        continue;
      }
      current = undefined;
      unattributed.push(line);
      continue;
    }
    // tsc indents the rest of a multi-line message.
    if (current && /^\s/.test(line)) current.push(line);
    else unattributed.push(line);
  }
  if (run.error) unattributed.push(String(run.error));
  else if (run.status !== 0 && !errors.size && !unattributed.length)
    unattributed.push(`tsc exited with ${run.status}`);
  return { errors, unattributed };
}
