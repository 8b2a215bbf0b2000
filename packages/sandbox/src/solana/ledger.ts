/** The local Solana ledger behind Pipe's x402 USDC top-ups: a LiteSVM chain served over JSON-RPC. */
import { getAssociatedTokenAddressSync, TOKEN_2022_PROGRAM_ID, TOKEN_PROGRAM_ID } from "@solana/spl-token";
import { Keypair, PublicKey } from "@solana/web3.js";
import { Chain, USDC_MINT } from "./chain.js";
import type { Landed, LedgerSnapshot } from "./records.js";
import { type RpcServer, startRpcServer } from "./rpc.js";

export interface LedgerOptions {
  /** The sandbox clock in milliseconds, for block times. */
  now?: () => number;
  /** The RPC's port; its WebSocket also takes port + 1. Default 0: a free pair of ports. */
  port?: number;
}

/** A payment to look up: a transfer of `mint` into `destination`, tagged with `reference`. */
export interface PaymentQuery {
  signature: string;
  reference: string;
  mint: string;
  destination: string;
  minAmount: bigint;
}

export type PaymentRefusal =
  | "not_found"
  | "failed"
  | "no_transfer"
  | "wrong_mint"
  | "wrong_destination"
  | "no_reference"
  | "too_small";

export type PaymentCheck =
  | { ok: true; amount: bigint; payer: string }
  | { ok: false; reason: PaymentRefusal };

const TOKEN_PROGRAMS = new Set([TOKEN_PROGRAM_ID.toBase58(), TOKEN_2022_PROGRAM_ID.toBase58()]);
const TRANSFER_CHECKED = 12;

interface Transfer {
  source: string;
  mint: string;
  destination: string;
  authority: string;
  amount: bigint;
}

/** The top-level SPL Token `TransferChecked` instructions of a transaction. */
function transfersChecked({ tx, keys }: Landed): Transfer[] {
  return tx.message.compiledInstructions.flatMap((ix) => {
    const program = keys[ix.programIdIndex];
    if (!program || !TOKEN_PROGRAMS.has(program) || ix.data[0] !== TRANSFER_CHECKED || ix.data.length < 10)
      return [];
    const [source, mint, destination, authority] = ix.accountKeyIndexes.slice(0, 4).map((i) => keys[i]);
    if (!source || !mint || !destination || !authority) return [];
    const amount = Buffer.from(ix.data).readBigUInt64LE(1);
    return [{ source, mint, destination, authority, amount }];
  });
}

export class SolanaLedger {
  /** The USDC mint at its real mainnet address, 6 decimals. */
  readonly usdcMint = USDC_MINT;
  readonly rpcUrl: string;
  /** The WebSocket endpoint on the same port as `rpcUrl` (pass it as web3.js's `wsEndpoint`). */
  readonly wsUrl: string;
  /**
   * The same WebSocket on port + 1: where an unmodified web3.js 1.x `new Connection(rpcUrl)` looks for
   * it (the solana-test-validator layout).
   */
  readonly wsUrlNextPort: string;

  private constructor(
    private readonly chain: Chain,
    private readonly server: RpcServer,
  ) {
    this.rpcUrl = server.url;
    this.wsUrl = server.wsUrl;
    this.wsUrlNextPort = server.wsUrlNextPort;
  }

  /** Starts a fresh ledger and its RPC server on 127.0.0.1 (free port). */
  static async start(options: LedgerOptions = {}): Promise<SolanaLedger> {
    const chain = new Chain(options.now ?? Date.now);
    return new SolanaLedger(chain, await startRpcServer(chain, { port: options.port ?? 0 }));
  }

  /** Starts a ledger from a {@link snapshot}. */
  static async restore(snapshot: LedgerSnapshot, options: LedgerOptions = {}): Promise<SolanaLedger> {
    const chain = Chain.restore(snapshot, options.now ?? Date.now);
    return new SolanaLedger(chain, await startRpcServer(chain, { port: options.port ?? 0 }));
  }

  /** The treasury (created once, its secret key discarded) and its USDC associated token account. */
  treasury(): { owner: string; usdcAccount: string } {
    this.chain.treasuryOwner ??= Keypair.generate().publicKey.toBase58();
    const owner = this.chain.treasuryOwner;
    return { owner, usdcAccount: this.chain.ensureAta(owner, USDC_MINT) };
  }

  /** Sends lamports from the ledger's faucet to `address`. */
  airdrop(address: string, lamports: bigint): void {
    this.chain.airdrop(address, lamports);
  }

  /** Mints raw USDC units to the owner's associated token account (created if missing); returns it. */
  mintUsdc(owner: string, amount: bigint): string {
    return this.chain.mintUsdc(owner, amount);
  }

  /** Raw USDC units in the owner's associated token account, 0n if it has none. */
  usdcBalance(owner: string): bigint {
    const ata = getAssociatedTokenAddressSync(new PublicKey(USDC_MINT), new PublicKey(owner), true);
    return this.chain.tokenAccount(ata.toBase58())?.amount ?? 0n;
  }

  /**
   * Looks a payment up: the transaction `signature` landed and succeeded, and holds top-level
   * `TransferChecked`s of `mint` into `destination` totalling at least `minAmount`, while its account
   * keys include `reference` (Solana Pay pattern). Self-transfers do not count.
   */
  verifyPayment(q: PaymentQuery): PaymentCheck {
    const refuse = (reason: PaymentRefusal): PaymentCheck => ({ ok: false, reason });
    const landed = this.chain.get(q.signature);
    if (!landed) return refuse("not_found");
    if (landed.record.err) return refuse("failed");
    const transfers = transfersChecked(landed);
    if (transfers.length === 0) return refuse("no_transfer");
    const ofMint = transfers.filter((t) => t.mint === q.mint);
    if (ofMint.length === 0) return refuse("wrong_mint");
    const paid = ofMint.filter((t) => t.destination === q.destination && t.source !== t.destination);
    const first = paid[0];
    if (!first) return refuse("wrong_destination");
    if (!landed.keys.includes(q.reference)) return refuse("no_reference");
    const amount = paid.reduce((total, t) => total + t.amount, 0n);
    if (amount < q.minAmount) return refuse("too_small");
    return { ok: true, amount, payer: first.authority };
  }

  /** Signatures of landed transactions touching `address`, newest first. */
  signaturesFor(address: string): string[] {
    return this.chain.signaturesFor(address);
  }

  /** Touched accounts and transaction records, JSON-safe, for `--data-dir` persistence. */
  snapshot(): LedgerSnapshot {
    return this.chain.snapshot();
  }

  /** Stops the RPC server (open WebSockets are closed with 1000, so clients do not reconnect). */
  close(): Promise<void> {
    return this.server.close();
  }
}
