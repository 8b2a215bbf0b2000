/**
 * The built CLI as a user runs it: `up` starts the sandboxes with working credentials, writes a
 * private `.env` with exactly the client variables and a private keypair, reuses what it made with
 * a data dir, and exits 0 on SIGINT / SIGTERM; `actions` lists every admin action. Needs `pnpm build`.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import bs58 from "bs58";
import { afterEach, describe, expect, it } from "vitest";
import { ACTION_DESCRIPTIONS, type ProviderName } from "../src/index.js";
import { providerDefinition } from "../src/registry.js";

// The SDK's notice about its future Node 22 requirement is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
const CLI = join(dirname(fileURLToPath(import.meta.url)), "..", "dist", "cli.js");
const PROVIDERS: ProviderName[] = ["pipe-storage", "pipeagent", "pipedai", "atelier", "pinata-agents"];
const ALL_VARIABLES = [
  "PIPE_BASE_URL",
  "PIPE_APP_KEY",
  "PIPE_KEYPAIR",
  "PIPE_SOLANA_RPC_URL",
  "PIPE_S3_ENDPOINT",
  "PIPE_AWS_ACCESS_KEY_ID",
  "PIPE_AWS_SECRET_ACCESS_KEY",
  "PIPE_S3_BUCKET",
  "PIPEAGENT_BASE_URL",
  "PIPEAGENT_WRITE_KEY",
  "PIPEAGENT_READ_KEY",
  "PIPEDAI_BASE_URL",
  "PIPEDAI_API_KEY",
  "ATELIER_BASE_URL",
  "ATELIER_API_KEY",
  "ATELIER_AGENT_ID",
  "PINATA_BASE_URL",
  "PINATA_JWT",
];

interface Run {
  child: ChildProcessWithoutNullStreams;
  lines: string[];
  stderr: () => string;
  /** Resolves with the first stdout line that matches. */
  line(match: RegExp): Promise<string>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children: ChildProcessWithoutNullStreams[] = [];
afterEach(() => {
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});

function cli(args: string[], cwd: string): Run {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  });
  children.push(child);
  const lines: string[] = [];
  const waiters: Array<{ match: RegExp; resolve: (line: string) => void }> = [];
  let pending = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    pending += chunk;
    const parts = pending.split("\n");
    pending = parts.pop() ?? "";
    for (const line of parts) {
      lines.push(line);
      for (const waiter of waiters.splice(0)) {
        if (waiter.match.test(line)) waiter.resolve(line);
        else waiters.push(waiter);
      }
    }
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    err += chunk;
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    lines,
    stderr: () => err,
    exit,
    line: (match) =>
      new Promise((resolve, reject) => {
        const seen = lines.find((line) => match.test(line));
        if (seen) return resolve(seen);
        waiters.push({ match, resolve });
        void exit.then(({ code }) => reject(new Error(`the CLI exited (${code}) first: ${err}`)));
      }),
  };
}

/** A port nothing listens on right now (the CLI is then asked to take it). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function parseEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const at = line.indexOf("=");
    const value = line.slice(at + 1);
    env[line.slice(0, at)] = value.startsWith('"') ? (JSON.parse(value) as string) : value;
  }
  return env;
}

type Json = Record<string, unknown>;
const get = async (url: string, headers: Record<string, string>) => fetch(url, { headers });

describe("specyard-sandbox up", () => {
  it("starts all five with working credentials, a 0600 .env of exactly the variables, and exits 0 on SIGINT", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sandbox-up-"));
    const envFile = join(dir, "client.env");
    const atelierPort = await freePort();
    const run = cli(
      ["up", "--port-base", "0", "--port", `atelier=${atelierPort}`, "--env-out", envFile, "--json"],
      dir,
    );
    const out = JSON.parse(await run.line(/^\{/)) as {
      ready: boolean;
      envFile: string;
      sandboxes: Record<string, { url: string; credentials: Json } & Json>;
      env: Record<string, string>;
    };
    expect(out.ready).toBe(true);
    expect(Object.keys(out.sandboxes)).toEqual(PROVIDERS);
    expect(out.sandboxes.atelier?.url).toBe(`http://127.0.0.1:${atelierPort}`);
    expect(out.envFile).toBe(envFile);

    // The .env: created private, exactly the client variables, the same values the JSON shows.
    expect(statSync(envFile).mode & 0o777).toBe(0o600);
    const env = parseEnv(readFileSync(envFile, "utf8"));
    expect(Object.keys(env).sort()).toEqual([...ALL_VARIABLES].sort());
    expect(env).toEqual(out.env);
    expect(env.PIPE_BASE_URL).toBe(out.sandboxes["pipe-storage"]?.url);

    // Pipe: the app key, the keypair file (0600, 64 bytes, the signed-in wallet), the funded wallet, S3.
    const pipe = out.sandboxes["pipe-storage"]?.credentials as { wallet: string };
    const credits = await get(`${env.PIPE_BASE_URL}/api/credits/status`, {
      authorization: `ApiKey ${env.PIPE_APP_KEY}`,
    });
    expect(credits.status).toBe(200);
    const keypairPath = env.PIPE_KEYPAIR as string;
    expect(statSync(keypairPath).mode & 0o777).toBe(0o600);
    const secret = JSON.parse(readFileSync(keypairPath, "utf8")) as number[];
    expect(secret).toHaveLength(64);
    expect(bs58.encode(Uint8Array.from(secret.slice(32)))).toBe(pipe.wallet);
    const balance = await fetch(env.PIPE_SOLANA_RPC_URL as string, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "getBalance", params: [pipe.wallet] }),
    });
    expect(((await balance.json()) as { result: { value: number } }).result.value).toBeGreaterThan(0);
    const s3 = new S3Client({
      endpoint: env.PIPE_S3_ENDPOINT,
      region: "us-west-1",
      forcePathStyle: true,
      credentials: {
        accessKeyId: env.PIPE_AWS_ACCESS_KEY_ID as string,
        secretAccessKey: env.PIPE_AWS_SECRET_ACCESS_KEY as string,
      },
    });
    await s3.send(new PutObjectCommand({ Bucket: env.PIPE_S3_BUCKET, Key: "hello.txt", Body: "hi" }));
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: env.PIPE_S3_BUCKET }));
    expect(listed.Contents?.map((object) => object.Key)).toEqual(["hello.txt"]);
    s3.destroy();

    // PipeAgent: the write key makes a feed and pushes, the read key reads it.
    const created = await fetch(`${env.PIPEAGENT_BASE_URL}/api/v1/provider/feed/create`, {
      method: "POST",
      headers: { authorization: `Bearer ${env.PIPEAGENT_WRITE_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({
        name: "Up feed",
        description: "A feed made by the up test",
        endpoint_path: "up-feed",
        feed_type: "collection",
        schema_definition: { type: "object", properties: { id: { type: "string" } } },
      }),
    });
    expect([200, 201]).toContain(created.status);
    const feed = (await created.json()) as { id: string };
    const pushed = await fetch(`${env.PIPEAGENT_BASE_URL}/api/v1/provider/feed/${feed.id}/push`, {
      method: "POST",
      headers: { authorization: `Bearer ${env.PIPEAGENT_WRITE_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ payload: [{ id: "a" }] }),
    });
    expect(pushed.status).toBe(200);
    const read = await get(`${env.PIPEAGENT_BASE_URL}/v1/feed/up-feed`, {
      "x-api-key": env.PIPEAGENT_READ_KEY as string,
    });
    expect(read.status).toBe(200);
    expect(((await read.json()) as { data: Json[] }).data).toEqual([expect.objectContaining({ id: "a" })]);

    // PipedAI: the pwk_ key reads its environment.
    expect(env.PIPEDAI_API_KEY).toMatch(/^pwk_/);
    const pipedai = out.sandboxes.pipedai?.credentials as { environmentId: string };
    const triggers = await get(
      `${env.PIPEDAI_BASE_URL}/api/v1/environments/${pipedai.environmentId}/triggers`,
      {
        authorization: `Bearer ${env.PIPEDAI_API_KEY}`,
      },
    );
    expect(triggers.status).toBe(200);

    // Atelier: the agent's key is the agent.
    const me = await get(`${env.ATELIER_BASE_URL}/agents/me`, {
      authorization: `Bearer ${env.ATELIER_API_KEY}`,
    });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { data: { id: string } }).data.id).toBe(env.ATELIER_AGENT_ID);

    // Pinata: the JWT lists the workspace's agents.
    const agents = await get(`${env.PINATA_BASE_URL}/v0/agents`, {
      authorization: `Bearer ${env.PINATA_JWT}`,
    });
    expect(agents.status).toBe(200);

    run.child.kill("SIGINT");
    expect(await run.exit).toEqual({ code: 0, signal: null });
    expect(run.stderr()).toMatch(/^specyard-sandbox: ready/m);
    expect(run.stderr()).not.toContain("Failed to load bindings");
    // The keypair lived in a private temporary folder (no data dir), gone with the sandboxes.
    expect(existsSync(keypairPath)).toBe(false);
  });

  it("prints one readable block per sandbox and a ready line, writes only the started ones' variables, exits 0 on SIGTERM", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sandbox-up-"));
    const port = await freePort();
    const run = cli(
      ["up", "pipeagent", "pinata-agents", "--port-base", "0", "--port", `pipeagent=${port}`],
      dir,
    );
    await run.line(/^specyard-sandbox: ready \(2 sandboxes; variables in .*\.env\)/);
    const text = run.lines.join("\n");
    expect(text).toContain(`pipeagent  http://127.0.0.1:${port}`);
    expect(text).toMatch(/^pinata-agents {2}http:\/\/127\.0\.0\.1:\d+$/m);
    expect(text).toMatch(/^ {2}PIPEAGENT_WRITE_KEY +pa_sandbox_write_/m);
    expect(text).toMatch(/^ {2}PINATA_JWT +ey/m);
    // The default .env is ./.env in the working directory.
    const envFile = join(dir, ".env");
    expect(statSync(envFile).mode & 0o777).toBe(0o600);
    expect(Object.keys(parseEnv(readFileSync(envFile, "utf8"))).sort()).toEqual([
      "PINATA_BASE_URL",
      "PINATA_JWT",
      "PIPEAGENT_BASE_URL",
      "PIPEAGENT_READ_KEY",
      "PIPEAGENT_WRITE_KEY",
    ]);
    run.child.kill("SIGTERM");
    expect(await run.exit).toEqual({ code: 0, signal: null });
  });

  it("keeps what it made in the data dir and reuses it on the next start", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sandbox-up-"));
    const dataDir = join(dir, "state");
    const envFile = join(dir, "sandbox.env");
    const args = ["up", "atelier", "pipedai", "--port-base", "0", "--data-dir", dataDir, "--json"];
    const first = cli([...args, "--env-out", envFile], dir);
    const before = JSON.parse(await first.line(/^\{/)) as { env: Record<string, string> };
    first.child.kill("SIGINT");
    expect((await first.exit).code).toBe(0);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dataDir, "onboarding.json")).mode & 0o777).toBe(0o600);
    expect(existsSync(join(dir, ".env"))).toBe(false);

    // --env-file works once the file exists (Node reads a script's --env-file argument itself).
    const second = cli([...args, "--env-file", envFile], dir);
    const after = JSON.parse(await second.line(/^\{/)) as { env: Record<string, string> };
    expect(after.env.ATELIER_API_KEY).toBe(before.env.ATELIER_API_KEY);
    expect(after.env.PIPEDAI_API_KEY).toBe(before.env.PIPEDAI_API_KEY);
    expect(parseEnv(readFileSync(envFile, "utf8"))).toEqual(after.env);
    const me = await get(`${after.env.ATELIER_BASE_URL}/agents/me`, {
      authorization: `Bearer ${after.env.ATELIER_API_KEY}`,
    });
    expect(me.status).toBe(200);
    second.child.kill("SIGINT");
    expect((await second.exit).code).toBe(0);
  });

  it("leaves a .env it did not write alone and exits 2", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sandbox-up-"));
    writeFileSync(join(dir, ".env"), "MY_OWN=1\n");
    const run = cli(["up", "pipeagent", "--port-base", "0"], dir);
    expect((await run.exit).code).toBe(2);
    expect(run.stderr()).toContain("was not written by specyard-sandbox up");
    expect(readFileSync(join(dir, ".env"), "utf8")).toBe("MY_OWN=1\n");
  });
});

describe("specyard-sandbox actions", () => {
  it.each(PROVIDERS)("lists every admin action of %s with its arguments", async (provider) => {
    const names = Object.keys((await providerDefinition(provider)).actions ?? {});
    expect(names.length).toBeGreaterThan(0);
    // The table describes exactly the actions the provider has.
    expect(Object.keys(ACTION_DESCRIPTIONS[provider]).sort()).toEqual([...names].sort());

    const text = cli(["actions", provider], tmpdir());
    expect((await text.exit).code, text.stderr()).toBe(0);
    const output = text.lines.join("\n");
    expect(output.split("\n")[0]).toBe(`${provider}: ${names.length} admin actions`);
    for (const name of names) expect(output).toMatch(new RegExp(`^${name}$`, "m"));
    for (const [name, action] of Object.entries(ACTION_DESCRIPTIONS[provider]))
      for (const arg of action.args) expect(output, `${name}.${arg.name}`).toContain(`    ${arg.name}`);
    expect(output).not.toContain("not described yet");

    const json = cli(["actions", provider, "--json"], tmpdir());
    expect((await json.exit).code, json.stderr()).toBe(0);
    const listed = JSON.parse(json.lines.join("\n")) as Array<{ name: string; args: unknown[] }>;
    expect(listed.map((action) => action.name)).toEqual(names);
    expect(json.stderr()).toBe("");

    // The README's table for the provider has a row per action.
    const readme = readFileSync(join(dirname(CLI), "..", "README.md"), "utf8");
    const section = readme.split(`### \`${provider}\``)[1]?.split("\n### ")[0] ?? "";
    for (const name of names) expect(section, `README row for ${name}`).toContain(`| \`${name}\` |`);
  });
});
