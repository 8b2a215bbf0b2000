/**
 * The bounded, typed, chain-checking sign-in against the real Pipe sandbox over HTTP: the defaults
 * sign in (the sandbox's message names mainnet on a loopback origin), a chain option that does not
 * match refuses before the key signs, and a session inside a client with a deadline keeps working
 * through refreshes, with refresh tokens kept or rotated.
 */
import { Keypair } from "@solana/web3.js";
import { AuthenticationError } from "@specyard/http";
import { createPipeStorageClient, unwrap } from "@specyard/pipe-storage";
import { type Sandbox, startSandbox } from "@specyard/sandbox";
import {
  SiwsRefusedError,
  SiwsSession,
  type SiwsSigner,
  type SiwsTokens,
  secretKeySigner,
  signIn,
} from "@specyard/siws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox("pipe-storage");
});
afterAll(() => sandbox?.close());

function countingSigner() {
  const inner = secretKeySigner(Keypair.generate().secretKey);
  const counter = { signed: 0 };
  const signer: SiwsSigner = {
    publicKey: inner.publicKey,
    signMessage: (message) => {
      counter.signed++;
      return inner.signMessage(message);
    },
  };
  return { signer, counter };
}

describe("signIn against the Pipe sandbox", () => {
  it("signs in with the defaults, and with the chain named in each spelling", async () => {
    for (const chain of [undefined, "mainnet", "mainnet-beta", "solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp"]) {
      const { signer, counter } = countingSigner();
      const tokens = await signIn({
        signer,
        origin: sandbox.url,
        deadlineMs: 10_000,
        ...(chain ? { chain } : {}),
      });
      expect(tokens.accessToken.split(".")).toHaveLength(3);
      expect(counter.signed).toBe(1);
      const me = await unwrap(
        createPipeStorageClient({ baseUrl: sandbox.url, accessToken: tokens.accessToken }).GET("/user/me"),
      );
      expect(me.account_state).toBe("active");
    }
  });

  it("refuses the sandbox's mainnet message when told to expect devnet, before signing", async () => {
    const { signer, counter } = countingSigner();
    const error = await signIn({ signer, origin: sandbox.url, chain: "devnet" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SiwsRefusedError);
    expect(error).toMatchObject({ field: "chainId", rule: "network" });
    expect(counter.signed).toBe(0);
  });

  it("a refused verify is the typed AuthenticationError, without the signature in it", async () => {
    const { signer } = countingSigner();
    // A signer whose signature the sandbox cannot verify (it signs other bytes).
    const liar: SiwsSigner = {
      publicKey: signer.publicKey,
      signMessage: (message) => signer.signMessage(new Uint8Array([...message, 0])),
    };
    const error = await signIn({ signer: liar, origin: sandbox.url }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as AuthenticationError).status).toBe(401);
  });
});

describe.each([false, true])(
  "a SiwsSession in a client with a deadline (rotateRefreshTokens: %s)",
  (rotate) => {
    it("signs in once and refreshes through the getter, each token pair working", async () => {
      await sandbox.admin.act("configure", { rotateRefreshTokens: rotate });
      try {
        const seen: SiwsTokens[] = [];
        const session = new SiwsSession({
          signer: secretKeySigner(Keypair.generate().secretKey),
          origin: sandbox.url,
          now: () => sandbox.admin.clock.now(),
          deadlineMs: 10_000,
          onTokens: (tokens) => void seen.push(tokens),
        });
        const pipe = createPipeStorageClient({
          baseUrl: sandbox.url,
          deadlineMs: 10_000,
          ...session.clientOptions(),
        });
        expect((await unwrap(pipe.GET("/user/me"))).account_state).toBe("active");
        for (let round = 0; round < 3; round++) {
          sandbox.admin.clock.advance(890_000); // inside the 30 s before the 900 s token expires
          expect((await unwrap(pipe.GET("/user/me"))).account_state).toBe("active");
          await unwrap(pipe.POST("/api/s3/keys", { body: {} })); // the refreshed CSRF token works
        }
        expect(session.counts).toEqual({ signIns: 1, refreshes: 3 });
        const refreshTokens = new Set(seen.map((t) => t.refreshToken));
        // Kept: one refresh token throughout. Rotated: a new one each time, and never reused (a
        // reuse would have revoked the session and forced a second sign-in).
        expect(refreshTokens.size).toBe(rotate ? 4 : 1);
        expect(new Set(seen.map((t) => t.accessToken)).size).toBe(4);
      } finally {
        await sandbox.admin.act("configure", { rotateRefreshTokens: false });
      }
    });
  },
);
