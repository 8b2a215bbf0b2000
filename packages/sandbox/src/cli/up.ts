/** `specyard-sandbox up [providers…]`: every sandbox on fixed ports, with credentials and a `.env`. */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { parseFaults } from "../framework/faults.js";
import { ENV_MARKER } from "../onboarding/files.js";
import { DEFAULT_PORT_BASE, PORT_OFFSETS, type UpOptions, type UpResult, up } from "../onboarding/up.js";
import type { ProviderName } from "../registry.js";
import { untilSignal } from "./signals.js";

const PROVIDERS = Object.keys(PORT_OFFSETS) as ProviderName[];

export const UP_USAGE = `usage: specyard-sandbox up [${PROVIDERS.join(" ")}] [options]
  Starts the sandboxes (all five by default) in one process, makes ready credentials for each
  and writes them to a .env file. Stops on Ctrl-C (SIGINT) or SIGTERM.

  ports (default block ${DEFAULT_PORT_BASE}): ${PROVIDERS.map((p) => `${p} ${DEFAULT_PORT_BASE + PORT_OFFSETS[p]}`).join(", ")}
  --port-base N          the block's first port (0: every sandbox on a free port)
  --port PROVIDER=N      one sandbox's port (repeatable)
  --host H               listen address (default 127.0.0.1)
  --seed S               seed of ids and keys
  --data-dir DIR         keep state there (one <provider>.json each), the demo keypair and credentials
  --cors-origin ORIGIN   a browser origin to admit besides localhost (repeatable; * for any)
  --faults RULES         fault injection for every sandbox (see specyard-sandbox --help)
  --no-rate-limits       lift the documented rate limits
  --keypair PATH         the Pipe demo keypair file (default <data-dir>/pipe-keypair.json)
  --env-out PATH         where to write the variables (default ./.env)
  --env-file PATH        the same; Node 20-26 itself reads a script's --env-file argument and stops
                         when that file does not exist yet (nodejs/node#54232): prefer --env-out
  --no-env-file          write no .env
  --json                 print one JSON object instead of the readable blocks`;

export async function runUp(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      "port-base": { type: "string" },
      port: { type: "string", multiple: true },
      host: { type: "string" },
      seed: { type: "string" },
      "data-dir": { type: "string" },
      "cors-origin": { type: "string", multiple: true },
      faults: { type: "string" },
      "no-rate-limits": { type: "boolean" },
      keypair: { type: "string" },
      "env-out": { type: "string" },
      "env-file": { type: "string" },
      "no-env-file": { type: "boolean" },
      json: { type: "boolean" },
      help: { type: "boolean" },
    },
  });
  if (values.help) {
    console.log(UP_USAGE);
    return 0;
  }
  const unknown = positionals.filter((name) => !PROVIDERS.includes(name as ProviderName));
  if (unknown.length) {
    console.error(
      `specyard-sandbox up: no sandbox for ${unknown.join(", ")}; available: ${PROVIDERS.join(", ")}`,
    );
    return 2;
  }
  const ports: Partial<Record<ProviderName, number>> = {};
  for (const pair of values.port ?? []) {
    const [name, port] = pair.split("=");
    if (!PROVIDERS.includes(name as ProviderName) || !isPort(port)) {
      console.error(`specyard-sandbox up: --port wants PROVIDER=N (e.g. pipeagent=8787), got "${pair}"`);
      return 2;
    }
    ports[name as ProviderName] = Number(port);
  }
  if (values["port-base"] !== undefined && !isPort(values["port-base"])) {
    console.error(`specyard-sandbox up: --port-base wants a port number, got "${values["port-base"]}"`);
    return 2;
  }
  const envFile = values["no-env-file"]
    ? undefined
    : resolve(values["env-out"] ?? values["env-file"] ?? ".env");
  if (envFile && existsSync(envFile) && !readFileSync(envFile, "utf8").startsWith(ENV_MARKER)) {
    console.error(
      `specyard-sandbox up: ${envFile} exists and was not written by specyard-sandbox up; ` +
        "pass --env-file PATH or --no-env-file (it is left as it is)",
    );
    return 2;
  }
  const options: UpOptions = {
    ...(positionals.length ? { providers: positionals as ProviderName[] } : {}),
    ...(values["port-base"] !== undefined ? { portBase: Number(values["port-base"]) } : {}),
    ports,
    ...(values.host ? { host: values.host } : {}),
    ...(values.seed ? { seed: values.seed } : {}),
    ...(values["data-dir"] ? { dataDir: values["data-dir"] } : {}),
    ...(values["cors-origin"]?.length ? { corsOrigins: values["cors-origin"] } : {}),
    ...(values.faults ? { faults: parseFaults(values.faults) } : {}),
    ...(values["no-rate-limits"] ? { rateLimits: false } : {}),
    ...(values.keypair ? { keypairPath: values.keypair } : {}),
    ...(envFile ? { envFile } : {}),
  };

  const stop = untilSignal();
  const result = await up(options);
  const count = `${result.sandboxes.length} sandbox${result.sandboxes.length === 1 ? "" : "es"}`;
  const where = result.envFile ? `; variables in ${result.envFile}` : "";
  if (values.json) {
    console.log(JSON.stringify(asJson(result)));
    console.error(`specyard-sandbox: ready (${count}${where}); Ctrl-C stops them`);
  } else {
    console.log(readable(result));
    console.log(`specyard-sandbox: ready (${count}${where}); Ctrl-C stops them`);
  }
  await stop;
  await result.close();
  return 0;
}

function isPort(text: string | undefined): boolean {
  const port = Number(text);
  return text !== undefined && text !== "" && Number.isInteger(port) && port >= 0 && port <= 65535;
}

function asJson(result: UpResult) {
  return {
    ready: true,
    envFile: result.envFile ?? null,
    sandboxes: Object.fromEntries(
      result.sandboxes.map((sandbox) => [
        sandbox.provider,
        {
          url: sandbox.url,
          admin: sandbox.admin,
          ...sandbox.info,
          credentials: result.credentials[sandbox.provider],
        },
      ]),
    ),
    env: result.env,
  };
}

/** One block per sandbox: its URL, then what a client needs, under the names the `.env` uses. */
function readable(result: UpResult): string {
  const blocks: string[] = [];
  const { credentials: c } = result;
  for (const sandbox of result.sandboxes) {
    const rows: Array<[string, string]> = [["admin", sandbox.admin]];
    switch (sandbox.provider) {
      case "pipe-storage": {
        const pipe = c["pipe-storage"];
        if (!pipe) break;
        rows.push(
          ["PIPE_APP_KEY", pipe.appKey],
          ["PIPE_KEYPAIR", `${pipe.keypairPath} (wallet ${pipe.wallet})`],
          ["PIPE_SOLANA_RPC_URL", pipe.solanaRpcUrl],
          ["PIPE_S3_ENDPOINT", `${pipe.s3.endpoint} (region ${pipe.s3.region})`],
          ["PIPE_S3_BUCKET", pipe.s3.bucket],
          ["PIPE_AWS_ACCESS_KEY_ID", pipe.s3.accessKeyId],
          ["PIPE_AWS_SECRET_ACCESS_KEY", pipe.s3.secretAccessKey],
        );
        break;
      }
      case "pipeagent":
        if (c.pipeagent)
          rows.push(
            ["PIPEAGENT_WRITE_KEY", c.pipeagent.writeKey],
            ["PIPEAGENT_READ_KEY", c.pipeagent.readKey],
          );
        break;
      case "pipedai":
        if (c.pipedai)
          rows.push(
            ["PIPEDAI_API_KEY", c.pipedai.apiKey],
            ["dashboard login", `${c.pipedai.email} / ${c.pipedai.password}`],
            ["environment", c.pipedai.environmentId],
          );
        break;
      case "atelier":
        if (c.atelier)
          rows.push(["ATELIER_API_KEY", c.atelier.apiKey], ["ATELIER_AGENT_ID", c.atelier.agentId]);
        break;
      case "pinata-agents":
        if (c["pinata-agents"]) rows.push(["PINATA_JWT", c["pinata-agents"].jwt]);
        break;
    }
    const width = Math.max(...rows.map(([label]) => label.length));
    blocks.push(
      [
        `${sandbox.provider}  ${sandbox.url}`,
        ...rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`),
      ].join("\n"),
    );
  }
  return `${blocks.join("\n\n")}\n\nSandbox-only credentials: they work against these local sandboxes and nowhere else.`;
}
