/** End to end against the Pipe storage sandbox over HTTP, with the sandbox's clock. */
import { Keypair } from "@solana/web3.js";
import { createPipeStorageClient, unwrap } from "@specyard/pipe-storage";
import { type Sandbox, startSandbox } from "@specyard/sandbox";
import { SiwsSession, secretKeySigner } from "@specyard/siws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox("pipe-storage");
});
afterAll(() => sandbox?.close());

describe("SiwsSession against the Pipe sandbox", () => {
  it("signs in, sends the bearer and CSRF on mutations, and refreshes ahead of expiry on the sandbox clock", async () => {
    const session = new SiwsSession({
      signer: secretKeySigner(Keypair.generate().secretKey),
      origin: sandbox.url,
      now: () => sandbox.admin.clock.now(),
    });
    const pipe = createPipeStorageClient({ baseUrl: sandbox.url, ...session.clientOptions() });
    const me = await unwrap(pipe.GET("/user/me"));
    expect(me.account_state).toBe("active");
    // A mutation with a bearer token needs the CSRF header, which the session supplies.
    const key = await unwrap(pipe.POST("/api/s3/keys", { body: {} }));
    expect(key.access_key_id).toBeTruthy();
    expect(session.counts).toEqual({ signIns: 1, refreshes: 0 });

    sandbox.admin.clock.advance(880_000); // 20 s before the 900 s token expires
    await unwrap(pipe.GET("/user/me"));
    expect(session.counts).toEqual({ signIns: 1, refreshes: 1 });
    await unwrap(pipe.POST("/api/s3/keys", { body: {} })); // the refreshed CSRF token works too

    sandbox.admin.clock.advance(3_600_000); // long past expiry: still one refresh, no new sign-in
    await unwrap(pipe.GET("/user/me"));
    expect(session.counts).toEqual({ signIns: 1, refreshes: 2 });
  });

  it("signs in again when the refresh token is refused (its session was revoked)", async () => {
    const session = new SiwsSession({
      signer: secretKeySigner(Keypair.generate().secretKey),
      origin: sandbox.url,
      now: () => sandbox.admin.clock.now(),
    });
    const pipe = createPipeStorageClient({ baseUrl: sandbox.url, ...session.clientOptions() });
    await unwrap(pipe.POST("/auth/logout"));
    // The server now refuses the access token; the 401 triggers one refresh, which is refused too,
    // so the session signs in from scratch and the call succeeds.
    const me = await unwrap(pipe.GET("/user/me"));
    expect(me.user_id).toBeTruthy();
    expect(session.counts.signIns).toBe(2);
  });
});
