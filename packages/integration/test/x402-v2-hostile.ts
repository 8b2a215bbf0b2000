/**
 * Hostile variations of the reference resource server, as layers in front of its payment
 * middleware: a rewritten PAYMENT-REQUIRED, a paid answer that never arrives after settling, a 402
 * sent again after settling. And a payer that counts what it signs.
 */
import type { Keypair, PublicKey, Transaction } from "@solana/web3.js";
import type { TransactionSigner } from "@specyard/x402";
import type { Layer } from "./x402-v2-world.js";

type Doc = {
  resource: { url: string };
  accepts: { payTo: string; extra: Record<string, unknown> }[];
} & Record<string, unknown>;

const decode = (value: string): Doc => JSON.parse(Buffer.from(value, "base64").toString("utf8")) as Doc;
const encode = (doc: Doc) => Buffer.from(JSON.stringify(doc)).toString("base64");

/** Rewrites the PAYMENT-REQUIRED header of the route's 402s. */
export function rewriteChallenge(mutate: (doc: Doc) => void): Layer {
  return (_req, res, next) => {
    const set = res.setHeader.bind(res);
    res.setHeader = ((name: string, value: string | number | readonly string[]) => {
      if (name.toLowerCase() !== "payment-required") return set(name, value);
      const doc = decode(String(value));
      mutate(doc);
      return set(name, encode(doc));
    }) as typeof res.setHeader;
    next();
  };
}

/** Settles the first paid request, then never answers it. */
export function settleThenStall(): Layer & { stalled: number } {
  const layer = ((req, res, next) => {
    if (req.headers["payment-signature"] && layer.stalled === 0) {
      layer.stalled++;
      // The payment middleware replays the buffered answer through these after it settled.
      res.writeHead = (() => res) as never;
      res.write = (() => true) as never;
      res.end = (() => res) as never;
      res.flushHeaders = () => undefined;
    }
    next();
  }) as Layer & { stalled: number };
  layer.stalled = 0;
  return layer;
}

/** Settles every paid request and answers it with the route's 402 all the same. */
export function settleThen402(): Layer {
  let challenge = "";
  return (req, res, next) => {
    if (!req.headers["payment-signature"]) {
      const set = res.setHeader.bind(res);
      res.setHeader = ((name: string, value: string | number | readonly string[]) => {
        if (name.toLowerCase() === "payment-required") challenge = String(value);
        return set(name, value);
      }) as typeof res.setHeader;
      next();
      return;
    }
    const { writeHead, write, end } = res;
    res.writeHead = (() => res) as never;
    res.write = (() => true) as never;
    res.flushHeaders = () => undefined;
    res.end = (() => {
      // The answer the middleware replays is dropped; a 402 goes out instead.
      Object.assign(res, { writeHead, write, end });
      res.statusCode = 402;
      for (const name of res.getHeaderNames()) res.removeHeader(name);
      res.setHeader("PAYMENT-REQUIRED", challenge);
      res.setHeader("content-type", "application/json");
      return res.end("{}");
    }) as never;
    next();
  };
}

/** A real signer that counts what it signs. */
export function countingSigner(wallet: Keypair): TransactionSigner & { signed: number } {
  const signer = {
    publicKey: wallet.publicKey as PublicKey,
    signed: 0,
    signTransaction(transaction: Transaction) {
      signer.signed++;
      transaction.partialSign(wallet);
      return transaction;
    },
  };
  return signer;
}
