/**
 * The Solana JSON-RPC (HTTP) and its WebSocket (`signatureSubscribe`) in front of a {@link Chain},
 * in the shapes an unmodified `@solana/web3.js` 1.x `Connection` and `@solana/spl-token` expect.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { PublicKey } from "@solana/web3.js";
import bs58 from "bs58";
import { type WebSocket, WebSocketServer } from "ws";
import { type Chain, decodeTransaction, type Landed, type TokenBalance } from "./chain.js";
import { describeTxError, type TxError } from "./errors.js";

const LAMPORTS_PER_SIGNATURE = 5000;

/** A JSON-RPC error answered to the caller. */
export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

type Params = unknown[];
type Config = Record<string, unknown>;
type Handler = (params: Params) => unknown;

const invalidParams = (what: string) => new RpcError(-32602, `Invalid params: ${what}`);

function addressParam(value: unknown): string {
  try {
    return new PublicKey(value as string).toBase58();
  } catch {
    throw invalidParams("invalid address");
  }
}

function configParam(value: unknown): Config {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Config) : {};
}

/** A decimal string of `amount / 10^decimals`, without trailing zeros. */
export function uiAmountString(amount: bigint, decimals: number): string {
  if (decimals === 0) return amount.toString();
  const digits = amount.toString().padStart(decimals + 1, "0");
  const fraction = digits.slice(-decimals).replace(/0+$/, "");
  return fraction ? `${digits.slice(0, -decimals)}.${fraction}` : digits.slice(0, -decimals);
}

function uiTokenAmount(amount: bigint, decimals: number) {
  const text = uiAmountString(amount, decimals);
  return { amount: amount.toString(), decimals, uiAmount: Number(text), uiAmountString: text };
}

const tokenBalanceJson = (b: TokenBalance) => ({
  accountIndex: b.accountIndex,
  mint: b.mint,
  owner: b.owner,
  programId: b.programId,
  uiTokenAmount: uiTokenAmount(BigInt(b.amount), b.decimals),
});

const statusOf = (err: TxError | null) => (err ? { Err: err } : { Ok: null });

/** Decodes a `sendTransaction`/`simulateTransaction` payload (base58 unless told base64). */
function wireBytes(value: unknown, config: Config): Uint8Array {
  if (typeof value !== "string") throw invalidParams("expected an encoded transaction");
  const bytes = config.encoding === "base64" ? Buffer.from(value, "base64") : bs58.decode(value);
  try {
    decodeTransaction(bytes);
  } catch {
    throw invalidParams("failed to deserialize the transaction");
  }
  return bytes;
}

/** The `getTransaction` result of a landed transaction, in the requested encoding. */
function transactionJson(landed: Landed, config: Config) {
  const { record: r, tx, keys } = landed;
  const m = tx.message;
  const version = m.version;
  const maxVersion = config.maxSupportedTransactionVersion;
  if (version !== "legacy" && (typeof maxVersion !== "number" || version > maxVersion)) {
    throw new RpcError(
      -32015,
      `Transaction version (${version}) is not supported by the requesting client. Please try the request again with the following configuration parameter: "maxSupportedTransactionVersion": ${version}`,
    );
  }
  const parsed = config.encoding === "jsonParsed";
  const instructions = m.compiledInstructions.map((ix) =>
    parsed
      ? {
          programId: keys[ix.programIdIndex],
          accounts: ix.accountKeyIndexes.map((i) => keys[i]),
          data: bs58.encode(ix.data),
          stackHeight: null,
        }
      : {
          programIdIndex: ix.programIdIndex,
          accounts: ix.accountKeyIndexes,
          data: bs58.encode(ix.data),
          stackHeight: null,
        },
  );
  const lookups = m.addressTableLookups.map((l) => ({
    accountKey: l.accountKey.toBase58(),
    writableIndexes: l.writableIndexes,
    readonlyIndexes: l.readonlyIndexes,
  }));
  const message = {
    accountKeys: parsed
      ? keys.map((pubkey, i) => ({
          pubkey,
          signer: m.isAccountSigner(i),
          writable: m.isAccountWritable(i),
          source: i < m.staticAccountKeys.length ? "transaction" : "lookupTable",
        }))
      : m.staticAccountKeys.map(String),
    header: m.header,
    recentBlockhash: m.recentBlockhash,
    instructions,
    ...(version === "legacy" ? {} : { addressTableLookups: lookups }),
  };
  let transaction: unknown = { signatures: tx.signatures.map((s) => bs58.encode(s)), message };
  if (config.encoding === "base64") transaction = [r.raw, "base64"];
  if (config.encoding === "base58") transaction = [bs58.encode(Buffer.from(r.raw, "base64")), "base58"];
  const innerInstructions = r.innerInstructions.map((group) => ({
    index: group.index,
    instructions: group.instructions.map((ix) =>
      parsed
        ? {
            programId: keys[ix.programIdIndex],
            accounts: ix.accounts.map((i) => keys[i]),
            data: ix.data,
            stackHeight: ix.stackHeight,
          }
        : ix,
    ),
  }));
  return {
    slot: r.slot,
    blockTime: r.blockTime,
    ...(maxVersion === undefined ? {} : { version }),
    transaction,
    meta: {
      err: r.err,
      status: statusOf(r.err),
      fee: Number(r.fee),
      preBalances: r.preBalances.map(Number),
      postBalances: r.postBalances.map(Number),
      innerInstructions,
      logMessages: r.logs,
      preTokenBalances: r.preTokenBalances.map(tokenBalanceJson),
      postTokenBalances: r.postTokenBalances.map(tokenBalanceJson),
      rewards: [],
      loadedAddresses: r.loaded,
      computeUnitsConsumed: r.computeUnits,
    },
  };
}

/** The JSON-RPC methods, bound to a chain. */
export function rpcMethods(chain: Chain): Record<string, Handler> {
  const ctx = (value: unknown) => ({ context: { slot: chain.height, apiVersion: "2.2.0" }, value });

  const accountJson = (key: string, config: Config) => {
    const a = chain.account(key);
    if (!a) return null;
    const data =
      config.encoding === "base58"
        ? [bs58.encode(a.data), "base58"]
        : [Buffer.from(a.data).toString("base64"), "base64"];
    return {
      lamports: Number(a.lamports),
      owner: a.owner,
      data,
      executable: a.executable,
      rentEpoch: 0,
      space: a.data.length,
    };
  };

  const preflightError = (err: TxError, logs: string[], unitsConsumed: number) =>
    new RpcError(-32002, `Transaction simulation failed: ${describeTxError(err)}`, {
      err,
      logs,
      accounts: null,
      unitsConsumed,
      returnData: null,
    });

  return {
    getHealth: () => "ok",
    getVersion: () => ({ "solana-core": "2.2.0", "feature-set": 0 }),
    getGenesisHash: () => chain.genesisHash,
    getSlot: () => chain.height,
    getBlockHeight: () => chain.height,
    getTransactionCount: () => chain.transactionCount,
    getEpochInfo: () => ({
      absoluteSlot: chain.height,
      blockHeight: chain.height,
      epoch: 0,
      slotIndex: chain.height,
      slotsInEpoch: 432_000,
      transactionCount: chain.transactionCount,
    }),
    getLatestBlockhash: () => ctx(chain.latest()),
    getRecentBlockhash: () =>
      ctx({
        blockhash: chain.latest().blockhash,
        feeCalculator: { lamportsPerSignature: LAMPORTS_PER_SIGNATURE },
      }),
    isBlockhashValid: ([hash]) => ctx(typeof hash === "string" && chain.isBlockhashValid(hash)),
    getFeeForMessage: ([message]) => {
      if (typeof message !== "string") throw invalidParams("expected a base64 message");
      const bytes = Buffer.from(message, "base64");
      const signatures = (bytes[0] ?? 0) & 0x80 ? bytes[1] : bytes[0]; // v0 messages start with a version byte
      return ctx((signatures ?? 0) * LAMPORTS_PER_SIGNATURE);
    },
    getMinimumBalanceForRentExemption: ([length]) =>
      Number(chain.svm.minimumBalanceForRentExemption(BigInt(Number(length) || 0))),
    getBalance: ([key]) => ctx(Number(chain.account(addressParam(key))?.lamports ?? 0n)),
    getAccountInfo: ([key, config]) => ctx(accountJson(addressParam(key), configParam(config))),
    getMultipleAccounts: ([keys, config]) => {
      if (!Array.isArray(keys)) throw invalidParams("expected an array of addresses");
      return ctx(keys.map((key) => accountJson(addressParam(key), configParam(config))));
    },
    getTokenAccountBalance: ([key]) => {
      const t = chain.tokenAccount(addressParam(key));
      if (!t) throw invalidParams("not a Token account");
      return ctx(uiTokenAmount(t.amount, t.decimals));
    },
    getTokenSupply: ([key]) => {
      const m = chain.mint(addressParam(key));
      if (!m) throw invalidParams("not a Token mint");
      return ctx(uiTokenAmount(m.supply, m.decimals));
    },
    requestAirdrop: ([key, lamports]) => {
      if (typeof lamports !== "number" || !Number.isSafeInteger(lamports) || lamports <= 0) {
        throw invalidParams("lamports must be a positive integer");
      }
      try {
        return chain.airdrop(addressParam(key), BigInt(lamports));
      } catch (e) {
        throw new RpcError(-32603, `airdrop failed: ${(e as Error).message}`);
      }
    },
    sendTransaction: ([encoded, config]) => {
      const cfg = configParam(config);
      const bytes = wireBytes(encoded, cfg);
      const signature = bs58.encode(decodeTransaction(bytes).signatures[0] as Uint8Array);
      if (chain.get(signature) && cfg.skipPreflight === true) return signature; // a resend of landed bytes
      if (cfg.skipPreflight !== true) {
        const sim = chain.simulate(bytes);
        if (sim.err) throw preflightError(sim.err, sim.logs, sim.unitsConsumed);
      }
      const out = chain.send(bytes);
      if (!out.landed && out.err) {
        throw new RpcError(-32002, `Transaction failed: ${describeTxError(out.err)}`, {
          err: out.err,
          logs: out.logs,
          accounts: null,
          unitsConsumed: 0,
          returnData: null,
        });
      }
      return out.signature;
    },
    simulateTransaction: ([encoded, config]) => {
      const cfg = configParam(config);
      const bytes = wireBytes(encoded, cfg);
      const replace = cfg.replaceRecentBlockhash === true;
      const sim = chain.simulate(bytes, { sigVerify: cfg.sigVerify === true, replaceBlockhash: replace });
      return ctx({
        err: sim.err,
        logs: sim.logs,
        accounts: null,
        unitsConsumed: sim.unitsConsumed,
        returnData: null,
        ...(replace ? { replacementBlockhash: chain.latest() } : {}),
      });
    },
    getSignatureStatuses: ([signatures]) => {
      if (!Array.isArray(signatures)) throw invalidParams("expected an array of signatures");
      return ctx(
        signatures.map((signature) => {
          const landed = chain.get(String(signature));
          if (!landed) return null;
          const { slot, err } = landed.record;
          return { slot, confirmations: null, err, status: statusOf(err), confirmationStatus: "finalized" };
        }),
      );
    },
    getSignaturesForAddress: ([key, config]) => {
      const cfg = configParam(config);
      let list = chain.signaturesFor(addressParam(key));
      if (typeof cfg.before === "string") {
        const at = list.indexOf(cfg.before);
        list = at < 0 ? [] : list.slice(at + 1);
      }
      if (typeof cfg.until === "string") {
        const at = list.indexOf(cfg.until);
        if (at >= 0) list = list.slice(0, at);
      }
      const limit = typeof cfg.limit === "number" ? Math.min(Math.max(cfg.limit, 1), 1000) : 1000;
      return list.slice(0, limit).map((signature) => {
        const r = (chain.get(signature) as Landed).record;
        return {
          signature,
          slot: r.slot,
          err: r.err,
          memo: null,
          blockTime: r.blockTime,
          confirmationStatus: "finalized",
        };
      });
    },
    getTransaction: ([signature, config]) => {
      const cfg = typeof config === "string" ? { encoding: config } : configParam(config);
      const landed = chain.get(String(signature));
      return landed ? transactionJson(landed, cfg) : null;
    },
  };
}

type JsonRpcRequest = { jsonrpc?: unknown; id?: unknown; method?: unknown; params?: unknown };

/** Answers one JSON-RPC request object. */
function answer(methods: Record<string, Handler>, request: JsonRpcRequest): unknown {
  const id = request?.id ?? null;
  const fail = (code: number, message: string, data?: unknown) => ({
    jsonrpc: "2.0",
    id,
    error: data === undefined ? { code, message } : { code, message, data },
  });
  if (typeof request !== "object" || request === null || typeof request.method !== "string") {
    return fail(-32600, "Invalid request");
  }
  const handler = Object.hasOwn(methods, request.method) ? methods[request.method] : undefined;
  if (!handler) return fail(-32601, "Method not found");
  try {
    const params = Array.isArray(request.params) ? request.params : [];
    return { jsonrpc: "2.0", id, result: handler(params) };
  } catch (e) {
    if (e instanceof RpcError) return fail(e.code, e.message, e.data);
    return fail(-32603, `Internal error: ${(e as Error).message}`);
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** A running RPC server. */
export interface RpcServer {
  url: string;
  wsUrl: string;
  close(): Promise<void>;
}

/** Serves the chain's JSON-RPC over HTTP and WebSocket on one free port of 127.0.0.1. */
export async function startRpcServer(chain: Chain): Promise<RpcServer> {
  const methods = rpcMethods(chain);

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.method === "GET" && req.url === "/health") {
      res.writeHead(200, { "content-type": "text/plain" }).end("ok");
      return;
    }
    if (req.method !== "POST") {
      reply(405, { jsonrpc: "2.0", id: null, error: { code: -32600, message: "Use POST" } });
      return;
    }
    readBody(req).then(
      (text) => {
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          reply(200, { jsonrpc: "2.0", id: null, error: { code: -32700, message: "Parse error" } });
          return;
        }
        if (Array.isArray(body)) {
          if (body.length === 0)
            reply(200, { jsonrpc: "2.0", id: null, error: { code: -32600, message: "Empty batch" } });
          else
            reply(
              200,
              body.map((request) => answer(methods, request)),
            );
        } else {
          reply(200, answer(methods, body as JsonRpcRequest));
        }
      },
      () => res.destroy(),
    );
  });

  // signatureSubscribe: answer the subscription id, then notify once the signature has landed.
  const wss = new WebSocketServer({ server });
  const subscriptions = new Map<number, { ws: WebSocket; signature: string }>();
  let nextId = 0;
  const notify = (id: number, landed: Landed) => {
    const sub = subscriptions.get(id);
    if (!sub) return;
    subscriptions.delete(id);
    sub.ws.send(
      JSON.stringify({
        jsonrpc: "2.0",
        method: "signatureNotification",
        params: {
          result: { context: { slot: landed.record.slot }, value: { err: landed.record.err } },
          subscription: id,
        },
      }),
    );
  };
  const stopListening = chain.onLanded((landed) => {
    for (const [id, sub] of subscriptions) if (sub.signature === landed.record.signature) notify(id, landed);
  });
  wss.on("connection", (ws) => {
    ws.on("message", (raw) => {
      let request: JsonRpcRequest;
      try {
        request = JSON.parse(String(raw));
      } catch {
        return;
      }
      if (request?.id === undefined) return; // notifications such as web3.js's `ping`
      const respond = (body: object) => ws.send(JSON.stringify({ jsonrpc: "2.0", id: request.id, ...body }));
      const params = Array.isArray(request.params) ? request.params : [];
      if (request.method === "signatureSubscribe" && typeof params[0] === "string") {
        const id = nextId++;
        subscriptions.set(id, { ws, signature: params[0] });
        respond({ result: id });
        const landed = chain.get(params[0]);
        if (landed) notify(id, landed);
      } else if (request.method === "signatureUnsubscribe") {
        subscriptions.delete(Number(params[0]));
        respond({ result: true });
      } else {
        respond({ error: { code: -32601, message: "Method not found" } });
      }
    });
    ws.on("close", () => {
      for (const [id, sub] of subscriptions) if (sub.ws === ws) subscriptions.delete(id);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    close: async () => {
      stopListening();
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
