/**
 * The Pinata Agents sandbox's live parts against real clients: `git clone` / `git push` with the
 * gateway token through `git http-backend`, the log WebSocket with `ws`, and state, repositories
 * and seeded ids that survive a restart on the same data directory.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { type PinataAgentsClient, unwrap } from "@specyard/pinata-agents";
import { loadSpec } from "@specyard/testkit";
import { Ajv } from "ajv";
import addFormatsModule from "ajv-formats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { runSandbox, type Sandbox } from "../../src/framework/server.js";
import { type PinataState, pinataAgents, sandboxFetch } from "../../src/providers/pinata-agents/index.js";
import { createPinataAgentsClient } from "../clients.js";

const run = promisify(execFile);
const scratch = mkdtempSync(join(tmpdir(), "pinata-agents-live-"));
/** git with no machine or user config, and no prompt for credentials. */
const gitEnv = {
  PATH: process.env.PATH ?? "/usr/bin:/bin",
  HOME: scratch,
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_TERMINAL_PROMPT: "0",
  GIT_AUTHOR_NAME: "Tester",
  GIT_AUTHOR_EMAIL: "tester@example.com",
  GIT_COMMITTER_NAME: "Tester",
  GIT_COMMITTER_EMAIL: "tester@example.com",
};
const git = (args: string[], cwd?: string) => run("git", args, { env: gitEnv, ...(cwd ? { cwd } : {}) });
let dirs = 0;
const freshDir = () => join(scratch, `d${dirs++}`);

interface AgentInfo {
  agentId: string;
  gatewayToken: string;
}

let sandbox: Sandbox<PinataState>;
let pinata: PinataAgentsClient;

beforeAll(async () => {
  sandbox = await runSandbox(pinataAgents, { seed: "pinata-live" });
  const { jwt } = (await sandbox.admin.act("jwt")) as { jwt: string };
  await sandbox.admin.act("setAgentLimit", { agentLimit: 100 });
  pinata = createPinataAgentsClient({ baseUrl: sandbox.url, jwt, maxRetries: 0 });
});
afterAll(async () => {
  await sandbox?.close();
  rmSync(scratch, { recursive: true, force: true });
});

const newAgent = async (client = pinata, name = "Live agent"): Promise<AgentInfo> =>
  (await unwrap(client.POST("/v0/agents", { body: { name } }))).agent as AgentInfo;
const path = (agentId: string) => ({ params: { path: { agentId } } });

function remote(base: string, agent: AgentInfo, token = agent.gatewayToken): string {
  const url = new URL(`${base}/v0/agents/${agent.agentId}/git`);
  url.username = "anyone";
  url.password = token;
  return url.toString();
}

async function readWorkspaceFile(client: PinataAgentsClient, agentId: string, file: string) {
  return client.GET("/v0/agents/{agentId}/files", {
    params: { path: { agentId }, query: { path: `workspace/${file}` } },
  });
}

describe("Pinata Agents sandbox: Git Smart HTTP", () => {
  it("clones the workspace with the token and pushes changes back into it", async () => {
    const agent = await newAgent();
    await unwrap(
      pinata.POST("/v0/agents/{agentId}/files/upload", {
        ...path(agent.agentId),
        body: { filename: "report.txt", contentBase64: Buffer.from("quarterly\n").toString("base64") },
      }),
    );
    const clone = freshDir();
    await git(["clone", remote(sandbox.url, agent), clone]);
    expect(readFileSync(join(clone, "IDENTITY.md"), "utf8")).toContain("# Live agent");
    expect(readFileSync(join(clone, "uploads/report.txt"), "utf8")).toBe("quarterly\n");

    writeFileSync(join(clone, "NOTES.md"), "pushed with git\n");
    writeFileSync(join(clone, "SOUL.md"), "Be bold.\n");
    unlinkSync(join(clone, "IDENTITY.md"));
    await git(["add", "-A"], clone);
    await git(["commit", "-q", "-m", "edit the workspace"], clone);
    await git(["push", "-q", "origin", "HEAD:main"], clone);

    const notes = await unwrap(readWorkspaceFile(pinata, agent.agentId, "NOTES.md"));
    expect(notes.content).toBe("pushed with git\n");
    expect((await readWorkspaceFile(pinata, agent.agentId, "IDENTITY.md")).response.status).toBe(404);
    const cat = await unwrap(
      pinata.POST("/v0/agents/{agentId}/console/exec", {
        ...path(agent.agentId),
        body: { command: "cat workspace/SOUL.md" },
      }),
    );
    expect(cat.stdout).toBe("Be bold.\n");
    expect(await unwrap(pinata.GET("/v0/agents/{agentId}/logs", path(agent.agentId)))).toContain(
      "workspace updated by git push",
    );

    // A change made through the API arrives with the next pull, on top of the pushed commit.
    await unwrap(
      pinata.POST("/v0/agents/{agentId}/files/upload", {
        ...path(agent.agentId),
        body: { filename: "later.txt", contentBase64: Buffer.from("later\n").toString("base64") },
      }),
    );
    await git(["pull", "-q", "--ff-only", "origin", "main"], clone);
    expect(readFileSync(join(clone, "uploads/later.txt"), "utf8")).toBe("later\n");
    const { stdout: history } = await git(["log", "--format=%s"], clone);
    expect(history.trim().split("\n")).toHaveLength(3);
  });

  it("refuses a wrong token, another agent's token and no credentials with 401", async () => {
    const agent = await newAgent();
    const other = await newAgent();
    for (const token of ["gwt_wrong", other.gatewayToken]) {
      const failure = await git(["clone", remote(sandbox.url, agent, token), freshDir()]).then(
        () => undefined,
        (error: { stderr: string }) => error,
      );
      expect(failure?.stderr).toContain("Authentication failed");
      expect(failure?.stderr.includes(token)).toBe(false);
    }
    const bare = await fetch(
      `${sandbox.url}/v0/agents/${agent.agentId}/git/info/refs?service=git-upload-pack`,
    );
    expect(bare.status).toBe(401);
    expect(bare.headers.get("www-authenticate")).toMatch(/^Basic /);
    expect(await bare.json()).toEqual({ error: "Unauthorized" });
    // The gateway token as Bearer is not Git's credential.
    const bearer = await fetch(
      `${sandbox.url}/v0/agents/${agent.agentId}/git/info/refs?service=git-upload-pack`,
      {
        headers: { authorization: `Bearer ${agent.gatewayToken}` },
      },
    );
    expect(bearer.status).toBe(401);
  });

  it("answers the ref advertisement through the typed client's Basic auth", async () => {
    const agent = await newAgent();
    const client = createPinataAgentsClient({
      baseUrl: sandbox.url,
      gatewayToken: agent.gatewayToken,
      maxRetries: 0,
    });
    const refs = await client.GET("/v0/agents/{agentId}/git/info/refs", {
      params: { path: { agentId: agent.agentId }, query: { service: "git-upload-pack" } },
      parseAs: "text",
    });
    expect(refs.response.status).toBe(200);
    expect(refs.response.headers.get("content-type")).toBe("application/x-git-upload-pack-advertisement");
    expect(refs.data).toContain("# service=git-upload-pack");
    expect(refs.data).toContain("refs/heads/main");
  });
});

const addFormats = (addFormatsModule as unknown as { default: (ajv: Ajv) => Ajv }).default;

/** A message validator from the spec's `x-websocket` description of the log stream. */
function logMessageValidator() {
  const spec = loadSpec("pinata-agents");
  const schema = spec.paths["/v0/agents/{agentId}/logs"].get["x-websocket"].message;
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  return ajv.compile(schema);
}

/** Opens a stream and collects its messages; `next(predicate)` waits for a matching one. */
async function openStream(url: string, headers: Record<string, string> = {}) {
  const ws = new WebSocket(url, { headers });
  const messages: Array<Record<string, unknown>> = [];
  const waiters: Array<() => void> = [];
  ws.on("message", (data) => {
    messages.push(JSON.parse(String(data)) as Record<string, unknown>);
    for (const wake of waiters.splice(0)) wake();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once("error", reject);
  });
  const next = async (predicate: (m: Record<string, unknown>) => boolean) => {
    for (;;) {
      const found = messages.find(predicate);
      if (found) return found;
      await new Promise<void>((wake) => waiters.push(wake));
    }
  };
  return { ws, messages, next, closed };
}

describe("Pinata Agents sandbox: Git after a reset", () => {
  it("gives an agent made after a reset (same seeded id) a fresh repository", async () => {
    const fresh = await runSandbox(pinataAgents, { seed: "reset-git" });
    try {
      const clientOf = async () =>
        createPinataAgentsClient({
          baseUrl: fresh.url,
          jwt: ((await fresh.admin.act("jwt")) as { jwt: string }).jwt,
          maxRetries: 0,
        });
      const before = await newAgent(await clientOf(), "Before");
      const clone = freshDir();
      await git(["clone", "-q", remote(fresh.url, before), clone]);
      writeFileSync(join(clone, "OLD.md"), "old\n");
      await git(["add", "-A"], clone);
      await git(["commit", "-q", "-m", "old history"], clone);
      await git(["push", "-q", "origin", "HEAD:main"], clone);

      await fresh.admin.reset();
      const after = await newAgent(await clientOf(), "After");
      expect(after.agentId).toBe(before.agentId);
      const again = freshDir();
      await git(["clone", "-q", remote(fresh.url, after), again]);
      const { stdout } = await git(["log", "--format=%s"], again);
      expect(stdout.trim().split("\n")).toHaveLength(1);
      expect(stdout).not.toContain("old history");
      expect(readFileSync(join(again, "IDENTITY.md"), "utf8")).toContain("# After");
    } finally {
      await fresh.close();
    }
  });
});

describe("Pinata Agents sandbox: log WebSocket", () => {
  const streamUrl = () => (sandbox.info.logStream as { url: string }).url;

  it("streams the backlog, then each new line, as {timestamp, level, source, message}", async () => {
    const agent = await newAgent();
    const valid = logMessageValidator();
    const stream = await openStream(`${streamUrl()}?token=${encodeURIComponent(agent.gatewayToken)}`);
    try {
      const created = await stream.next((m) => String(m.message).startsWith("agent created"));
      expect(created).toMatchObject({ level: "INFO", source: "gateway" });
      await sandbox.admin.act("emitLog", {
        agentId: agent.agentId,
        level: "WARN",
        source: "agent",
        message: "disk almost full",
      });
      const line = await stream.next((m) => m.message === "disk almost full");
      expect(line).toMatchObject({ level: "WARN", source: "agent" });
      await unwrap(pinata.POST("/v0/agents/{agentId}/restart", path(agent.agentId)));
      await stream.next((m) => String(m.message).startsWith("restart requested"));
      for (const message of stream.messages) expect(valid(message), JSON.stringify(valid.errors)).toBe(true);
      expect(JSON.stringify(stream.messages).includes(agent.gatewayToken)).toBe(false);
    } finally {
      stream.ws.close();
    }
  });

  it("authorises by the gateway token, in the agent's own host or path", async () => {
    const agent = await newAgent();
    const other = await newAgent();
    const token = encodeURIComponent(agent.gatewayToken);
    await expect(openStream(`${streamUrl()}?token=gwt_wrong`)).rejects.toThrow("HTTP 401");
    await expect(openStream(streamUrl())).rejects.toThrow("HTTP 401");
    await expect(
      openStream(`${streamUrl()}?token=${token}`, { host: `${other.agentId}.agents.localhost` }),
    ).rejects.toThrow("HTTP 403");
    const viaHost = await openStream(`${streamUrl()}?token=${token}`, {
      host: `${agent.agentId}.agents.localhost`,
    });
    viaHost.ws.close();
    const viaPath = await openStream(
      streamUrl().replace("/v0/logs", `/v0/agents/${agent.agentId}/logs?token=${token}`),
    );
    viaPath.ws.close();
    const viaBearer = await openStream(streamUrl(), { authorization: `Bearer ${agent.gatewayToken}` });
    viaBearer.ws.close();
    // The stream shares the API's port, as it shares the agent's host in production; other
    // upgrade paths are refused in the provider's error shape.
    expect(new URL(streamUrl()).port).toBe(new URL(sandbox.url).port);
    await expect(openStream(streamUrl().replace("/v0/logs", `/v0/agents?token=${token}`))).rejects.toThrow(
      "HTTP 404",
    );
    // Plain HTTP on the agent host's stream path says where the stream is.
    const plain = await sandboxFetch(sandbox.url)(
      new Request(`https://${agent.agentId}.agents.pinata.cloud/v0/logs`),
    );
    expect(plain.status).toBe(426);
  });

  it("ends the stream when the gateway token is rotated", async () => {
    const agent = await newAgent();
    const stream = await openStream(`${streamUrl()}?token=${encodeURIComponent(agent.gatewayToken)}`);
    await unwrap(pinata.POST("/v0/agents/{agentId}/gateway-token/rotate", path(agent.agentId)));
    expect(await stream.closed).toEqual({ code: 1008, reason: "gateway token rotated" });
    await expect(
      openStream(`${streamUrl()}?token=${encodeURIComponent(agent.gatewayToken)}`),
    ).rejects.toThrow("HTTP 401");
  });
});

describe("Pinata Agents sandbox: persistence", () => {
  it("keeps every accepted write, the repositories and the seeded ids across a restart", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "pinata-agents-data-"));
    try {
      const first = await runSandbox(pinataAgents, { seed: "persist", dataDir });
      const { jwt } = (await first.admin.act("jwt")) as { jwt: string };
      const client = createPinataAgentsClient({ baseUrl: first.url, jwt, maxRetries: 0 });
      const agent = await newAgent(client, "Persistent");
      const id = agent.agentId;
      const secret = await unwrap(client.POST("/v0/secrets", { body: { name: "KEPT", value: "v" } }));
      await unwrap(
        client.POST("/v0/agents/{agentId}/secrets", { ...path(id), body: { secretIds: [secret.id] } }),
      );
      const skill = await unwrap(client.POST("/v0/skills", { body: { name: "S", cid: "bafykept" } }));
      await unwrap(
        client.POST("/v0/agents/{agentId}/skills", { ...path(id), body: { skillCids: ["bafykept"] } }),
      );
      const task = await unwrap(
        client.POST("/v0/agents/{agentId}/tasks", {
          ...path(id),
          body: { name: "t", schedule: "@daily", prompt: "p" },
        }),
      );
      await unwrap(
        client.POST("/v0/agents/{agentId}/domains", { ...path(id), body: { subdomain: "kept", port: 3000 } }),
      );
      await unwrap(
        client.PUT("/v0/agents/{agentId}/port-forwarding", {
          ...path(id),
          body: { routes: [{ port: 5173, path: "/app" }] },
        }),
      );
      await unwrap(
        client.POST("/v0/agents/{agentId}/channels/{channel}", {
          params: { path: { agentId: id, channel: "telegram" } },
          body: { botToken: "123:abc" },
        }),
      );
      await unwrap(
        client.POST("/v0/agents/{agentId}/files/upload", {
          ...path(id),
          body: { filename: "kept.txt", contentBase64: Buffer.from("kept\n").toString("base64") },
        }),
      );
      const snapshot = await unwrap(client.POST("/v0/agents/{agentId}/snapshots/sync", path(id)));
      const template = await unwrap(
        client.POST("/v0/templates", {
          body: { repoUrl: "https://git.example.com/pinata-sandbox/starter-agent" },
        }),
      );
      const clone = freshDir();
      await git(["clone", "-q", remote(first.url, agent), clone]);
      writeFileSync(join(clone, "PUSHED.md"), "from git\n");
      await git(["add", "-A"], clone);
      await git(["commit", "-q", "-m", "before the restart"], clone);
      await git(["push", "-q", "origin", "HEAD:main"], clone);
      const rotated = await unwrap(client.POST("/v0/agents/{agentId}/gateway-token/rotate", path(id)));
      await first.close();

      const second = await runSandbox(pinataAgents, { seed: "ignored-on-restart", dataDir });
      try {
        const again = createPinataAgentsClient({ baseUrl: second.url, jwt, maxRetries: 0 });
        const detail = await unwrap(again.GET("/v0/agents/{agentId}", path(id)));
        expect(detail.agent.name).toBe("Persistent");
        expect(detail.secrets.map((s) => s.id)).toEqual([secret.id]);
        expect(detail.skills.map((s) => s.skillId)).toEqual([skill.skillId]);
        expect(detail.snapshots.map((s) => s.cid)).toEqual([snapshot.cid]);
        expect(detail.portForwarding).toEqual([{ port: 5173, path: "/app", protected: false }]);
        expect(
          (await unwrap(again.GET("/v0/agents/{agentId}/tasks", path(id)))).tasks.map((t) => t.jobId),
        ).toEqual([task.jobId]);
        expect(
          (await unwrap(again.GET("/v0/agents/{agentId}/domains", path(id)))).domains[0]?.subdomain,
        ).toBe("kept");
        const channels = await unwrap(again.GET("/v0/agents/{agentId}/channels", path(id)));
        expect(channels.channels.find((c) => c.channel === "telegram")?.configured).toBe(true);
        expect((await unwrap(readWorkspaceFile(again, id, "uploads/kept.txt"))).content).toBe("kept\n");
        expect((await unwrap(readWorkspaceFile(again, id, "PUSHED.md"))).content).toBe("from git\n");
        expect((await unwrap(again.GET("/v0/templates"))).templates.map((t) => t.templateId)).toEqual([
          template.template.templateId,
        ]);
        // The rotated token is the one that works.
        const byOld = createPinataAgentsClient({
          baseUrl: second.url,
          gatewayToken: agent.gatewayToken,
          maxRetries: 0,
        });
        expect((await byOld.GET("/v0/agents/{agentId}", path(id))).response.status).toBe(401);
        const byNew = createPinataAgentsClient({
          baseUrl: second.url,
          gatewayToken: rotated.gatewayToken,
          maxRetries: 0,
        });
        expect((await byNew.GET("/v0/agents/{agentId}", path(id))).response.status).toBe(200);
        // The repository kept its history; the seeded randomness continued (no id is reused).
        const reclone = freshDir();
        await git([
          "clone",
          "-q",
          remote(second.url, { agentId: id, gatewayToken: rotated.gatewayToken }),
          reclone,
        ]);
        const { stdout } = await git(["log", "--format=%s"], reclone);
        expect(stdout).toContain("before the restart");
        const next = await newAgent(again, "After restart");
        expect(next.agentId).not.toBe(id);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
