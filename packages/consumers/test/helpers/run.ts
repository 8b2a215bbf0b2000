import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end, collecting its output. */
export function run(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string | undefined> },
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: { ...process.env, ...options.env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** The JSON of a script's `RESULT {json}` line; without one, an error carrying what it printed. */
export function resultOf<T>(what: string, result: RunResult): T {
  const line = result.stdout
    .split("\n")
    .reverse()
    .find((l) => l.startsWith("RESULT "));
  if (!line) {
    throw new Error(
      `${what} printed no result (exit ${result.code ?? result.signal}):\n${result.stderr.slice(-4000)}\n${result.stdout.slice(-2000)}`,
    );
  }
  return JSON.parse(line.slice("RESULT ".length)) as T;
}

/** A long-running process, up to its first line of output. */
export interface Running {
  child: ChildProcess;
  firstLine: Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: () => string;
}

export function start(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string | undefined> },
): Running {
  const child = spawn(command, args, { cwd: options.cwd, env: { ...process.env, ...options.env } });
  let stderr = "";
  child.stderr?.on("data", (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal })),
  );
  const firstLine = new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once("line", (line) => {
      resolve(line);
    });
    child.on("error", reject);
    exited.then(({ code, signal }) =>
      reject(new Error(`${command} exited (${code ?? signal}) before printing a line:\n${stderr}`)),
    );
  });
  return { child, firstLine, exited, stderr: () => stderr };
}
