/**
 * SolanaLedger through an unmodified web3.js Connection: airdrops, transfers, SPL tokens, lookup
 * tables, blockhash expiry, payment verification, simulation and snapshots.
 */
import {
  createAssociatedTokenAccountInstruction,
  createInitializeMint2Instruction,
  createMintToCheckedInstruction,
  getAccount,
  getAssociatedTokenAddressSync,
  getMint,
  MINT_SIZE,
  TOKEN_PROGRAM_ID,
} from "@solana/spl-token";
import {
  AddressLookupTableProgram,
  Connection,
  Keypair,
  LAMPORTS_PER_SOL,
  PublicKey,
  SystemProgram,
  type TokenBalance,
  TransactionExpiredBlockheightExceededError,
  TransactionMessage,
  VersionedTransaction,
} from "@solana/web3.js";
import bs58 from "bs58";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type LedgerSnapshot, SolanaLedger, USDC_MINT } from "../../src/solana/index.js";
import {
  connection,
  ledger,
  NOW,
  newPayer,
  payment,
  pollStatus,
  signed,
  treasury,
  USDC,
  useLedger,
} from "./helpers.js";

useLedger();

const query = (signature: string, reference: PublicKey, minAmount: bigint) => ({
  signature,
  reference: reference.toBase58(),
  mint: USDC_MINT,
  destination: treasury.usdcAccount,
  minAmount,
});

describe("SolanaLedger through an unmodified web3.js Connection", () => {
  it("funds a payer with SOL and USDC; the USDC mint has 6 decimals at its mainnet address", async () => {
    const payer = await newPayer(0n);
    expect(await connection.getBalance(payer.publicKey)).toBe(LAMPORTS_PER_SOL);

    const mint = await getMint(connection, USDC);
    expect(mint.decimals).toBe(6);
    expect(mint.address.toBase58()).toBe("EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v");
    expect(ledger.usdcMint).toBe(USDC_MINT);

    const ata = ledger.mintUsdc(payer.publicKey.toBase58(), 7_000_000n);
    expect(ata).toBe(getAssociatedTokenAddressSync(USDC, payer.publicKey).toBase58());
    const account = await getAccount(connection, new PublicKey(ata));
    expect(account.amount).toBe(7_000_000n);
    expect(account.mint.toBase58()).toBe(USDC_MINT);
    expect(ledger.usdcBalance(payer.publicKey.toBase58())).toBe(7_000_000n);
    expect((await connection.getTokenAccountBalance(new PublicKey(ata))).value.uiAmountString).toBe("7");
    expect(ledger.usdcBalance(Keypair.generate().publicKey.toBase58())).toBe(0n);
    expect((await getMint(connection, USDC)).supply).toBeGreaterThanOrEqual(7_000_000n);
  });

  it("lands a referenced TransferChecked once, confirmed over WebSocket and by polling", async () => {
    const payer = await newPayer(10_000_000n);
    const treasuryBefore = ledger.usdcBalance(treasury.owner);
    const { bytes, blockhash, lastValidBlockHeight, reference } = await payment({
      payer,
      amount: 2_500_000n,
    });

    const signature = await connection.sendRawTransaction(bytes);
    const confirmed = await connection.confirmTransaction({ signature, blockhash, lastValidBlockHeight });
    expect(confirmed.value.err).toBeNull();
    const status = await pollStatus(connection, signature);
    expect(status.err).toBeNull();
    expect(status.confirmationStatus).toBe("finalized");

    expect(ledger.usdcBalance(treasury.owner)).toBe(treasuryBefore + 2_500_000n);
    expect(ledger.usdcBalance(payer.publicKey.toBase58())).toBe(7_500_000n);
    expect(ledger.verifyPayment(query(signature, reference as PublicKey, 2_500_000n))).toEqual({
      ok: true,
      amount: 2_500_000n,
      payer: payer.publicKey.toBase58(),
    });

    // Found by its reference, through the RPC and the API.
    const found = await connection.getSignaturesForAddress(reference as PublicKey);
    expect(found.map((s) => s.signature)).toEqual([signature]);
    expect(found[0]?.blockTime).toBe(Math.floor(NOW / 1000));
    expect(ledger.signaturesFor((reference as PublicKey).toBase58())).toEqual([signature]);
    expect(ledger.signaturesFor(payer.publicKey.toBase58())[0]).toBe(signature);

    // getTransaction carries the token balances before and after.
    const tx = await connection.getTransaction(signature, {
      maxSupportedTransactionVersion: 0,
      commitment: "confirmed",
    });
    expect(tx?.meta?.err).toBeNull();
    expect(tx?.blockTime).toBe(Math.floor(NOW / 1000));
    expect(tx?.meta?.fee).toBe(5000);
    const keys = tx?.transaction.message.staticAccountKeys.map(String) ?? [];
    const balanceOf = (list: TokenBalance[] | null | undefined, account: string) =>
      list?.find((b) => keys[b.accountIndex] === account)?.uiTokenAmount.amount;
    expect(balanceOf(tx?.meta?.preTokenBalances, treasury.usdcAccount)).toBe(String(treasuryBefore));
    expect(balanceOf(tx?.meta?.postTokenBalances, treasury.usdcAccount)).toBe(
      String(treasuryBefore + 2_500_000n),
    );
    const payerAta = getAssociatedTokenAddressSync(USDC, payer.publicKey).toBase58();
    expect(balanceOf(tx?.meta?.preTokenBalances, payerAta)).toBe("10000000");
    expect(balanceOf(tx?.meta?.postTokenBalances, payerAta)).toBe("7500000");
    expect(tx?.meta?.preBalances[0]).toBe((tx?.meta?.postBalances[0] ?? 0) + 5000);

    // The same bytes again: the original signature with skipPreflight, "already processed" without.
    expect(await connection.sendRawTransaction(bytes, { skipPreflight: true })).toBe(signature);
    await expect(connection.sendRawTransaction(bytes)).rejects.toThrow(/already been processed/);
    expect(ledger.usdcBalance(treasury.owner)).toBe(treasuryBefore + 2_500_000n);
    expect(ledger.usdcBalance(payer.publicKey.toBase58())).toBe(7_500_000n);
    expect(await connection.getSignaturesForAddress(reference as PublicKey)).toHaveLength(1);
  });

  it("refuses payments that do not qualify, each with its reason", async () => {
    const payer = await newPayer(5_000_000n);
    const send = async (bytes: Buffer, skipPreflight = false) => {
      const signature = await connection.sendRawTransaction(bytes, { skipPreflight });
      await pollStatus(connection, signature);
      return signature;
    };

    // A second mint, 6 decimals, with the treasury owner holding an account of it.
    const other = Keypair.generate();
    const rent = await connection.getMinimumBalanceForRentExemption(MINT_SIZE);
    const payerOtherAta = getAssociatedTokenAddressSync(other.publicKey, payer.publicKey);
    const treasuryOtherAta = getAssociatedTokenAddressSync(other.publicKey, new PublicKey(treasury.owner));
    const setup = await signed(
      payer,
      [
        SystemProgram.createAccount({
          fromPubkey: payer.publicKey,
          newAccountPubkey: other.publicKey,
          lamports: rent,
          space: MINT_SIZE,
          programId: TOKEN_PROGRAM_ID,
        }),
        createInitializeMint2Instruction(other.publicKey, 6, payer.publicKey, null),
        createAssociatedTokenAccountInstruction(
          payer.publicKey,
          payerOtherAta,
          payer.publicKey,
          other.publicKey,
        ),
        createAssociatedTokenAccountInstruction(
          payer.publicKey,
          treasuryOtherAta,
          new PublicKey(treasury.owner),
          other.publicKey,
        ),
        createMintToCheckedInstruction(other.publicKey, payerOtherAta, payer.publicKey, 9_000_000n, 6),
      ],
      [other],
    );
    expect((await pollStatus(connection, await connection.sendRawTransaction(setup.bytes))).err).toBeNull();
    expect((await getMint(connection, other.publicKey)).decimals).toBe(6);

    const wrongMint = await payment({
      payer,
      amount: 1_000_000n,
      mint: other.publicKey,
      destination: treasuryOtherAta.toBase58(),
    });
    expect(
      ledger.verifyPayment(query(await send(wrongMint.bytes), wrongMint.reference as PublicKey, 1n)),
    ).toEqual({
      ok: false,
      reason: "wrong_mint",
    });

    const stranger = Keypair.generate().publicKey.toBase58();
    const strangerAta = ledger.mintUsdc(stranger, 0n);
    const wrongDestination = await payment({ payer, amount: 1_000_000n, destination: strangerAta });
    const wrongDestinationSig = await send(wrongDestination.bytes);
    expect(
      ledger.verifyPayment(query(wrongDestinationSig, wrongDestination.reference as PublicKey, 1n)),
    ).toEqual({
      ok: false,
      reason: "wrong_destination",
    });
    expect(ledger.usdcBalance(stranger)).toBe(1_000_000n);

    const unreferenced = await payment({ payer, amount: 1_000_000n, reference: null });
    const unreferencedSig = await send(unreferenced.bytes);
    expect(ledger.verifyPayment(query(unreferencedSig, Keypair.generate().publicKey, 1n))).toEqual({
      ok: false,
      reason: "no_reference",
    });

    const small = await payment({ payer, amount: 1_000n });
    const smallSig = await send(small.bytes);
    const smallRef = small.reference as PublicKey;
    expect(ledger.verifyPayment(query(smallSig, smallRef, 1_001n))).toEqual({
      ok: false,
      reason: "too_small",
    });
    expect(ledger.verifyPayment(query(smallSig, smallRef, 1_000n))).toMatchObject({
      ok: true,
      amount: 1_000n,
    });

    const unknown = bs58.encode(Keypair.generate().secretKey);
    expect(ledger.verifyPayment(query(unknown, smallRef, 1n))).toEqual({ ok: false, reason: "not_found" });

    const solOnlyRef = Keypair.generate().publicKey;
    const solTransfer = SystemProgram.transfer({
      fromPubkey: payer.publicKey,
      toPubkey: new PublicKey(treasury.owner),
      lamports: 1_000_000,
    });
    solTransfer.keys.push({ pubkey: solOnlyRef, isSigner: false, isWritable: false });
    const solSig = await send((await signed(payer, [solTransfer])).bytes);
    expect(ledger.verifyPayment(query(solSig, solOnlyRef, 1n))).toEqual({ ok: false, reason: "no_transfer" });

    // More than the payer holds (2_999_000 left): refused by preflight; with skipPreflight it lands failed.
    const tooMuch = await payment({ payer, amount: 4_000_000n });
    await expect(connection.sendRawTransaction(tooMuch.bytes)).rejects.toThrow(/simulation failed/);
    expect(await connection.getSignatureStatuses([bs58.encode(tooMuch.bytes.subarray(1, 65))])).toMatchObject(
      {
        value: [null],
      },
    );
    const failedSig = await connection.sendRawTransaction(tooMuch.bytes, { skipPreflight: true });
    const failedStatus = await pollStatus(connection, failedSig);
    expect(failedStatus.err).toEqual({ InstructionError: [0, { Custom: 1 }] });
    await expect(
      connection.confirmTransaction({
        signature: failedSig,
        blockhash: tooMuch.blockhash,
        lastValidBlockHeight: tooMuch.lastValidBlockHeight,
      }),
    ).resolves.toMatchObject({ value: { err: { InstructionError: [0, { Custom: 1 }] } } });
    expect(ledger.verifyPayment(query(failedSig, tooMuch.reference as PublicKey, 1n))).toEqual({
      ok: false,
      reason: "failed",
    });
    expect(ledger.usdcBalance(payer.publicKey.toBase58())).toBe(2_999_000n);
    const failedTx = await connection.getTransaction(failedSig, { maxSupportedTransactionVersion: 0 });
    expect(failedTx?.meta?.err).toEqual({ InstructionError: [0, { Custom: 1 }] });
    expect(failedTx?.meta?.logMessages?.join("\n")).toMatch(/insufficient funds/i);
  });

  it("answers JSON-RPC errors and batches", async () => {
    const post = async (body: unknown) =>
      (await fetch(ledger.rpcUrl, { method: "POST", body: JSON.stringify(body) })).json() as Promise<unknown>;
    expect(await post({ jsonrpc: "2.0", id: 1, method: "getBlockProduction" })).toMatchObject({
      id: 1,
      error: { code: -32601 },
    });
    expect(
      await post([
        { jsonrpc: "2.0", id: 1, method: "getSlot" },
        { jsonrpc: "2.0", id: 2, method: "getBalance", params: ["not an address"] },
      ]),
    ).toMatchObject([
      { id: 1, result: expect.any(Number) },
      { id: 2, error: { code: -32602 } },
    ]);
    expect(await post({ jsonrpc: "2.0", id: 3, method: "getTransaction", params: ["1111"] })).toMatchObject({
      id: 3,
      result: null,
    });
  });

  it("moves block height only per landed transaction and expires blockhashes after 150 blocks", async () => {
    const payer = await newPayer(1_000_000n);
    const stale = await payment({ payer, amount: 1n });
    const height = await connection.getBlockHeight();
    await connection.getLatestBlockhash();
    expect(await connection.getBlockHeight()).toBe(height);
    expect(stale.lastValidBlockHeight).toBe(height + 150);
    for (let i = 0; i < 150; i++) ledger.airdrop(Keypair.generate().publicKey.toBase58(), 1_000_000n);
    expect(await connection.getBlockHeight()).toBe(height + 150);
    expect((await connection.isBlockhashValid(stale.blockhash)).value).toBe(true);
    ledger.airdrop(Keypair.generate().publicKey.toBase58(), 1_000_000n);
    expect((await connection.isBlockhashValid(stale.blockhash)).value).toBe(false);
    await expect(connection.sendRawTransaction(stale.bytes)).rejects.toThrow(/Blockhash not found/);
    await expect(connection.sendRawTransaction(stale.bytes, { skipPreflight: true })).rejects.toThrow(
      /Blockhash not found/,
    );
    const neverLanded = bs58.encode(stale.bytes.subarray(1, 65));
    await expect(connection.confirmTransaction({ signature: neverLanded, ...stale })).rejects.toBeInstanceOf(
      TransactionExpiredBlockheightExceededError,
    );
    expect(ledger.usdcBalance(payer.publicKey.toBase58())).toBe(1_000_000n);
  });

  it("serves v0 transactions with address lookup tables", async () => {
    const payer = await newPayer(0n);
    const friend = Keypair.generate().publicKey;
    const [create, table] = AddressLookupTableProgram.createLookupTable({
      authority: payer.publicKey,
      payer: payer.publicKey,
      recentSlot: await connection.getSlot(),
    });
    const extend = AddressLookupTableProgram.extendLookupTable({
      lookupTable: table,
      authority: payer.publicKey,
      payer: payer.publicKey,
      addresses: [friend],
    });
    const setup = await connection.sendRawTransaction((await signed(payer, [create, extend])).bytes);
    expect((await pollStatus(connection, setup)).err).toBeNull();
    const lookup = (await connection.getAddressLookupTable(table)).value;
    expect(lookup?.state.addresses.map(String)).toEqual([friend.toBase58()]);

    const { blockhash } = await connection.getLatestBlockhash();
    const message = new TransactionMessage({
      payerKey: payer.publicKey,
      recentBlockhash: blockhash,
      instructions: [
        SystemProgram.transfer({ fromPubkey: payer.publicKey, toPubkey: friend, lamports: 2_000_000 }),
      ],
    }).compileToV0Message(lookup ? [lookup] : []);
    const tx = new VersionedTransaction(message);
    tx.sign([payer]);
    const signature = await connection.sendTransaction(tx);
    expect((await pollStatus(connection, signature)).err).toBeNull();
    expect(await connection.getBalance(friend)).toBe(2_000_000);
    expect(ledger.signaturesFor(friend.toBase58())).toEqual([signature]);

    await expect(connection.getTransaction(signature)).rejects.toThrow(/maxSupportedTransactionVersion/);
    const got = await connection.getTransaction(signature, { maxSupportedTransactionVersion: 0 });
    expect(got?.version).toBe(0);
    expect(got?.meta?.loadedAddresses).toEqual({ writable: [friend], readonly: [] });
    expect(got?.meta?.postBalances[2]).toBe(2_000_000);
    const parsed = await connection.getParsedTransaction(signature, { maxSupportedTransactionVersion: 0 });
    expect(
      parsed?.transaction.message.accountKeys.map((k) => [k.pubkey.toBase58(), k.source]),
    ).toContainEqual([friend.toBase58(), "lookupTable"]);
  });

  it("keeps balances and payments across snapshot → restore", async () => {
    const payer = await newPayer(3_000_000n);
    const paid = await payment({ payer, amount: 1_250_000n });
    const signature = await connection.sendRawTransaction(paid.bytes);
    expect((await pollStatus(connection, signature)).err).toBeNull();

    const snapshot = JSON.parse(JSON.stringify(ledger.snapshot())) as LedgerSnapshot;
    expect(JSON.stringify(snapshot)).not.toContain(bs58.encode(payer.secretKey));
    const restored = await SolanaLedger.restore(snapshot, { now: () => NOW });
    try {
      const conn = new Connection(restored.rpcUrl, { wsEndpoint: restored.wsUrl, commitment: "confirmed" });
      expect(restored.treasury()).toEqual(treasury);
      expect(restored.usdcBalance(treasury.owner)).toBe(ledger.usdcBalance(treasury.owner));
      expect(restored.usdcBalance(payer.publicKey.toBase58())).toBe(1_750_000n);
      expect(await conn.getBalance(payer.publicKey)).toBe(await connection.getBalance(payer.publicKey));
      expect(restored.verifyPayment(query(signature, paid.reference as PublicKey, 1_250_000n))).toMatchObject(
        {
          ok: true,
          amount: 1_250_000n,
        },
      );
      expect(restored.signaturesFor((paid.reference as PublicKey).toBase58())).toEqual([signature]);
      expect((await conn.getTransaction(signature, { maxSupportedTransactionVersion: 0 }))?.slot).toBe(
        (await connection.getTransaction(signature, { maxSupportedTransactionVersion: 0 }))?.slot,
      );
      // The restored ledger keeps working: minting, paying, duplicates.
      expect(await conn.sendRawTransaction(paid.bytes, { skipPreflight: true })).toBe(signature);
      restored.mintUsdc(payer.publicKey.toBase58(), 250_000n);
      const again = await payment({ payer, amount: 2_000_000n, conn });
      const againSig = await conn.sendRawTransaction(again.bytes);
      expect((await pollStatus(conn, againSig)).err).toBeNull();
      expect(restored.usdcBalance(payer.publicKey.toBase58())).toBe(0n);
      expect(restored.verifyPayment(query(againSig, again.reference as PublicKey, 2_000_000n)).ok).toBe(true);
    } finally {
      await restored.close();
    }
  });

  it("raises the treasury balance by exactly the sum of successful transfers", async () => {
    const funds = [3_000_000n, 1_000_000n, 500_000n];
    const payers = await Promise.all(funds.map((usdc) => newPayer(usdc)));
    const held = [...funds];
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ who: fc.integer({ min: 0, max: 2 }), amount: fc.bigInt(1n, 1_500_000n) }), {
          minLength: 1,
          maxLength: 5,
        }),
        async (transfers) => {
          const before = ledger.usdcBalance(treasury.owner);
          let expected = 0n;
          for (const { who, amount } of transfers) {
            const payer = payers[who] as Keypair;
            const paid = await payment({ payer, amount });
            const signature = await connection.sendRawTransaction(paid.bytes, { skipPreflight: true });
            const status = await pollStatus(connection, signature);
            const ok = amount <= (held[who] as bigint);
            expect(status.err === null).toBe(ok);
            expect(ledger.verifyPayment(query(signature, paid.reference as PublicKey, amount)).ok).toBe(ok);
            if (ok) {
              held[who] = (held[who] as bigint) - amount;
              expected += amount;
            }
          }
          expect(ledger.usdcBalance(treasury.owner) - before).toBe(expected);
          payers.forEach((p, i) => {
            expect(ledger.usdcBalance(p.publicKey.toBase58())).toBe(held[i]);
          });
        },
      ),
      { numRuns: 20 },
    );
  });
});
