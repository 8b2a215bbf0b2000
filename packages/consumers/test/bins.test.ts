/**
 * Every `bin` of every published package, run the way npm links it (node_modules/.bin/<name>),
 * doing its job against a sandbox and stopping cleanly on SIGTERM.
 */
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { resultOf, run, start } from "./helpers/run.js";
import type { Outcome } from "./helpers/types.js";
import { consumer, expectedObservations, loadInstalledSandbox } from "./helpers/world.js";

const project = consumer();
const bins = project.packages.flatMap((pkg) => Object.keys(pkg.bins).map((bin) => ({ bin, pkg: pkg.name })));
const binPath = (bin: string) => join(project.dir, "node_modules", ".bin", bin);
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

const CHECKS: Record<string, Record<string, () => Promise<void>>> = {
  "specyard-sandbox": {
    "serves one sandbox and stops on SIGTERM": async () => {
      const help = await run(binPath("specyard-sandbox"), ["--help"], { cwd: project.dir });
      expect(help.code).toBe(0);
      expect(help.stdout).toContain("usage: specyard-sandbox");

      const sandbox = start(binPath("specyard-sandbox"), ["pipeagent", "--port", "0"], { cwd: project.dir });
      cleanups.push(async () => {
        sandbox.child.kill("SIGKILL");
      });
      const started = JSON.parse(await sandbox.firstLine) as { provider: string; url: string };
      expect(started.provider).toBe("pipeagent");
      expect(new URL(started.url).hostname).toBe("127.0.0.1");
      const keys = (await (
        await fetch(`${started.url}/__sandbox/actions/keys`, { method: "POST" })
      ).json()) as { readKey: string };
      const catalog = await fetch(`${started.url}/v1/catalog`, { headers: { "x-api-key": keys.readKey } });
      expect(catalog.status).toBe(200);
      expect(await catalog.json()).toMatchObject({ feeds: [] });
      sandbox.child.kill("SIGTERM");
      expect(await sandbox.exited).toEqual({ code: 0, signal: null });
    },

    "up: all five with credentials in a .env that every client runs from": async () => {
      const work = mkdtempSync(join(project.dir, "up-"));
      const envFile = join(work, ".env");
      const up = start(
        binPath("specyard-sandbox"),
        ["up", "--port-base", "0", "--json", "--env-out", envFile],
        {
          cwd: work,
        },
      );
      cleanups.push(async () => {
        up.child.kill("SIGKILL");
      });
      JSON.parse(await up.firstLine);
      expect((statSync(envFile).mode & 0o777).toString(8)).toBe("600");
      // A user's next step: run their code with the variables and no options in the code.
      const clients = await run(
        process.execPath,
        [`--env-file=${envFile}`, join(project.dir, "fixtures", "runtime", "main.mjs")],
        { cwd: project.dir, env: { SPECYARD_CONSUMER_CONFIG: undefined } },
      );
      const { fromEnv } = resultOf<{ fromEnv: Record<string, Outcome> }>("main.mjs with the .env", clients);
      const failed = Object.entries(fromEnv).filter(([, outcome]) => !outcome.ok);
      expect(failed).toEqual([]);
      expect(Object.keys(fromEnv).sort()).toEqual(Object.keys(expectedObservations({} as never)).sort());
      up.child.kill("SIGTERM");
      expect(await up.exited).toEqual({ code: 0, signal: null });
    },
  },

  "specyard-atelier-agent": {
    "registers, offers its service and stops on SIGTERM": async () => {
      const { startSandbox } = await loadInstalledSandbox(project);
      const atelier = await startSandbox("atelier");
      cleanups.push(() => atelier.close());
      const work = mkdtempSync(join(project.dir, "agent-"));
      const credentials = join(work, "credentials.json");
      const agent = start(
        binPath("specyard-atelier-agent"),
        ["--base-url", atelier.url, "--credentials", credentials, "--journal", join(work, "journal.json")],
        { cwd: work },
      );
      cleanups.push(async () => {
        agent.child.kill("SIGKILL");
      });
      const first = JSON.parse(await agent.firstLine) as { agentId: string; registered: boolean };
      expect(first.registered).toBe(true);
      const saved = JSON.parse(readFileSync(credentials, "utf8")) as { agent_id: string; api_key: string };
      expect(saved.agent_id).toBe(first.agentId);
      const me = await fetch(`${atelier.url}/agents/me`, {
        headers: { authorization: `Bearer ${saved.api_key}` },
      });
      expect(((await me.json()) as { data: { id: string } }).data.id).toBe(first.agentId);
      const services = await fetch(`${atelier.url}/agents/${first.agentId}/services`, {
        headers: { authorization: `Bearer ${saved.api_key}` },
      });
      expect(((await services.json()) as { data: unknown[] }).data.length).toBe(1);
      agent.child.kill("SIGTERM");
      expect(await agent.exited).toEqual({ code: 0, signal: null });
    },
  },
};

it("finds the bins of the published packages", () => {
  expect(bins.length).toBeGreaterThan(0);
});

describe.each(bins)("$pkg bin $bin (from node_modules/.bin)", ({ bin }) => {
  const checks = Object.entries(CHECKS[bin] ?? {});
  if (!checks.length) {
    it("has a check", () => {
      throw new Error(`no check written for the bin ${bin}: add one to test/bins.test.ts`);
    });
  }
  for (const [title, check] of checks) it(title, check);
});
