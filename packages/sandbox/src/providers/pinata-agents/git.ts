/**
 * Git Smart HTTP over the agent's workspace: one bare repository per agent (under the data
 * directory, or a temporary one), served by the real `git http-backend` as a CGI program, so
 * `git clone` and `git push` work unmodified. Before each Git request a changed workspace is
 * committed to `main` (one `git fast-import`); after a push, `main`'s tree becomes the workspace.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { devNull, tmpdir } from "node:os";
import { join } from "node:path";
import type { SandboxRequest, SandboxResponse } from "../../framework/types.js";
import type { AgentRecord } from "./state.js";
import { replaceWorkspace, workspaceFiles } from "./workspace.js";

interface Result {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

const TIMEOUT_MS = 60_000;
const BRANCH = "refs/heads/main";

/** A workspace path git can hold (no `.git`, `.` or `..` segment, nothing empty). */
const gitSafe = (path: string) =>
  path.split("/").every((s) => s !== "" && s !== "." && s !== ".." && s.toLowerCase() !== ".git");

const quote = (path: string) => `"${path.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;

export class GitRepos {
  readonly root: string;
  readonly #temporary: boolean;
  readonly #queues = new Map<string, Promise<unknown>>();
  /** Agent records whose repository was checked against them (a reset or restart brings new records). */
  readonly #checked = new WeakSet<AgentRecord>();

  constructor(dataDir?: string) {
    this.#temporary = !dataDir;
    this.root = dataDir
      ? join(dataDir, "pinata-agents-git")
      : mkdtempSync(join(tmpdir(), "pinata-agents-git-"));
    mkdirSync(this.root, { recursive: true });
  }

  #path(agentId: string) {
    return join(this.root, `${agentId}.git`);
  }

  #env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: this.root,
      GIT_CONFIG_NOSYSTEM: "1",
      GIT_CONFIG_GLOBAL: devNull,
      GIT_TERMINAL_PROMPT: "0",
      LC_ALL: "C",
      ...extra,
    };
  }

  #run(args: string[], input?: Buffer, env?: Record<string, string>): Promise<Result> {
    return new Promise((resolve, reject) => {
      const child = spawn("git", args, { env: this.#env(env), stdio: ["pipe", "pipe", "pipe"] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      const timer = setTimeout(() => child.kill("SIGKILL"), TIMEOUT_MS);
      child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
      child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
      child.on("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.on("close", (code) => {
        clearTimeout(timer);
        resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString("utf8") });
      });
      child.stdin.on("error", () => {}); // the child may exit before reading everything
      child.stdin.end(input ?? Buffer.alloc(0));
    });
  }

  async #gitDir(agentId: string, args: string[], input?: Buffer): Promise<Result> {
    return this.#run(["--git-dir", this.#path(agentId), ...args], input);
  }

  /** Runs `work` after the agent's earlier Git work finished (one request at a time per repository). */
  serial<T>(agentId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#queues.get(agentId) ?? Promise.resolve();
    const next = previous.then(work, work);
    this.#queues.set(
      agentId,
      next.catch(() => undefined),
    );
    return next;
  }

  async #head(agentId: string): Promise<string | null> {
    const result = await this.#gitDir(agentId, ["rev-parse", "--verify", "-q", BRANCH]);
    return result.code === 0 ? result.stdout.toString("utf8").trim() : null;
  }

  /**
   * Makes the repository hold the current workspace: created when missing (or stale from an
   * earlier agent with the same id), and a commit on `main` when the workspace changed.
   * Returns whether the agent's record changed.
   */
  async prepare(agent: AgentRecord, now: number): Promise<boolean> {
    const path = this.#path(agent.agentId);
    if (!this.#checked.has(agent)) {
      if (existsSync(path) && agent.gitCommit === null) rmSync(path, { recursive: true, force: true });
      if (!existsSync(path)) {
        const init = await this.#run(["init", "--bare", "--quiet", "--initial-branch=main", path]);
        if (init.code !== 0) throw new Error(`git init failed: ${init.stderr}`);
        await this.#gitDir(agent.agentId, ["config", "http.receivepack", "true"]);
        agent.gitCommit = null;
      }
      if ((await this.#head(agent.agentId)) !== agent.gitCommit) agent.gitRev = -1;
      this.#checked.add(agent);
    }
    if (agent.gitRev === agent.workspaceRev) return false;
    await this.#commitWorkspace(agent, now);
    return true;
  }

  async #commitWorkspace(agent: AgentRecord, now: number) {
    const parent = await this.#head(agent.agentId);
    const message = Buffer.from("Workspace update from the Pinata Agents sandbox\n");
    const parts: Buffer[] = [
      Buffer.from(
        `commit ${BRANCH}\ncommitter Pinata Agents Sandbox <sandbox@agents.localhost> ${Math.floor(now / 1000)} +0000\n`,
      ),
      Buffer.from(`data ${message.length}\n`),
      message,
      Buffer.from(`${parent ? `from ${parent}\n` : ""}deleteall\n`),
    ];
    for (const [path, content] of Object.entries(workspaceFiles(agent))) {
      if (!gitSafe(path)) continue;
      const bytes = Buffer.from(content, "base64");
      parts.push(
        Buffer.from(`M 100644 inline ${quote(path)}\ndata ${bytes.length}\n`),
        bytes,
        Buffer.from("\n"),
      );
    }
    parts.push(Buffer.from("done\n"));
    const result = await this.#gitDir(
      agent.agentId,
      ["fast-import", "--quiet", "--done", "--date-format=raw"],
      Buffer.concat(parts),
    );
    if (result.code !== 0) throw new Error(`git fast-import failed: ${result.stderr}`);
    agent.gitCommit = await this.#head(agent.agentId);
    agent.gitRev = agent.workspaceRev;
  }

  /** After a push: when `main` moved, its tree becomes the workspace. Returns whether it did. */
  async importMain(agent: AgentRecord): Promise<boolean> {
    const head = await this.#head(agent.agentId);
    if (!head || head === agent.gitCommit) return false;
    const listing = await this.#gitDir(agent.agentId, ["ls-tree", "-r", "-z", "--full-tree", head]);
    if (listing.code !== 0) throw new Error(`git ls-tree failed: ${listing.stderr}`);
    const entries = listing.stdout
      .toString("utf8")
      .split("\0")
      .filter(Boolean)
      .flatMap((line) => {
        const tab = line.indexOf("\t");
        const [mode, type, sha] = line.slice(0, tab).split(" ");
        return type === "blob" && mode !== "120000" && sha ? [{ sha, path: line.slice(tab + 1) }] : [];
      });
    const blobs = await this.#gitDir(
      agent.agentId,
      ["cat-file", "--batch"],
      Buffer.from(entries.map((e) => `${e.sha}\n`).join("")),
    );
    const files: Record<string, string> = {};
    let at = 0;
    for (const entry of entries) {
      const newline = blobs.stdout.indexOf(0x0a, at);
      const size = Number(blobs.stdout.subarray(at, newline).toString("utf8").split(" ")[2]);
      files[entry.path] = blobs.stdout.subarray(newline + 1, newline + 1 + size).toString("base64");
      at = newline + 1 + size + 1;
    }
    replaceWorkspace(agent, files);
    agent.gitRev = agent.workspaceRev;
    agent.gitCommit = head;
    return true;
  }

  /** Answers one Git Smart HTTP request with `git http-backend`. */
  async backend(agentId: string, request: SandboxRequest): Promise<SandboxResponse> {
    const suffix = /\/git(\/.*)$/.exec(request.path)?.[1] ?? "/";
    const env: Record<string, string> = {
      GIT_PROJECT_ROOT: this.root,
      GIT_HTTP_EXPORT_ALL: "1",
      PATH_INFO: `/${agentId}.git${suffix}`,
      REQUEST_METHOD: request.method,
      QUERY_STRING: request.url.search.slice(1),
      CONTENT_TYPE: request.headers["content-type"] ?? "",
      REMOTE_USER: "git",
      REMOTE_ADDR: request.ip,
      SERVER_PROTOCOL: "HTTP/1.1",
    };
    if (request.method === "POST") env.CONTENT_LENGTH = String(request.rawBody.length);
    const protocol = request.headers["git-protocol"];
    if (protocol) env.GIT_PROTOCOL = protocol;
    const encoding = request.headers["content-encoding"];
    if (encoding) env.HTTP_CONTENT_ENCODING = encoding;
    const result = await this.#run(["http-backend"], request.rawBody, env);
    const answer = parseCgi(result.stdout);
    // A request git could not use: the backend sent its headers, then the service died.
    if (result.code !== 0 && answer.status === 200 && !answer.raw?.length) {
      const reason =
        result.stderr.split("\n").find((line) => line.startsWith("fatal:")) ?? "git request failed";
      return { status: 400, body: { error: reason.replaceAll(this.root, "").slice(0, 200) } };
    }
    return answer;
  }

  /** Drops an agent's repository (the agent was deleted). */
  remove(agentId: string) {
    rmSync(this.#path(agentId), { recursive: true, force: true });
  }

  async close() {
    await Promise.allSettled([...this.#queues.values()]);
    if (this.#temporary) rmSync(this.root, { recursive: true, force: true });
  }
}

/** A CGI answer (headers, a blank line, the body) as a sandbox response. */
function parseCgi(output: Buffer): SandboxResponse {
  let end = output.indexOf("\r\n\r\n");
  let skip = 4;
  const lf = output.indexOf("\n\n");
  if (end < 0 || (lf >= 0 && lf < end)) {
    end = lf;
    skip = 2;
  }
  if (end < 0) return { status: 400, body: { error: "git request failed" } };
  const headers: Record<string, string> = {};
  let status = 200;
  let contentType = "application/octet-stream";
  for (const line of output.subarray(0, end).toString("utf8").split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === "status") status = Number.parseInt(value, 10) || 200;
    else if (name === "content-type") contentType = value;
    else if (["cache-control", "expires", "pragma"].includes(name)) headers[name] = value;
  }
  const body = output.subarray(end + skip);
  // The backend's own failures are the request's fault here (a bad pack, a bad encoding).
  if (status >= 400) {
    const message = body.toString("utf8").trim().slice(0, 200) || "git request failed";
    return { status: [403, 404].includes(status) ? status : 400, body: { error: message } };
  }
  return { status, raw: body, contentType, headers };
}
