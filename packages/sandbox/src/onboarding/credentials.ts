/**
 * Ready credentials per sandbox, made the way a user would: Pipe signs in with SIWS, PipedAI
 * registers, makes a workspace, an environment and a key, Atelier registers an agent; PipeAgent's
 * and Pinata's come from their admin actions (the operator hands them out). With a data dir the
 * ones that cannot be made again for free are kept (mode 0600) and reused while they still work.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { writePrivateFileSync } from "@specyard/http/files";
import bs58 from "bs58";
import nacl from "tweetnacl";
import type { Sandbox } from "../framework/server.js";

export interface PipeCredentials {
  /** `Authorization: ApiKey <appKey>`. */
  appKey: string;
  /** The demo wallet's address (base58). */
  wallet: string;
  /** Its keypair, a Solana CLI keypair file (JSON array of 64 bytes, mode 0600). */
  keypairPath: string;
  solanaRpcUrl: string;
  s3: { endpoint: string; region: string; bucket: string; accessKeyId: string; secretAccessKey: string };
}

export interface PipeAgentCredentials {
  writeKey: string;
  readKey: string;
  accountId: string;
}

export interface PipedAICredentials {
  /** A `pwk_` key of the environment: `Authorization: Bearer <apiKey>`. */
  apiKey: string;
  /** The user who owns the workspace (for the dashboard's cookie login). */
  email: string;
  password: string;
  workspaceId: string;
  environmentId: string;
}

export interface AtelierCredentials {
  /** `Authorization: Bearer <apiKey>`. */
  apiKey: string;
  agentId: string;
  slug: string;
}

export interface PinataCredentials {
  /** `Authorization: Bearer <jwt>` on the management API. */
  jwt: string;
  accountId: string;
}

/** What `up` keeps in `<dataDir>/onboarding.json` between runs. */
export interface Saved {
  pipeS3?: { wallet: string; accessKeyId: string; secretAccessKey: string; bucket: string };
  pipedai?: PipedAICredentials;
  atelier?: AtelierCredentials;
}

export function loadSaved(path: string): Saved {
  if (!existsSync(path)) return {};
  try {
    return JSON.parse(readFileSync(path, "utf8")) as Saved;
  } catch {
    return {}; // unreadable: make fresh ones
  }
}

export function saveSaved(path: string, saved: Saved): void {
  writePrivateFileSync(path, `${JSON.stringify(saved, null, 2)}\n`);
}

interface Answer<T> {
  status: number;
  body: T;
  headers: Headers;
}

/** One JSON call to a sandbox. Errors name the route and the provider's message, never a credential. */
async function call<T>(
  sandbox: Sandbox,
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string>; expect?: number[] } = {},
): Promise<Answer<T>> {
  const response = await fetch(`${sandbox.url}${path}`, {
    method,
    headers: {
      accept: "application/json",
      ...(options.body === undefined ? {} : { "content-type": "application/json" }),
      ...options.headers,
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  const body = (text ? JSON.parse(text) : undefined) as T;
  if (options.expect && !options.expect.includes(response.status)) {
    const message = (body as { error?: unknown; message?: unknown } | undefined) ?? {};
    const said = typeof message.error === "string" ? message.error : String(message.message ?? "");
    throw new Error(`${sandbox.provider}: ${method} ${path} answered ${response.status} ${said}`.trim());
  }
  return { status: response.status, body, headers: response.headers };
}

const ok = async <T>(
  sandbox: Sandbox,
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string> } = {},
) => (await call<T>(sandbox, method, path, { ...options, expect: [200, 201] })).body;

/** Reads a Solana CLI keypair file (a JSON array of 64 bytes: the seed, then the public key). */
export function readKeypairFile(path: string): Uint8Array {
  const bytes = JSON.parse(readFileSync(path, "utf8")) as unknown;
  if (
    !Array.isArray(bytes) ||
    bytes.length !== 64 ||
    !bytes.every((b) => Number.isInteger(b) && b >= 0 && b < 256)
  )
    throw new Error(`${path} is not a Solana keypair file (a JSON array of 64 bytes)`);
  return Uint8Array.from(bytes as number[]);
}

/** Pipe: a demo wallet signed in with SIWS, its app key, an S3 key; a new wallet gets SOL and USDC. */
export async function pipeCredentials(
  sandbox: Sandbox,
  keypairPath: string,
  saved: Saved,
): Promise<PipeCredentials> {
  let secretKey: Uint8Array;
  if (existsSync(keypairPath)) secretKey = readKeypairFile(keypairPath);
  else {
    secretKey = nacl.sign.keyPair().secretKey;
    mkdirSync(dirname(keypairPath), { recursive: true, mode: 0o700 });
    writePrivateFileSync(keypairPath, JSON.stringify([...secretKey]), { overwrite: false });
  }
  const wallet = bs58.encode(secretKey.subarray(32));
  const known = await sandbox.admin.act("user", { wallet }).then(
    () => true,
    () => false,
  );
  if (!known)
    await sandbox.admin.act("fundWallet", { address: wallet, lamports: 2_000_000_000, usdcRaw: 100_000_000 });

  const challenge = await ok<{ nonce: string; message: string }>(sandbox, "POST", "/auth/siws/challenge", {
    body: { wallet_public_key: wallet },
  });
  const signature = nacl.sign.detached(new TextEncoder().encode(challenge.message), secretKey);
  const tokens = await ok<{ access_token: string }>(sandbox, "POST", "/auth/siws/verify", {
    body: {
      wallet_public_key: wallet,
      nonce: challenge.nonce,
      message: challenge.message,
      signature_b64: Buffer.from(signature).toString("base64"),
    },
  });
  const me = await ok<{ user_app_key: string }>(sandbox, "GET", "/user/me", {
    headers: { authorization: `Bearer ${tokens.access_token}` },
  });
  const appKey = me.user_app_key;
  const byKey = { authorization: `ApiKey ${appKey}` };

  let s3 = saved.pipeS3?.wallet === wallet ? saved.pipeS3 : undefined;
  if (s3) {
    const listed = await ok<{ keys: { access_key_id: string }[] }>(sandbox, "GET", "/api/s3/keys", {
      headers: byKey,
    });
    const id = s3.accessKeyId;
    if (!listed.keys.some((key) => key.access_key_id === id)) s3 = undefined;
  }
  if (!s3) {
    const made = await ok<{ access_key_id: string; secret_access_key: string; bucket_name: string }>(
      sandbox,
      "POST",
      "/api/s3/keys",
      { headers: byKey, body: { key_name: "specyard-sandbox up" } },
    );
    s3 = {
      wallet,
      accessKeyId: made.access_key_id,
      secretAccessKey: made.secret_access_key,
      bucket: made.bucket_name,
    };
    saved.pipeS3 = s3;
  }
  const info = sandbox.info as { solana?: { rpcUrl?: string }; s3?: { endpoint?: string; region?: string } };
  return {
    appKey,
    wallet,
    keypairPath,
    solanaRpcUrl: String(info.solana?.rpcUrl ?? ""),
    s3: {
      endpoint: String(info.s3?.endpoint ?? ""),
      region: String(info.s3?.region ?? ""),
      bucket: s3.bucket,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
    },
  };
}

/** PipeAgent: the seeded provider account's write and read keys (the same for the same seed). */
export async function pipeagentCredentials(sandbox: Sandbox): Promise<PipeAgentCredentials> {
  const keys = (await sandbox.admin.act("keys")) as { writeKey: string; readKey: string; account_id: string };
  return { writeKey: keys.writeKey, readKey: keys.readKey, accountId: keys.account_id };
}

/** PipedAI: a user registers, makes a workspace and an environment, and mints a `pwk_` key. */
export async function pipedaiCredentials(sandbox: Sandbox, saved: Saved): Promise<PipedAICredentials> {
  const kept = saved.pipedai;
  if (kept) {
    const check = await call(sandbox, "GET", `/api/v1/environments/${kept.environmentId}/triggers`, {
      headers: { authorization: `Bearer ${kept.apiKey}` },
    });
    if (check.status === 200) return kept;
  }
  const email = `demo-${randomBytes(4).toString("hex")}@sandbox.test`;
  const password = randomBytes(18).toString("base64url");
  const registered = await call(sandbox, "POST", "/api/v1/auth/register", {
    body: { email, password, name: "Sandbox demo" },
    expect: [201],
  });
  const cookie = (registered.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
  if (!cookie) throw new Error("pipedai: registration set no session cookie");
  const session = { cookie };
  const workspace = await ok<{ id: string }>(sandbox, "POST", "/api/v1/workspaces", {
    headers: session,
    body: { name: "Demo workspace" },
  });
  const environment = await ok<{ id: string }>(
    sandbox,
    "POST",
    `/api/v1/workspaces/${workspace.id}/environments`,
    { headers: session, body: { name: "development" } },
  );
  const key = await ok<{ token: string }>(
    sandbox,
    "POST",
    `/api/v1/environments/${environment.id}/api-keys`,
    {
      headers: session,
      body: { name: "specyard-sandbox up", prefix: "pwk" },
    },
  );
  const made = {
    apiKey: key.token,
    email,
    password,
    workspaceId: workspace.id,
    environmentId: environment.id,
  };
  saved.pipedai = made;
  return made;
}

/** Atelier: an agent registers (its key is shown once, so `up` keeps it with a data dir). */
export async function atelierCredentials(sandbox: Sandbox, saved: Saved): Promise<AtelierCredentials> {
  const kept = saved.atelier;
  if (kept) {
    const check = await call(sandbox, "GET", "/agents/me", {
      headers: { authorization: `Bearer ${kept.apiKey}` },
    });
    if (check.status === 200) return kept;
  }
  const registered = await ok<{ data: { agent_id: string; api_key: string; slug: string } }>(
    sandbox,
    "POST",
    "/agents/register",
    {
      body: {
        name: "Sandbox demo agent",
        description: "A demo agent registered by specyard-sandbox up",
        endpoint_url: "https://demo-agent.sandbox.test",
        capabilities: ["image_gen"],
      },
    },
  );
  const made = {
    apiKey: registered.data.api_key,
    agentId: registered.data.agent_id,
    slug: registered.data.slug,
  };
  saved.atelier = made;
  return made;
}

/** Pinata: a JWT for the seeded workspace (the operator's admin action). */
export async function pinataCredentials(sandbox: Sandbox): Promise<PinataCredentials> {
  const made = (await sandbox.admin.act("jwt")) as { jwt: string; accountId: string };
  return { jwt: made.jwt, accountId: made.accountId };
}
