/**
 * The Pipe document's agent top-up, Option 2 and the Node x402 sample: the app key from /user/me,
 * a 402 with Payment-Required, a USDC TransferChecked built and confirmed with stock web3.js on a
 * default `new Connection(rpcUrl, "confirmed")`, then the retry with Payment-Signature.
 */
import { Keypair } from "@solana/web3.js";
import { type Sandbox, startSandbox } from "@specyard/sandbox";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, call, jsonBody, pipeSignIn } from "./support.js";
import { payLikeTheNodeSample } from "./web3-payment.js";

let sandbox: Sandbox;
let API: string;
let RPC: string;
beforeAll(async () => {
  sandbox = await startSandbox("pipe-storage");
  API = sandbox.url;
  RPC = (sandbox.info.solana as { rpcUrl: string }).rpcUrl;
});
afterAll(() => sandbox?.close());

describe("Pipe storage: x402 top-up as the document's Node sample runs it", () => {
  it("pays, confirms over web3.js's default WebSocket (port + 1), and is credited", {
    timeout: 20_000,
  }, async () => {
    const kp = Keypair.generate();
    const { tokens } = await pipeSignIn(API, kp);
    // "Export PIPE_API_KEY from /user/me first."
    const me = await call<{ user_app_key: string }>(`${API}/user/me`, {
      headers: bearer(tokens.access_token),
    });
    const API_KEY = me.json.user_app_key;
    // The payer brings SOL for fees and USDC: on the sandbox its faucet plays the wallet's owner.
    await sandbox.admin.act("fundWallet", { address: kp.publicKey.toBase58(), usdcRaw: 10_000_000 });

    // 1. Request x402 payment details
    const x402Resp = await call(`${API}/api/credits/x402`, {
      method: "POST",
      ...jsonBody({ amount_usdc_raw: 10_000_000 }, { Authorization: `ApiKey ${API_KEY}` }),
    });
    expect(x402Resp.status).toBe(402);
    const paymentRequiredHeader = x402Resp.headers.get("payment-required");
    expect(paymentRequiredHeader).toBeTruthy();
    const paymentRequired = JSON.parse(Buffer.from(paymentRequiredHeader ?? "", "base64").toString("utf-8"));
    const accept = paymentRequired.accepts[0];
    const intentId = accept.extra.intent_id;

    // 2–4. Derive the ATA, build TransferChecked + reference, send, confirm.
    const sig = await payLikeTheNodeSample(RPC, kp, {
      asset: accept.asset,
      payTo: accept.payTo,
      amount: accept.amount,
      reference: accept.extra.reference_pubkey,
    });

    // 5. Retry with Payment-Signature (no body, as the sample sends it).
    const paymentSignature = Buffer.from(
      JSON.stringify({ intent_id: intentId, tx_sig: sig }),
      "utf-8",
    ).toString("base64");
    const confirmResp = await call(`${API}/api/credits/x402`, {
      method: "POST",
      headers: {
        Authorization: `ApiKey ${API_KEY}`,
        "Payment-Signature": paymentSignature,
        "Content-Type": "application/json",
      },
    });
    expect([200, 202], confirmResp.text).toContain(confirmResp.status);
    if (confirmResp.status === 202) {
      const detail = await call<{ status: string }>(`${API}/api/credits/intent/${intentId}`, {
        headers: { Authorization: `ApiKey ${API_KEY}` },
      });
      expect(detail.json.status).toBe("credited");
    }
    const credits = await call<{ balance_usdc_raw: number }>(`${API}/api/credits/status`, {
      headers: { Authorization: `ApiKey ${API_KEY}` },
    });
    expect(credits.json.balance_usdc_raw).toBe(10_000_000);
  });
});
