/** The Pipe storage sandbox's x402 top-up, paid by real signed USDC transfers on the local ledger. */
import { Keypair } from "@solana/web3.js";
import {
  BadRequestError,
  ConflictError,
  decodePaymentRequired,
  encodePaymentSignature,
  unwrap,
} from "@specyard/pipe-storage";
import { describe, expect, it } from "vitest";
import { createPipeStorageClient } from "../clients.js";
import { payUsdc, sandbox, signIn, useSandbox } from "./helpers.js";

useSandbox();

const solana = () => sandbox.info.solana as { rpcUrl: string; usdcMint: string };

describe("Pipe storage sandbox: x402 top-up on the local ledger", () => {
  it("credits a real signed USDC transfer exactly once and refuses its replay", async () => {
    const wallet = Keypair.generate();
    const { tokens } = await signIn(sandbox.url, wallet);
    const bearer = createPipeStorageClient({ baseUrl: sandbox.url, accessToken: tokens.access_token });
    const me = await unwrap(bearer.GET("/user/me"));
    const pipe = createPipeStorageClient({ baseUrl: sandbox.url, appKey: me.user_app_key, maxRetries: 0 });
    await sandbox.admin.act("fundWallet", { address: wallet.publicKey.toBase58(), usdcRaw: "50000000" });

    const first = await pipe.POST("/api/credits/x402", { body: { amount_usdc_raw: 10_000_000 } });
    expect(first.response.status).toBe(402);
    const required = decodePaymentRequired(first.response.headers.get("Payment-Required") ?? "");
    const accept = required.accepts[0];
    if (!accept) throw new Error("no accepts entry");
    expect(accept).toMatchObject({ amount: "10000000", asset: solana().usdcMint, network: "solana" });

    // A second top-up while this one is pending is a conflict.
    const conflict = await unwrap(pipe.POST("/api/credits/x402", { body: { amount_usdc_raw: 1 } })).catch(
      (e: unknown) => e,
    );
    expect(conflict).toBeInstanceOf(ConflictError);

    const signature = await payUsdc(solana().rpcUrl, wallet, {
      mint: accept.asset,
      payTo: accept.payTo,
      amount: BigInt(accept.amount),
      reference: accept.extra.reference_pubkey,
    });
    const header = encodePaymentSignature({ intent_id: accept.extra.intent_id, tx_sig: signature });
    const confirm = await unwrap(
      pipe.POST("/api/credits/x402", { headers: { "Payment-Signature": header } }),
    );
    expect(confirm).toMatchObject({
      status: "credited",
      credited_usdc_raw: 10_000_000,
      balance_usdc_raw: 10_000_000,
    });

    // Confirming again changes nothing; the same signature for a new intent is refused.
    await unwrap(pipe.POST("/api/credits/x402", { headers: { "Payment-Signature": header } }));
    const next = await pipe.POST("/api/credits/x402", { body: { amount_usdc_raw: 10_000_000 } });
    const nextAccept = decodePaymentRequired(next.response.headers.get("Payment-Required") ?? "").accepts[0];
    const replay = await unwrap(
      pipe.POST("/api/credits/x402", {
        headers: {
          "Payment-Signature": encodePaymentSignature({
            intent_id: nextAccept?.extra.intent_id ?? "",
            tx_sig: signature,
          }),
        },
      }),
    ).catch((e: unknown) => e);
    expect(replay).toBeInstanceOf(BadRequestError);
    const status = await unwrap(pipe.GET("/api/credits/status"));
    expect(status.balance_usdc_raw).toBe(10_000_000);
    expect(status.total_deposited_usdc_raw).toBe(10_000_000);
  });

  it("leaves an intent pending with an error when the transfer is too small", async () => {
    const wallet = Keypair.generate();
    const { tokens } = await signIn(sandbox.url, wallet);
    const me = await unwrap(
      createPipeStorageClient({ baseUrl: sandbox.url, accessToken: tokens.access_token }).GET("/user/me"),
    );
    const pipe = createPipeStorageClient({ baseUrl: sandbox.url, appKey: me.user_app_key, maxRetries: 0 });
    await sandbox.admin.act("fundWallet", { address: wallet.publicKey.toBase58(), usdcRaw: "5000000" });
    const first = await pipe.POST("/api/credits/x402", { body: { amount_usdc_raw: 2_000_000 } });
    const accept = decodePaymentRequired(first.response.headers.get("Payment-Required") ?? "").accepts[0];
    if (!accept) throw new Error("no accepts entry");
    const signature = await payUsdc(solana().rpcUrl, wallet, {
      mint: accept.asset,
      payTo: accept.payTo,
      amount: 1_000_000n,
      reference: accept.extra.reference_pubkey,
    });
    const answer = await pipe.POST("/api/credits/x402", {
      headers: {
        "Payment-Signature": encodePaymentSignature({ intent_id: accept.extra.intent_id, tx_sig: signature }),
      },
    });
    expect(answer.response.status).toBe(400);
    const intent = await unwrap(
      pipe.GET("/api/credits/intent/{intent_id}", {
        params: { path: { intent_id: accept.extra.intent_id } },
      }),
    );
    expect(intent).toMatchObject({ status: "pending", error_message: expect.stringContaining("too small") });
  });
});
