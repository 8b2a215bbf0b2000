/**
 * Runs one block as its own `node --import tsx` child: in a private scratch folder (which is also its
 * HOME, so files a block writes and tool configs it might read stay out of the repository and the
 * user's), with only the given variables besides PATH, under a timeout that kills its whole group.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

export interface RunOutcome {
  ok: boolean;
  /** Why it failed: the exit code or signal, or the timeout. */
  reason?: string;
  stdout: string;
  stderr: string;
  durationMs: number;
}

/** Variables of the checker's own environment a child may need to start at all. */
const PASSED_THROUGH = ["PATH", "LANG", "LC_ALL", "TZ", "SystemRoot"];
/** Output kept per stream: enough for a report, bounded for a block that floods. */
const KEEP = 64 * 1024;

export function runBlock(
  file: string,
  env: Readonly<Record<string, string>>,
  options: { toolsDir: string; timeoutMs: number; signal?: AbortSignal },
): Promise<RunOutcome> {
  const tsx = pathToFileURL(createRequire(join(options.toolsDir, "package.json")).resolve("tsx")).href;
  const scratch = mkdtempSync(join(tmpdir(), "readme-example-"));
  const childEnv: Record<string, string> = { HOME: scratch, TMPDIR: scratch };
  for (const name of PASSED_THROUGH) {
    const value = process.env[name];
    if (value !== undefined) childEnv[name] = value;
  }
  Object.assign(childEnv, env);
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", tsx, file], {
      cwd: scratch,
      env: childEnv,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true, // its own process group, so a timeout ends whatever it started too
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      if (stdout.length < KEEP) stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      if (stderr.length < KEEP) stderr += chunk;
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, options.timeoutMs);
    // The child has its own process group, so the terminal's Ctrl-C does not reach it: pass it on.
    const interrupt = () => killGroup(child.pid);
    options.signal?.addEventListener("abort", interrupt, { once: true });
    const finish = (outcome: Omit<RunOutcome, "stdout" | "stderr" | "durationMs">) => {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", interrupt);
      killGroup(child.pid); // anything the block left running in the background
      rmSync(scratch, { recursive: true, force: true });
      resolve({ ...outcome, stdout, stderr, durationMs: performance.now() - started });
    };
    child.on("error", (error) => finish({ ok: false, reason: `could not start: ${error.message}` }));
    child.on("close", (code, signal) => {
      if (timedOut) finish({ ok: false, reason: `still running after ${options.timeoutMs / 1000} s` });
      else if (options.signal?.aborted) finish({ ok: false, reason: "interrupted" });
      else if (code === 0) finish({ ok: true });
      else finish({ ok: false, reason: signal ? `killed by ${signal}` : `exit code ${code}` });
    });
  });
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // already gone
  }
}
