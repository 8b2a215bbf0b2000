/**
 * @specyard/sandbox: stateful local servers of the five APIs. `startSandbox("pipeagent")` listens on
 * 127.0.0.1 on a free port and returns its URL, an admin surface and `close()`.
 */
import { runSandbox, type Sandbox } from "./framework/server.js";
import type { ProviderDefinition, SandboxOptions } from "./framework/types.js";

export type { SandboxClock } from "./framework/clock.js";
export { type FaultRule, type FaultSpec, parseFaults } from "./framework/faults.js";
export type { RateDecision, RateRule } from "./framework/ratelimit.js";
export { runSandbox, type Sandbox, type SandboxAdmin } from "./framework/server.js";
export type {
  Handler,
  ProviderContext,
  ProviderDefinition,
  ProviderRuntime,
  SandboxOptions,
  SandboxRequest,
  SandboxResponse,
} from "./framework/types.js";

export const PROVIDERS = ["pipe-storage", "pipeagent", "pipedai", "atelier", "pinata-agents"] as const;
export type ProviderName = (typeof PROVIDERS)[number];

/** Providers load on demand, so a PipeAgent sandbox does not pay for the Solana runtime. */
const LOADERS: Partial<Record<ProviderName, () => Promise<ProviderDefinition<unknown>>>> = {
  pipeagent: async () =>
    (await import("./providers/pipeagent/index.js")).pipeagent as ProviderDefinition<unknown>,
  "pipe-storage": async () =>
    (await import("./providers/pipe-storage/index.js")).pipeStorage as ProviderDefinition<unknown>,
  atelier: async () => (await import("./providers/atelier/index.js")).atelier as ProviderDefinition<unknown>,
  pipedai: async () => (await import("./providers/pipedai/index.js")).pipedai as ProviderDefinition<unknown>,
  "pinata-agents": async () =>
    (await import("./providers/pinata-agents/index.js")).pinataAgents as ProviderDefinition<unknown>,
};

export function availableProviders(): ProviderName[] {
  return PROVIDERS.filter((name) => LOADERS[name]);
}

export class UnknownProviderError extends Error {
  override name = "UnknownProviderError";
}

/** Starts the sandbox of one provider. */
export async function startSandbox(provider: ProviderName, options: SandboxOptions = {}): Promise<Sandbox> {
  const load = LOADERS[provider];
  if (!load) {
    throw new UnknownProviderError(
      `no sandbox for "${provider}"; available: ${availableProviders().join(", ") || "none"}`,
    );
  }
  return runSandbox(await load(), options);
}
export { ACTION_DESCRIPTIONS, type ActionArgument, type ActionDescription } from "./onboarding/actions.js";
export type {
  AtelierCredentials,
  PinataCredentials,
  PipeAgentCredentials,
  PipeCredentials,
  PipedAICredentials,
} from "./onboarding/credentials.js";
export {
  DEFAULT_PORT_BASE,
  PORT_OFFSETS,
  readKeypairFile,
  type UpCredentials,
  type UpOptions,
  type UpResult,
  type UpSandbox,
  up,
} from "./onboarding/up.js";
