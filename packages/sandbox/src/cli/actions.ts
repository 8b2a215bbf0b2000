/** `specyard-sandbox actions [provider] [--json]`: the admin actions and their arguments. */
import { parseArgs } from "node:util";
import { formatActions, listActions } from "../onboarding/actions.js";
import { PORT_OFFSETS } from "../onboarding/up.js";
import type { ProviderName } from "../registry.js";

const PROVIDERS = Object.keys(PORT_OFFSETS) as ProviderName[];

export const ACTIONS_USAGE = `usage: specyard-sandbox actions [${PROVIDERS.join("|")}] [--json]
  Lists a sandbox's admin actions (all sandboxes' without a name) with their arguments.
  Call one with POST <url>/__sandbox/actions/<name> and a JSON body of those arguments.`;

export async function runActions(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: "boolean" }, help: { type: "boolean" } },
  });
  if (values.help) {
    console.log(ACTIONS_USAGE);
    return 0;
  }
  const unknown = positionals.filter((name) => !PROVIDERS.includes(name as ProviderName));
  if (unknown.length) {
    console.error(
      `specyard-sandbox actions: no sandbox for ${unknown.join(", ")}; available: ${PROVIDERS.join(", ")}`,
    );
    return 2;
  }
  const chosen = positionals.length ? (positionals as ProviderName[]) : PROVIDERS;
  const listed = await Promise.all(
    chosen.map(async (provider) => [provider, await listActions(provider)] as const),
  );
  if (values.json) {
    const out = Object.fromEntries(
      listed.map(([provider, actions]) => [
        provider,
        actions.map(({ documented: _documented, ...action }) => action),
      ]),
    );
    console.log(JSON.stringify(positionals.length === 1 ? out[chosen[0] as ProviderName] : out, null, 2));
  } else {
    console.log(listed.map(([provider, actions]) => formatActions(provider, actions)).join("\n"));
  }
  return 0;
}
