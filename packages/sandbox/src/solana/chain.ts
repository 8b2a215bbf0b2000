/**
 * The ledger core: a LiteSVM instance (real System, SPL Token and ATA programs) plus what LiteSVM
 * does not keep: a record of every landed transaction, an index of account keys → signatures,
 * blockhash lifetimes, slots and block times.
 */
import { createHash } from "node:crypto";
import { address, getTransactionDecoder, lamports as toLamports } from "@solana/kit";
import {
  ACCOUNT_SIZE,
  AccountLayout,
  createAssociatedTokenAccountIdempotentInstruction,
  createMintToCheckedInstruction,
  getAssociatedTokenAddressSync,
  MINT_SIZE,
  MintLayout,
  TOKEN_2022_PROGRAM_ID,
  TOKEN_PROGRAM_ID,
} from "@solana/spl-token";
import {
  AddressLookupTableAccount,
  Keypair,
  PublicKey,
  SystemProgram,
  Transaction,
  type TransactionInstruction,
  VersionedTransaction,
} from "@solana/web3.js";
import bs58 from "bs58";
import { FailedTransactionMetadata, LiteSVM, type TransactionMetadata } from "litesvm";
import { describeTxError, type TxError, toTxError } from "./errors.js";
import type {
  AccountState,
  Landed,
  LedgerSnapshot,
  Outcome,
  TokenAccountState,
  TokenBalance,
  TxRecord,
} from "./records.js";

/** The mainnet USDC mint address; the ledger serves a 6-decimal mint there. */
export const USDC_MINT = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v";
export const USDC_DECIMALS = 6;
/** How many blocks a blockhash stays valid, as on Solana. */
export const BLOCKHASH_LIFETIME = 150;
/** A slot's length on the sandbox clock, as on Solana (~400 ms): 150 slots ≈ 60 s. */
export const SLOT_MS = 400;

const FAUCET_LAMPORTS = 1_000_000_000_000_000n; // 1M SOL: below 2^53, so JSON numbers stay exact
const TOKEN_PROGRAMS = new Set([TOKEN_PROGRAM_ID.toBase58(), TOKEN_2022_PROGRAM_ID.toBase58()]);
const SYSVAR_OWNER = "Sysvar1111111111111111111111111111111111111";
const decoder = getTransactionDecoder();

/** Decodes wire bytes; throws on malformed input. */
export function decodeTransaction(bytes: Uint8Array): VersionedTransaction {
  const tx = VersionedTransaction.deserialize(bytes);
  if (tx.signatures.length === 0) throw new Error("transaction has no signatures");
  return tx;
}

const sum = (values: bigint[]) => values.reduce((a, b) => a + b, 0n);

/**
 * What Solana's status cache keys a transaction by: its message, not its signatures (a fee payer's
 * signature may still be empty when a facilitator simulates it).
 */
export const messageKey = (tx: VersionedTransaction): string =>
  createHash("sha256").update(tx.message.serialize()).digest("base64");

export class Chain {
  readonly svm = new LiteSVM().withBlockhashCheck(false);
  /** Fee payer of the ledger's own transactions and USDC mint authority; in memory only. */
  private readonly faucet = Keypair.generate();
  /** Current slot, which is also the block height: one block per landed transaction. */
  height = 1;
  genesisHash: string;
  treasuryOwner: string | null = null;
  private readonly hashes = new Map<string, number>(); // blockhash → height it became the latest at
  private readonly txs = new Map<string, Landed>();
  private readonly byKey = new Map<string, string[]>(); // oldest first
  private readonly byMessage = new Map<string, string>(); // message key → signature that landed
  /** The sandbox time the current slot started at: slots also pass with the clock, not only with blocks. */
  private slotStartedAt: number;
  private readonly listeners = new Set<(landed: Landed) => void>();

  constructor(private readonly now: () => number) {
    this.slotStartedAt = now();
    this.put(
      this.faucet.publicKey.toBase58(),
      FAUCET_LAMPORTS,
      SystemProgram.programId.toBase58(),
      new Uint8Array(),
    );
    this.putUsdcMint(0n);
    this.genesisHash = this.svm.latestBlockhash();
    this.warp();
  }

  /** Rebuilds a chain from a snapshot (with a fresh faucet, which becomes the USDC mint authority). */
  static restore(s: LedgerSnapshot, now: () => number): Chain {
    if (s.version !== 1) throw new Error(`unsupported ledger snapshot version ${String(s.version)}`);
    const chain = new Chain(now);
    for (const a of s.accounts)
      chain.put(a.address, BigInt(a.lamports), a.owner, Buffer.from(a.data, "base64"));
    chain.putUsdcMint(chain.mint(USDC_MINT)?.supply ?? 0n);
    for (const record of s.transactions) {
      const tx = decodeTransaction(Buffer.from(record.raw, "base64"));
      const keys = [
        ...tx.message.staticAccountKeys.map(String),
        ...record.loaded.writable,
        ...record.loaded.readonly,
      ];
      chain.remember({ record, tx, keys });
    }
    chain.genesisHash = s.genesisHash;
    chain.treasuryOwner = s.treasuryOwner;
    for (const [hash, height] of s.blockhashes) chain.hashes.set(hash, height);
    chain.height = s.height;
    chain.slotStartedAt = now();
    chain.warp();
    return chain;
  }

  snapshot(): LedgerSnapshot {
    const touched = new Set([USDC_MINT]);
    for (const { tx, keys } of this.txs.values()) {
      keys.forEach((key, i) => {
        if (tx.message.isAccountWritable(i)) touched.add(key);
      });
    }
    touched.delete(this.faucet.publicKey.toBase58());
    const accounts = [...touched].flatMap((key) => {
      const a = this.account(key);
      if (!a || a.executable || a.owner === SYSVAR_OWNER) return [];
      return [
        {
          address: key,
          lamports: String(a.lamports),
          owner: a.owner,
          data: Buffer.from(a.data).toString("base64"),
        },
      ];
    });
    return {
      version: 1,
      height: this.height,
      genesisHash: this.genesisHash,
      treasuryOwner: this.treasuryOwner,
      blockhashes: [...this.hashes],
      accounts,
      transactions: [...this.txs.values()].map((l) => l.record),
    };
  }

  // ---- blocks and blockhashes ----

  /** The blockhash to build transactions with, and the last block height it is valid at. */
  latest(): { blockhash: string; lastValidBlockHeight: number } {
    this.tick();
    const blockhash = this.svm.latestBlockhash();
    if (!this.hashes.has(blockhash)) this.hashes.set(blockhash, this.height);
    return {
      blockhash,
      lastValidBlockHeight: (this.hashes.get(blockhash) ?? this.height) + BLOCKHASH_LIFETIME,
    };
  }

  isBlockhashValid(blockhash: string): boolean {
    this.tick();
    const at = this.hashes.get(blockhash);
    return at !== undefined && this.height <= at + BLOCKHASH_LIFETIME;
  }

  /** Moves the clock to the current height and the sandbox time; registers the latest blockhash. */
  private warp(): void {
    this.svm.warpToSlot(BigInt(this.height));
    const clock = this.svm.getClock();
    clock.unixTimestamp = BigInt(Math.floor(this.now() / 1000));
    this.svm.setClock(clock);
    const blockhash = this.svm.latestBlockhash();
    this.hashes.set(blockhash, this.height);
    // SlotHashes lists this block too, so `recentSlot: await getSlot()` works for lookup tables.
    const older = this.svm.getSlotHashes().filter((s) => s.slot < BigInt(this.height));
    const slotHashes = [{ slot: BigInt(this.height), hash: blockhash }, ...older].slice(0, 512);
    this.svm.setSlotHashes(slotHashes.map(({ slot, hash }) => ({ slot, hash })));
    for (const [hash, at] of this.hashes) if (at + BLOCKHASH_LIFETIME < this.height) this.hashes.delete(hash);
  }

  /**
   * Lets the slots that passed on the sandbox clock since the last one go by (one new blockhash for
   * them all), so blockhashes expire while the ledger is quiet, as on Solana: ~150 slots, ~60 s.
   */
  tick(): void {
    const due = Math.floor((this.now() - this.slotStartedAt) / SLOT_MS);
    if (due <= 0) return;
    this.slotStartedAt += due * SLOT_MS;
    this.svm.expireBlockhash();
    this.height += due;
    this.warp();
  }

  /** Closes the current block: a new blockhash, the next slot. */
  private nextBlock(): void {
    this.svm.expireBlockhash();
    this.height += 1;
    this.warp();
  }

  // ---- accounts ----

  account(key: string): AccountState | null {
    const a = this.svm.getAccount(address(key));
    if (!a.exists) return null;
    return { lamports: a.lamports, owner: a.programAddress, data: a.data, executable: a.executable };
  }

  /** A token account (SPL Token or Token-2022) at `key`, or null. */
  tokenAccount(key: string): TokenAccountState | null {
    const a = this.account(key);
    if (!a || !TOKEN_PROGRAMS.has(a.owner)) return null;
    const len = a.data.length;
    if (len < ACCOUNT_SIZE || (len > ACCOUNT_SIZE && a.data[ACCOUNT_SIZE] !== 2)) return null;
    const t = AccountLayout.decode(Buffer.from(a.data.subarray(0, ACCOUNT_SIZE)));
    if (t.state === 0) return null;
    const mint = t.mint.toBase58();
    const decimals = this.mint(mint)?.decimals ?? 0;
    return { mint, owner: t.owner.toBase58(), amount: t.amount, decimals, programId: a.owner };
  }

  /** A mint (SPL Token or Token-2022) at `key`, or null. */
  mint(key: string): { decimals: number; supply: bigint } | null {
    const a = this.account(key);
    if (!a || !TOKEN_PROGRAMS.has(a.owner)) return null;
    // A Token-2022 mint with extensions is longer, with account type 1 after the 165-byte base.
    const isMint =
      a.data.length === MINT_SIZE || (a.data.length > ACCOUNT_SIZE && a.data[ACCOUNT_SIZE] === 1);
    if (!isMint) return null;
    const m = MintLayout.decode(Buffer.from(a.data.subarray(0, MINT_SIZE)));
    return m.isInitialized ? { decimals: m.decimals, supply: m.supply } : null;
  }

  private put(key: string, lamports: bigint, owner: string, data: Uint8Array): void {
    this.svm.setAccount({
      address: address(key),
      lamports: toLamports(lamports),
      programAddress: address(owner),
      data,
      executable: false,
      space: BigInt(data.length),
    });
  }

  /** Packs the USDC mint at its mainnet address, with the faucet as mint authority. */
  private putUsdcMint(supply: bigint): void {
    const data = Buffer.alloc(MINT_SIZE);
    MintLayout.encode(
      {
        mintAuthorityOption: 1,
        mintAuthority: this.faucet.publicKey,
        supply,
        decimals: USDC_DECIMALS,
        isInitialized: true,
        freezeAuthorityOption: 0,
        freezeAuthority: PublicKey.default,
      },
      data,
    );
    const rent = this.svm.minimumBalanceForRentExemption(BigInt(MINT_SIZE));
    this.put(USDC_MINT, rent, TOKEN_PROGRAM_ID.toBase58(), data);
  }

  // ---- the ledger's own transactions ----

  /** Signs instructions with the faucet and lands them; throws if they fail. */
  private run(instructions: TransactionInstruction[]): string {
    const tx = new Transaction({ feePayer: this.faucet.publicKey, ...this.latest() }).add(...instructions);
    tx.sign(this.faucet);
    const out = this.send(tx.serialize());
    if (out.err) throw new Error(`ledger transaction failed: ${describeTxError(out.err)}`);
    return out.signature;
  }

  /** Sends lamports from the faucet (a real, recorded transfer); returns its signature. */
  airdrop(to: string, lamports: bigint): string {
    return this.run([
      SystemProgram.transfer({ fromPubkey: this.faucet.publicKey, toPubkey: new PublicKey(to), lamports }),
    ]);
  }

  /** The owner's associated token account of `mint` (created if missing). */
  ensureAta(owner: string, mint: string): string {
    const ata = getAssociatedTokenAddressSync(new PublicKey(mint), new PublicKey(owner), true).toBase58();
    if (!this.tokenAccount(ata)) {
      this.run([this.createAtaInstruction(owner, ata, mint)]);
    }
    return ata;
  }

  /** Mints raw USDC units to the owner's associated token account (created if missing); returns it. */
  mintUsdc(owner: string, amount: bigint): string {
    const ata = getAssociatedTokenAddressSync(new PublicKey(USDC_MINT), new PublicKey(owner), true);
    const mint = new PublicKey(USDC_MINT);
    this.run([
      this.createAtaInstruction(owner, ata.toBase58(), USDC_MINT),
      createMintToCheckedInstruction(mint, ata, this.faucet.publicKey, amount, USDC_DECIMALS),
    ]);
    return ata.toBase58();
  }

  private createAtaInstruction(owner: string, ata: string, mint: string): TransactionInstruction {
    return createAssociatedTokenAccountIdempotentInstruction(
      this.faucet.publicKey,
      new PublicKey(ata),
      new PublicKey(owner),
      new PublicKey(mint),
    );
  }

  // ---- transactions ----

  get(signature: string): Landed | undefined {
    return this.txs.get(signature);
  }

  get transactionCount(): number {
    return this.txs.size;
  }

  /** Signatures of landed transactions touching `key`, newest first. */
  signaturesFor(key: string): string[] {
    return [...(this.byKey.get(key) ?? [])].reverse();
  }

  /** Calls `listener` with every transaction that lands; returns the unsubscribe function. */
  onLanded(listener: (landed: Landed) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The signature under which a transaction with this message landed, if one did. */
  processed(tx: VersionedTransaction): string | undefined {
    return this.byMessage.get(messageKey(tx));
  }

  /** Checks that need no execution: a duplicate (same message), an unknown or expired blockhash. */
  private precheck(tx: VersionedTransaction, checkBlockhash: boolean): TxError | null {
    if (this.processed(tx) !== undefined) return "AlreadyProcessed";
    if (checkBlockhash && !this.isBlockhashValid(tx.message.recentBlockhash)) return "BlockhashNotFound";
    return null;
  }

  /** All account keys: static ones, then those loaded from lookup tables (writable, then read-only). */
  private resolveKeys(tx: VersionedTransaction): { keys: string[]; loaded: TxRecord["loaded"] } {
    const loaded: TxRecord["loaded"] = { writable: [], readonly: [] };
    for (const lookup of tx.message.addressTableLookups) {
      const table = this.account(lookup.accountKey.toBase58());
      if (!table) throw new Error("AddressLookupTableNotFound");
      const addresses = AddressLookupTableAccount.deserialize(table.data).addresses.map(String);
      const at = (i: number) => {
        const key = addresses[i];
        if (key === undefined) throw new Error("InvalidAddressLookupTableIndex");
        return key;
      };
      loaded.writable.push(...lookup.writableIndexes.map(at));
      loaded.readonly.push(...lookup.readonlyIndexes.map(at));
    }
    const keys = [...tx.message.staticAccountKeys.map(String), ...loaded.writable, ...loaded.readonly];
    return { keys, loaded };
  }

  private balances(keys: string[]): { lamports: bigint[]; tokens: TokenBalance[] } {
    const tokens: TokenBalance[] = [];
    const lamports = keys.map((key, accountIndex) => {
      const t = this.tokenAccount(key);
      if (t) tokens.push({ accountIndex, ...t, amount: String(t.amount) });
      return this.account(key)?.lamports ?? 0n;
    });
    return { lamports, tokens };
  }

  /** Executes a signed transaction; it lands (and is recorded) if it succeeded or paid its fee. */
  send(bytes: Uint8Array): Outcome {
    const tx = decodeTransaction(bytes);
    const signature = bs58.encode(tx.signatures[0] as Uint8Array);
    const rejected = (err: TxError, logs: string[] = []): Outcome => ({
      signature,
      err,
      logs,
      unitsConsumed: 0,
      landed: false,
    });
    const early = this.precheck(tx, true);
    if (early) return rejected(early);
    let resolved: ReturnType<Chain["resolveKeys"]>;
    try {
      resolved = this.resolveKeys(tx);
    } catch (e) {
      return rejected((e as Error).message);
    }
    const { keys, loaded } = resolved;
    const pre = this.balances(keys);
    let result: TransactionMetadata | FailedTransactionMetadata;
    try {
      result = this.svm.sendTransaction(decoder.decode(bytes));
    } catch {
      return rejected("SignatureFailure"); // not fully signed
    }
    const post = this.balances(keys);
    const failed = result instanceof FailedTransactionMetadata;
    const meta = result instanceof FailedTransactionMetadata ? result.meta() : result;
    const err = result instanceof FailedTransactionMetadata ? toTxError(result.err() as never) : null;
    // Lamports are conserved among the transaction's accounts, except the fee.
    const fee = sum(pre.lamports) - sum(post.lamports);
    const logs = meta.logs();
    if (failed && fee <= 0n) return rejected(err ?? "SanitizeFailure", logs);
    const record: TxRecord = {
      signature,
      raw: Buffer.from(bytes).toString("base64"),
      slot: this.height,
      blockTime: Math.floor(this.now() / 1000),
      err,
      fee: String(fee),
      logs,
      computeUnits: Number(meta.computeUnitsConsumed()),
      loaded,
      preBalances: pre.lamports.map(String),
      postBalances: post.lamports.map(String),
      preTokenBalances: pre.tokens,
      postTokenBalances: post.tokens,
      innerInstructions: meta
        .innerInstructions()
        .map((list, index) => ({
          index,
          instructions: list.map((inner) => {
            const ix = inner.instruction();
            return {
              programIdIndex: ix.programIdIndex(),
              accounts: [...ix.accounts()],
              data: bs58.encode(ix.data()),
              stackHeight: inner.stackHeight(),
            };
          }),
        }))
        .filter((group) => group.instructions.length > 0),
    };
    const landed = { record, tx, keys };
    this.remember(landed);
    this.nextBlock();
    for (const listener of this.listeners) listener(landed);
    return { signature, err, logs, unitsConsumed: record.computeUnits, landed: true };
  }

  /** Runs a transaction without committing it (`sigVerify: false` accepts unsigned transactions). */
  simulate(
    bytes: Uint8Array,
    options: { sigVerify?: boolean; replaceBlockhash?: boolean } = {},
  ): Omit<Outcome, "signature" | "landed"> {
    const tx = decodeTransaction(bytes);
    const sigVerify = options.sigVerify ?? true;
    const early = this.precheck(tx, !options.replaceBlockhash);
    if (early) return { err: early, logs: [], unitsConsumed: 0 };
    if (!sigVerify) this.svm.withSigverify(false);
    try {
      const result = this.svm.simulateTransaction(decoder.decode(bytes));
      const meta = result.meta();
      return {
        err: result instanceof FailedTransactionMetadata ? toTxError(result.err() as never) : null,
        logs: meta.logs(),
        unitsConsumed: Number(meta.computeUnitsConsumed()),
      };
    } catch {
      return { err: "SignatureFailure", logs: [], unitsConsumed: 0 };
    } finally {
      if (!sigVerify) this.svm.withSigverify(true);
    }
  }

  private remember(landed: Landed): void {
    this.txs.set(landed.record.signature, landed);
    this.byMessage.set(messageKey(landed.tx), landed.record.signature);
    for (const key of new Set(landed.keys)) {
      const list = this.byKey.get(key);
      if (list) list.push(landed.record.signature);
      else this.byKey.set(key, [landed.record.signature]);
    }
  }
}
