/** The Pinata Agents sandbox's workspace files, console, snapshots and config. */
import { unwrap } from "@specyard/pinata-agents";
import { describe, expect, it } from "vitest";
import { MAX_FILE_BYTES } from "../../src/providers/pinata-agents/index.js";
import { expectStatus, newAgent, path, pinata, sandbox, useSandbox } from "./helpers.js";

useSandbox();

describe("Pinata Agents sandbox: files, console, snapshots, config", () => {
  it("uploads base64 files into workspace/uploads and reads them back (413 over the limit)", async () => {
    const agent = await newAgent();
    const uploaded = await expectStatus<{ path: string; size: number }>(
      "/v0/agents/{agentId}/files/upload",
      "post",
      pinata.POST("/v0/agents/{agentId}/files/upload", {
        ...path(agent.agentId),
        body: { filename: "notes.txt", contentBase64: Buffer.from("héllo\n").toString("base64") },
      }),
      200,
    );
    expect(uploaded).toEqual({ path: "workspace/uploads/notes.txt", filename: "notes.txt", size: 7 });
    const read = (p: string) =>
      pinata.GET("/v0/agents/{agentId}/files", {
        ...path(agent.agentId),
        params: { ...path(agent.agentId).params, query: { path: p } },
      });
    expect(await expectStatus("/v0/agents/{agentId}/files", "get", read(uploaded.path), 200)).toEqual({
      path: "workspace/uploads/notes.txt",
      content: "héllo\n",
      encoding: "utf8",
      size: 7,
    });
    const binary = Buffer.from([0, 1, 2, 255]);
    await unwrap(
      pinata.POST("/v0/agents/{agentId}/files/upload", {
        ...path(agent.agentId),
        body: { filename: "blob.bin", contentBase64: binary.toString("base64") },
      }),
    );
    expect(await unwrap(read("/home/node/clawd/workspace/uploads/blob.bin"))).toMatchObject({
      content: binary.toString("base64"),
      encoding: "base64",
      size: 4,
    });
    expect((await unwrap(read("workspace/IDENTITY.md"))).content).toContain("# Agent");
    await expectStatus("/v0/agents/{agentId}/files", "get", read("workspace/missing.md"), 404);
    await expectStatus("/v0/agents/{agentId}/files", "get", read("workspace"), 400);
    await expectStatus(
      "/v0/agents/{agentId}/files/upload",
      "post",
      pinata.POST("/v0/agents/{agentId}/files/upload", {
        ...path(agent.agentId),
        body: { filename: "../escape.txt", contentBase64: "aGk=" },
      }),
      400,
    );
    const big = Buffer.alloc(MAX_FILE_BYTES + 1, 7).toString("base64");
    const tooBig = await expectStatus<{ error: string }>(
      "/v0/agents/{agentId}/files/upload",
      "post",
      pinata.POST("/v0/agents/{agentId}/files/upload", {
        ...path(agent.agentId),
        body: { filename: "big.bin", contentBase64: big },
      }),
      413,
    );
    expect(tooBig.error).toContain("File too large");
    const atLimit = Buffer.alloc(MAX_FILE_BYTES, 7).toString("base64");
    await expectStatus(
      "/v0/agents/{agentId}/files/upload",
      "post",
      pinata.POST("/v0/agents/{agentId}/files/upload", {
        ...path(agent.agentId),
        body: { filename: "max.bin", contentBase64: atLimit },
      }),
      200,
    );
  });

  it("answers ls, cat, pwd and echo from the files, and 127 for anything else", async () => {
    const agent = await newAgent();
    const exec = async (command: string, cwd?: string) =>
      expectStatus<{ stdout: string; stderr: string; exitCode: number; command: string }>(
        "/v0/agents/{agentId}/console/exec",
        "post",
        pinata.POST("/v0/agents/{agentId}/console/exec", {
          ...path(agent.agentId),
          body: { command, ...(cwd ? { cwd } : {}) },
        }),
        200,
      );
    expect(await exec("ls workspace", "/home/node/clawd")).toMatchObject({
      stdout: "IDENTITY.md\nSOUL.md\n",
      exitCode: 0,
      command: "ls workspace",
    });
    expect((await exec("cat SOUL.md", "/home/node/clawd/workspace")).stdout).toBe(
      "Be helpful, be brief, be kind.\n",
    );
    expect((await exec("pwd", "workspace")).stdout).toBe("/home/node/clawd/workspace\n");
    expect((await exec('echo "hello   world" again')).stdout).toBe("hello   world again\n");
    expect(await exec("cat nope.txt")).toMatchObject({
      exitCode: 1,
      stderr: "cat: nope.txt: No such file or directory\n",
    });
    expect(await exec("ls /nowhere")).toMatchObject({ exitCode: 2 });
    expect(await exec("rm -rf /")).toMatchObject({ exitCode: 127, stdout: "" });
    expect(await exec("ls | wc -l")).toMatchObject({ exitCode: 127 });
    expect(await exec("echo $(id)")).toMatchObject({ exitCode: 127 });
    await expectStatus(
      "/v0/agents/{agentId}/console/exec",
      "post",
      pinata.POST("/v0/agents/{agentId}/console/exec", { ...path(agent.agentId), body: { command: "" } }),
      400,
    );
  });

  it("takes content-addressed snapshots, lists the latest 10 and resets to one", async () => {
    const agent = await newAgent();
    const sync = () =>
      expectStatus<{ cid: string; createdAt: string }>(
        "/v0/agents/{agentId}/snapshots/sync",
        "post",
        pinata.POST("/v0/agents/{agentId}/snapshots/sync", path(agent.agentId)),
        200,
      );
    const status0 = await expectStatus<{ syncing: boolean; lastSnapshotCid: string | null }>(
      "/v0/agents/{agentId}/snapshots/sync",
      "get",
      pinata.GET("/v0/agents/{agentId}/snapshots/sync", path(agent.agentId)),
      200,
    );
    expect(status0).toMatchObject({ syncing: false, lastSnapshotCid: null, lastSyncedAt: null });
    const first = await sync();
    expect(first.cid).toMatch(/^Qm[1-9A-HJ-NP-Za-km-z]{44}$/);
    expect((await sync()).cid).toBe(first.cid);
    const upload = (name: string) =>
      unwrap(
        pinata.POST("/v0/agents/{agentId}/files/upload", {
          ...path(agent.agentId),
          body: { filename: name, contentBase64: Buffer.from(name).toString("base64") },
        }),
      );
    const cids = [first.cid];
    for (let i = 0; i < 11; i++) {
      await upload(`f${i}.txt`);
      sandbox.admin.clock.advance(60_000);
      cids.push((await sync()).cid);
    }
    expect(new Set(cids).size).toBe(12);
    const list = await expectStatus<{ snapshots: Array<{ cid: string }> }>(
      "/v0/agents/{agentId}/snapshots",
      "get",
      pinata.GET("/v0/agents/{agentId}/snapshots", path(agent.agentId)),
      200,
    );
    expect(list.snapshots.map((s) => s.cid)).toEqual(cids.slice(-10).reverse());
    const status = await unwrap(pinata.GET("/v0/agents/{agentId}/snapshots/sync", path(agent.agentId)));
    expect(status.lastSnapshotCid).toBe(cids[11]);

    await expectStatus(
      "/v0/agents/{agentId}/snapshots/reset",
      "post",
      pinata.POST("/v0/agents/{agentId}/snapshots/reset", {
        ...path(agent.agentId),
        body: { snapshotCid: first.cid },
      }),
      200,
    );
    const ls = await unwrap(
      pinata.POST("/v0/agents/{agentId}/console/exec", {
        ...path(agent.agentId),
        body: { command: "ls workspace" },
      }),
    );
    expect(ls.stdout).toBe("IDENTITY.md\nSOUL.md\n");
    await expectStatus(
      "/v0/agents/{agentId}/snapshots/reset",
      "post",
      pinata.POST("/v0/agents/{agentId}/snapshots/reset", {
        ...path(agent.agentId),
        body: { snapshotCid: "QmNope" },
      }),
      404,
    );
  });

  it("reads, validates and writes the engine runtime config", async () => {
    const agent = await newAgent();
    const config = await expectStatus<{ config: string; path: string }>(
      "/v0/agents/{agentId}/config",
      "get",
      pinata.GET("/v0/agents/{agentId}/config", path(agent.agentId)),
      200,
    );
    expect(config.path).toBe("/home/node/.openclaw/openclaw.json");
    expect(JSON.parse(config.config).gateway.port).toBe(18789);
    const validate = (text: string) =>
      expectStatus<{ valid: boolean; errors: string[] }>(
        "/v0/agents/{agentId}/config/validate",
        "post",
        pinata.POST("/v0/agents/{agentId}/config/validate", {
          ...path(agent.agentId),
          body: { config: text },
        }),
        200,
      );
    expect(await validate(config.config)).toEqual({ valid: true, errors: [] });
    expect((await validate("{ not json")).valid).toBe(false);
    expect((await validate('{"gateway":{"port":"x"}}')).errors).toEqual([
      "gateway.port must be an integer from 1 to 65535",
    ]);
    await expectStatus(
      "/v0/agents/{agentId}/config",
      "put",
      pinata.PUT("/v0/agents/{agentId}/config", { ...path(agent.agentId), body: { config: "[1,2]" } }),
      400,
    );
    const next = '{"agent":{"model":"openai/gpt-5"},"gateway":{"port":18789}}';
    await expectStatus(
      "/v0/agents/{agentId}/config",
      "put",
      pinata.PUT("/v0/agents/{agentId}/config", { ...path(agent.agentId), body: { config: next } }),
      200,
    );
    expect((await unwrap(pinata.GET("/v0/agents/{agentId}/config", path(agent.agentId)))).config).toBe(next);

    const hermes = await newAgent({ engine: "hermes" });
    const yaml = await unwrap(pinata.GET("/v0/agents/{agentId}/config", path(hermes.agentId)));
    expect(yaml.path).toBe("/home/hermes/data/config.yaml");
    const valid = await unwrap(
      pinata.POST("/v0/agents/{agentId}/config/validate", {
        ...path(hermes.agentId),
        body: { config: yaml.config },
      }),
    );
    expect(valid.valid).toBe(true);
    const invalid = await unwrap(
      pinata.POST("/v0/agents/{agentId}/config/validate", {
        ...path(hermes.agentId),
        body: { config: "a: [1" },
      }),
    );
    expect(invalid.valid).toBe(false);
  });
});
