import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { dirname, join } from "node:path";

export interface PrismServer {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  /** Everything Prism printed, for failure messages. */
  output(): string;
  close(): Promise<void>;
}

export interface StartPrismOptions {
  /** `mock` (default) serves answers from the spec; `proxy` validates an upstream's answers. */
  mode?: "mock" | "proxy";
  /** Upstream base URL for proxy mode. */
  upstream?: string;
  /** Extra Prism flags, e.g. ["--errors"] or ["--dynamic"]. */
  args?: string[];
  /** How long to wait for Prism to listen. */
  startTimeoutMs?: number;
}

const require = createRequire(import.meta.url);

function prismBin(): string {
  const pkgJson = require.resolve("@stoplight/prism-cli/package.json");
  const pkg = require(pkgJson) as { bin: string | Record<string, string> };
  const rel = typeof pkg.bin === "string" ? pkg.bin : (pkg.bin.prism ?? Object.values(pkg.bin)[0]);
  if (!rel) throw new Error("@stoplight/prism-cli has no bin entry");
  return join(dirname(pkgJson), rel);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      if (address === null || typeof address === "string") return reject(new Error("no port"));
      server.close(() => resolve(address.port));
    });
  });
}

/** Starts Prism on 127.0.0.1 on a free port and resolves once it listens. */
export async function startPrism(spec: string, options: StartPrismOptions = {}): Promise<PrismServer> {
  const mode = options.mode ?? "mock";
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    try {
      return await launch(spec, mode, port, options);
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

function launch(spec: string, mode: string, port: number, options: StartPrismOptions): Promise<PrismServer> {
  const args = [prismBin(), mode, spec];
  if (mode === "proxy") {
    if (!options.upstream) throw new Error("startPrism: proxy mode needs an upstream URL");
    args.push(options.upstream);
  }
  args.push("-h", "127.0.0.1", "-p", String(port), "-v", "warn", ...(options.args ?? []));
  const child: ChildProcess = spawn(process.execPath, args, {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
  });
  let output = "";
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  const url = `http://127.0.0.1:${port}`;
  const close = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
      setTimeout(() => child.kill("SIGKILL"), 3000).unref();
    });

  return new Promise((resolve, reject) => {
    const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
    let settled = false;
    child.once("exit", (code) => {
      if (!settled) {
        settled = true;
        reject(new Error(`prism exited with ${code} before listening:\n${output}`));
      }
    });
    const probe = async () => {
      if (settled) return;
      try {
        // Any HTTP answer means Prism listens; a connection error means not yet.
        await fetch(`${url}/__specyard_ready_probe`, { signal: AbortSignal.timeout(1000) });
        settled = true;
        resolve({ url, output: () => output, close });
      } catch {
        if (Date.now() > deadline) {
          settled = true;
          await close();
          reject(new Error(`prism did not listen on ${url} in time:\n${output}`));
        } else {
          setTimeout(probe, 100);
        }
      }
    };
    setTimeout(probe, 300);
  });
}
