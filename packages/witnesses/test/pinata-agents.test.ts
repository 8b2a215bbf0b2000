/**
 * The Pinata Agents document's "Quick Examples" replayed with fetch, each as its curl line sends it,
 * with a Pinata JWT the sandbox's account page (its admin surface) hands out.
 */
import { type Sandbox, startSandbox } from "@specyard/sandbox";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, jsonBody } from "./support.js";

let sandbox: Sandbox;
let BASE: string;
let JWT: Record<string, string>;
beforeAll(async () => {
  sandbox = await startSandbox("pinata-agents");
  BASE = sandbox.url;
  const { jwt } = (await sandbox.admin.act("jwt")) as { jwt: string };
  JWT = { Authorization: `Bearer ${jwt}` };
});
afterAll(() => sandbox?.close());

describe("Pinata Agents: the quick examples", () => {
  let AGENT_ID = "";

  it("creates an agent (201) and lists it; lists the engines", async () => {
    const created = await call<{ agent: { agentId: string; name: string } }>(`${BASE}/v0/agents`, {
      method: "POST",
      ...jsonBody(
        {
          name: "My Agent",
          description: "Personal assistant",
          emoji: "🤖",
          engine: "openclaw",
          skillCids: ["@pinata/api"],
          secretIds: [],
        },
        JWT,
      ),
    });
    expect(created.status, created.text).toBe(201);
    AGENT_ID = created.json.agent.agentId;
    const listed = await call(`${BASE}/v0/agents`, { headers: JWT });
    expect(listed.status).toBe(200);
    expect(listed.text).toContain(AGENT_ID);
    const engines = await call<{ engines: Array<{ id: string; label: string }> }>(
      `${BASE}/v0/agents/engines`,
      {
        headers: JWT,
      },
    );
    expect(engines.json.engines.map((engine) => engine.id)).toContain("openclaw");
  });

  it("gets the agent's details", async () => {
    const detail = await call<Record<string, unknown>>(`${BASE}/v0/agents/${AGENT_ID}`, { headers: JWT });
    expect(detail.status).toBe(200);
    for (const field of ["agent", "processStatus", "skills", "secrets", "snapshots", "portForwarding"])
      expect(detail.json, field).toHaveProperty(field);
  });

  it("restarts the gateway and runs a shell command", async () => {
    const restarted = await call(`${BASE}/v0/agents/${AGENT_ID}/restart`, { method: "POST", headers: JWT });
    expect(restarted.status, restarted.text).toBe(200);
    const exec = await call<Record<string, unknown>>(`${BASE}/v0/agents/${AGENT_ID}/console/exec`, {
      method: "POST",
      ...jsonBody({ command: "ls workspace", cwd: "/home/node/clawd" }, JWT),
    });
    expect(exec.status, exec.text).toBe(200);
    for (const field of ["stdout", "stderr", "exitCode", "command", "timestamp"])
      expect(exec.json, field).toHaveProperty(field);
  });

  it("uploads a file and reads it back", async () => {
    const report = Buffer.from("%PDF-1.4 witness\n");
    const uploaded = await call<{ path: string; filename: string; size: number }>(
      `${BASE}/v0/agents/${AGENT_ID}/files/upload`,
      {
        method: "POST",
        ...jsonBody({ filename: "report.pdf", contentBase64: report.toString("base64") }, JWT),
      },
    );
    expect(uploaded.status, uploaded.text).toBe(200);
    expect(uploaded.json).toMatchObject({ filename: "report.pdf", size: report.length });
    const read = await call(
      `${BASE}/v0/agents/${AGENT_ID}/files?path=${encodeURIComponent(uploaded.json.path)}`,
      {
        headers: JWT,
      },
    );
    expect(read.status, read.text).toBe(200);
    const identity = await call(`${BASE}/v0/agents/${AGENT_ID}/files?path=workspace/IDENTITY.md`, {
      headers: JWT,
    });
    expect(identity.status).toBe(200);
  });

  it("snapshots now, then resets to that snapshot", async () => {
    const synced = await call(`${BASE}/v0/agents/${AGENT_ID}/snapshots/sync`, {
      method: "POST",
      headers: JWT,
    });
    expect(synced.status, synced.text).toBe(200);
    const snapshots = await call<{ snapshots: Array<{ cid?: string; snapshotCid?: string }> }>(
      `${BASE}/v0/agents/${AGENT_ID}/snapshots`,
      { headers: JWT },
    );
    expect(snapshots.status).toBe(200);
    const latest = snapshots.json.snapshots[0];
    const snapshotCid = latest?.cid ?? latest?.snapshotCid;
    expect(snapshotCid).toEqual(expect.any(String));
    const reset = await call(`${BASE}/v0/agents/${AGENT_ID}/snapshots/reset`, {
      method: "POST",
      ...jsonBody({ snapshotCid }, JWT),
    });
    expect(reset.status, reset.text).toBe(200);
  });

  it("reads the latest logs and validates a runtime config", async () => {
    const logs = await call(`${BASE}/v0/agents/${AGENT_ID}/logs`, { headers: JWT });
    expect(logs.status).toBe(200);
    const validated = await call(`${BASE}/v0/agents/${AGENT_ID}/config/validate`, {
      method: "POST",
      ...jsonBody({ config: JSON.stringify({ gateway: { port: 18789 } }) }, JWT),
    });
    expect(validated.status, validated.text).toBe(200);
  });

  it("errors are {error} with the documented codes: 401 without a JWT", async () => {
    const anonymous = await call<{ error: string }>(`${BASE}/v0/agents`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.json).toEqual({ error: expect.any(String) });
  });
});

describe("Pinata Agents: port forwarding rules", () => {
  it("accepts 1025–65535 and /letters-digits-_ paths; refuses 1024, 18789 and other path characters", async () => {
    const created = await call<{ agent: { agentId: string } }>(`${BASE}/v0/agents`, {
      method: "POST",
      ...jsonBody({ name: "Routes" }, JWT),
    });
    const url = `${BASE}/v0/agents/${created.json.agent.agentId}/port-forwarding`;
    const put = (routes: unknown) => call(url, { method: "PUT", ...jsonBody({ routes }, JWT) });
    expect((await put([{ port: 1025, path: "/app_1" }])).status).toBe(200);
    expect((await put([{ port: 65535, path: "/" }])).status).toBe(200);
    for (const routes of [
      [{ port: 1024, path: "/low" }],
      [{ port: 18789, path: "/gw" }],
      [{ port: 8080, path: "/a.b" }],
      [{ port: 8080, path: "/with space" }],
    ]) {
      const refused = await put(routes);
      expect(refused.status, JSON.stringify(routes)).toBe(400);
    }
  });
});
