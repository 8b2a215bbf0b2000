/**
 * A full x402 top-up against the Pipe sandbox, over HTTP and the sandbox's Solana JSON-RPC, with
 * the time split into HTTP (402 and confirming call), building + signing the transfer (policy and
 * on-chain checks included), and sending + confirming it. Baseline in the same run: one plain
 * authenticated GET to the same sandbox.
 */
import { performance } from "node:perf_hooks";
import { Connection, Keypair } from "@solana/web3.js";
import { createPipeStorageClient, unwrap } from "@specyard/pipe-storage";
import { startSandbox } from "@specyard/sandbox";
import { secretKeySigner, signIn } from "@specyard/siws";
import { MemoryJournal, type PaymentJournal, payingFetch } from "@specyard/x402";

const RUNS = Number(process.env.BENCH_RUNS ?? 30);

export async function main() {
  const sandbox = await startSandbox("pipe-storage");
  const solana = sandbox.info.solana as { rpcUrl: string; treasury: { owner: string } };
  const connection = new Connection(solana.rpcUrl, "confirmed");
  const totals = { http: 0, build: 0, confirm: 0, total: 0, plainGet: 0 };
  try {
    for (let run = 0; run < RUNS; run++) {
      const wallet = Keypair.generate();
      await sandbox.admin.act("fundWallet", { address: wallet.publicKey.toBase58(), usdcRaw: "10000000" });
      const tokens = await signIn({ signer: secretKeySigner(wallet.secretKey), origin: sandbox.url });
      const me = await unwrap(
        createPipeStorageClient({ baseUrl: sandbox.url, accessToken: tokens.accessToken }).GET("/user/me"),
      );

      let signedAt = 0;
      let confirmedAt = 0;
      const inner = new MemoryJournal();
      // The journal's writes mark the phases: "signed" ends building, "confirmed" ends confirming.
      const journal: PaymentJournal = {
        get: (id) => inner.get(id),
        list: () => inner.list(),
        put: async (entry) => {
          if (entry.status === "signed") signedAt = performance.now();
          if (entry.status === "confirmed") confirmedAt = performance.now();
          await inner.put(entry);
        },
      };
      const authed = (request: Request) => {
        request.headers.set("authorization", `ApiKey ${me.user_app_key}`);
        return fetch(request);
      };
      let firstAnswerAt = 0;
      const timedFetch = async (request: Request) => {
        const answer = await authed(request);
        if (!firstAnswerAt) firstAnswerAt = performance.now();
        return answer;
      };
      const pay = payingFetch(timedFetch, {
        connection,
        payer: wallet,
        policy: { maxPerPayment: 5_000_000n, budget: 5_000_000n, treasuryOwner: solana.treasury.owner },
        journal,
        pollIntervalMs: 5,
      });
      const t0 = performance.now();
      const answer = await pay(
        new Request(`${sandbox.url}/api/credits/x402`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ amount_usdc_raw: 1_000_000 }),
        }),
      );
      const done = performance.now();
      if (answer.status !== 200) throw new Error(`top-up answered ${answer.status}`);
      totals.total += done - t0;
      totals.build += signedAt - firstAnswerAt;
      totals.confirm += confirmedAt - signedAt;
      totals.http += firstAnswerAt - t0 + (done - confirmedAt);
      const g0 = performance.now();
      await authed(new Request(`${sandbox.url}/api/credits/status`));
      totals.plainGet += performance.now() - g0;
    }
  } finally {
    await sandbox.close();
  }
  const avg = (ms: number) => (ms / RUNS).toFixed(2);
  const share = (ms: number) => `${((ms / totals.total) * 100).toFixed(0)}%`;
  console.log(`${RUNS} full x402 top-ups against the Pipe sandbox (local LiteSVM ledger over JSON-RPC)\n`);
  console.log(`full top-up                      ${avg(totals.total)} ms`);
  console.log(`  HTTP (402 + confirming call)   ${avg(totals.http)} ms  ${share(totals.http)}`);
  console.log(`  build + checks + sign          ${avg(totals.build)} ms  ${share(totals.build)}`);
  console.log(`  send + confirm on the ledger   ${avg(totals.confirm)} ms  ${share(totals.confirm)}`);
  console.log(`baseline: one authenticated GET  ${avg(totals.plainGet)} ms`);
}
