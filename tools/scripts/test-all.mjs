#!/usr/bin/env node
/**
 * `pnpm test`: every package's tests through turbo, then one closing line summed from each
 * vitest summary (`N passed, N failed, N skipped`), so the run says in one place how it went.
 * Exits with turbo's code.
 */
import { spawn } from "node:child_process";
import { stripVTControlCharacters } from "node:util";

const args = ["exec", "turbo", "run", "test", "--concurrency=2", ...process.argv.slice(2)];
const child = spawn("pnpm", args, { stdio: ["ignore", "pipe", "pipe"] });
let text = "";
const forward = (stream, out) =>
  stream.on("data", (chunk) => {
    out.write(chunk);
    text += chunk.toString("utf8");
  });
forward(child.stdout, process.stdout);
forward(child.stderr, process.stderr);

child.on("close", (code, signal) => {
  const plain = stripVTControlCharacters(text);
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const match of plain.matchAll(/Tests\s+(.*)\((\d+)\)/g)) {
    passed += Number(/(\d+) passed/.exec(match[1])?.[1] ?? 0);
    failed += Number(/(\d+) failed/.exec(match[1])?.[1] ?? 0);
    skipped += Number(/(\d+) skipped/.exec(match[1])?.[1] ?? 0);
  }
  console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
  process.exit(code ?? (signal ? 1 : 0));
});
