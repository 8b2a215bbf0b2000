/**
 * The Solana JSON-RPC (HTTP) and its PubSub WebSocket in front of a {@link Chain}, in the shapes an
 * unmodified `@solana/web3.js` 1.x `Connection`, `@solana/spl-token` and `@solana/kit` expect. The
 * WebSocket answers on the RPC's own port and on port + 1, where web3.js 1.x looks for it when the RPC
 * URL has a port (the solana-test-validator layout).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { PublicKey } from "@solana/web3.js";
import bs58 from "bs58";
import { type WebSocket, WebSocketServer } from "ws";
import { type Chain, decodeTransaction } from "./chain.js";
import { accountJson, tokenBalanceJson, UnsupportedEncoding, uiTokenAmount } from "./encoding.js";
import { describeTxError, type TxError } from "./errors.js";
import { PubSub } from "./pubsub.js";
import type { Landed } from "./records.js";

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

  const accountAt = (key: string, config: Config) => {
    const account = chain.account(key);
    if (!account) return null;
    try {
      return accountJson(account, config.encoding);
    } catch (e) {
      if (e instanceof UnsupportedEncoding) throw invalidParams(e.message);
      throw e;
    }
  };

  const preflightError = (err: TxError, logs: string[], unitsConsumed: number) =>
    new RpcError(-32002, `Transaction simulation failed: ${describeTxError(err)}`, {
      err,
      logs,
      accounts: null,
      unitsConsumed,
      returnData: null,
    });

  const methods: Record<string, Handler> = {
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
    getAccountInfo: ([key, config]) => ctx(accountAt(addressParam(key), configParam(config))),
    getMultipleAccounts: ([keys, config]) => {
      if (!Array.isArray(keys)) throw invalidParams("expected an array of addresses");
      return ctx(keys.map((key) => accountAt(addressParam(key), configParam(config))));
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
      const tx = decodeTransaction(bytes);
      const signature = bs58.encode(tx.signatures[0] as Uint8Array);
      // A message that landed already is dropped; unchecked, the RPC only hands back the signature.
      if (chain.processed(tx) !== undefined && cfg.skipPreflight === true) return signature;
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
  // Every call first lets the slots pass that passed on the sandbox clock.
  return Object.fromEntries(
    Object.entries(methods).map(([name, handler]) => [
      name,
      (params: Params) => tick(chain, handler, params),
    ]),
  );
}

function tick(chain: Chain, handler: Handler, params: Params): unknown {
  chain.tick();
  return handler(params);
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
  /** The WebSocket on the RPC's own port. */
  wsUrl: string;
  /** The same WebSocket on port + 1: what web3.js 1.x derives from `url` without a `wsEndpoint`. */
  wsUrlNextPort: string;
  close(): Promise<void>;
}

export interface RpcServerOptions {
  /** The HTTP port; the WebSocket also takes port + 1. Default 0: a free pair. */
  port?: number;
  host?: string;
}

/** How often a free pair of ports is looked for before giving up (port + 1 may be taken). */
const PORT_PAIR_ATTEMPTS = 20;

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const fail = (error: Error) => reject(error);
    server.once("error", fail);
    server.listen(port, host, () => {
      server.off("error", fail);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

const closeServer = (server: Server) =>
  new Promise<void>((resolve) => {
    if (!server.listening) return resolve();
    server.closeAllConnections();
    server.close(() => resolve());
  });

/** Binds `main` on `port` (0: any) and `next` on the port after it; with a free choice, retries on a collision. */
async function listenPair(main: Server, next: Server, port: number, host: string): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const chosen = await listen(main, port, host);
    try {
      if (chosen >= 65535) throw Object.assign(new Error("no port after 65535"), { code: "EADDRINUSE" });
      await listen(next, chosen + 1, host);
      return chosen;
    } catch (error) {
      await closeServer(main);
      const inUse = (error as NodeJS.ErrnoException).code === "EADDRINUSE";
      if (port !== 0 || !inUse || attempt >= PORT_PAIR_ATTEMPTS) throw error;
    }
  }
}

/** Closes a WebSocket with 1000 (so clients do not reconnect), dropping it if it does not answer. */
function closeSocket(ws: WebSocket): Promise<void> {
  return new Promise((resolve) => {
    if (ws.readyState === ws.CLOSED) return resolve();
    const timer = setTimeout(() => ws.terminate(), 1000);
    timer.unref();
    ws.once("close", () => {
      clearTimeout(timer);
      resolve();
    });
    ws.close(1000, "ledger stopped");
  });
}

/** Serves the chain's JSON-RPC over HTTP, and its PubSub over WebSocket on the same port and port + 1. */
export async function startRpcServer(chain: Chain, options: RpcServerOptions = {}): Promise<RpcServer> {
  const methods = rpcMethods(chain);
  const host = options.host ?? "127.0.0.1";

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
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
  };

  const pubsub = new PubSub(chain);
  const wss = new WebSocketServer({ noServer: true });
  wss.on("connection", (ws: WebSocket) => pubsub.attach(ws));
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) =>
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws, req));

  // Both ports serve the same HTTP JSON-RPC and WebSocket.
  const main = createServer(onRequest);
  const next = createServer(onRequest);
  for (const server of [main, next]) server.on("upgrade", onUpgrade);
  const port = await listenPair(main, next, options.port ?? 0, host);
  const shown = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}`,
    wsUrl: `ws://${shown}:${port}`,
    wsUrlNextPort: `ws://${shown}:${port + 1}`,
    close: async () => {
      pubsub.close();
      await Promise.all([...wss.clients].map(closeSocket));
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await Promise.all([closeServer(main), closeServer(next)]);
    },
  };
}
