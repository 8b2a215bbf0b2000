/**
 * A hostile server hands out crafted challenges: the client must refuse each with a typed error
 * naming the field, and must not have signed anything.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fc, test as propTest } from "@fast-check/vitest";
import { NotFoundError } from "@specyard/http";
import nacl from "tweetnacl";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  parseSiwsMessage,
  SiwsProtocolError,
  SiwsRefusedError,
  type SiwsSigner,
  secretKeySigner,
  signIn,
} from "../src/index.js";

let server: Server;
let origin: string;
let nextChallenge: (wallet: string) => { nonce: string; message: string } = () => ({
  nonce: "",
  message: "",
});
const verified: unknown[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", () => {
      const json = JSON.parse(body || "{}");
      res.setHeader("content-type", "application/json");
      if (req.url === "/auth/siws/challenge")
        return res.end(JSON.stringify(nextChallenge(json.wallet_public_key)));
      if (req.url === "/auth/siws/verify") {
        verified.push(json);
        return res.end(
          JSON.stringify({
            access_token: "a.b.c",
            refresh_token: "r",
            token_type: "Bearer",
            expires_in: 900,
            csrf_token: "c",
          }),
        );
      }
      res.statusCode = 404;
      res.end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** A real signer that counts its signatures. */
function countingSigner() {
  const inner = secretKeySigner(nacl.sign.keyPair().secretKey);
  const counter = { signed: 0 };
  const signer: SiwsSigner = {
    publicKey: inner.publicKey,
    signMessage: (message) => {
      counter.signed++;
      return inner.signMessage(message);
    },
  };
  return { signer, counter, address: inner.publicKey as string };
}

const NOW = Date.parse("2026-11-23T12:00:00Z");
function message(fields: Partial<Record<string, string>> & { address: string }) {
  const f = {
    domain: new URL(origin).host,
    uri: origin,
    nonce: "a1b2c3d4e5f6a7b8",
    issuedAt: new Date(NOW).toISOString(),
    expirationTime: new Date(NOW + 300_000).toISOString(),
    ...fields,
  };
  return [
    `${f.domain} wants you to sign in with your Solana account:`,
    f.address,
    "",
    "Sign in to Pipe Storage.",
    "",
    `URI: ${f.uri}`,
    "Version: 1",
    "Chain ID: mainnet",
    `Nonce: ${f.nonce}`,
    `Issued At: ${f.issuedAt}`,
    `Expiration Time: ${f.expirationTime}`,
  ].join("\n");
}

describe("signIn against a hostile server", () => {
  it("signs a message that matches everything", async () => {
    const { signer, counter, address } = countingSigner();
    nextChallenge = () => ({ nonce: "a1b2c3d4e5f6a7b8", message: message({ address }) });
    const tokens = await signIn({ signer, origin, now: () => NOW, signedNonces: new Set() });
    expect(tokens.accessToken).toBe("a.b.c");
    expect(counter.signed).toBe(1);
  });

  const other = "9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin";
  it.each([
    [
      "domain",
      (a: string) => ({
        nonce: "a1b2c3d4e5f6a7b8",
        message: message({ address: a, domain: "evil.example" }),
      }),
    ],
    [
      "uri",
      (a: string) => ({
        nonce: "a1b2c3d4e5f6a7b8",
        message: message({ address: a, uri: "https://evil.example/login" }),
      }),
    ],
    ["address", () => ({ nonce: "a1b2c3d4e5f6a7b8", message: message({ address: other }) })],
    ["nonce", (a: string) => ({ nonce: "different-nonce-1", message: message({ address: a }) })],
    ["nonce", (a: string) => ({ nonce: "abc", message: message({ address: a, nonce: "abc" }) })],
    [
      "expirationTime",
      (a: string) => ({
        nonce: "a1b2c3d4e5f6a7b8",
        message: message({
          address: a,
          issuedAt: new Date(NOW - 3_600_000).toISOString(),
          expirationTime: new Date(NOW - 600_000).toISOString(),
        }),
      }),
    ],
    [
      "issuedAt",
      (a: string) => ({
        nonce: "a1b2c3d4e5f6a7b8",
        message: message({ address: a, issuedAt: new Date(NOW + 3_600_000).toISOString() }),
      }),
    ],
    [
      "expirationTime",
      (a: string) => ({
        nonce: "a1b2c3d4e5f6a7b8",
        message: message({ address: a, expirationTime: new Date(NOW + 30 * 86_400_000).toISOString() }),
      }),
    ],
    ["message", () => ({ nonce: "a1b2c3d4e5f6a7b8", message: "Please sign this transaction: 0xdeadbeef" })],
  ])("refuses a challenge with a bad %s, and signs nothing", async (field, make) => {
    const { signer, counter, address } = countingSigner();
    const before = verified.length;
    nextChallenge = () => make(address);
    const error = await signIn({ signer, origin, now: () => NOW, signedNonces: new Set() }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SiwsRefusedError);
    expect((error as SiwsRefusedError).field).toBe(field);
    expect(counter.signed).toBe(0);
    expect(verified.length).toBe(before);
  });

  it("signs an unstructured message only with the documented opt-out, and only if it names nonce, address and host", async () => {
    const { signer, counter, address } = countingSigner();
    const host = new URL(origin).host;
    nextChallenge = () => ({
      nonce: "a1b2c3d4e5f6a7b8",
      message: `Login to ${host} as ${address} with a1b2c3d4e5f6a7b8`,
    });
    await expect(signIn({ signer, origin, now: () => NOW, signedNonces: new Set() })).rejects.toBeInstanceOf(
      SiwsRefusedError,
    );
    expect(counter.signed).toBe(0);
    await signIn({ signer, origin, now: () => NOW, allowUnstructuredMessage: true, signedNonces: new Set() });
    expect(counter.signed).toBe(1);
    nextChallenge = () => ({
      nonce: "a1b2c3d4e5f6a7b8",
      message: `Login to evil.example as ${address} with a1b2c3d4e5f6a7b8`,
    });
    await expect(
      signIn({ signer, origin, now: () => NOW, allowUnstructuredMessage: true, signedNonces: new Set() }),
    ).rejects.toMatchObject({ field: "domain" });
    expect(counter.signed).toBe(1);
  });

  it("refuses a challenge whose nonce it already signed (a replay), without signing", async () => {
    const { signer, counter, address } = countingSigner();
    const signedNonces = new Set<string>();
    nextChallenge = () => ({
      nonce: "c0ffee00c0ffee00",
      message: message({ address, nonce: "c0ffee00c0ffee00" }),
    });
    await signIn({ signer, origin, now: () => NOW, signedNonces });
    const error = await signIn({ signer, origin, now: () => NOW, signedNonces }).catch((e: unknown) => e);
    expect(error).toMatchObject({ field: "nonce", rule: "reuse" });
    expect(counter.signed).toBe(1);
  });

  it("turns a missing endpoint into the ApiError for its status", async () => {
    const { signer } = countingSigner();
    const error = await signIn({ signer, origin, endpoints: { challenge: "/nope" } }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).not.toBeInstanceOf(SiwsProtocolError);
    expect((error as NotFoundError).status).toBe(404);
  });
});

describe("the secret key", () => {
  it("is not reachable from the signer object", () => {
    const pair = nacl.sign.keyPair();
    const signer = secretKeySigner(pair.secretKey);
    const dump = JSON.stringify(signer) + JSON.stringify(Object.values(signer));
    const hex = Buffer.from(pair.secretKey).toString("hex");
    expect(dump).not.toContain(hex);
    expect(dump).not.toContain(Buffer.from(pair.secretKey).toString("base64"));
    expect(Object.keys(signer).sort()).toEqual(["publicKey", "signMessage", "toJSON"]);
  });
});

describe("parseSiwsMessage", () => {
  propTest.prop([fc.string(), fc.string({ maxLength: 80 })])(
    "never accepts junk around or inside a message",
    (junk, line) => {
      fc.pre(!line.includes("\n") && line.length > 0);
      const good = message({ address: "9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin" });
      expect(parseSiwsMessage(good).nonce).toBe("a1b2c3d4e5f6a7b8");
      const injected = `${good}\n${line}`;
      const accepted = (() => {
        try {
          parseSiwsMessage(injected);
          return true;
        } catch (error) {
          expect(error).toBeInstanceOf(SiwsRefusedError);
          return false;
        }
      })();
      // An extra line is accepted only if it is one of the known fields not yet present.
      if (accepted) expect(line).toMatch(/^(Not Before|Request ID): /);
      // Anything before the header line makes it no sign-in message at all.
      if (junk.length > 0 && !junk.includes("\n"))
        expect(() => parseSiwsMessage(`${junk}\n${good}`)).toThrow(SiwsRefusedError);
    },
  );
});
