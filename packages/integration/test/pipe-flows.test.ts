/** The documented Pipe agent set-up, end to end on the sandbox: sign in, bundle, S3, top up. */
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { Keypair } from "@solana/web3.js";
import {
  type AgentBundle,
  bootstrap,
  createPipeStorageClient,
  createS3Key,
  unwrap,
  waitForActivity,
  waitForIntent,
  waitForUpload,
} from "@specyard/pipe-storage";
import { BundleExistsError, writeAgentBundle } from "@specyard/pipe-storage/node";
import { s3Client } from "@specyard/pipe-storage/s3";
import { topUp } from "@specyard/pipe-storage/topup";
import { SiwsSession, secretKeySigner } from "@specyard/siws";
import { MemoryJournal } from "@specyard/x402";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PipeWorld, pipeWorld } from "./pipe-world.js";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";

let world: PipeWorld;
beforeAll(async () => {
  world = await pipeWorld();
});
afterAll(() => world?.sandbox.close());

describe("Pipe agent flows", () => {
  it("bootstraps, writes the bundle (0600, no clobber), uses S3, waits for the upload, and tops up once", async () => {
    const wallet = Keypair.generate();
    await world.sandbox.admin.act("fundWallet", {
      address: wallet.publicKey.toBase58(),
      usdcRaw: "30000000",
    });
    const session = new SiwsSession({ signer: secretKeySigner(wallet.secretKey), origin: world.sandbox.url });
    const pipe = createPipeStorageClient({ baseUrl: world.sandbox.url, ...session.clientOptions() });

    const config = await bootstrap(pipe);
    expect(config).toMatchObject({ accountState: "active", wallet: wallet.publicKey.toBase58() });

    const dir = mkdtempSync(join(tmpdir(), "pipe-bundle-"));
    const path = join(dir, "pipe-agent-bundle.env");
    let bundle: AgentBundle | undefined;
    await createS3Key(pipe, async (key) => {
      bundle = { apiBase: world.sandbox.url, appKey: config.appKey, s3: key };
      await writeAgentBundle(path, bundle);
    });
    if (!bundle) throw new Error("no bundle");
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, "utf8")).toContain(`AWS_SECRET_ACCESS_KEY=${bundle.s3.secret_access_key}`);
    await expect(writeAgentBundle(path, bundle)).rejects.toBeInstanceOf(BundleExistsError);

    // When the secret cannot be stored, the key is deleted again.
    const before = (await unwrap(pipe.GET("/api/s3/keys"))).keys.length;
    await expect(createS3Key(pipe, () => Promise.reject(new Error("disk full")))).rejects.toThrow(
      "disk full",
    );
    expect((await unwrap(pipe.GET("/api/s3/keys"))).keys.length).toBe(before);

    const s3 = s3Client(bundle);
    await s3.send(
      new PutObjectCommand({
        Bucket: bundle.s3.bucket_name,
        Key: "report.txt",
        Body: "forty-two bytes of agent output, exactly!!",
      }),
    );
    const upload = await waitForActivity(pipe, {
      until: (e) => e.operation_type === "upload",
      intervalMs: 50,
      timeoutMs: 5_000,
    });
    expect(upload).toMatchObject({ status: "completed", bytes_transferred: 42 });
    const got = await s3.send(new GetObjectCommand({ Bucket: bundle.s3.bucket_name, Key: "report.txt" }));
    expect(await got.Body?.transformToString()).toHaveLength(42);

    const journal = new MemoryJournal();
    const result = await topUp(12_000_000n, {
      baseUrl: world.sandbox.url,
      appKey: config.appKey,
      connection: world.connection,
      payer: wallet,
      policy: { maxPerPayment: 20_000_000n, budget: 50_000_000n, treasuryOwner: world.treasury.owner },
      journal,
    });
    expect(result).toMatchObject({ status: "credited", creditedRaw: 12_000_000n, balanceRaw: 12_000_000n });
    expect((await bootstrap(pipe)).credits.balance_usdc_raw).toBe(12_000_000);
    expect((await waitForIntent(pipe, result.intentId, { intervalMs: 10 })).status).toBe("credited");
    expect((await waitForUpload(pipe, 42, { intervalMs: 10, timeoutMs: 2_000 })).bytes_transferred).toBe(42);
    expect(session.counts.signIns).toBe(1);
  });
});
