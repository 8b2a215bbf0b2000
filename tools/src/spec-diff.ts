/**
 * `pnpm spec:diff [--base REF]` compares every curated spec with its version at REF (default: the
 * merge base with origin/main on a branch, else the previous commit; or $SPEC_BASE_REF) using
 * api-smart-diff, lists the breaking changes, and fails when a package's spec breaks without a
 * pending major changeset for that package.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { apiCompare } from "api-smart-diff";
import { parse } from "yaml";
import type { Doc } from "./openapi-walk.js";
import { providers, repoRoot, specFile } from "./providers.js";

export interface BreakingChange {
  path: string;
  description: string;
}

const TYPE_KEYS = new Set(["type", "format", "pattern"]);
const CONSTRAINT_KEYS = new Set(["maxLength", "minLength", "maximum", "minimum", "maxItems", "minItems"]);

/**
 * The breaking changes between two versions of a spec: api-smart-diff's own classification, plus
 * three rules it treats as compatible that break a typed client: a removed field (request or
 * response), a changed type or format, and a new or tightened constraint on an input.
 */
export function breakingChanges(before: Doc, after: Doc): BreakingChange[] {
  const { diffs } = apiCompare(before, after);
  const out: BreakingChange[] = [];
  for (const diff of diffs) {
    const path = diff.path.map(String);
    if (path[0] !== "paths") continue; // components are compared where they are used
    const last = path[path.length - 1] ?? "";
    const parent = path[path.length - 2];
    const isInput = path.includes("requestBody") || path.includes("parameters");
    const removedField = diff.action === "remove" && parent === "properties";
    const changedType = diff.action === "replace" && TYPE_KEYS.has(last);
    const tightened =
      isInput &&
      (diff.action === "add" || diff.action === "replace") &&
      CONSTRAINT_KEYS.has(last) &&
      tighter(last, diff.before, diff.after);
    if (diff.type === "breaking" || removedField || changedType || tightened) {
      out.push({ path: pointer(path), description: describe(diff, path) });
    }
  }
  return out;
}

function tighter(key: string, before: unknown, after: unknown): boolean {
  if (typeof after !== "number") return false;
  if (typeof before !== "number") return true;
  return key.startsWith("max") ? after < before : after > before;
}

function pointer(path: string[]): string {
  return path.join(" › ");
}

function describe(
  diff: { action: string; description?: string; before?: unknown; after?: unknown },
  path: string[],
) {
  if (diff.description) return diff.description;
  return `[${diff.action}] ${path.slice(-3).join(".")} ${JSON.stringify(diff.before ?? null)} → ${JSON.stringify(diff.after ?? null)}`;
}

/** Packages with a pending major changeset, read from .changeset/*.md front matter. */
export function majorChangesets(root = repoRoot): Set<string> {
  const dir = join(root, ".changeset");
  const out = new Set<string>();
  if (!existsSync(dir)) return out;
  for (const file of readdirSync(dir)) {
    if (!file.endsWith(".md") || file === "README.md") continue;
    const text = readFileSync(join(dir, file), "utf8");
    const front = /^---\r?\n([\s\S]*?)\r?\n---/.exec(text)?.[1];
    if (!front) continue;
    const bumps = (parse(front) ?? {}) as Record<string, string>;
    for (const [name, bump] of Object.entries(bumps)) if (bump === "major") out.add(name);
  }
  return out;
}

function git(args: string[], root: string): string | undefined {
  try {
    return execFileSync("git", args, {
      cwd: root,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    return undefined;
  }
}

/** The revision to compare with: $SPEC_BASE_REF, else the merge base with origin/main, else HEAD~1. */
export function defaultBase(root = repoRoot): string | undefined {
  if (process.env.SPEC_BASE_REF) return process.env.SPEC_BASE_REF;
  const head = git(["rev-parse", "HEAD"], root);
  const upstream = git(["rev-parse", "--verify", "-q", "origin/main"], root);
  if (head && upstream && upstream !== head) return git(["merge-base", "HEAD", "origin/main"], root);
  return git(["rev-parse", "--verify", "-q", "HEAD~1"], root);
}

export interface GateResult {
  code: number;
  lines: string[];
}

export function gate(base: string | undefined, root = repoRoot): GateResult {
  const lines: string[] = [];
  if (!base) return { code: 0, lines: ["spec-diff: no earlier revision to compare with; nothing to check"] };
  const majors = majorChangesets(root);
  let code = 0;
  for (const provider of providers(root)) {
    const file = relative(root, specFile(provider, root));
    const old = git(["show", `${base}:${file}`], root);
    if (old === undefined) {
      lines.push(`${provider}: new spec (not at ${base.slice(0, 12)})`);
      continue;
    }
    const breaking = breakingChanges(
      parse(old) as Doc,
      parse(readFileSync(specFile(provider, root), "utf8")) as Doc,
    );
    if (!breaking.length) {
      lines.push(`${provider}: no breaking changes since ${base.slice(0, 12)}`);
      continue;
    }
    const pkg = `@specyard/${provider}`;
    const allowed = majors.has(pkg);
    lines.push(
      `${provider}: ${breaking.length} breaking change(s) since ${base.slice(0, 12)}${allowed ? ` (major changeset for ${pkg} present)` : ""}`,
    );
    for (const change of breaking) lines.push(`  ✗ ${change.description}  [${change.path}]`);
    if (!allowed) {
      code = 1;
      lines.push(
        `  → add a changeset with \`"${pkg}": major\` (pnpm changeset), or make the change compatible`,
      );
    }
  }
  return { code, lines };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const argv = process.argv.slice(2);
  const at = argv.indexOf("--base");
  const base = at >= 0 ? argv[at + 1] : defaultBase();
  const { code, lines } = gate(base);
  for (const line of lines) (code ? console.error : console.log)(line);
  process.exit(code);
}
