/**
 * The message's `Chain ID` is checked against the origin's network before the key signs: each
 * spelling (cluster name, genesis hash, CAIP-2) is understood, and a mismatch is refused with
 * `SiwsRefusedError` naming the field while the signer is never called.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  expectedChains,
  isLoopbackOrigin,
  normalizeChain,
  SiwsRefusedError,
  type SiwsSigner,
  signIn,
} from "../src/index.js";
import { countingSigner, rejectionOf, type SiwsServer, startSiwsServer } from "./support.js";

const MAINNET = ["mainnet", "mainnet-beta", "Mainnet-Beta", "5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp"];
const MAINNET_CAIP = ["solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp", "solana:mainnet"];
const DEVNET = ["devnet", "EtWTRABZaYq6iMfeYKouRu166VU2xqa1", "solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1"];
const TESTNET = ["testnet", "4uhcVJyU9pJkvQyS88uRDiswHXSDkY4x", "solana:4uhcVJyU9pJkvQyS88uRDiswHXSDkY4x"];
const UNKNOWN = [
  "1",
  "eip155:1",
  "solana:",
  "solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdX",
  "mainnet ",
  "5eykt4UsFv8P8NJdTREpY1vzqKqZKvd",
];

describe("normalizeChain", () => {
  it.each([...MAINNET, ...MAINNET_CAIP])("%s is mainnet", (id) => expect(normalizeChain(id)).toBe("mainnet"));
  it.each(DEVNET)("%s is devnet", (id) => expect(normalizeChain(id)).toBe("devnet"));
  it.each(TESTNET)("%s is testnet", (id) => expect(normalizeChain(id)).toBe("testnet"));
  it.each(["localnet", "solana:localnet"])("%s is localnet", (id) =>
    expect(normalizeChain(id)).toBe("localnet"),
  );
  it.each(UNKNOWN)("%j names no cluster", (id) => expect(normalizeChain(id)).toBeUndefined());
  it("a full genesis hash is understood by its CAIP-2 reference", () => {
    expect(normalizeChain(`5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp${"K".repeat(12)}`)).toBe("mainnet");
  });
});

describe("expected chains", () => {
  it("mainnet for a remote origin, any known cluster on loopback, the option when given", () => {
    expect(expectedChains("https://us-west-01-firestarter.pipenetwork.com", undefined)).toEqual(["mainnet"]);
    expect(expectedChains("http://pipe.example", undefined)).toEqual(["mainnet"]);
    for (const origin of ["http://127.0.0.1:4010", "http://localhost:3000", "http://[::1]:8899"]) {
      expect(isLoopbackOrigin(origin)).toBe(true);
      expect(expectedChains(origin, undefined)).toEqual(["mainnet", "devnet", "testnet", "localnet"]);
    }
    expect(isLoopbackOrigin("https://127.0.0.1.evil.example")).toBe(false);
    expect(expectedChains("https://pipe.example", "solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1")).toEqual([
      "devnet",
    ]);
    expect(expectedChains("http://127.0.0.1:1", ["mainnet-beta", "devnet"])).toEqual(["mainnet", "devnet"]);
    expect(() => expectedChains("https://pipe.example", "ethereum")).toThrow(TypeError);
  });
});

/** A remote origin served by a fake fetch, so the default (mainnet) applies. */
const REMOTE = "https://us-west-01-firestarter.pipenetwork.com";
function remote(chainId: string | undefined) {
  const calls: string[] = [];
  const fetch = async (input: string, init: RequestInit) => {
    const url = new URL(input);
    calls.push(url.pathname);
    const body = JSON.parse(String(new TextDecoder().decode(init.body as ArrayBuffer)));
    if (url.pathname === "/auth/siws/challenge") {
      const now = Date.now();
      const message = [
        `${url.host} wants you to sign in with your Solana account:`,
        body.wallet_public_key,
        "",
        `URI: ${url.origin}`,
        "Version: 1",
        ...(chainId === undefined ? [] : [`Chain ID: ${chainId}`]),
        "Nonce: 0123456789abcdef0123",
        `Issued At: ${new Date(now).toISOString()}`,
        `Expiration Time: ${new Date(now + 300_000).toISOString()}`,
      ].join("\n");
      return Response.json({ nonce: "0123456789abcdef0123", message });
    }
    return Response.json({
      access_token: "access-token-1",
      refresh_token: "refresh-token-1",
      expires_in: 900,
    });
  };
  return { fetch, calls };
}

async function refused(options: { signer: SiwsSigner } & Partial<Parameters<typeof signIn>[0]>) {
  const error = await rejectionOf(signIn({ origin: REMOTE, signedNonces: new Set(), ...options }));
  expect(error).toBeInstanceOf(SiwsRefusedError);
  expect((error as SiwsRefusedError).field).toBe("chainId");
  return error as SiwsRefusedError;
}

describe("signing in to a mainnet origin", () => {
  it.each([...DEVNET, ...TESTNET, "localnet", ...UNKNOWN])(
    "refuses a message for %j before signing",
    async (chainId) => {
      const { signer, counter } = countingSigner();
      const { fetch, calls } = remote(chainId);
      await refused({ signer, fetch });
      expect(counter.signed).toBe(0);
      expect(calls).toEqual(["/auth/siws/challenge"]);
    },
  );

  it.each([...MAINNET, ...MAINNET_CAIP])("signs a message for %j", async (chainId) => {
    const { signer, counter } = countingSigner();
    const { fetch, calls } = remote(chainId);
    const tokens = await signIn({ signer, origin: REMOTE, fetch, signedNonces: new Set() });
    expect(tokens.accessToken).toBe("access-token-1");
    expect(counter.signed).toBe(1);
    expect(calls).toEqual(["/auth/siws/challenge", "/auth/siws/verify"]);
  });

  it("signs a message for devnet only when the option says devnet (in any spelling)", async () => {
    for (const chain of DEVNET) {
      const { signer, counter } = countingSigner();
      await signIn({ signer, origin: REMOTE, chain, fetch: remote("devnet").fetch, signedNonces: new Set() });
      expect(counter.signed).toBe(1);
      await refused({ signer, chain, fetch: remote("mainnet").fetch });
      expect(counter.signed).toBe(1);
    }
  });

  it("a message with no Chain ID is signed, unless requireChainId", async () => {
    const { signer, counter } = countingSigner();
    await signIn({ signer, origin: REMOTE, fetch: remote(undefined).fetch, signedNonces: new Set() });
    expect(counter.signed).toBe(1);
    const error = await refused({ signer, requireChainId: true, fetch: remote(undefined).fetch });
    expect(error.message).toContain("missing");
    expect(counter.signed).toBe(1);
  });

  it("the unstructured opt-out does not let a structured message with a wrong chain through", async () => {
    const { signer, counter } = countingSigner();
    await refused({ signer, allowUnstructuredMessage: true, fetch: remote("devnet").fetch });
    await refused({ signer, allowUnstructuredMessage: true, fetch: remote("ethereum").fetch });
    expect(counter.signed).toBe(0);
  });
});

describe("signing in to a loopback origin (a sandbox, a local validator)", () => {
  let siws: SiwsServer;
  beforeAll(async () => {
    siws = await startSiwsServer();
  });
  afterAll(() => siws.close());

  it.each(["mainnet", "devnet", "solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1", "localnet"])(
    "accepts %j by default",
    async (chainId) => {
      siws.chainId = chainId;
      const { signer, counter } = countingSigner();
      await signIn({ signer, origin: siws.origin, signedNonces: new Set() });
      expect(counter.signed).toBe(1);
    },
  );

  it("still refuses a chain that is no Solana cluster, and follows the option when given", async () => {
    const { signer, counter } = countingSigner();
    siws.chainId = "eip155:1";
    const unknown = await rejectionOf(signIn({ signer, origin: siws.origin, signedNonces: new Set() }));
    expect(unknown).toMatchObject({ field: "chainId", rule: "network" });
    siws.chainId = "devnet";
    const mismatch = await rejectionOf(
      signIn({ signer, origin: siws.origin, chain: "mainnet", signedNonces: new Set() }),
    );
    expect(mismatch).toMatchObject({ field: "chainId", rule: "network" });
    expect(counter.signed).toBe(0);
    siws.chainId = "mainnet";
  });
});
