/** The READMEs of the repository and the fenced TypeScript blocks in them. */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

export interface Block {
  /** The README, relative to the repository root (`packages/pipeagent/README.md`). */
  readme: string;
  /** 1-based, counted among the README's TypeScript blocks. */
  index: number;
  /** The README line of the block's first line of code. */
  line: number;
  code: string;
  /** `compile-only` after the language (```ts compile-only): type-checked, never run. */
  compileOnly: boolean;
}

/** Folders never searched: dependencies, build output, reports and the checker's own scratch. */
const SKIP = new Set(["node_modules", "dist", "coverage", "reports", "generated", "fixtures"]);

/** `README.md` at the root and in every folder up to `depth` below it (`packages/x`, `tools`). */
export function findReadmes(root: string, depth = 2): string[] {
  const found: string[] = [];
  const walk = (dir: string, level: number) => {
    const readme = join(dir, "README.md");
    if (existsSync(readme)) found.push(relative(root, readme));
    if (level === depth) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name.startsWith(".") || SKIP.has(entry.name)) continue;
      walk(join(dir, entry.name), level + 1);
    }
  };
  walk(root, 0);
  // The root first, then by path.
  return found.sort((a, b) => (a === "README.md" ? -1 : b === "README.md" ? 1 : a.localeCompare(b)));
}

const OPEN = /^( {0,3})(`{3,}|~{3,})\s*([^\s`]*)\s*(.*)$/;

/** Every ```ts / ```typescript block (any fence length, ``` or ~~~), with where it starts. */
export function extractBlocks(readme: string, text: string): Block[] {
  const lines = text.split(/\r?\n/);
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = OPEN.exec(lines[i] ?? "");
    if (!open) continue;
    const [, indent = "", fence = "", lang = "", rest = ""] = open;
    const close = new RegExp(`^ {0,3}${fence[0] === "`" ? "`" : "~"}{${fence.length},}\\s*$`);
    let end = i + 1;
    while (end < lines.length && !close.test(lines[end] ?? "")) end++;
    const language = lang.toLowerCase();
    if (language === "ts" || language === "typescript") {
      const body = lines
        .slice(i + 1, end)
        .map((line) => (line.startsWith(indent) ? line.slice(indent.length) : line.trimStart()));
      blocks.push({
        readme,
        index: blocks.length + 1,
        line: i + 2,
        code: `${body.join("\n")}\n`,
        compileOnly: /\bcompile-only\b/.test(rest),
      });
    }
    i = end; // a fence inside a block is text, not a new block
  }
  return blocks;
}

export function readBlocks(root: string, readmes: readonly string[]): Block[] {
  return readmes.flatMap((readme) => extractBlocks(readme, readFileSync(join(root, readme), "utf8")));
}

/** `packages/pipeagent/README.md #2 (line 123)` */
export function blockName(block: Block): string {
  return `${block.readme} #${block.index} (line ${block.line})`;
}
