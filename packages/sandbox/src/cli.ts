#!/usr/bin/env node
/** `specyard-sandbox <provider> [--port N] [--seed S] [--data-dir DIR] [--faults RULES]` */
import { parseArgs } from "node:util";
import { parseFaults } from "./framework/faults.js";
import { availableProviders, PROVIDERS, type ProviderName, startSandbox } from "./index.js";

const usage = `usage: specyard-sandbox <${PROVIDERS.join("|")}> [--port N] [--host H] [--seed S] [--data-dir DIR] [--faults RULES] [--no-rate-limits]
  --faults  JSON (a rule or a list of {route, probability, faults} / {route, sequence})
            or a shorthand "route:probability:kind[,kind];…", e.g. "*:0.1:server-error,reset"`;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      port: { type: "string" },
      host: { type: "string" },
      seed: { type: "string" },
      "data-dir": { type: "string" },
      faults: { type: "string" },
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
  const sandbox = await startSandbox(provider, {
    ...(values.port ? { port: Number(values.port) } : {}),
    ...(values.host ? { host: values.host } : {}),
    ...(values.seed ? { seed: values.seed } : {}),
    ...(values["data-dir"] ? { dataDir: values["data-dir"] } : {}),
    ...(values.faults ? { faults: parseFaults(values.faults) } : {}),
    ...(values["no-rate-limits"] ? { rateLimits: false } : {}),
  });
  console.log(
    JSON.stringify({ provider, url: sandbox.url, admin: `${sandbox.url}/__sandbox/state`, ...sandbox.info }),
  );
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await sandbox.close();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`specyard-sandbox: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
