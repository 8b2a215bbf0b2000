/**
 * globalSetup: packs every publishable package of the workspace with `pnpm pack` and installs all
 * the tarballs together with npm into one fresh project outside the workspace. Every test file
 * reuses that project (`inject("consumer")`); it is removed when the run ends.
 */
import { spawn } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { TestProject } from "vitest/node";
import type { ConsumerProject, PackageInfo } from "../helpers/types.js";

const CONSUMERS_DIR = resolve(import.meta.dirname, "../..");
const PACKAGES_DIR = resolve(CONSUMERS_DIR, "..");

/** Tools the consumer tests use inside the installed project, pinned. */
const TOOLS: Record<string, string> = {
  typescript: "5.9.3",
  "@types/node": "20.19.25",
  esbuild: "0.28.2",
};

export function discoverPackages(): PackageInfo[] {
  const found: PackageInfo[] = [];
  for (const entry of readdirSync(PACKAGES_DIR, { withFileTypes: true })) {
    const manifestPath = join(PACKAGES_DIR, entry.name, "package.json");
    if (!entry.isDirectory() || !existsSync(manifestPath)) continue;
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as Record<string, unknown>;
    if (manifest.private === true) continue;
    const bin = manifest.bin;
    found.push({
      name: String(manifest.name),
      dir: join(PACKAGES_DIR, entry.name),
      exports: (manifest.exports ?? {}) as Record<string, unknown>,
      bins:
        typeof bin === "string"
          ? { [String(manifest.name).split("/").pop() ?? ""]: bin }
          : ((bin ?? {}) as Record<string, string>),
      dependencies: (manifest.dependencies ?? {}) as Record<string, string>,
      devDependencies: (manifest.devDependencies ?? {}) as Record<string, string>,
    });
  }
  return found.sort((a, b) => a.name.localeCompare(b.name));
}

/** Every file an exports map or bin points at (condition objects walked recursively). */
export function targetsOf(pkg: PackageInfo): string[] {
  const out = new Set<string>();
  const walk = (value: unknown) => {
    if (typeof value === "string") out.add(value);
    else if (value && typeof value === "object") for (const v of Object.values(value)) walk(v);
  };
  walk(pkg.exports);
  for (const target of Object.values(pkg.bins)) out.add(target);
  return [...out].filter((target) => !target.endsWith("package.json"));
}

function run(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => resolvePromise({ code, stdout, stderr }));
  });
}

/** pnpm itself: the running one when the suite was started through pnpm, else the one on PATH. */
function pnpmCommand(): [string, string[]] {
  const execPath = process.env.npm_execpath;
  if (execPath && /pnpm/.test(execPath) && existsSync(execPath)) return [process.execPath, [execPath]];
  return ["pnpm", []];
}

async function pack(pkg: PackageInfo, destination: string): Promise<string> {
  const [command, prefix] = pnpmCommand();
  const result = await run(command, [...prefix, "pack", "--pack-destination", destination, "--json"], {
    cwd: pkg.dir,
  });
  if (result.code !== 0) throw new Error(`pnpm pack ${pkg.name} failed:\n${result.stderr}${result.stdout}`);
  const filename = (JSON.parse(result.stdout.slice(result.stdout.indexOf("{"))) as { filename: string })
    .filename;
  return filename;
}

/** At most `limit` at a time: two cores are shared. */
async function inBatches<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      out[index] = await work(items[index] as T);
    }
  });
  await Promise.all(workers);
  return out;
}

export async function prepareConsumerProject(): Promise<ConsumerProject> {
  const started = Date.now();
  const packages = discoverPackages();
  if (!packages.length) throw new Error(`no publishable package under ${PACKAGES_DIR}`);

  const missing = packages.flatMap((pkg) =>
    targetsOf(pkg)
      .filter((target) => !existsSync(join(pkg.dir, target)))
      .map((target) => `${pkg.name}: ${target}`),
  );
  if (missing.length) {
    throw new Error(
      `the packages are not built; run \`pnpm build\` first. Missing:\n  ${missing.join("\n  ")}`,
    );
  }

  const dir = mkdtempSync(join(tmpdir(), "specyard-consumers-"));
  const tarballs = join(dir, "tarballs");
  mkdirSync(tarballs);
  const files = await inBatches(packages, 3, (pkg) => pack(pkg, tarballs));

  // What a user installs beside the clients: the peers and the Solana library x402 takes a
  // Connection of (the same version x402 depends on, so npm keeps one copy), and the tools.
  const x402 = packages.find((pkg) => pkg.name === "@specyard/x402");
  const pipe = packages.find((pkg) => pkg.name === "@specyard/pipe-storage");
  const extras: Record<string, string> = { ...TOOLS };
  const web3 = x402?.dependencies["@solana/web3.js"];
  if (web3) extras["@solana/web3.js"] = web3;
  const s3 = pipe?.devDependencies["@aws-sdk/client-s3"];
  if (s3) extras["@aws-sdk/client-s3"] = s3;

  writeFileSync(
    join(dir, "package.json"),
    `${JSON.stringify({ name: "specyard-consumer", version: "0.0.0", private: true }, null, 2)}\n`,
  );
  const install = await run(
    "npm",
    [
      "install",
      "--no-audit",
      "--no-fund",
      "--prefer-offline",
      "--loglevel=error",
      ...files.map((file) => `./tarballs/${file.split("/").pop()}`),
      ...Object.entries(extras).map(([name, version]) => `${name}@${version}`),
    ],
    { cwd: dir, env: { ...process.env, npm_config_update_notifier: "false" } },
  );
  if (install.code !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`npm install in the consumer project failed:\n${install.stderr}${install.stdout}`);
  }
  cpSync(join(CONSUMERS_DIR, "fixtures"), join(dir, "fixtures"), { recursive: true });
  process.stderr.write(
    `[consumers] ${packages.length} packages packed and installed with npm in ${dir} (${Math.round((Date.now() - started) / 1000)} s)\n`,
  );
  return { dir, packages, tarballs: files };
}

declare module "vitest" {
  export interface ProvidedContext {
    consumer: ConsumerProject;
  }
}

export default async function setup(project: TestProject) {
  const consumer = await prepareConsumerProject();
  project.provide("consumer", consumer);
  return () => {
    if (process.env.SPECYARD_CONSUMERS_KEEP) {
      process.stderr.write(`[consumers] kept ${consumer.dir}\n`);
      return;
    }
    rmSync(consumer.dir, { recursive: true, force: true });
  };
}
