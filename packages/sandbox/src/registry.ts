/** The five providers and how each sandbox is loaded (on demand) and started. */
import { runSandbox, type Sandbox } from "./framework/server.js";
import type { ProviderDefinition, SandboxOptions } from "./framework/types.js";

export const PROVIDERS = ["pipe-storage", "pipeagent", "pipedai", "atelier", "pinata-agents"] as const;
export type ProviderName = (typeof PROVIDERS)[number];

/** Providers load on demand, so a PipeAgent sandbox does not pay for the Solana runtime. */
export const LOADERS: Partial<Record<ProviderName, () => Promise<ProviderDefinition<unknown>>>> = {
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

/** The provider's definition, loaded on demand (as `startSandbox` does). */
export async function providerDefinition(provider: ProviderName): Promise<ProviderDefinition<unknown>> {
  const load = LOADERS[provider];
  if (!load) throw new UnknownProviderError(`no sandbox for "${provider}"`);
  return load();
}
