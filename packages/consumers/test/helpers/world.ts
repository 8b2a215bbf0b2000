/**
 * The five sandboxes, started in this test process from the *installed* `@specyard/sandbox`, with
 * credentials handed out the way each sandbox hands them out (admin actions, sign-up routes, SIWS).
 * Setting up uses plain `fetch` and `node:crypto` only, so a broken client cannot break the set-up
 * of the checks that exercise it.
 */
import { generateKeyPairSync, randomBytes, sign } from "node:crypto";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { inject } from "vitest";
import type { ConsumerProject, WorldConfig } from "./types.js";

interface Sandbox {
  url: string;
  info: Record<string, unknown>;
  admin: { act(action: string, input?: Record<string, unknown>): Promise<unknown> };
  close(): Promise<void>;
}
interface SandboxModule {
  startSandbox(provider: string): Promise<Sandbox>;
}

export interface World {
  config: WorldConfig;
  sandboxes: Record<string, Sandbox>;
  close(): Promise<void>;
}

export const consumer = (): ConsumerProject => inject("consumer");

/** Node's resolution of an exports entry: the first key (in order) among `conditions`, recursively. */
export function resolveExport(entry: unknown, conditions: readonly string[]): string | undefined {
  if (typeof entry === "string") return entry;
  if (!entry || typeof entry !== "object") return undefined;
  for (const [key, value] of Object.entries(entry)) {
    if (key !== "default" && !conditions.includes(key)) continue;
    const found = resolveExport(value, conditions);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** The file an installed package's exports map gives Node for `subpath` under `import` / `require`. */
export function installedTarget(
  project: ConsumerProject,
  name: string,
  subpath: string,
  condition: "import" | "require",
): string {
  const pkg = project.packages.find((p) => p.name === name);
  if (!pkg) throw new Error(`${name} is not among the packed packages`);
  const target = resolveExport(pkg.exports[subpath], ["node", condition]);
  if (target === undefined) throw new Error(`${name} exports no ${condition} file for ${subpath}`);
  return join(project.dir, "node_modules", name, target);
}

export async function loadInstalledSandbox(project: ConsumerProject): Promise<SandboxModule> {
  const file = installedTarget(project, "@specyard/sandbox", ".", "import");
  return (await import(pathToFileURL(file).href)) as SandboxModule;
}

const ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
export function base58(bytes: Uint8Array): string {
  let value = BigInt(`0x${Buffer.from(bytes).toString("hex") || "0"}`);
  let out = "";
  while (value > 0n) {
    out = ALPHABET[Number(value % 58n)] + out;
    value /= 58n;
  }
  for (const byte of bytes) {
    if (byte !== 0) break;
    out = `1${out}`;
  }
  return out;
}

/** A fresh ed25519 wallet: its address, its 64-byte secret key, and a signer of UTF-8 messages. */
export function newWallet() {
  const { privateKey } = generateKeyPairSync("ed25519");
  const jwk = privateKey.export({ format: "jwk" }) as { d: string; x: string };
  const publicKey = Buffer.from(jwk.x, "base64url");
  const secretKey = Buffer.concat([Buffer.from(jwk.d, "base64url"), publicKey]);
  return {
    address: base58(publicKey),
    secretKey,
    signMessage: (message: string) => sign(null, Buffer.from(message, "utf8"), privateKey),
  };
}

async function json(response: Response, what: string): Promise<Record<string, unknown>> {
  const text = await response.text();
  if (!response.ok) throw new Error(`${what}: ${response.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as Record<string, unknown>;
}

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });

async function pipeWorld(sandbox: Sandbox): Promise<WorldConfig["pipe"]> {
  const wallet = newWallet();
  await sandbox.admin.act("fundWallet", { address: wallet.address, usdcRaw: "50000000" });
  const challenge = await json(
    await post(`${sandbox.url}/auth/siws/challenge`, { wallet_public_key: wallet.address }),
    "SIWS challenge",
  );
  const message = String(challenge.message);
  const tokens = await json(
    await post(`${sandbox.url}/auth/siws/verify`, {
      wallet_public_key: wallet.address,
      nonce: challenge.nonce,
      message,
      signature_b64: wallet.signMessage(message).toString("base64"),
    }),
    "SIWS verify",
  );
  const me = await json(
    await fetch(`${sandbox.url}/user/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } }),
    "GET /user/me",
  );
  const solana = sandbox.info.solana as { rpcUrl: string; usdcMint: string; treasury: { owner: string } };
  return {
    baseUrl: sandbox.url,
    appKey: String(me.user_app_key),
    wallet: wallet.address,
    secretKey: wallet.secretKey.toString("base64"),
    rpcUrl: solana.rpcUrl,
    usdcMint: solana.usdcMint,
    treasuryOwner: solana.treasury.owner,
  };
}

async function pipeagentWorld(sandbox: Sandbox): Promise<WorldConfig["pipeagent"]> {
  const keys = (await sandbox.admin.act("keys")) as { writeKey: string; readKey: string };
  const feedPath = `consumer-${randomBytes(4).toString("hex")}`;
  const feed = await json(
    await post(
      `${sandbox.url}/api/v1/provider/feed/create`,
      {
        name: "Consumer feed",
        description: "A feed the consumer tests look for in the catalog",
        endpoint_path: feedPath,
        feed_type: "collection",
        schema_definition: { type: "object" },
      },
      { authorization: `Bearer ${keys.writeKey}` },
    ),
    "create feed",
  );
  // The catalog lists public feeds that are active: a first push activates it.
  await json(
    await post(
      `${sandbox.url}/api/v1/provider/feed/${feed.id}/push`,
      { payload: [{ id: "row-1" }], batch_id: "consumers", batch_complete: true },
      { authorization: `Bearer ${keys.writeKey}` },
    ),
    "push to the feed",
  );
  await sandbox.admin.act("setFeedPublic", { feed_id: feed.id, is_public: true });
  return { baseUrl: sandbox.url, writeKey: keys.writeKey, readKey: keys.readKey, feedPath };
}

async function pipedaiWorld(sandbox: Sandbox): Promise<WorldConfig["pipedai"]> {
  const credentials = (await sandbox.admin.act("credentials")) as { pwkApiKey: string; workspaceId: string };
  return { baseUrl: sandbox.url, apiKey: credentials.pwkApiKey, workspaceId: credentials.workspaceId };
}

async function atelierWorld(sandbox: Sandbox): Promise<WorldConfig["atelier"]> {
  const registered = await json(
    await post(`${sandbox.url}/agents/register`, {
      name: "Consumer agent",
      description: "Checks the packages as a user gets them",
      endpoint_url: "https://agent.example.com",
      capabilities: ["image_gen"],
    }),
    "register agent",
  );
  const data = registered.data as { agent_id: string; api_key: string };
  return { baseUrl: sandbox.url, apiKey: data.api_key, agentId: data.agent_id };
}

async function pinataWorld(sandbox: Sandbox): Promise<WorldConfig["pinata"]> {
  const { jwt } = (await sandbox.admin.act("jwt")) as { jwt: string };
  const secretName = `CONSUMER_${randomBytes(4).toString("hex").toUpperCase()}`;
  await json(
    await post(
      `${sandbox.url}/v0/secrets`,
      { name: secretName, value: "sandbox" },
      { authorization: `Bearer ${jwt}` },
    ),
    "create secret",
  );
  return { baseUrl: sandbox.url, jwt, secretName };
}

/** Starts the five sandboxes (or the ones named) and hands out one set of credentials each. */
export async function startWorld(project: ConsumerProject = consumer()): Promise<World> {
  const { startSandbox } = await loadInstalledSandbox(project);
  const names = ["pipe-storage", "pipeagent", "pipedai", "atelier", "pinata-agents"] as const;
  const started = await Promise.allSettled(names.map((name) => startSandbox(name)));
  const sandboxes: Record<string, Sandbox> = {};
  started.forEach((result, index) => {
    if (result.status === "fulfilled") sandboxes[names[index] as string] = result.value;
  });
  const close = async () => {
    await Promise.all(Object.values(sandboxes).map((sandbox) => sandbox.close()));
  };
  const failed = started.find((result) => result.status === "rejected");
  if (failed) {
    await close();
    throw (failed as PromiseRejectedResult).reason;
  }
  try {
    const [pipe, pipeagent, pipedai, atelier, pinata] = await Promise.all([
      pipeWorld(sandboxes["pipe-storage"] as Sandbox),
      pipeagentWorld(sandboxes.pipeagent as Sandbox),
      pipedaiWorld(sandboxes.pipedai as Sandbox),
      atelierWorld(sandboxes.atelier as Sandbox),
      pinataWorld(sandboxes["pinata-agents"] as Sandbox),
    ]);
    return { config: { pipe, pipeagent, pipedai, atelier, pinata }, sandboxes, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The environment a client reads its configuration from when created without options. */
export function clientEnv(config: WorldConfig): Record<string, string> {
  return {
    PIPE_BASE_URL: config.pipe.baseUrl,
    PIPE_APP_KEY: config.pipe.appKey,
    PIPEAGENT_BASE_URL: config.pipeagent.baseUrl,
    PIPEAGENT_WRITE_KEY: config.pipeagent.writeKey,
    PIPEAGENT_READ_KEY: config.pipeagent.readKey,
    PIPEDAI_BASE_URL: config.pipedai.baseUrl,
    PIPEDAI_API_KEY: config.pipedai.apiKey,
    ATELIER_BASE_URL: config.atelier.baseUrl,
    ATELIER_API_KEY: config.atelier.apiKey,
    PINATA_BASE_URL: config.pinata.baseUrl,
    PINATA_JWT: config.pinata.jwt,
  };
}

/** What each client's one authenticated call must observe in this world. */
export function expectedObservations(config: WorldConfig): Record<string, (value: unknown) => boolean> {
  return {
    "@specyard/pipe-storage": (value) => value === config.pipe.wallet,
    "@specyard/pipeagent": (value) => Array.isArray(value) && value.includes(config.pipeagent.feedPath),
    "@specyard/pipedai": (value) => Array.isArray(value) && value.includes(config.pipedai.workspaceId),
    "@specyard/atelier": (value) => value === config.atelier.agentId,
    "@specyard/pinata-agents": (value) => Array.isArray(value) && value.includes(config.pinata.secretName),
  };
}
