/** The Pipe storage sandbox's SIWS sign-in: challenges, refresh (and its rotation), CSRF and app keys. */
import { Keypair } from "@solana/web3.js";
import { AuthenticationError, PermissionDeniedError, unwrap } from "@specyard/pipe-storage";
import nacl from "tweetnacl";
import { describe, expect, it } from "vitest";
import { createPipeStorageClient } from "../clients.js";
import { sandbox, signIn, useSandbox } from "./helpers.js";

useSandbox();

describe("Pipe storage sandbox: sign-in", () => {
  it("signs in with a real keypair, makes the account on first verify, and binds the message to its origin", async () => {
    const wallet = Keypair.generate();
    const { challenge, tokens } = await signIn(sandbox.url, wallet);
    const host = new URL(sandbox.url).host;
    expect(challenge.message).toContain(
      `${host} wants you to sign in with your Solana account:\n${wallet.publicKey.toBase58()}`,
    );
    expect(challenge.message).toContain(`URI: ${sandbox.url}`);
    expect(challenge.message).toContain(`Nonce: ${challenge.nonce}`);
    expect(challenge.message).toMatch(/Issued At: .+\nExpiration Time: .+/);
    expect(tokens.token_type).toBe("Bearer");
    const payload = JSON.parse(Buffer.from(tokens.access_token.split(".")[1] ?? "", "base64url").toString());
    expect(payload.exp - payload.iat).toBe(tokens.expires_in);

    const pipe = createPipeStorageClient({ baseUrl: sandbox.url, accessToken: tokens.access_token });
    const me = await unwrap(pipe.GET("/user/me"));
    expect(me).toMatchObject({ wallet_public_key: wallet.publicKey.toBase58(), account_state: "active" });
  });

  it("refuses a reused nonce, a wrong signature, and another wallet's challenge", async () => {
    const wallet = Keypair.generate();
    const anonymous = createPipeStorageClient({ baseUrl: sandbox.url, maxRetries: 0 });
    const { challenge, tokens } = await signIn(sandbox.url, wallet);
    expect(tokens.access_token).toBeTruthy();
    // A valid signature over the same message: only the spent nonce stops it.
    const validSignature = Buffer.from(
      nacl.sign.detached(new TextEncoder().encode(challenge.message), wallet.secretKey),
    ).toString("base64");
    const replay = await anonymous.POST("/auth/siws/verify", {
      body: {
        wallet_public_key: wallet.publicKey.toBase58(),
        nonce: challenge.nonce,
        message: challenge.message,
        signature_b64: validSignature,
      },
    });
    expect(replay.response.status).toBe(401);

    const fresh = await unwrap(
      anonymous.POST("/auth/siws/challenge", { body: { wallet_public_key: wallet.publicKey.toBase58() } }),
    );
    const other = Keypair.generate();
    const forged = await anonymous.POST("/auth/siws/verify", {
      body: {
        wallet_public_key: other.publicKey.toBase58(),
        nonce: fresh.nonce,
        message: fresh.message,
        signature_b64: Buffer.from(new Uint8Array(64)).toString("base64"),
      },
    });
    expect(forged.response.status).toBe(401);
  });

  it("keeps the refresh token valid for its lifetime by default, as the document's clients use it", async () => {
    const { tokens } = await signIn(sandbox.url, Keypair.generate());
    const anonymous = createPipeStorageClient({ baseUrl: sandbox.url, maxRetries: 0 });
    const refresh = () => anonymous.POST("/auth/refresh", { body: { refresh_token: tokens.refresh_token } });
    const first = await unwrap(refresh());
    expect(first.refresh_token).toBeUndefined();
    const second = await unwrap(refresh());
    expect(second.csrf_token).not.toBe(first.csrf_token);
    const renewed = createPipeStorageClient({
      baseUrl: sandbox.url,
      accessToken: second.access_token,
      csrfToken: first.csrf_token,
      maxRetries: 0,
    });
    // Each refresh issues a new CSRF token; the one before it is stale.
    const stale = await renewed.POST("/api/s3/keys", { body: {} });
    expect(stale.response.status).toBe(403);
    // It ends with its session (logout), or when its lifetime is over.
    const current = createPipeStorageClient({
      baseUrl: sandbox.url,
      accessToken: second.access_token,
      csrfToken: second.csrf_token,
    });
    expect((await current.POST("/auth/logout")).response.status).toBe(204);
    expect((await refresh()).response.status).toBe(401);
    const other = await signIn(sandbox.url, Keypair.generate());
    sandbox.admin.clock.advance(31 * 24 * 3600_000);
    const expired = await anonymous.POST("/auth/refresh", {
      body: { refresh_token: other.tokens.refresh_token },
    });
    expect(expired.response.status).toBe(401);
  });

  it("rotates refresh tokens when configured to, and revokes a session on refresh reuse", async () => {
    expect(await sandbox.admin.act("configure")).toEqual({ rotateRefreshTokens: false });
    await expect(sandbox.admin.act("configure", { rotateRefreshTokens: "yes" })).rejects.toThrow(/boolean/);
    await expect(sandbox.admin.act("configure", { rotate: true })).rejects.toThrow(/unknown setting/);
    expect(await sandbox.admin.act("configure", { rotateRefreshTokens: true })).toEqual({
      rotateRefreshTokens: true,
    });
    try {
      await rotationAndReuse();
    } finally {
      await sandbox.admin.act("configure", { rotateRefreshTokens: false });
    }
  });

  async function rotationAndReuse() {
    const { tokens } = await signIn(sandbox.url, Keypair.generate());
    const pipe = createPipeStorageClient({
      baseUrl: sandbox.url,
      accessToken: tokens.access_token,
      maxRetries: 0,
    });
    expect((await pipe.GET("/user/me")).response.status).toBe(200);
    sandbox.admin.clock.advance((tokens.expires_in + 1) * 1000);
    await expect(unwrap(pipe.GET("/user/me"))).rejects.toBeInstanceOf(AuthenticationError);

    const anonymous = createPipeStorageClient({ baseUrl: sandbox.url, maxRetries: 0 });
    const refreshed = await unwrap(
      anonymous.POST("/auth/refresh", { body: { refresh_token: tokens.refresh_token } }),
    );
    expect(refreshed.refresh_token).toBeDefined();
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    const renewed = createPipeStorageClient({ baseUrl: sandbox.url, accessToken: refreshed.access_token });
    expect((await renewed.GET("/user/me")).response.status).toBe(200);

    // The old refresh token again: a stolen copy. The session ends.
    const reuse = await anonymous.POST("/auth/refresh", { body: { refresh_token: tokens.refresh_token } });
    expect(reuse.response.status).toBe(401);
    expect((await renewed.GET("/user/me")).response.status).toBe(401);
  }

  it("needs X-CSRF-Token on bearer mutations but not with the app key; a rotated app key stops working", async () => {
    const { tokens } = await signIn(sandbox.url, Keypair.generate());
    const noCsrf = createPipeStorageClient({
      baseUrl: sandbox.url,
      accessToken: tokens.access_token,
      maxRetries: 0,
      requireCredentials: false, // send it anyway: the server's answer is under test
    });
    const refused = await unwrap(noCsrf.POST("/api/s3/keys", { body: {} })).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(PermissionDeniedError);
    expect((refused as PermissionDeniedError).message.toLowerCase()).toContain("csrf");
    const wrongCsrf = createPipeStorageClient({
      baseUrl: sandbox.url,
      accessToken: tokens.access_token,
      csrfToken: "nope",
      maxRetries: 0,
    });
    expect((await wrongCsrf.POST("/api/s3/keys", { body: {} })).response.status).toBe(403);
    const withCsrf = createPipeStorageClient({
      baseUrl: sandbox.url,
      accessToken: tokens.access_token,
      csrfToken: tokens.csrf_token,
    });
    expect((await withCsrf.POST("/api/s3/keys", { body: {} })).response.status).toBe(200);

    const me = await unwrap(withCsrf.GET("/user/me"));
    const byKey = createPipeStorageClient({ baseUrl: sandbox.url, appKey: me.user_app_key, maxRetries: 0 });
    expect((await byKey.POST("/api/s3/keys", { body: {} })).response.status).toBe(200);
    const rotated = await unwrap(byKey.POST("/rotateAppKey", { body: {} }));
    expect(rotated.new_user_app_key).not.toBe(me.user_app_key);
    expect((await byKey.GET("/user/me")).response.status).toBe(401);
    const renewed = createPipeStorageClient({ baseUrl: sandbox.url, appKey: rotated.new_user_app_key });
    expect((await renewed.GET("/user/me")).response.status).toBe(200);
  });
});
