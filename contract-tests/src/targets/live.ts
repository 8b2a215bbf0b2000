/**
 * A live host per provider: `SPECYARD_LIVE_<PROVIDER>_URL` and one `SPECYARD_LIVE_<PROVIDER>_<SCHEME>`
 * per security scheme. Valid requests go through `prism proxy --errors`, which turns a response
 * that breaks the spec into a violation report; deliberately invalid ones go through a plain
 * `prism proxy` (with `--errors` Prism would answer them itself instead of forwarding them).
 */
import { specPath, startPrism } from "@specyard/testkit";
import { credentialVariable } from "../exchange/http.js";
import { startOrFail } from "./prism.js";
import { type Target, TargetSkip } from "./target.js";

/** Name of the environment variable holding a provider's live base URL. */
export function liveUrlVariable(provider: string): string {
  return credentialVariable(provider, "URL");
}

export function liveTarget(env: NodeJS.ProcessEnv = process.env): Target {
  return {
    name: "live",
    stateful: false,
    async open(provider) {
      const urlVariable = liveUrlVariable(provider);
      const upstream = env[urlVariable];
      if (!upstream) throw new TargetSkip(`live ${provider}: skipped, ${urlVariable} is not set`);
      const started = await Promise.allSettled([
        startOrFail(provider, () =>
          startPrism(specPath(provider), { mode: "proxy", upstream, args: ["--errors"] }),
        ),
        startOrFail(provider, () => startPrism(specPath(provider), { mode: "proxy", upstream })),
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
