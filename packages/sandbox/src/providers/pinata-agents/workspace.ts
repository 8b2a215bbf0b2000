/**
 * The agent's container as files in memory: reading and uploading files, content-addressed
 * workspace snapshots, the engine's runtime config, and a console that runs no host command — it
 * answers `ls`, `cat`, `pwd` and `echo` from those files and exits 127 for anything else.
 */
import { posix } from "node:path";
import bs58 from "bs58";
import { parse as parseYaml } from "yaml";
import type { Handler, SandboxResponse } from "../../framework/types.js";
import { agentOf } from "./auth.js";
import { log } from "./lifecycle.js";
import {
  type AgentRecord,
  type Ctx,
  iso,
  isoOrNull,
  type PinataState,
  type SnapshotRecord,
  sha256,
} from "./state.js";

type H = Handler<PinataState>;

/**
 * The file size limit of reads and uploads ("a few MB"): 3 MiB, because the framework's check of
 * `format: byte` (ajv-formats' regex) overflows V8's regex stack on base64 text past ~3.2 MiB.
 */
export const MAX_FILE_BYTES = 3 * 1024 * 1024;
export const SNAPSHOTS_LISTED = 10;
const SNAPSHOTS_KEPT = 50;

export interface EngineInfo {
  id: string;
  label: string;
  home: string;
  configPath: string;
  defaultConfig(name: string): string;
}

export const ENGINES: Record<string, EngineInfo> = {
  openclaw: {
    id: "openclaw",
    label: "OpenClaw",
    home: "/home/node/clawd",
    configPath: "/home/node/.openclaw/openclaw.json",
    defaultConfig: (name) =>
      `${JSON.stringify(
        { agent: { name, model: "anthropic/claude-sonnet-4-5" }, gateway: { port: 18789, bind: "lan" } },
        null,
        2,
      )}\n`,
  },
  hermes: {
    id: "hermes",
    label: "Hermes",
    home: "/home/hermes",
    configPath: "/home/hermes/data/config.yaml",
    defaultConfig: (name) => `agent:\n  name: ${JSON.stringify(name)}\nmodel: anthropic/claude-sonnet-4-5\n`,
  },
};

export const engineOf = (agent: AgentRecord): EngineInfo =>
  ENGINES[agent.engine] ?? (ENGINES.openclaw as EngineInfo);
export const workspaceRoot = (agent: AgentRecord): string => `${engineOf(agent).home}/workspace`;

/** The files a new agent starts with (absolute path → base64). */
export function starterFiles(agent: AgentRecord): Record<string, string> {
  const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");
  const root = workspaceRoot(agent);
  return {
    [`${root}/IDENTITY.md`]: b64(`# ${agent.name}\n\n${agent.description ?? "An agent on Pinata."}\n`),
    [`${root}/SOUL.md`]: b64("Be helpful, be brief, be kind.\n"),
    [engineOf(agent).configPath]: b64(engineOf(agent).defaultConfig(agent.name)),
  };
}

/** A container path, relative ones taken from the engine's home directory. */
export const resolvePath = (agent: AgentRecord, path: string, cwd = engineOf(agent).home): string =>
  posix.resolve(cwd, path);

function isDirectory(agent: AgentRecord, path: string): boolean {
  if (path === "/" || path === engineOf(agent).home || path === workspaceRoot(agent)) return true;
  const prefix = `${path}/`;
  return Object.keys(agent.files).some((file) => file.startsWith(prefix));
}

/** The workspace's files, relative to the workspace root. */
export function workspaceFiles(agent: AgentRecord): Record<string, string> {
  const prefix = `${workspaceRoot(agent)}/`;
  return Object.fromEntries(
    Object.entries(agent.files)
      .filter(([path]) => path.startsWith(prefix))
      .map(([path, content]) => [path.slice(prefix.length), content]),
  );
}

/** Replaces the workspace (files outside it stay) and marks it changed. */
export function replaceWorkspace(agent: AgentRecord, files: Record<string, string>) {
  const root = workspaceRoot(agent);
  for (const path of Object.keys(agent.files)) if (path.startsWith(`${root}/`)) delete agent.files[path];
  for (const [path, content] of Object.entries(files)) agent.files[`${root}/${path}`] = content;
  agent.workspaceRev++;
}

/** A CIDv0 (`Qm…`): base58 of the sha2-256 multihash of the workspace's canonical JSON. */
function snapshotCid(files: Record<string, string>): string {
  const canonical = JSON.stringify(Object.entries(files).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return bs58.encode(Buffer.concat([Buffer.from([0x12, 0x20]), Buffer.from(sha256(canonical), "hex")]));
}

const snapshotView = (s: SnapshotRecord) => ({ cid: s.cid, createdAt: iso(s.createdAt) });
export const latestSnapshots = (agent: AgentRecord) =>
  agent.snapshots.slice(0, SNAPSHOTS_LISTED).map(snapshotView);

/** Text when the bytes are UTF-8 without NULs, else base64. */
function fileContent(path: string, b64: string) {
  const bytes = Buffer.from(b64, "base64");
  const text = bytes.toString("utf8");
  const isText = !bytes.includes(0) && Buffer.from(text, "utf8").equals(bytes);
  return isText
    ? { path, content: text, encoding: "utf8" as const, size: bytes.length }
    : { path, content: b64, encoding: "base64" as const, size: bytes.length };
}

export const readFile: H = (request, ctx) => {
  const agent = agentOf(request);
  const asked = String(request.query.path);
  const path = resolvePath(agent, asked);
  const content = agent.files[path];
  if (content === undefined || !Object.hasOwn(agent.files, path)) {
    return isDirectory(agent, path)
      ? ctx.error(400, `${asked} is a directory`)
      : ctx.error(404, `File not found: ${asked}`);
  }
  return { status: 200, body: fileContent(asked, content) };
};

/** Uploads over the limit are refused before the body is validated (the base64 text, plus the JSON around it). */
export function uploadTooLarge(ctx: Ctx, rawBody: Buffer): SandboxResponse | undefined {
  return rawBody.length > Math.ceil(MAX_FILE_BYTES / 3) * 4 + 64 * 1024
    ? ctx.error(413, `File too large: the limit is ${MAX_FILE_BYTES} bytes`)
    : undefined;
}

export const uploadFile: H = (request, ctx) => {
  const agent = agentOf(request);
  const { filename, contentBase64 } = request.body as { filename: string; contentBase64: string };
  if (
    filename.includes("/") ||
    filename.includes("\\") ||
    filename === "." ||
    filename === ".." ||
    filename.length > 255
  )
    return ctx.error(400, "filename must be a plain file name (no slashes)");
  const bytes = Buffer.from(contentBase64, "base64");
  if (bytes.length > MAX_FILE_BYTES)
    return ctx.error(413, `File too large: the limit is ${MAX_FILE_BYTES} bytes`);
  const absolute = `${workspaceRoot(agent)}/uploads/${filename}`;
  agent.files[absolute] = bytes.toString("base64");
  agent.workspaceRev++;
  log(ctx, agent, "INFO", "files", `uploaded uploads/${filename} (${bytes.length} bytes)`);
  return {
    status: 200,
    body: { path: posix.relative(engineOf(agent).home, absolute), filename, size: bytes.length },
  };
};

export const listSnapshots: H = (request) => ({
  status: 200,
  body: { snapshots: latestSnapshots(agentOf(request)) },
});

export const getSnapshotSyncStatus: H = (request) => {
  const agent = agentOf(request);
  return {
    status: 200,
    body: {
      syncing: false,
      lastSyncedAt: isoOrNull(agent.lastSyncedAt),
      lastSnapshotCid: agent.snapshots[0]?.cid ?? null,
    },
  };
};

/** Takes a snapshot; an unchanged workspace gives the same CID and no new entry. */
export function takeSnapshot(ctx: Ctx, agent: AgentRecord): SnapshotRecord {
  const files = workspaceFiles(agent);
  const cid = snapshotCid(files);
  agent.lastSyncedAt = ctx.clock.now();
  const latest = agent.snapshots[0];
  if (latest?.cid === cid) return latest;
  const snapshot = { cid, createdAt: ctx.clock.now(), files };
  agent.snapshots.unshift(snapshot);
  agent.snapshots.splice(SNAPSHOTS_KEPT);
  log(ctx, agent, "INFO", "snapshots", `snapshot ${cid} taken (${Object.keys(files).length} files)`);
  return snapshot;
}

export const syncSnapshot: H = (request, ctx) => ({
  status: 200,
  body: snapshotView(takeSnapshot(ctx, agentOf(request))),
});

export const resetToSnapshot: H = (request, ctx) => {
  const agent = agentOf(request);
  const cid = (request.body as { snapshotCid: string }).snapshotCid;
  const snapshot = agent.snapshots.find((s) => s.cid === cid);
  if (!snapshot) return ctx.error(404, "Snapshot not found");
  replaceWorkspace(agent, snapshot.files);
  log(ctx, agent, "WARN", "snapshots", `workspace reset to snapshot ${cid}`);
  return { status: 200, body: { success: true } };
};

// --- console ----------------------------------------------------------------------------------

/** Splits a command line into words (single and double quotes, backslash escapes). */
function words(line: string): string[] | undefined {
  const out: string[] = [];
  let current = "";
  let quote: string | null = null;
  let any = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === "\\" && quote === '"' && i + 1 < line.length) current += line[++i];
      else current += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      any = true;
    } else if (c === "\\" && i + 1 < line.length) {
      current += line[++i];
      any = true;
    } else if (/\s/.test(c)) {
      if (any || current) out.push(current);
      current = "";
      any = false;
    } else current += c;
  }
  if (quote) return undefined;
  if (any || current) out.push(current);
  return out;
}

function listDir(agent: AgentRecord, dir: string, all: boolean): string[] {
  const prefix = dir === "/" ? "/" : `${dir}/`;
  const names = new Set<string>();
  for (const path of Object.keys(agent.files)) {
    if (path.startsWith(prefix)) names.add(path.slice(prefix.length).split("/")[0] as string);
  }
  for (const fixed of [engineOf(agent).home, workspaceRoot(agent)]) {
    if (fixed.startsWith(prefix)) names.add(fixed.slice(prefix.length).split("/")[0] as string);
  }
  return [...names].filter((n) => n && (all || !n.startsWith("."))).sort();
}

interface Output {
  stdout: string;
  stderr: string;
  exitCode: number;
}

function run(agent: AgentRecord, argv: string[], cwd: string): Output {
  const [name = "", ...args] = argv;
  const out: Output = { stdout: "", stderr: "", exitCode: 0 };
  const fail = (message: string, code: number) => {
    out.stderr += `${message}\n`;
    out.exitCode = code;
  };
  switch (name) {
    case "pwd":
      out.stdout = `${cwd}\n`;
      return out;
    case "echo": {
      const noNewline = args[0] === "-n";
      out.stdout = (noNewline ? args.slice(1) : args).join(" ") + (noNewline ? "" : "\n");
      return out;
    }
    case "ls": {
      const flags = args.filter((a) => a.startsWith("-") && a.length > 1).join("");
      const targets = args.filter((a) => !a.startsWith("-") || a.length === 1);
      const all = flags.includes("a");
      const paths = targets.length ? targets : ["."];
      for (const target of paths) {
        const path = resolvePath(agent, target, cwd);
        if (Object.hasOwn(agent.files, path)) out.stdout += `${target}\n`;
        else if (isDirectory(agent, path)) {
          const entries = listDir(agent, path, all);
          if (paths.length > 1) out.stdout += `${target}:\n`;
          out.stdout += entries.map((e) => `${e}\n`).join("");
        } else fail(`ls: cannot access '${target}': No such file or directory`, 2);
      }
      return out;
    }
    case "cat":
      for (const target of args) {
        const path = resolvePath(agent, target, cwd);
        const content = Object.hasOwn(agent.files, path) ? agent.files[path] : undefined;
        if (content !== undefined) out.stdout += Buffer.from(content, "base64").toString("utf8");
        else if (isDirectory(agent, path)) fail(`cat: ${target}: Is a directory`, 1);
        else fail(`cat: ${target}: No such file or directory`, 1);
      }
      return out;
    default:
      return { stdout: "", stderr: `sh: 1: ${name}: not found\n`, exitCode: 127 };
  }
}

/** Runs a command against the in-memory files; nothing runs on the host. */
export const execCommand: H = (request, ctx) => {
  const agent = agentOf(request);
  const { command, cwd: asked } = request.body as { command: string; cwd?: string };
  const cwd = resolvePath(agent, asked ?? engineOf(agent).home);
  const timestamp = iso(ctx.clock.now());
  let result: Output;
  const argv = /[|;&<>`$(){}]/.test(command) ? undefined : words(command);
  if (!isDirectory(agent, cwd))
    result = { stdout: "", stderr: `sh: 1: cd: can't cd to ${asked}\n`, exitCode: 2 };
  else if (!argv) {
    result = {
      stdout: "",
      stderr:
        "sh: sandbox console: only ls, cat, pwd and echo run here (no pipes, redirects or substitutions)\n",
      exitCode: 127,
    };
  } else if (!argv.length) result = { stdout: "", stderr: "", exitCode: 0 };
  else result = run(agent, argv, cwd);
  // The command name only: a command line may carry a secret.
  log(ctx, agent, "INFO", "console", `exec ${argv?.[0] ?? "(shell syntax)"} → exit ${result.exitCode}`);
  return { status: 200, body: { ...result, command, timestamp } };
};

// --- runtime config ---------------------------------------------------------------------------

/** Checks an engine config text: OpenClaw's is JSON, Hermes's YAML; both a mapping. */
export function validateConfig(agent: AgentRecord, text: string): string[] {
  let parsed: unknown;
  try {
    parsed = agent.engine === "hermes" ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    const what = agent.engine === "hermes" ? "YAML" : "JSON";
    return [
      `config is not valid ${what}: ${error instanceof Error ? error.message.split("\n")[0] : "parse error"}`,
    ];
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) return ["config must be an object"];
  const errors: string[] = [];
  const config = parsed as Record<string, unknown>;
  const gateway = config.gateway as Record<string, unknown> | undefined;
  if (gateway !== undefined && (typeof gateway !== "object" || gateway === null || Array.isArray(gateway)))
    errors.push("gateway must be an object");
  else if (gateway?.port !== undefined) {
    const port = gateway.port;
    if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535)
      errors.push("gateway.port must be an integer from 1 to 65535");
  }
  const model = config.model ?? (config.agent as Record<string, unknown> | undefined)?.model;
  if (model !== undefined && typeof model !== "string") errors.push("model must be a string");
  return errors;
}

export const getRuntimeConfig: H = (request) => {
  const agent = agentOf(request);
  const path = engineOf(agent).configPath;
  const content = agent.files[path];
  return {
    status: 200,
    body: { config: content === undefined ? "" : Buffer.from(content, "base64").toString("utf8"), path },
  };
};

export const updateRuntimeConfig: H = (request, ctx) => {
  const agent = agentOf(request);
  const { config } = request.body as { config: string };
  const errors = validateConfig(agent, config);
  if (errors.length) return ctx.error(400, `Invalid config: ${errors.join("; ")}`);
  agent.files[engineOf(agent).configPath] = Buffer.from(config, "utf8").toString("base64");
  log(ctx, agent, "INFO", "config", "runtime config updated");
  return { status: 200, body: { success: true } };
};

export const validateRuntimeConfig: H = (request) => {
  const errors = validateConfig(agentOf(request), (request.body as { config: string }).config);
  return { status: 200, body: { valid: errors.length === 0, errors } };
};
