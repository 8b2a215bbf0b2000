/**
 * The official x402 v2 reference stack, run locally against the Pipe sandbox's Solana ledger: an
 * `@x402/express` resource server whose `x402ResourceServer` uses an in-process `@x402/core`
 * facilitator with `@x402/svm`'s `exact` scheme, its fee payer a funded key on the sandbox ledger.
 * The network id is mainnet's CAIP-2 id (the sandbox's USDC sits at the mainnet mint). Every
 * connection that is not to loopback is refused and recorded (the reference code defaults to
 * public RPCs).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import net from "node:net";
import { createKeyPairSignerFromBytes } from "@solana/kit";
import { getAssociatedTokenAddressSync } from "@solana/spl-token";
import { Connection, Keypair, PublicKey } from "@solana/web3.js";
import { type Sandbox, startSandbox } from "@specyard/sandbox";
import { x402Facilitator } from "@x402/core/facilitator";
import { type FacilitatorClient, x402ResourceServer } from "@x402/core/server";
import type { PaymentPayload, PaymentRequirements } from "@x402/core/types";
import { paymentMiddleware } from "@x402/express";
import { toFacilitatorSvmSigner } from "@x402/svm";
import { ExactSvmScheme as FacilitatorScheme } from "@x402/svm/exact/facilitator";
import { ExactSvmScheme as ServerScheme } from "@x402/svm/exact/server";
import express, { type NextFunction, type Request, type Response } from "express";

export const NETWORK = "solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp" as const;
export const USDC = new PublicKey("EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v");
export const PRICE = 10_000n; // 0.01 USDC, under the official client's default $1 cap

// ---- no connection leaves the machine ----
const LOOPBACK = new Set([undefined, "127.0.0.1", "localhost", "::1", "::ffff:127.0.0.1"]);
/** Hosts a connection was refused to. */
export const refusedHosts: string[] = [];
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function guarded(this: net.Socket, ...args: unknown[]) {
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  const host =
    typeof first === "object" && first !== null
      ? (first as { path?: string; host?: string }).path
        ? "localhost"
        : (first as { host?: string }).host
      : typeof args[1] === "string"
        ? args[1]
        : undefined;
  if (!LOOPBACK.has(host)) {
    refusedHosts.push(String(host));
    throw new Error(`test guard: a connection to ${String(host)} (not loopback) was refused`);
  }
  return (connect as (...a: unknown[]) => net.Socket).apply(this, args);
} as typeof connect;

/** A facilitator as the resource server sees it, counting what it verified and settled. */
export interface CountingFacilitator extends FacilitatorClient {
  verified: number;
  settled: { success: boolean; transaction: string; errorReason?: string }[];
}

/** A fresh in-process reference facilitator whose fee payer is `feePayer`. */
export async function referenceFacilitator(world: { rpcUrl: string }, feePayer: Keypair) {
  const signer = await createKeyPairSignerFromBytes(feePayer.secretKey);
  const facilitator = new x402Facilitator().register(
    NETWORK,
    new FacilitatorScheme(toFacilitatorSvmSigner(signer, { defaultRpcUrl: world.rpcUrl })),
  );
  const client: CountingFacilitator = {
    verified: 0,
    settled: [],
    verify: async (payload: PaymentPayload, requirements: PaymentRequirements) => {
      client.verified++;
      return facilitator.verify(payload, requirements);
    },
    settle: async (payload: PaymentPayload, requirements: PaymentRequirements) => {
      const result = await facilitator.settle(payload, requirements);
      client.settled.push(result);
      return result;
    },
    getSupported: async () => facilitator.getSupported() as never,
  };
  return client;
}

/** A layer in front of the payment middleware, for the hostile servers of the attack battery. */
export type Layer = (req: Request, res: Response, next: NextFunction) => void;

export interface V2World {
  sandbox: Sandbox;
  rpcUrl: string;
  connection: Connection;
  feePayer: Keypair;
  /** The merchant wallet every route pays. */
  merchant: string;
  facilitator: CountingFacilitator;
  /** The resource server's URL (routes `/weather`, `/news`, `/a`, `/b`, `/c`, `/slow`, `/again`). */
  url: string;
  /** Requests the resource server saw, by path (paid or not). */
  hits: Map<string, number>;
  /** Layers run before the payment middleware, by path. */
  layers: Map<string, Layer>;
  usdc(owner: string): Promise<bigint>;
  lamports(owner: string): Promise<number>;
  /** A wallet with `usdcRaw` USDC and no SOL of its own needed (the facilitator pays fees). */
  wallet(usdcRaw?: bigint): Promise<Keypair>;
  close(): Promise<void>;
}

export const PATHS = ["/weather", "/news", "/a", "/b", "/c", "/slow", "/again"];

export async function v2World(): Promise<V2World> {
  const sandbox = await startSandbox("pipe-storage");
  const rpcUrl = (sandbox.info.solana as { rpcUrl: string }).rpcUrl;
  const connection = new Connection(rpcUrl, "confirmed");
  const fund = async (owner: string, usdcRaw: bigint, lamports = 1_000_000_000) =>
    sandbox.admin.act("fundWallet", { address: owner, usdcRaw: usdcRaw.toString(), lamports });
  const feePayer = Keypair.generate();
  await fund(feePayer.publicKey.toBase58(), 0n, 10_000_000_000);
  const merchant = Keypair.generate().publicKey.toBase58();
  await fund(merchant, 0n, 10_000_000);
  const facilitator = await referenceFacilitator({ rpcUrl }, feePayer);

  const routes = Object.fromEntries(
    PATHS.map((path) => [
      `GET ${path}`,
      {
        accepts: {
          scheme: "exact",
          network: NETWORK,
          payTo: merchant,
          price: { amount: PRICE.toString(), asset: USDC.toBase58() },
          maxTimeoutSeconds: 60,
        },
        description: `the ${path} report`,
        mimeType: "application/json",
      },
    ]),
  );
  const resourceServer = new x402ResourceServer(facilitator).register(NETWORK, new ServerScheme());
  const hits = new Map<string, number>();
  const layers = new Map<string, Layer>();
  const app = express();
  app.use((req, res, next) => {
    hits.set(req.path, (hits.get(req.path) ?? 0) + 1);
    const layer = layers.get(req.path);
    if (layer) layer(req, res, next);
    else next();
  });
  app.use(paymentMiddleware(routes as never, resourceServer));
  for (const path of PATHS) app.get(path, (_req, res) => void res.json({ path, report: "sunny" }));
  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    sandbox,
    rpcUrl,
    connection,
    feePayer,
    merchant,
    facilitator,
    url: `http://127.0.0.1:${port}`,
    hits,
    layers,
    usdc: async (owner) => {
      const ata = getAssociatedTokenAddressSync(USDC, new PublicKey(owner), true);
      const info = await connection.getAccountInfo(ata);
      return info ? BigInt((await connection.getTokenAccountBalance(ata)).value.amount) : 0n;
    },
    lamports: (owner) => connection.getBalance(new PublicKey(owner)),
    wallet: async (usdcRaw = 1_000_000n) => {
      const wallet = Keypair.generate();
      await fund(wallet.publicKey.toBase58(), usdcRaw);
      return wallet;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await sandbox.close();
    },
  };
}
