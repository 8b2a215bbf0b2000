/**
 * The Pipe storage sandbox's live parts, one set per running sandbox: the local Solana ledger (with
 * the treasury the credits are paid to) and the S3-compatible gateway. `start` brings them up or
 * restores them, re-declares the state's buckets and keys, and records object writes as activity.
 */
import { join } from "node:path";
import type { ProviderDefinition } from "../../framework/types.js";
import { S3Gateway } from "../../s3/index.js";
import { type LedgerSnapshot, SolanaLedger, USDC_MINT } from "../../solana/index.js";
import type { Ctx, PipeState } from "./state.js";

const REGION = "us-west-1";

/** The live parts, per running sandbox. */
interface Live {
  ledger: SolanaLedger;
  s3: S3Gateway;
  treasury: { owner: string; usdcAccount: string };
}
const live = new WeakMap<Ctx, Live>();

export const parts = (ctx: Ctx): Live => {
  const found = live.get(ctx);
  if (!found) throw new Error("pipe-storage sandbox is not started");
  return found;
};

export const start: NonNullable<ProviderDefinition<PipeState>["start"]> = async (ctx, snapshot) => {
  const saved = snapshot as
    | { ledger?: LedgerSnapshot; treasury?: { owner: string; usdcAccount: string } }
    | undefined;
  const ledger = saved?.ledger
    ? await SolanaLedger.restore(saved.ledger, { now: () => ctx.clock.now() })
    : await SolanaLedger.start({ now: () => ctx.clock.now() });
  const s3 = await S3Gateway.start({
    region: REGION,
    ...(ctx.dataDir ? { dataDir: join(ctx.dataDir, "pipe-storage-s3") } : {}),
  });
  const treasury = ledger.treasury();
  const current: Live = { ledger, s3, treasury };
  live.set(ctx, current);
  // Buckets and keys are re-declared from state (a restart, or a reset that kept the runtime).
  for (const user of Object.values(ctx.state.users)) {
    await s3.createBucket(user.bucket.name);
    s3.setPublicRead(user.bucket.name, user.bucket.publicRead);
    s3.setReadOnly(user.bucket.name, user.accountState !== "active");
    for (const key of Object.values(user.s3Keys)) {
      s3.addKey({
        accessKeyId: key.accessKeyId,
        secretAccessKey: key.secretAccessKey,
        bucket: user.bucket.name,
        prefix: key.namePrefix,
      });
    }
  }
  s3.onObject((event) => {
    const user = Object.values(ctx.state.users).find((candidate) => candidate.bucket.name === event.bucket);
    if (!user) return;
    user.activity.unshift({
      status: "completed",
      operationType: event.operation === "delete" ? "delete" : "upload",
      bytes: event.operation === "delete" ? 0 : event.size,
      startedAt: ctx.clock.now(),
      name: event.key,
    });
    ctx.save();
  });
  return {
    info: {
      solana: {
        rpcUrl: ledger.rpcUrl,
        wsUrl: ledger.wsUrl,
        wsUrlNextPort: ledger.wsUrlNextPort,
        usdcMint: USDC_MINT,
        treasury,
      },
      s3: { endpoint: s3.endpoint, region: s3.region },
    },
    snapshot: () => ({ ledger: ledger.snapshot(), treasury }),
    close: async () => {
      await Promise.all([ledger.close(), s3.close()]);
    },
  };
};
