/** Where the suite sends its requests: Prism mocks, live hosts, and (later) the stateful sandboxes. */
import { type PrismServer, specPath, startPrism } from "@specyard/testkit";
import { credentialVariable } from "./http.js";
import { sandboxTarget } from "./sandbox-target.js";

export type TargetName = "prism" | "sandbox" | "live";

export interface Target {
  name: TargetName;
  /** Whether state carries over between calls (stateful checks run only there). */
  stateful: boolean;
  /** Starts (or connects to) the target for one provider. Throws `TargetSkip` or `TargetError`. */
  open(provider: string): Promise<TargetSession>;
}

export interface TargetSession {
  baseUrl: string;
  /** The raw credential of a security scheme (placed by the request builder per the scheme), if any. */
  credential(schemeName: string): string | undefined;
  close(): Promise<void>;
  /** Where deliberately invalid requests go (negative data, missing credentials); default `baseUrl`. */
  probeBaseUrl?: string;
  /** `false` when any well-formed credential is accepted (a mock): `ignored_auth` then only leaves credentials out. */
  verifiesCredentials?: boolean;
  /** Base URL written into curl lines, e.g. `${SPECYARD_LIVE_ATELIER_URL}`; default `baseUrl`. */
  curlBaseUrl?: string;
  /** A sandbox's own URL, for its admin surface (`/__sandbox/actions/<name>`, `/__sandbox/clock`). */
  adminUrl?: string;
}

/** The provider cannot run on this target (e.g. no live URL configured); the reason is one line. */
export class TargetSkip extends Error {
  override name = "TargetSkip";
}

/** The target is misconfigured or failed to start: a configuration error (exit 2). */
export class TargetError extends Error {
  override name = "TargetError";
}

/** Each provider's spec served by `prism mock` on a free loopback port; any credential passes. */
export function prismTarget(): Target {
  return {
    name: "prism",
    stateful: false,
    async open(provider) {
      const prism = await start(provider, () => startPrism(specPath(provider)));
      return {
        baseUrl: prism.url,
        credential: (scheme) => `specyard-dummy-${scheme}`,
        close: () => prism.close(),
        verifiesCredentials: false,
      };
    },
  };
}

/** Name of the environment variable holding a provider's live base URL. */
export function liveUrlVariable(provider: string): string {
  return credentialVariable(provider, "URL");
}

/**
 * A live host per provider: `SPECYARD_LIVE_<PROVIDER>_URL` and one `SPECYARD_LIVE_<PROVIDER>_<SCHEME>`
 * per security scheme. Valid requests go through `prism proxy --errors`, which turns a response
 * that breaks the spec into a violation report; deliberately invalid ones go through a plain
 * `prism proxy` (with `--errors` Prism would answer them itself instead of forwarding them).
 */
export function liveTarget(env: NodeJS.ProcessEnv = process.env): Target {
  return {
    name: "live",
    stateful: false,
    async open(provider) {
      const urlVariable = liveUrlVariable(provider);
      const upstream = env[urlVariable];
      if (!upstream) throw new TargetSkip(`live ${provider}: skipped, ${urlVariable} is not set`);
      const started = await Promise.allSettled([
        start(provider, () =>
          startPrism(specPath(provider), { mode: "proxy", upstream, args: ["--errors"] }),
        ),
        start(provider, () => startPrism(specPath(provider), { mode: "proxy", upstream })),
      ]);
      const [validating, plain] = started.map((s) => (s.status === "fulfilled" ? s.value : undefined));
      if (!validating || !plain) {
        await Promise.all([validating?.close(), plain?.close()]);
        throw started.find((s) => s.status === "rejected")?.reason;
      }
      return {
        baseUrl: validating.url,
        probeBaseUrl: plain.url,
        curlBaseUrl: `\${${urlVariable}}`,
        credential: (scheme) => env[credentialVariable(provider, scheme)] || undefined,
        close: async () => {
          await Promise.all([validating.close(), plain.close()]);
        },
      };
    },
  };
}

async function start(provider: string, launch: () => Promise<PrismServer>): Promise<PrismServer> {
  try {
    return await launch();
  } catch (error) {
    // Prism prints its usage before the actual complaint: keep the first and the last line.
    const lines = (error as Error).message
      .split("\n")
      .map((line) => line.trim())
      .filter(Boolean);
    const detail = lines.length > 2 ? `${lines[0]} … ${lines.at(-1)}` : lines.join(" ");
    throw new TargetError(`Prism failed to start for ${provider}: ${detail}`);
  }
}

/**
 * The registration point for targets. The stateful sandboxes plug in here:
 * `targetFactories.sandbox = () => sandboxTarget()` (a `Target` with `stateful: true`).
 */
export const targetFactories: Partial<Record<TargetName, () => Target>> = {
  prism: prismTarget,
  sandbox: () => sandboxTarget(),
  live: () => liveTarget(),
};

/** Targets run when `--target` is not given, if registered (live needs its variables, so it is opt-in). */
export const DEFAULT_TARGETS: TargetName[] = ["prism", "sandbox"];
