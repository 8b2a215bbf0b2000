/** Each provider's spec served by `prism mock` on a free loopback port; any credential passes. */
import { type PrismServer, specPath, startPrism } from "@specyard/testkit";
import { type Target, TargetError } from "./target.js";

export function prismTarget(): Target {
  return {
    name: "prism",
    stateful: false,
    async open(provider) {
      const prism = await startOrFail(provider, () => startPrism(specPath(provider)));
      return {
        baseUrl: prism.url,
        credential: (scheme) => `specyard-dummy-${scheme}`,
        close: () => prism.close(),
        verifiesCredentials: false,
      };
    },
  };
}

/** Starts Prism; a failure is a `TargetError` with the line of Prism's output that says why. */
export async function startOrFail(
  provider: string,
  launch: () => Promise<PrismServer>,
): Promise<PrismServer> {
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
