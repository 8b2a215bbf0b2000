import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type FaultServer, startFaultServer } from "@specyard/testkit";
import { afterAll, describe, expect, test } from "vitest";
import type { FailuresFile } from "../src/report/report.js";
import { sandboxTarget } from "../src/targets/sandbox.js";
import { TargetSkip } from "../src/targets/target.js";

const packageDir = fileURLToPath(new URL("..", import.meta.url));
const out = mkdtempSync(join(tmpdir(), "specyard-contract-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** The environment without any live-target variables of the machine running the tests. */
const cleanEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !k.startsWith("SPECYARD_LIVE_")),
);

function cli(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(join(packageDir, "node_modules/.bin/tsx"), ["src/cli.ts", ...args], {
      cwd: packageDir,
      env: { ...cleanEnv, ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("exit code 2: configuration errors", () => {
  test.each([
    [["--provider", "nope"], /unknown provider nope/],
    [["--target", "nope"], /unknown target nope/],
    [["--runs", "0"], /--runs needs an integer/],
    [["--frobnicate"], /Unknown option/],
    [["--replay", "nope", "--out", out], /no .*failures\.json|no failure nope/],
  ])("%j", async (args, message) => {
    const result = await cli(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  test("Prism failing to start", async () => {
    const result = await cli(["--target", "live", "--provider", "pipeagent", "--out", out], {
      SPECYARD_LIVE_PIPEAGENT_URL: "not a url",
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Prism failed to start for pipeagent: .*Invalid upstream URL/);
  });
});

test("the sandbox target: PipeAgent and PipedAI pass every check with real credentials", async () => {
  const result = await cli([
    "--target",
    "sandbox",
    "--provider",
    "pipeagent",
    "--provider",
    "pipedai",
    "--runs",
    "3",
    "--out",
    out,
  ]);
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(/sandbox · pipeagent/);
  expect(result.stdout).toMatch(/sandbox · pipedai/);
  expect(result.stdout).not.toMatch(/^FAIL /m);
  // A provider with no sandbox is skipped with a one-line reason, not an error.
  await expect(sandboxTarget().open("no-such-provider")).rejects.toBeInstanceOf(TargetSkip);
});

test("exit code 0: every check passes on the Prism mock; reports are written", async () => {
  const dir = join(out, "prism");
  const result = await cli(["--target", "prism", "--provider", "pipeagent", "--runs", "3", "--out", dir]);
  expect(result.code).toBe(0);
  expect(result.stdout).toContain("prism · pipeagent");
  expect(result.stdout).toMatch(/7 operations: \d+ pass, 0 FAIL, \d+ n\/a/);
  const junit = readFileSync(join(dir, "junit.xml"), "utf8");
  expect(junit).toContain('<testsuite name="prism/pipeagent"');
  expect(junit).toContain('failures="0"');
  const html = readFileSync(join(dir, "report.html"), "utf8");
  expect(html).toContain("GET /v1/catalog");
  expect(html).not.toMatch(/<script|<link|src=/); // one self-contained file
  expect((JSON.parse(readFileSync(join(dir, "failures.json"), "utf8")) as FailuresFile).failures).toEqual([]);
});

test("exit code 0: the live target skips a provider whose variables are unset", async () => {
  const result = await cli(["--target", "live", "--provider", "atelier", "--out", join(out, "skip")]);
  expect(result.code).toBe(0);
  expect(result.stderr).toContain("live atelier: skipped, SPECYARD_LIVE_ATELIER_URL is not set");
});

describe("exit code 1: a live host that breaks its spec", () => {
  let upstream: FaultServer | undefined;
  afterAll(async () => {
    await upstream?.close();
  });
  const WRITE_KEY = "live-write-key-0123456789";
  const READ_KEY = "live-read-key-0123456789";

  test("fails, records replayable failures without credentials, and --replay reproduces one", async () => {
    // Answers `{}` to everything, credentials or not.
    upstream = await startFaultServer({ respond: () => ({ status: 200, body: {} }) });
    const env = {
      SPECYARD_LIVE_PIPEAGENT_URL: upstream.url,
      SPECYARD_LIVE_PIPEAGENT_WRITE_KEY: WRITE_KEY,
      SPECYARD_LIVE_PIPEAGENT_READ_KEY_HEADER: READ_KEY,
    };
    const dir = join(out, "live");
    const result = await cli(
      ["--target", "live", "--provider", "pipeagent", "--runs", "3", "--out", dir],
      env,
    );
    expect(result.code).toBe(1);
    expect(upstream.requests.some((r) => r.headers.authorization === `Bearer ${WRITE_KEY}`)).toBe(true);

    const recorded = JSON.parse(readFileSync(join(dir, "failures.json"), "utf8")) as FailuresFile;
    const checks = new Set(recorded.failures.map((f) => f.check));
    expect(checks).toContain("response_schema_conformance"); // caught by prism proxy --errors
    expect(checks).toContain("ignored_auth");
    expect(checks).toContain("negative_data_rejection");
    for (const file of ["failures.json", "junit.xml", "report.html"]) {
      const text = readFileSync(join(dir, file), "utf8");
      expect(text).not.toContain(WRITE_KEY);
      expect(text).not.toContain(READ_KEY);
    }
    expect(result.stdout).not.toContain(WRITE_KEY);
    expect(result.stdout).toContain(`"\${SPECYARD_LIVE_PIPEAGENT_URL}"`);

    const failure = recorded.failures.find((f) => f.check === "response_schema_conformance");
    expect(readFileSync(join(dir, "junit.xml"), "utf8")).toContain('<failure type="ignored_auth"');
    expect(readFileSync(join(dir, "report.html"), "utf8")).toContain(`id="${failure?.id}"`);
    const replay = await cli(["--replay", failure?.id ?? "", "--out", dir], env);
    expect(replay.code).toBe(1);
    expect(replay.stdout).toContain("reproduced:");
  });
});
