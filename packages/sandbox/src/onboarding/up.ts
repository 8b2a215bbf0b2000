/**
 * `up()`: every sandbox in one process on fixed ports, each with ready credentials made through the
 * sandbox's own API and admin actions, and the client variables for a `.env`. What
 * `specyard-sandbox up` runs.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { writePrivateFileSync } from "@specyard/http/files";
import type { FaultRule } from "../framework/faults.js";
import { runSandbox, type Sandbox } from "../framework/server.js";
import type { SandboxOptions } from "../framework/types.js";
import type { ProviderName } from "../registry.js";
import { providerDefinition } from "../registry.js";
import {
  type AtelierCredentials,
  atelierCredentials,
  loadSaved,
  type PinataCredentials,
  type PipeAgentCredentials,
  type PipeCredentials,
  type PipedAICredentials,
  pinataCredentials,
  pipeagentCredentials,
  pipeCredentials,
  pipedaiCredentials,
  type Saved,
  saveSaved,
} from "./credentials.js";
import { envFileText } from "./files.js";

export type {
  AtelierCredentials,
  PinataCredentials,
  PipeAgentCredentials,
  PipeCredentials,
  PipedAICredentials,
} from "./credentials.js";
export { readKeypairFile } from "./credentials.js";

/** The first port of the block `up` uses. */
export const DEFAULT_PORT_BASE = 4310;

/**
 * Each sandbox's port is the base plus its offset: 4310, 4320, 4330, 4340, 4350 by default. The
 * nine ports after each stay free for the live parts a sandbox may gain fixed ports for.
 */
export const PORT_OFFSETS: Readonly<Record<ProviderName, number>> = {
  "pipe-storage": 0,
  pipeagent: 10,
  pipedai: 20,
  atelier: 30,
  "pinata-agents": 40,
};

const ALL = Object.keys(PORT_OFFSETS) as ProviderName[];

export interface UpOptions {
  /** Which sandboxes (default: all five). */
  providers?: readonly ProviderName[];
  /** The first port of the block (default 4310); 0 puts every sandbox on a free port. */
  portBase?: number;
  /** A port per provider, over the block's (0 = a free port). */
  ports?: Partial<Record<ProviderName, number>>;
  host?: string;
  seed?: string | number;
  /**
   * One folder for all: each sandbox keeps `<provider>.json` (and its own `<provider>-…` folders)
   * there, `up` keeps the demo keypair and the credentials it made, so a restart reuses them.
   */
  dataDir?: string;
  /** `false` lifts the documented rate limits. */
  rateLimits?: boolean;
  /** Browser origins admitted besides the loopback ones (`*` for any). */
  corsOrigins?: readonly string[];
  faults?: FaultRule[];
  /**
   * Where the Pipe demo keypair (Solana CLI format) is kept: default `<dataDir>/pipe-keypair.json`,
   * else a private temporary folder removed by `close()`. An existing file there is used as is.
   */
  keypairPath?: string;
  /** Writes the client variables to this file (mode 0600, replaced atomically). */
  envFile?: string;
}

export interface UpCredentials {
  "pipe-storage"?: PipeCredentials;
  pipeagent?: PipeAgentCredentials;
  pipedai?: PipedAICredentials;
  atelier?: AtelierCredentials;
  "pinata-agents"?: PinataCredentials;
}

export interface UpSandbox {
  provider: ProviderName;
  url: string;
  /** `GET` it for the state; actions are `POST <url>/__sandbox/actions/<name>`. */
  admin: string;
  /** The live parts (`solana.rpcUrl`, `s3.endpoint`, `logStream.url`…). */
  info: Record<string, unknown>;
}

export interface UpResult {
  /** In start order. */
  sandboxes: UpSandbox[];
  /** The running sandboxes, with their admin surfaces. */
  running: Partial<Record<ProviderName, Sandbox>>;
  credentials: UpCredentials;
  /** The client variables (`PIPE_BASE_URL`, `PIPEDAI_API_KEY`…), as written to `envFile`. */
  env: Record<string, string>;
  envFile?: string;
  close(): Promise<void>;
}

/** Starts the sandboxes, makes their credentials and (with `envFile`) writes the variables. */
export async function up(options: UpOptions = {}): Promise<UpResult> {
  const providers = ALL.filter((name) => (options.providers ?? ALL).includes(name));
  for (const name of options.providers ?? [])
    if (!ALL.includes(name)) throw new Error(`no sandbox for "${name}"; available: ${ALL.join(", ")}`);
  if (!providers.length) throw new Error("no sandbox to start");
  const base = options.portBase ?? DEFAULT_PORT_BASE;
  const portOf = (name: ProviderName) =>
    options.ports?.[name] ?? (base === 0 ? 0 : base + PORT_OFFSETS[name]);

  const dataDir = options.dataDir === undefined ? undefined : resolve(options.dataDir);
  if (dataDir) mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const shared: SandboxOptions = {
    ...(options.host ? { host: options.host } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(dataDir ? { dataDir } : {}),
    ...(options.rateLimits === false ? { rateLimits: false } : {}),
    ...(options.corsOrigins?.length ? { corsOrigins: options.corsOrigins } : {}),
    ...(options.faults?.length ? { faults: options.faults } : {}),
  };

  const started = await Promise.allSettled(
    providers.map(async (name) => {
      const port = portOf(name);
      try {
        return await runSandbox(await providerDefinition(name), { ...shared, port });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "EADDRINUSE")
          throw new Error(
            `port ${port} (${name}) is in use: pick another block with --port-base N or --port ${name}=N`,
          );
        throw error;
      }
    }),
  );
  const running: Partial<Record<ProviderName, Sandbox>> = {};
  started.forEach((outcome, i) => {
    const name = providers[i];
    if (name && outcome.status === "fulfilled") running[name] = outcome.value;
  });
  let scratch: string | undefined;
  const close = async () => {
    await Promise.all(Object.values(running).map((sandbox) => sandbox.close()));
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  };
  const failed = started.find((outcome) => outcome.status === "rejected");
  if (failed) {
    await close();
    throw failed.reason;
  }

  try {
    const savedPath = dataDir ? join(dataDir, "onboarding.json") : undefined;
    const saved: Saved = savedPath ? loadSaved(savedPath) : {};
    const credentials: UpCredentials = {};
    const env: Record<string, string> = {};
    const pipe = running["pipe-storage"];
    if (pipe) {
      let keypairPath = options.keypairPath ?? (dataDir ? join(dataDir, "pipe-keypair.json") : undefined);
      if (!keypairPath) {
        scratch = mkdtempSync(join(tmpdir(), "specyard-sandbox-"));
        keypairPath = join(scratch, "pipe-keypair.json");
      }
      const pipeCreds = await pipeCredentials(pipe, resolve(keypairPath), saved);
      credentials["pipe-storage"] = pipeCreds;
      Object.assign(env, {
        PIPE_BASE_URL: pipe.url,
        PIPE_APP_KEY: pipeCreds.appKey,
        PIPE_KEYPAIR: pipeCreds.keypairPath,
        PIPE_SOLANA_RPC_URL: pipeCreds.solanaRpcUrl,
        PIPE_S3_ENDPOINT: pipeCreds.s3.endpoint,
        PIPE_AWS_ACCESS_KEY_ID: pipeCreds.s3.accessKeyId,
        PIPE_AWS_SECRET_ACCESS_KEY: pipeCreds.s3.secretAccessKey,
        PIPE_S3_BUCKET: pipeCreds.s3.bucket,
      });
    }
    const pipeagent = running.pipeagent;
    if (pipeagent) {
      const made = await pipeagentCredentials(pipeagent);
      credentials.pipeagent = made;
      Object.assign(env, {
        PIPEAGENT_BASE_URL: pipeagent.url,
        PIPEAGENT_WRITE_KEY: made.writeKey,
        PIPEAGENT_READ_KEY: made.readKey,
      });
    }
    const pipedai = running.pipedai;
    if (pipedai) {
      const made = await pipedaiCredentials(pipedai, saved);
      credentials.pipedai = made;
      Object.assign(env, { PIPEDAI_BASE_URL: pipedai.url, PIPEDAI_API_KEY: made.apiKey });
    }
    const atelier = running.atelier;
    if (atelier) {
      const made = await atelierCredentials(atelier, saved);
      credentials.atelier = made;
      Object.assign(env, {
        ATELIER_BASE_URL: atelier.url,
        ATELIER_API_KEY: made.apiKey,
        ATELIER_AGENT_ID: made.agentId,
      });
    }
    const pinata = running["pinata-agents"];
    if (pinata) {
      const made = await pinataCredentials(pinata);
      credentials["pinata-agents"] = made;
      Object.assign(env, { PINATA_BASE_URL: pinata.url, PINATA_JWT: made.jwt });
    }
    if (savedPath) saveSaved(savedPath, saved);
    const envFile = options.envFile === undefined ? undefined : resolve(options.envFile);
    if (envFile) writePrivateFileSync(envFile, envFileText(env));

    return {
      sandboxes: providers.flatMap((name) => {
        const sandbox = running[name];
        return sandbox
          ? [
              {
                provider: name,
                url: sandbox.url,
                admin: `${sandbox.url}/__sandbox/state`,
                info: sandbox.info,
              },
            ]
          : [];
      }),
      running,
      credentials,
      env,
      ...(envFile ? { envFile } : {}),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
