#!/usr/bin/env node
/**
 * `specyard-sandbox <provider> [--port N] [--seed S] [--data-dir DIR] [--faults RULES] [--cors-origin O]`
 * `specyard-sandbox up [providers…] [--port-base N] [--env-file PATH] [--json] …`
 * `specyard-sandbox actions [provider] [--json]`
 */
import { parseArgs } from "node:util";
import { ACTIONS_USAGE, runActions } from "./cli/actions.js";
import { quietNativeAddonWarning } from "./cli/quiet.js";
import { untilSignal } from "./cli/signals.js";
import { runUp, UP_USAGE } from "./cli/up.js";
import { parseFaults } from "./framework/faults.js";
import { availableProviders, PROVIDERS, type ProviderName, startSandbox } from "./registry.js";

const usage = `usage: specyard-sandbox <${PROVIDERS.join("|")}> [--port N] [--host H] [--seed S] [--data-dir DIR] [--faults RULES] [--cors-origin ORIGIN]… [--no-rate-limits]
       specyard-sandbox up [providers…] [options]     (all five, with credentials and a .env; up --help)
       specyard-sandbox actions [provider] [--json]   (the admin actions and their arguments)
  --faults       JSON (a rule or a list of {route, probability, faults} / {route, sequence})
                 or a shorthand "route:probability:kind[,kind];…", e.g. "*:0.1:server-error,reset"
  --cors-origin  a browser origin admitted besides http://localhost:* and http://127.0.0.1:* (repeatable; * for any)

${UP_USAGE}

${ACTIONS_USAGE}`;

async function serve(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      port: { type: "string" },
      host: { type: "string" },
      seed: { type: "string" },
      "data-dir": { type: "string" },
      faults: { type: "string" },
      "cors-origin": { type: "string", multiple: true },
      "no-rate-limits": { type: "boolean" },
      help: { type: "boolean" },
    },
  });
  const provider = positionals[0] as ProviderName | undefined;
  if (values.help || !provider) {
    console.log(usage);
    return provider || values.help ? 0 : 2;
  }
  if (!availableProviders().includes(provider)) {
    console.error(
      `specyard-sandbox: no sandbox for "${provider}"; available: ${availableProviders().join(", ")}`,
    );
    return 2;
  }
  const stop = untilSignal();
  const sandbox = await startSandbox(provider, {
    ...(values.port ? { port: Number(values.port) } : {}),
    ...(values.host ? { host: values.host } : {}),
    ...(values.seed ? { seed: values.seed } : {}),
    ...(values["data-dir"] ? { dataDir: values["data-dir"] } : {}),
    ...(values.faults ? { faults: parseFaults(values.faults) } : {}),
    ...(values["cors-origin"]?.length ? { corsOrigins: values["cors-origin"] } : {}),
    ...(values["no-rate-limits"] ? { rateLimits: false } : {}),
  });
  console.log(
    JSON.stringify({ provider, url: sandbox.url, admin: `${sandbox.url}/__sandbox/state`, ...sandbox.info }),
  );
  await stop;
  await sandbox.close();
  return 0;
}

async function main(argv: string[]): Promise<number> {
  quietNativeAddonWarning();
  // Everything the sandboxes persist (state, keys, uploads, repositories) is for this user only.
  process.umask(0o077);
  const [command, ...rest] = argv;
  if (command === "up") return runUp(rest);
  if (command === "actions") return runActions(rest);
  return serve(argv);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`specyard-sandbox: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
