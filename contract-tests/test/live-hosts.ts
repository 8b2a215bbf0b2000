/**
 * Fresh sandboxes posing as live hosts: each provider's sandbox on a free loopback port, and the
 * `SPECYARD_LIVE_*` variables a user would set for a real account (its URL and one credential per
 * security scheme). PipeAgent's credentials are the seeded provider account's keys, whose feed
 * quota is the documented 3, as on a real early-access account.
 */
import { type ProviderName, startSandbox } from "@specyard/sandbox";
import { specPath } from "@specyard/testkit";
import { credentialVariable } from "../src/exchange/http.js";
import { readSpec } from "../src/spec/openapi.js";
import { liveUrlVariable } from "../src/targets/live.js";
import { sandboxTarget } from "../src/targets/sandbox.js";

export interface LiveHosts {
  env: Record<string, string>;
  close(): Promise<void>;
}

export async function startLiveHosts(providers: string[]): Promise<LiveHosts> {
  const env: Record<string, string> = {};
  const closers: (() => Promise<void>)[] = [];
  try {
    for (const provider of providers) {
      const schemes = Object.keys(readSpec(specPath(provider), provider).securitySchemes);
      let url: string;
      let credential: (scheme: string) => string | undefined;
      if (provider === "pipeagent") {
        const sandbox = await startSandbox(provider as ProviderName);
        closers.push(() => sandbox.close());
        const keys = (await sandbox.admin.act("keys")) as { writeKey: string; readKey: string };
        const by: Record<string, string> = {
          WriteKey: keys.writeKey,
          ReadKeyHeader: keys.readKey,
          ReadKeyBearer: keys.readKey,
        };
        url = sandbox.url;
        credential = (scheme) => by[scheme];
      } else {
        const session = await sandboxTarget().open(provider);
        closers.push(() => session.close());
        url = session.baseUrl;
        credential = (scheme) => session.credential(scheme);
      }
      env[liveUrlVariable(provider)] = url;
      for (const scheme of schemes) {
        const value = credential(scheme);
        if (value !== undefined) env[credentialVariable(provider, scheme)] = value;
      }
    }
  } catch (error) {
    await Promise.all(closers.map((c) => c()));
    throw error;
  }
  return { env, close: async () => void (await Promise.all(closers.map((c) => c()))) };
}
