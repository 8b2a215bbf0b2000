/**
 * Solana's RPC PubSub (WebSocket) methods in front of a {@link Chain}: `signatureSubscribe`,
 * `accountSubscribe`, `slotSubscribe` and `logsSubscribe`, each with its unsubscribe, in the shapes
 * `@solana/web3.js` 1.x and `@solana/kit` read. The ledger confirms and finalizes a transaction in the
 * block it lands in, so every commitment level is reached at once and notifications go out then.
 */
import { PublicKey } from "@solana/web3.js";
import type { WebSocket } from "ws";
import type { Chain } from "./chain.js";
import { accountJson, UnsupportedEncoding } from "./encoding.js";
import type { Landed } from "./records.js";

type Config = Record<string, unknown>;

type Subscription =
  | { kind: "signature"; ws: WebSocket; signature: string; received: boolean }
  | { kind: "account"; ws: WebSocket; address: string; config: Config; last: string }
  | { kind: "slot"; ws: WebSocket }
  | { kind: "logs"; ws: WebSocket; mentions: string | undefined };

type Kind = Subscription["kind"];

const NOTIFICATION: Record<Kind, string> = {
  signature: "signatureNotification",
  account: "accountNotification",
  slot: "slotNotification",
  logs: "logsNotification",
};

const UNSUBSCRIBE: Record<string, Kind> = {
  signatureUnsubscribe: "signature",
  accountUnsubscribe: "account",
  slotUnsubscribe: "slot",
  logsUnsubscribe: "logs",
};

type JsonRpcRequest = { jsonrpc?: unknown; id?: unknown; method?: unknown; params?: unknown };

class InvalidParams extends Error {}

const configOf = (value: unknown): Config =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Config) : {};

function addressOf(value: unknown): string {
  try {
    return new PublicKey(value as string).toBase58();
  } catch {
    throw new InvalidParams("Invalid params: invalid address");
  }
}

/** The subscriptions of every connection, on every port, fed by one chain listener. */
export class PubSub {
  private readonly subscriptions = new Map<number, Subscription>();
  private nextId = 1;
  private readonly stop: () => void;

  constructor(private readonly chain: Chain) {
    this.stop = chain.onLanded((landed) => this.landed(landed));
  }

  /** Serves one WebSocket connection. */
  attach(ws: WebSocket): void {
    ws.on("message", (raw) => {
      let request: JsonRpcRequest;
      try {
        request = JSON.parse(String(raw));
      } catch {
        ws.send(
          JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32700, message: "Parse error" } }),
        );
        return;
      }
      if (request?.id === undefined) return; // notifications such as web3.js's `ping`
      const { body, then } = this.answer(ws, request);
      ws.send(JSON.stringify({ jsonrpc: "2.0", id: request.id, ...body }));
      then?.();
    });
    ws.on("close", () => {
      for (const [id, sub] of this.subscriptions) if (sub.ws === ws) this.subscriptions.delete(id);
    });
  }

  close(): void {
    this.stop();
    this.subscriptions.clear();
  }

  /** The answer to one request, and what to do once it is sent (notify a signature that already landed). */
  private answer(ws: WebSocket, request: JsonRpcRequest): { body: object; then?: () => void } {
    const method = typeof request.method === "string" ? request.method : "";
    const params = Array.isArray(request.params) ? request.params : [];
    try {
      const unsubscribing = Object.hasOwn(UNSUBSCRIBE, method) ? UNSUBSCRIBE[method] : undefined;
      if (unsubscribing) {
        const id = Number(params[0]);
        if (this.subscriptions.get(id)?.kind !== unsubscribing)
          return { body: { error: { code: -32602, message: "Invalid subscription id." } } };
        this.subscriptions.delete(id);
        return { body: { result: true } };
      }
      const sub = this.subscriptionOf(ws, method, params);
      if (!sub) return { body: { error: { code: -32601, message: "Method not found" } } };
      const id = this.nextId++;
      this.subscriptions.set(id, sub);
      const then = () => {
        const landed = sub.kind === "signature" ? this.chain.get(sub.signature) : undefined;
        if (landed && sub.kind === "signature" && this.subscriptions.has(id))
          this.notifySignature(id, sub, landed);
      };
      return { body: { result: id }, then };
    } catch (error) {
      if (error instanceof InvalidParams || error instanceof UnsupportedEncoding)
        return { body: { error: { code: -32602, message: error.message } } };
      throw error;
    }
  }

  private subscriptionOf(ws: WebSocket, method: string, params: unknown[]): Subscription | undefined {
    switch (method) {
      case "signatureSubscribe": {
        if (typeof params[0] !== "string") throw new InvalidParams("Invalid params: expected a signature");
        const received = configOf(params[1]).enableReceivedNotification === true;
        return { kind: "signature", ws, signature: params[0], received };
      }
      case "accountSubscribe": {
        const address = addressOf(params[0]);
        const config = configOf(params[1]);
        return { kind: "account", ws, address, config, last: this.accountState(address, config) };
      }
      case "slotSubscribe":
        return { kind: "slot", ws };
      case "logsSubscribe": {
        const filter = params[0];
        if (filter === "all" || filter === "allWithVotes") return { kind: "logs", ws, mentions: undefined };
        const mentions = configOf(filter).mentions;
        if (!Array.isArray(mentions) || mentions.length !== 1)
          throw new InvalidParams('Invalid params: expected "all", "allWithVotes" or {mentions: [address]}');
        return { kind: "logs", ws, mentions: addressOf(mentions[0]) };
      }
      default:
        return undefined;
    }
  }

  private accountState(address: string, config: Config): string {
    return JSON.stringify(accountJson(this.chain.account(address), config.encoding));
  }

  private send(id: number, sub: Subscription, result: unknown): void {
    if (sub.ws.readyState !== sub.ws.OPEN) return;
    sub.ws.send(
      JSON.stringify({
        jsonrpc: "2.0",
        method: NOTIFICATION[sub.kind],
        params: { result, subscription: id },
      }),
    );
  }

  /** A signature subscription is answered once, then ends (as on Solana). */
  private notifySignature(id: number, sub: Subscription & { kind: "signature" }, landed: Landed): void {
    this.subscriptions.delete(id);
    const context = { slot: landed.record.slot };
    if (sub.received) this.send(id, sub, { context, value: "receivedSignature" });
    this.send(id, sub, { context, value: { err: landed.record.err } });
  }

  private landed(landed: Landed): void {
    const { record, keys } = landed;
    const touched = new Set(keys);
    // The block closed with this transaction: the chain is now at the next slot.
    const slot = this.chain.height;
    for (const [id, sub] of [...this.subscriptions]) {
      switch (sub.kind) {
        case "signature":
          if (sub.signature === record.signature) this.notifySignature(id, sub, landed);
          break;
        case "account": {
          if (!touched.has(sub.address)) break;
          const now = this.accountState(sub.address, sub.config);
          if (now === sub.last) break;
          sub.last = now;
          this.send(id, sub, { context: { slot: record.slot }, value: JSON.parse(now) });
          break;
        }
        case "slot":
          this.send(id, sub, { parent: slot - 1, root: slot - 1, slot });
          break;
        case "logs":
          if (sub.mentions === undefined || touched.has(sub.mentions))
            this.send(id, sub, {
              context: { slot: record.slot },
              value: { signature: record.signature, err: record.err, logs: record.logs },
            });
          break;
      }
    }
  }
}
