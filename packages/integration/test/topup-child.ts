/**
 * One top-up in a process of its own, for topup-crash.test.ts: it runs `topUp` against the sandbox
 * with a file journal and, when told to, kills itself with SIGKILL at a step (nothing after the kill
 * runs: no finally, no flush). The job comes in the TOPUP_JOB environment variable; the process
 * prints `ready` once loaded, then `result {...}` or `error <name>`. Never a key.
 */
import { Connection, Keypair } from "@solana/web3.js";
import { type TopUpStep, topUp } from "@specyard/pipe-storage/topup";
import { FileJournal } from "@specyard/x402/node";

export interface ChildJob {
  baseUrl: string;
  appKey: string;
  rpcUrl: string;
  secretKey: number[];
  treasuryOwner: string;
  journalPath: string;
  amount: string;
  /** SIGKILL at this step (the parent kills at random times otherwise, or not at all). */
  killAt?: TopUpStep;
  idempotencyKey?: string;
}

const job = JSON.parse(process.env.TOPUP_JOB ?? "{}") as ChildJob;
const connection = new Connection(job.rpcUrl, "confirmed");
const payer = Keypair.fromSecretKey(Uint8Array.from(job.secretKey));
process.stdout.write("ready\n");

try {
  const result = await topUp(BigInt(job.amount), {
    baseUrl: job.baseUrl,
    appKey: job.appKey,
    connection,
    payer,
    policy: { maxPerPayment: 10_000_000n, budget: 1_000_000_000n, treasuryOwner: job.treasuryOwner },
    journal: new FileJournal(job.journalPath),
    pollIntervalMs: 10,
    ...(job.idempotencyKey ? { idempotencyKey: job.idempotencyKey } : {}),
    onStep: (step) => {
      if (step === job.killAt) process.kill(process.pid, "SIGKILL");
    },
  });
  process.stdout.write(
    `result ${JSON.stringify({ intentId: result.intentId, creditedRaw: String(result.creditedRaw) })}\n`,
  );
} catch (error) {
  process.stdout.write(`error ${(error as Error).name}\n`);
  process.exitCode = 1;
}
