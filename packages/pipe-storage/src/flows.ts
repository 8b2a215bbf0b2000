/** The documented agent flows on top of the typed client: bootstrap, S3 keys, activity. */
import { unwrap } from "@specyard/http";
import type { components } from "./generated/schema.js";
import type { PipeStorageClient } from "./index.js";

export interface PipeConfig {
  appKey: string;
  wallet: string | undefined;
  accountState: components["schemas"]["AccountState"];
  s3: { endpoint: string; region: string };
  bucket: components["schemas"]["Bucket"];
  credits: components["schemas"]["CreditsStatus"];
}

/** The four config endpoints, in parallel (as the document advises). */
export async function bootstrap(client: PipeStorageClient, signal?: AbortSignal): Promise<PipeConfig> {
  const init = signal ? { signal } : {};
  const [me, info, bucket, credits] = await Promise.all([
    unwrap(client.GET("/user/me", init)),
    unwrap(client.GET("/api/s3/info", init)),
    unwrap(client.GET("/api/s3/bucket", init)),
    unwrap(client.GET("/api/credits/status", init)),
  ]);
  return {
    appKey: me.user_app_key,
    wallet: me.wallet_public_key ?? me.wallet,
    accountState: me.account_state,
    s3: { endpoint: info.endpoint, region: info.region },
    bucket,
    credits,
  };
}

export type S3KeyCreated = components["schemas"]["S3KeyCreated"];

/**
 * Creates an S3 key and hands it to `persist` before returning: the secret is shown once, so if
 * it cannot be stored the key is deleted again (it would be useless) and the error is thrown.
 */
export async function createS3Key(
  client: PipeStorageClient,
  persist: (key: S3KeyCreated) => void | Promise<void>,
  body: components["schemas"]["CreateS3KeyRequest"] = {},
): Promise<S3KeyCreated> {
  const key = await unwrap(client.POST("/api/s3/keys", { body }));
  try {
    await persist(key);
  } catch (error) {
    await client
      .DELETE("/api/s3/keys/{access_key_id}", { params: { path: { access_key_id: key.access_key_id } } })
      .catch(() => undefined);
    throw error;
  }
  return key;
}

export type ActivityEntry = components["schemas"]["ActivityEntry"];

export interface WaitForActivityOptions {
  /** Which entry ends the wait, e.g. an upload of at least N bytes. */
  until: (entry: ActivityEntry) => boolean;
  /** Poll interval (default 5 s, as the document advises). */
  intervalMs?: number;
  /** Give up after this long (default 5 minutes). */
  timeoutMs?: number;
  /** How many recent entries to read each time (default 5). */
  limit?: number;
  signal?: AbortSignal;
}

export class WaitTimeoutError extends Error {
  override name = "WaitTimeoutError";
}

/** Polls `GET /api/user/activity` until an entry matches (there are no webhooks). */
export async function waitForActivity(
  client: PipeStorageClient,
  options: WaitForActivityOptions,
): Promise<ActivityEntry> {
  const deadline = Date.now() + (options.timeoutMs ?? 300_000);
  for (;;) {
    options.signal?.throwIfAborted();
    const entries = await unwrap(
      client.GET("/api/user/activity", {
        params: { query: { limit: options.limit ?? 5 } },
        ...(options.signal ? { signal: options.signal } : {}),
      }),
    );
    const found = entries.find(options.until);
    if (found) return found;
    if (Date.now() >= deadline) throw new WaitTimeoutError("no matching activity before the timeout");
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, options.intervalMs ?? 5_000);
      options.signal?.addEventListener(
        "abort",
        () => {
          clearTimeout(timer);
          reject(options.signal?.reason);
        },
        { once: true },
      );
    });
  }
}

/** What an agent needs to work against Pipe: the documented agent bundle. */
export interface AgentBundle {
  apiBase: string;
  appKey: string;
  s3: S3KeyCreated;
}

/** The bundle as the documented `.env` lines. */
export function agentBundleEnv(bundle: AgentBundle): string {
  return [
    `PIPE_API_BASE=${bundle.apiBase}`,
    `PIPE_API_KEY=${bundle.appKey}`,
    `AWS_ACCESS_KEY_ID=${bundle.s3.access_key_id}`,
    `AWS_SECRET_ACCESS_KEY=${bundle.s3.secret_access_key}`,
    `AWS_DEFAULT_REGION=${bundle.s3.region}`,
    `AWS_ENDPOINT_URL=${bundle.s3.endpoint}`,
    `PIPE_S3_BUCKET=${bundle.s3.bucket_name}`,
    "",
  ].join("\n");
}
