/**
 * Agents and what hangs off one: lifecycle and logs, runtime versions, the gateway token and the
 * platform-token exchange, attached secrets and skills, chat channels and paired devices.
 */
import type { Handler, SandboxRequest, SandboxResponse } from "../../framework/types.js";
import { agentOf, callerOf, mintPlatformJwt } from "./auth.js";
import { AGENT_VERSION, AGENT_VERSIONS, ENGINE_LIST } from "./catalog.js";
import { MAX_AGENT_SKILLS, newerVersion, ownSecret, resolveSkill, secretView } from "./library.js";
import { formatLine, liveHooks, log, restart } from "./lifecycle.js";
import {
  type AgentRecord,
  type AttachedSkill,
  type ChannelName,
  type ChannelRecord,
  type Ctx,
  iso,
  isoOrNull,
  isResponse,
  newGatewayToken,
  own,
  type PinataState,
  randomChars,
  sha256,
} from "./state.js";
import { ENGINES, latestSnapshots, starterFiles } from "./workspace.js";

type H = Handler<PinataState>;
const OK = { status: 200, body: { success: true } };

export const agentView = (a: AgentRecord) => ({
  agentId: a.agentId,
  name: a.name,
  ...(a.description !== undefined ? { description: a.description } : {}),
  ...(a.emoji !== undefined ? { emoji: a.emoji } : {}),
  engine: a.engine,
  status: a.status,
  createdAt: iso(a.createdAt),
  gatewayToken: a.gatewayToken,
});

export const listAgents: H = (request, ctx) => {
  const caller = callerOf(request);
  const agents = Object.values(ctx.state.agents)
    .filter(
      (a) =>
        a.accountId === caller.accountId && (caller.agentId === undefined || a.agentId === caller.agentId),
    )
    .sort((a, b) => a.createdAt - b.createdAt);
  return { status: 200, body: { agents: agents.map(agentView) } };
};

interface ChannelInput {
  botToken: string;
  appToken?: string;
  dmPolicy?: "open" | "pairing";
  allowFrom?: string[];
}

const channelRecord = (input: ChannelInput): ChannelRecord => ({
  dmPolicy: input.dmPolicy ?? "open",
  allowFrom: [...(input.allowFrom ?? [])],
  botTokenHash: sha256(input.botToken),
  ...(input.appToken ? { appTokenHash: sha256(input.appToken) } : {}),
});

/** Resolves `skillCids` to attachable skills, or names the first unknown one. */
function resolveSkills(ctx: Ctx, accountId: string, refs: string[]): AttachedSkill[] | string {
  const out: AttachedSkill[] = [];
  for (const ref of refs) {
    const skill = resolveSkill(ctx, accountId, ref);
    if (!skill) return ref;
    if (!out.some((s) => s.skillId === skill.skillId)) out.push(skill);
  }
  return out;
}

export interface CreateAgentInput {
  name: string;
  description?: string;
  emoji?: string;
  engine?: string;
  skillCids?: string[];
  secretIds?: string[];
  channels?: Partial<Record<"telegram" | "slack" | "discord", ChannelInput>>;
}

/** Creates an agent for an account, or answers why not (plan limit, unknown engine/secret/skill). */
export function makeAgent(
  ctx: Ctx,
  accountId: string,
  body: CreateAgentInput,
): AgentRecord | SandboxResponse {
  const account = own(ctx.state.accounts, accountId);
  if (!account) return ctx.error(404, "Account not found");
  const owned = Object.values(ctx.state.agents).filter((a) => a.accountId === accountId).length;
  if (owned >= account.agentLimit) return ctx.error(403, "Agent limit reached for your plan");
  const engine = body.engine ?? "openclaw";
  if (!own(ENGINES, engine)) return ctx.error(400, `Validation failed: unknown engine "${engine}"`);
  const missing = (body.secretIds ?? []).find((id) => !ownSecret(ctx, accountId, id));
  if (missing !== undefined) return ctx.error(400, `Validation failed: secret not found: ${missing}`);
  const skills = resolveSkills(ctx, accountId, body.skillCids ?? []);
  if (typeof skills === "string") return ctx.error(400, `Validation failed: skill not found: ${skills}`);

  let agentId: string;
  do agentId = `k${randomChars(ctx, 11)}`;
  while (own(ctx.state.agents, agentId));
  const agent: AgentRecord = {
    agentId,
    accountId,
    name: body.name,
    ...(body.description !== undefined ? { description: body.description } : {}),
    ...(body.emoji !== undefined ? { emoji: body.emoji } : {}),
    engine,
    status: "starting",
    createdAt: ctx.clock.now(),
    readyAt: null,
    startedAt: null,
    gatewayToken: newGatewayToken(),
    tokenGeneration: 0,
    version: AGENT_VERSION,
    skills,
    secretIds: [...new Set(body.secretIds ?? [])],
    channels: {},
    portForwarding: [],
    domains: [],
    tasks: [],
    runs: {},
    files: {},
    workspaceRev: 1,
    gitRev: 0,
    gitCommit: null,
    snapshots: [],
    lastSyncedAt: null,
    devices: { pending: [], paired: [] },
    logs: [],
  };
  agent.files = starterFiles(agent);
  for (const name of ["telegram", "slack", "discord"] as const) {
    const input = body.channels?.[name];
    if (input) agent.channels[name] = channelRecord(input);
  }
  ctx.state.agents[agentId] = agent;
  restart(ctx, agent, "agent created");
  const channels = Object.keys(agent.channels);
  if (channels.length) log(ctx, agent, "INFO", "channels", `bootstrapping channels: ${channels.join(", ")}`);
  return agent;
}

export const createAgent: H = (request, ctx) => {
  const made = makeAgent(ctx, callerOf(request).accountId, request.body as CreateAgentInput);
  return isResponse(made) ? made : { status: 201, body: { agent: agentView(made) } };
};

export const listEngines: H = () => ({ status: 200, body: { engines: ENGINE_LIST } });

export const getAgent: H = (request, ctx) => {
  const agent = agentOf(request);
  return {
    status: 200,
    body: {
      agent: agentView(agent),
      processStatus: { running: agent.status === "running", startedAt: isoOrNull(agent.startedAt) },
      skills: agent.skills,
      secrets: agent.secretIds.flatMap((id) => {
        const secret = ownSecret(ctx, agent.accountId, id);
        return secret ? [secretView(secret)] : [];
      }),
      snapshots: latestSnapshots(agent),
      portForwarding: agent.portForwarding,
    },
  };
};

export const deleteAgent: H = (request, ctx) => {
  const agent = agentOf(request);
  delete ctx.state.agents[agent.agentId];
  liveHooks(ctx)?.forget(agent.agentId);
  return OK;
};

export const restartAgent: H = (request, ctx) => {
  restart(ctx, agentOf(request), "restart requested");
  return OK;
};

export const getAgentLogs: H = (request) => ({
  status: 200,
  body: agentOf(request).logs.slice(-100).map(formatLine).join("\n"),
});

const newerThan = (version: string) => AGENT_VERSIONS.slice(AGENT_VERSIONS.indexOf(version) + 1);

export const listAvailableAgentVersions: H = (request) => {
  const agent = agentOf(request);
  return { status: 200, body: { currentVersion: agent.version, versions: newerThan(agent.version) } };
};

export const retryAgentScripts: H = (request, ctx) => {
  const agent = agentOf(request);
  log(ctx, agent, "INFO", "scripts", "running build script");
  log(ctx, agent, "INFO", "scripts", "build script finished (exit 0)");
  log(ctx, agent, "INFO", "scripts", "running start script");
  return OK;
};

export const checkAgentUpdate: H = (request) => {
  const agent = agentOf(request);
  const latest = AGENT_VERSIONS[AGENT_VERSIONS.length - 1] ?? agent.version;
  return {
    status: 200,
    body: {
      updateAvailable: newerThan(agent.version).length > 0,
      currentVersion: agent.version,
      latestVersion: latest,
    },
  };
};

export const applyAgentUpdate: H = (request, ctx) => {
  const agent = agentOf(request);
  const newer = newerThan(agent.version);
  const wanted = (request.body as { version?: string } | undefined)?.version ?? newer[newer.length - 1];
  if (wanted === undefined)
    return ctx.error(400, `Validation failed: ${agent.version} is the latest version`);
  if (!newer.includes(wanted))
    return ctx.error(
      400,
      `Validation failed: cannot update ${agent.version} to ${wanted}; available: ${newer.join(", ") || "none"}`,
    );
  agent.version = wanted;
  restart(ctx, agent, `updating to ${wanted}`);
  return OK;
};

export const getGatewayToken: H = (request) => ({
  status: 200,
  body: { gatewayToken: agentOf(request).gatewayToken },
});

export const rotateGatewayToken: H = (request, ctx) => {
  const agent = agentOf(request);
  agent.gatewayToken = newGatewayToken();
  agent.tokenGeneration++;
  liveHooks(ctx)?.disconnect(agent.agentId, "gateway token rotated");
  log(ctx, agent, "WARN", "auth", "gateway token rotated; the previous token no longer works");
  return { status: 200, body: { gatewayToken: agent.gatewayToken } };
};

const platformToken: H = async (request, ctx) => {
  const agent = agentOf(request);
  const { token, expiresAt } = await mintPlatformJwt(ctx, agent);
  log(ctx, agent, "INFO", "auth", "issued a platform token (valid 1 hour)");
  return { status: 200, body: { token, expiresAt: iso(expiresAt) } };
};
export const createPlatformToken = platformToken;
export const createPlatformTokenOnAgentHost = platformToken;

export const getPlatformIdentity: H = (request) => {
  const agent = agentOf(request);
  return { status: 200, body: { agentId: agent.agentId, name: agent.name } };
};

// --- secrets and skills of an agent ---------------------------------------------------------------

export const attachAgentSecrets: H = (request, ctx) => {
  const agent = agentOf(request);
  const ids = (request.body as { secretIds: string[] }).secretIds;
  const missing = ids.find((id) => !ownSecret(ctx, agent.accountId, id));
  if (missing !== undefined) return ctx.error(404, `Secret not found: ${missing}`);
  for (const id of ids) if (!agent.secretIds.includes(id)) agent.secretIds.push(id);
  log(ctx, agent, "INFO", "secrets", `${ids.length} secret(s) attached`);
  return OK;
};

export const detachAgentSecret: H = (request, ctx) => {
  const agent = agentOf(request);
  const id = String(request.params.secretId);
  if (!agent.secretIds.includes(id)) return ctx.error(404, "Secret not attached to this agent");
  agent.secretIds = agent.secretIds.filter((s) => s !== id);
  return OK;
};

export const listAgentSkills: H = (request) => ({ status: 200, body: { skills: agentOf(request).skills } });

export const attachAgentSkills: H = (request, ctx) => {
  const agent = agentOf(request);
  const skills = resolveSkills(ctx, agent.accountId, (request.body as { skillCids: string[] }).skillCids);
  if (typeof skills === "string") return ctx.error(404, `Skill not found: ${skills}`);
  const added = skills.filter((s) => !agent.skills.some((mine) => mine.skillId === s.skillId));
  if (agent.skills.length + added.length > MAX_AGENT_SKILLS)
    return ctx.error(400, `Validation failed: skills exceeds maximum of ${MAX_AGENT_SKILLS}`);
  agent.skills.push(...added);
  if (added.length) log(ctx, agent, "INFO", "skills", `installed ${added.map((s) => s.name).join(", ")}`);
  return OK;
};

const attachedSkill = (request: SandboxRequest) => {
  const agent = agentOf(request);
  return agent.skills.find((s) => s.skillId === request.params.skillId || s.cid === request.params.skillId);
};

export const detachAgentSkill: H = (request, ctx) => {
  const agent = agentOf(request);
  const skill = attachedSkill(request);
  if (!skill) return ctx.error(404, "Skill not attached to this agent");
  agent.skills = agent.skills.filter((s) => s !== skill);
  return OK;
};

export const checkAgentSkillUpdates: H = (request, ctx) => ({
  status: 200,
  body: {
    updates: agentOf(request).skills.flatMap((skill) => {
      const newer = newerVersion(ctx, skill);
      return newer
        ? [
            {
              skillId: skill.skillId,
              name: skill.name,
              currentVersion: skill.version,
              latestVersion: newer.version,
            },
          ]
        : [];
    }),
  },
});

export const updateAgentSkill: H = (request, ctx) => {
  const agent = agentOf(request);
  const skill = attachedSkill(request);
  if (!skill) return ctx.error(404, "Skill not attached to this agent");
  const newer = newerVersion(ctx, skill);
  if (newer) {
    log(ctx, agent, "INFO", "skills", `updated ${skill.name} ${skill.version} → ${newer.version}`);
    skill.version = newer.version;
    skill.cid = newer.cid;
  }
  return OK;
};

// --- channels ---------------------------------------------------------------------------------

const CHANNELS: ChannelName[] = ["telegram", "slack", "discord", "whatsapp"];

export const listAgentChannels: H = (request) => {
  const agent = agentOf(request);
  return {
    status: 200,
    body: {
      channels: CHANNELS.map((channel) => {
        const config = agent.channels[channel];
        return config
          ? { channel, configured: true, connected: agent.status === "running", dmPolicy: config.dmPolicy }
          : { channel, configured: false, connected: false };
      }),
    },
  };
};

export const configureAgentChannel: H = (request, ctx) => {
  const agent = agentOf(request);
  const channel = request.params.channel as ChannelName;
  const input = request.body as ChannelInput;
  if (channel === "slack" && !input.appToken)
    return ctx.error(400, "Validation failed: Slack requires appToken (the xapp- app-level token)");
  agent.channels[channel] = channelRecord(input);
  log(ctx, agent, "INFO", "channels", `${channel} configured (dmPolicy ${input.dmPolicy ?? "open"})`);
  return OK;
};

export const removeAgentChannel: H = (request, ctx) => {
  const agent = agentOf(request);
  const channel = request.params.channel as ChannelName;
  if (!agent.channels[channel]) return ctx.error(404, `Channel ${channel} is not configured`);
  delete agent.channels[channel];
  log(ctx, agent, "INFO", "channels", `${channel} removed`);
  return OK;
};

// --- devices ----------------------------------------------------------------------------------

const deviceView = (d: AgentRecord["devices"]["pending"][number]) => ({
  requestId: d.requestId,
  deviceId: d.deviceId,
  name: d.name,
  platform: d.platform,
  requestedAt: iso(d.requestedAt),
});

export const listDevices: H = (request) => {
  const { devices } = agentOf(request);
  return {
    status: 200,
    body: { pending: devices.pending.map(deviceView), paired: devices.paired.map(deviceView) },
  };
};

export const approveDevice: H = (request, ctx) => {
  const agent = agentOf(request);
  const device = agent.devices.pending.find((d) => d.requestId === request.params.requestId);
  if (!device) return ctx.error(404, "Pairing request not found");
  agent.devices.pending = agent.devices.pending.filter((d) => d !== device);
  agent.devices.paired.push(device);
  log(ctx, agent, "INFO", "devices", `paired ${device.name} (${device.platform})`);
  return OK;
};

export const approveAllDevices: H = (request, ctx) => {
  const agent = agentOf(request);
  const approved = agent.devices.pending.length;
  agent.devices.paired.push(...agent.devices.pending);
  agent.devices.pending = [];
  if (approved) log(ctx, agent, "INFO", "devices", `paired ${approved} device(s)`);
  return { status: 200, body: { approved } };
};
