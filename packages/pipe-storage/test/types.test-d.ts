import { describe, expectTypeOf, it } from "vitest";
import {
  type AccountState,
  type Bucket,
  type CreditIntent,
  type CreditIntentStatus,
  createPipeStorageClient,
  type PipeStorageErrorBody,
  type S3KeyCreated,
  type UserProfile,
  unwrap,
  type X402PaymentRequired,
} from "../src/index.js";

const client = createPipeStorageClient({ appKey: "key" });

describe("pipe-storage types", () => {
  it("types good calls", async () => {
    const me = await client.GET("/user/me");
    expectTypeOf(me.data).toEqualTypeOf<UserProfile | undefined>();
    expectTypeOf(await unwrap(client.GET("/user/me"))).toEqualTypeOf<UserProfile>();
    expectTypeOf<UserProfile["account_state"]>().toEqualTypeOf<AccountState>();
    expectTypeOf<AccountState>().toEqualTypeOf<"active" | "frozen" | "purge_scheduled" | "purged">();

    const intent = await unwrap(
      client.GET("/api/credits/intent/{intent_id}", { params: { path: { intent_id: "i-1" } } }),
    );
    expectTypeOf(intent).toEqualTypeOf<CreditIntent>();
    expectTypeOf(intent.status).toEqualTypeOf<CreditIntentStatus>();
    expectTypeOf(intent.requested_usdc_raw).toEqualTypeOf<number>();

    const key = await unwrap(client.POST("/api/s3/keys", { body: {} }));
    expectTypeOf(key).toEqualTypeOf<S3KeyCreated>();
    expectTypeOf(
      await unwrap(client.PATCH("/api/s3/bucket", { body: { public_read: true } })),
    ).toEqualTypeOf<Bucket>();
  });

  it("types error bodies", async () => {
    const { error } = await client.GET("/user/me");
    expectTypeOf(error).toEqualTypeOf<PipeStorageErrorBody | undefined>();
    const x402 = await client.POST("/api/credits/x402", { body: { amount_usdc_raw: 10_000_000 } });
    expectTypeOf<X402PaymentRequired>().toMatchTypeOf<NonNullable<typeof x402.error>>();
  });

  it("rejects a wrong body", () => {
    // @ts-expect-error amount_usdc_raw is an integer, not a string
    client.POST("/api/credits/intent", { body: { amount_usdc_raw: "10" } });
    // @ts-expect-error wallet_public_key is required
    client.POST("/auth/siws/challenge", { body: {} });
    // @ts-expect-error public_read is a boolean
    client.PATCH("/api/s3/bucket", { body: { public_read: "yes" } });
  });

  it("rejects a missing path parameter", () => {
    // @ts-expect-error intent_id is missing
    client.GET("/api/credits/intent/{intent_id}", { params: { path: {} } });
    // @ts-expect-error the path parameters are missing altogether
    client.DELETE("/api/s3/keys/{access_key_id}");
  });

  it("rejects reading a field the response does not have", async () => {
    const me = await unwrap(client.GET("/user/me"));
    // @ts-expect-error the profile has user_app_key, not api_key
    me.api_key;
    const status = await unwrap(client.GET("/api/credits/status"));
    // @ts-expect-error the balance field is balance_usdc_raw
    status.balance_raw;
  });

  it("rejects mixing the app key with a bearer session", () => {
    // @ts-expect-error either appKey or accessToken
    createPipeStorageClient({ appKey: "key", accessToken: "token" });
    // @ts-expect-error a CSRF token belongs to a bearer session
    createPipeStorageClient({ appKey: "key", csrfToken: "csrf" });
    createPipeStorageClient({ accessToken: () => "token", csrfToken: async () => "csrf" });
  });
});
