/**
 * The Pinata Agents sandbox's state: workspaces (accounts), their agents with everything an agent
 * holds (files, tasks, domains, logs …), secrets, the skill library and templates. Plain JSON, so
 * the framework persists it as it is.
 */
import { createHash, randomBytes } from "node:crypto";
import type { ProviderContext, SandboxResponse } from "../../framework/types.js";

export type AgentStatus = "starting" | "running" | "not_running";
export type ChannelName = "telegram" | "slack" | "discord" | "whatsapp";
export type LogLevel = "TRACE" | "DEBUG" | "INFO" | "WARN" | "ERROR" | "FATAL";

export interface Account {
  accountId: string;
  name: string;
  /** The plan's agent limit: creating one more answers 403. */
  agentLimit: number;
  createdAt: number;
}

export interface LogLine {
  timestamp: string;
  level: LogLevel;
  source: string;
  message: string;
}

export interface AttachedSkill {
  skillId: string;
  cid: string;
  name: string;
  version: string;
}

export interface ChannelRecord {
  dmPolicy: "open" | "pairing";
  allowFrom: string[];
  /** Bot and app tokens are write-only: only their hashes are kept. */
  botTokenHash: string;
  appTokenHash?: string;
}

export interface DomainRecord {
  domainId: string;
  subdomain?: string;
  customDomain?: string;
  hostname: string;
  port: number;
  protected: boolean;
  verified: boolean;
}

export interface TaskRecord {
  jobId: string;
  name: string;
  schedule: string;
  prompt: string;
  enabled: boolean;
  lastRunAt: number | null;
  nextRunAt: number | null;
}

export interface RunRecord {
  runId: string;
  jobId: string;
  status: "running" | "succeeded" | "failed";
  startedAt: number;
  finishedAt: number | null;
  output: string;
}

export interface SnapshotRecord {
  cid: string;
  createdAt: number;
  /** Workspace files (relative path → base64), as they were. */
  files: Record<string, string>;
}

export interface DeviceRecord {
  requestId: string;
  deviceId: string;
  name: string;
  platform: string;
  requestedAt: number;
}

export interface AgentRecord {
  agentId: string;
  accountId: string;
  name: string;
  description?: string;
  emoji?: string;
  engine: string;
  status: AgentStatus;
  createdAt: number;
  /** While starting: when the gateway is up. */
  readyAt: number | null;
  startedAt: number | null;
  /** Shown to its owner (and readable by design), so kept as is; redacted from the admin view. */
  gatewayToken: string;
  /** Bumped on rotation: platform JWTs of an older generation stop working. */
  tokenGeneration: number;
  version: string;
  skills: AttachedSkill[];
  secretIds: string[];
  channels: Partial<Record<ChannelName, ChannelRecord>>;
  portForwarding: Array<{ port: number; path: string; protected: boolean }>;
  domains: DomainRecord[];
  tasks: TaskRecord[];
  runs: Record<string, RunRecord[]>;
  /** Every file of the container: absolute path → base64 content. */
  files: Record<string, string>;
  /** Bumped on every workspace change; `gitRev` is the revision the git repository holds. */
  workspaceRev: number;
  gitRev: number;
  /** The `main` commit the workspace was last exported to or imported from. */
  gitCommit: string | null;
  snapshots: SnapshotRecord[];
  lastSyncedAt: number | null;
  devices: { pending: DeviceRecord[]; paired: DeviceRecord[] };
  logs: LogLine[];
}

export interface SecretRecord {
  id: string;
  accountId: string;
  name: string;
  /** The value is write-only: only its SHA-256 is kept. */
  valueHash: string;
  createdAt: number;
  updatedAt: number;
}

export interface SkillRecord {
  skillId: string;
  accountId: string;
  name: string;
  description?: string;
  /** Oldest first; the last one is the current version. */
  versions: Array<{ version: string; cid: string; createdAt: number }>;
  createdAt: number;
  hubSkillId?: string;
}

export interface TemplateRecord {
  templateId: string;
  accountId: string;
  slug: string;
  name: string;
  description?: string;
  repoUrl: string;
  branch: string;
  createdAt: number;
  archived: boolean;
  /** Listed on the public marketplace (the operator's review, an admin action). */
  published: boolean;
}

/** A public git repository as the template routes see it (the git host is the "other party"). */
export interface RepoRecord {
  branches: string[];
  tags: string[];
  defaultBranch: string;
  /** `manifest.json` text per branch; a branch without one has none. */
  manifests: Record<string, string>;
}

export interface PinataState {
  /** HMAC key of the Pinata and platform JWTs (never shown by the admin surface). */
  jwtSecret: string;
  accounts: Record<string, Account>;
  agents: Record<string, AgentRecord>;
  secrets: Record<string, SecretRecord>;
  skills: Record<string, SkillRecord>;
  templates: Record<string, TemplateRecord>;
  repos: Record<string, RepoRecord>;
  /** DNS TXT records the "other party" (the domain owner) published: name → values. */
  dnsTxt: Record<string, string[]>;
}

export type Ctx = ProviderContext<PinataState>;

export const SEED_ACCOUNT_ID = "acct_sandbox";
export const DEFAULT_AGENT_LIMIT = 3;
export const STARTER_REPO = "https://git.example.com/pinata-sandbox/starter-agent";

export const own = <T>(record: Record<string, T>, key: string): T | undefined =>
  Object.hasOwn(record, key) ? record[key] : undefined;

export const sha256 = (data: string | Uint8Array): string => createHash("sha256").update(data).digest("hex");
export const iso = (ms: number): string => new Date(ms).toISOString();
export const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));

export const isResponse = (value: unknown): value is SandboxResponse =>
  typeof value === "object" && value !== null && typeof (value as { status?: unknown }).status === "number";

const ALPHANUM = "abcdefghijklmnopqrstuvwxyz0123456789";

/** Characters from the seeded randomness: ids are reproducible for a given seed. */
export function randomChars(ctx: Ctx, length: number, alphabet = ALPHANUM): string {
  let out = "";
  for (let i = 0; i < length; i++) out += alphabet[Math.floor(ctx.random() * alphabet.length)];
  return out;
}

export const newId = (ctx: Ctx, prefix: string): string => `${prefix}_${randomChars(ctx, 16)}`;

/** A gateway token: a secret, so from node's CSPRNG rather than the seeded randomness. */
export const newGatewayToken = (): string => `gwt_${randomBytes(24).toString("base64url")}`;

export function initialState(_seed: string): PinataState {
  const now = Date.now();
  const starter = JSON.stringify(
    { name: "Starter Agent", description: "A friendly starter agent", engine: "openclaw", skills: [] },
    null,
    2,
  );
  return {
    jwtSecret: randomBytes(32).toString("hex"),
    accounts: {
      [SEED_ACCOUNT_ID]: {
        accountId: SEED_ACCOUNT_ID,
        name: "Sandbox workspace",
        agentLimit: DEFAULT_AGENT_LIMIT,
        createdAt: now,
      },
    },
    agents: {},
    secrets: {},
    skills: {},
    templates: {},
    repos: {
      [STARTER_REPO]: {
        branches: ["main", "dev"],
        tags: ["v1.0.0"],
        defaultBranch: "main",
        manifests: { main: starter, dev: starter },
      },
    },
    dnsTxt: {},
  };
}

/** State as the admin surface shows it: no JWT key, no gateway tokens, no value hashes. */
export function redact(state: PinataState): unknown {
  const hidden = "[redacted]";
  return {
    ...state,
    jwtSecret: hidden,
    agents: Object.fromEntries(
      Object.entries(state.agents).map(([id, agent]) => [
        id,
        {
          ...agent,
          gatewayToken: hidden,
          channels: Object.fromEntries(
            Object.entries(agent.channels).map(([name, channel]) => [
              name,
              { ...channel, botTokenHash: hidden, ...(channel.appTokenHash ? { appTokenHash: hidden } : {}) },
            ]),
          ),
        },
      ]),
    ),
    secrets: Object.fromEntries(
      Object.entries(state.secrets).map(([id, secret]) => [id, { ...secret, valueHash: hidden }]),
    ),
  };
}
