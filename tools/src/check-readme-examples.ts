/**
 * Every fenced TypeScript block (```ts, ```typescript) of every README in the repository is
 * type-checked, strictly, against the built packages, and then run: each block on its own, as a
 * `node --import tsx` child, against fresh sandboxes from `up()` (one `up()` per block, so no
 * block leans on another's state), with the variables `specyard-sandbox up` writes to `.env` in
 * its environment and nothing else of the checker's. Exits 1 when a block does not compile or run.
 *
 *   pnpm check:readme [--filter TEXT] [--timeout-ms N] [--verbose]
 *
 * `--filter` keeps the blocks whose `README path #n` starts with TEXT; `--verbose` prints what the
 * blocks that ran printed. A block opened with ```ts compile-only is type-checked and not run, and
 * the summary counts it as such (no README needs one: every block runs).
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { repoRoot } from "./providers.js";
import { type Block, blockName, findReadmes, readBlocks } from "./readme/blocks.js";
import { typeCheck, writeBlocks } from "./readme/compile.js";
import { runBlock } from "./readme/run.js";

const { values } = parseArgs({
  options: {
    filter: { type: "string" },
    "timeout-ms": { type: "string", default: "60000" },
    verbose: { type: "boolean", default: false },
  },
});
const timeoutMs = Number(values["timeout-ms"]);
const toolsDir = join(repoRoot, "tools");
const out = join(toolsDir, ".readme-examples");
/** Lines of a failure's output shown in the report. */
const SHOWN = 12;

const readmes = findReadmes(repoRoot);
const blocks = readBlocks(repoRoot, readmes).filter(
  (block) => !values.filter || `${block.readme} #${block.index}`.startsWith(values.filter),
);
const usedReadmes = new Set(blocks.map((block) => block.readme)).size;
if (!blocks.length) {
  console.error(
    `README examples: no TypeScript block found${values.filter ? ` for "${values.filter}"` : ""}`,
  );
  process.exit(1);
}

// bigint-buffer (under @solana/spl-token) warns on load that it runs without its native addon,
// which the sandboxes do not need: that one line is kept out of the report.
const warn = console.warn;
console.warn = (...args: unknown[]) => {
  if (!(args.length === 1 && String(args[0]).startsWith("bigint: Failed to load bindings"))) warn(...args);
};
const { up } = await import("@specyard/sandbox");

const written = writeBlocks(out, blocks);
console.log(`README examples: type-checking ${blocks.length} blocks from ${usedReadmes} READMEs`);
const compiled = typeCheck(out, written, toolsDir);
const failures: { name: string; why: string; details: string[] }[] = [];
if (compiled.unattributed.length) {
  failures.push({ name: "tsc", why: "did not run cleanly", details: compiled.unattributed.slice(0, SHOWN) });
}

// Ctrl-C or SIGTERM: the block in hand is killed and its sandboxes closed, then the run ends.
const interrupted = new AbortController();
for (const name of ["SIGINT", "SIGTERM"] as const) process.once(name, () => interrupted.abort());

let passed = 0;
let compileOnly = 0;
for (const { block, file } of written) {
  const name = blockName(block);
  const errors = compiled.errors.get(file);
  if (errors) {
    failures.push({ name, why: "does not compile", details: errors.slice(0, SHOWN) });
    console.log(`FAIL ${name}: does not compile`);
    continue;
  }
  if (block.compileOnly) {
    compileOnly++;
    passed++;
    console.log(`ok   ${name} (compile-only)`);
    continue;
  }
  let sandboxes: Awaited<ReturnType<typeof up>>;
  try {
    sandboxes = await up({ portBase: 0 });
  } catch (error) {
    failures.push({ name, why: "could not start its sandboxes", details: [String(error)] });
    console.log(`FAIL ${name}: the sandboxes did not start`);
    continue;
  }
  let outcome: Awaited<ReturnType<typeof runBlock>>;
  try {
    outcome = await runBlock(file, sandboxes.env, { toolsDir, timeoutMs, signal: interrupted.signal });
  } finally {
    await sandboxes.close();
  }
  if (interrupted.signal.aborted) {
    console.error(`README examples: interrupted at ${name}`);
    process.exit(130);
  }
  const seconds = `${(outcome.durationMs / 1000).toFixed(1)} s`;
  if (outcome.ok) {
    passed++;
    console.log(`ok   ${name} (${seconds})`);
    if (values.verbose)
      for (const line of outcome.stdout.trimEnd().split("\n")) console.log(`       ${line}`);
    continue;
  }
  failures.push({ name, why: `does not run: ${outcome.reason}`, details: firstLines(outcome, block, file) });
  console.log(`FAIL ${name}: ${outcome.reason} (${seconds})`);
}

for (const failure of failures) {
  console.error(`\n✗ ${failure.name} ${failure.why}`);
  for (const line of failure.details.length ? failure.details : ["(no output)"]) console.error(`    ${line}`);
}
const failed = blocks.length - passed;
console.log("");
if (!failures.length) {
  const also = compileOnly ? ` (${compileOnly} compile-only)` : "";
  console.log(`README examples: ${blocks.length} blocks from ${usedReadmes} READMEs compile and run${also}`);
} else if (!failed) {
  console.log("README examples: the type-check itself failed (see above)");
  process.exitCode = 1;
} else {
  console.log(`README examples: ${failed} of ${blocks.length} blocks from ${usedReadmes} READMEs fail`);
  process.exitCode = 1;
}
console.log(`${passed} passed, ${failed} failed`);

/**
 * The first lines of stderr (of stdout when stderr is empty), from the error itself: Node prints
 * the source line that threw, a caret and blank lines above an uncaught error, which say less.
 */
function firstLines(outcome: { stdout: string; stderr: string }, block: Block, file: string): string[] {
  const text = (outcome.stderr.trim() ? outcome.stderr : outcome.stdout).trimEnd();
  if (!text) return [];
  // Places in the block's module are shown as places in the README.
  const here = new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:(\\d+)(?::\\d+)?`, "g");
  const lines = text
    .replace(here, (_, row: string) => `${block.readme}:${block.line + Number(row) - 2}`)
    .split("\n");
  const caret = lines.findIndex((line) => /^\s*\^+\s*$/.test(line));
  const from = caret >= 0 && caret < 4 ? lines.findIndex((line, i) => i > caret && line.trim()) : 0;
  return lines.slice(Math.max(0, from), Math.max(0, from) + SHOWN);
}
