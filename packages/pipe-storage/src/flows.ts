/** The documented agent flows on top of the typed client: bootstrap, S3 keys, activity. */
import { ApiError, unwrap } from "@specyard/http";
import { poll } from "@specyard/poll";
import type {
  AccountState,
  ActivityEntry,
  Bucket,
  CreateS3KeyRequest,
  CreditIntent,
  CreditsStatus,
  PipeStorageClient,
  S3KeyCreated,
} from "./client.js";

export interface PipeConfig {
  appKey: string;
  wallet: string | undefined;
  accountState: AccountState;
  s3: { endpoint: string; region: string };
  bucket: Bucket;
  credits: CreditsStatus;
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

/**
 * Creates an S3 key and hands it to `persist` before returning: the secret is shown once, so if
 * it cannot be stored the key is deleted again (it would be useless) and the error is thrown.
 */
export async function createS3Key(
  client: PipeStorageClient,
  persist: (key: S3KeyCreated) => void | Promise<void>,
  body: CreateS3KeyRequest = {},
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

export interface WaitOptions {
  /** Poll interval (default 5 s, as the document advises). */
  intervalMs?: number;
  /** Give up after this long (default 5 minutes): `PollTimeoutError`. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface WaitForActivityOptions extends WaitOptions {
  /** Which entry ends the wait, e.g. an upload of at least N bytes. */
  until: (entry: ActivityEntry) => boolean;
  /** How many recent entries to read each time (default 5). */
  limit?: number;
}

const transient = (error: unknown) =>
  error instanceof ApiError && (error.status === 429 || error.status >= 500);

/** Polls `GET /api/user/activity` until an entry matches (there are no webhooks). */
export async function waitForActivity(
  client: PipeStorageClient,
  options: WaitForActivityOptions,
): Promise<ActivityEntry> {
  const entries = await poll(
    (_attempt, signal) =>
      unwrap(
        client.GET("/api/user/activity", {
          params: { query: { limit: options.limit ?? 5 } },
          ...(signal ? { signal } : {}),
        }),
      ),
    {
      until: (list) => list.some(options.until),
      intervalMs: options.intervalMs ?? 5_000,
      deadlineMs: options.timeoutMs ?? 300_000,
      retryOn: transient,
      ...(options.signal ? { signal: options.signal } : {}),
    },
  );
  return entries.find(options.until) as ActivityEntry;
}

/** The next upload of at least `minBytes` in the activity log: completed, or failed (then it throws). */
export async function waitForUpload(
  client: PipeStorageClient,
  minBytes: number,
  options: WaitOptions = {},
): Promise<ActivityEntry> {
  const entry = await waitForActivity(client, {
    ...options,
    until: (e) => e.operation_type === "upload" && (e.status === "failed" || e.bytes_transferred >= minBytes),
  });
  if (entry.status === "failed") throw new Error("the upload failed");
  return entry;
}

/**
 * Polls a credit intent until it is credited; a recoverable `pending + error_message` state, a
 * cancelled or an expired intent ends the wait with an error. The wait backs off from 2 s to 10 s.
 */
export async function waitForIntent(
  client: PipeStorageClient,
  intentId: string,
  options: WaitOptions = {},
): Promise<CreditIntent> {
  const intent = await poll(
    (_attempt, signal) =>
      unwrap(
        client.GET("/api/credits/intent/{intent_id}", {
          params: { path: { intent_id: intentId } },
          ...(signal ? { signal } : {}),
        }),
      ),
    {
      until: (i) =>
        i.status === "credited" ||
        i.status === "cancelled" ||
        i.status === "expired" ||
        Boolean(i.error_message),
      intervalMs: options.intervalMs ?? 2_000,
      backoff: 1.5,
      maxIntervalMs: 10_000,
      deadlineMs: options.timeoutMs ?? 300_000,
      retryOn: transient,
      ...(options.signal ? { signal: options.signal } : {}),
    },
  );
  if (intent.status !== "credited")
    throw new Error(`intent ${intent.status}${intent.error_message ? `: ${intent.error_message}` : ""}`);
  return intent;
}

/** What an agent needs to work against Pipe: the documented agent bundle. */
export interface AgentBundle {
  apiBase: string;
  appKey: string;
  s3: S3KeyCreated;
}

/**
 * The bundle as the documented `.env` lines (`PIPE_API_BASE`, `PIPE_API_KEY`, the AWS variables),
 * plus `PIPE_BASE_URL` and `PIPE_APP_KEY`, which `createPipeStorageClient()` reads: an agent
 * started with this file needs no options.
 */
export function agentBundleEnv(bundle: AgentBundle): string {
  return [
    `PIPE_API_BASE=${bundle.apiBase}`,
    `PIPE_API_KEY=${bundle.appKey}`,
    `PIPE_BASE_URL=${bundle.apiBase}`,
    `PIPE_APP_KEY=${bundle.appKey}`,
    `AWS_ACCESS_KEY_ID=${bundle.s3.access_key_id}`,
    `AWS_SECRET_ACCESS_KEY=${bundle.s3.secret_access_key}`,
    `AWS_DEFAULT_REGION=${bundle.s3.region}`,
    `AWS_ENDPOINT_URL=${bundle.s3.endpoint}`,
    `PIPE_S3_BUCKET=${bundle.s3.bucket_name}`,
    "",
  ].join("\n");
}
