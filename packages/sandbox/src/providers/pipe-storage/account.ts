/**
 * Pipe storage accounts: the user a first sign-in creates (with its app key and bucket), the
 * current user, app key rotation, and the account states the admin surface sets.
 */
import { randomUUID } from "node:crypto";
import type { Handler } from "../../framework/types.js";
import { authed } from "./guard.js";
import { parts } from "./live.js";
import { type Ctx, type PipeState, token, type User } from "./state.js";

export async function createUser(ctx: Ctx, wallet: string): Promise<User> {
  const userId = randomUUID();
  const user: User = {
    userId,
    wallet,
    appKey: `pipe_${token(24)}`,
    accountState: "active",
    createdAt: ctx.clock.now(),
    balanceRaw: 0n,
    depositedRaw: 0n,
    spentRaw: 0n,
    lastTopupAt: null,
    bucket: { name: `pipe-${userId.slice(0, 8)}`, publicRead: false, corsAllowedOrigins: [] },
    s3Keys: {},
    activity: [],
    redeemed: [],
  };
  ctx.state.users[userId] = user;
  ctx.state.byWallet[wallet] = userId;
  ctx.state.byAppKey[user.appKey] = userId;
  await parts(ctx).s3.createBucket(user.bucket.name);
  return user;
}

export const accountHandlers: Record<string, Handler<PipeState>> = {
  getCurrentUser: authed((_request, _ctx, { user }) => ({
    status: 200,
    body: {
      user_id: user.userId,
      wallet_public_key: user.wallet,
      wallet: user.wallet,
      account_state: user.accountState,
      user_app_key: user.appKey,
    },
  })),

  rotateAppKey: authed((_request, ctx, { user }) => {
    delete ctx.state.byAppKey[user.appKey];
    user.appKey = `pipe_${token(24)}`;
    ctx.state.byAppKey[user.appKey] = user.userId;
    return { status: 200, body: { user_id: user.userId, new_user_app_key: user.appKey } };
  }),
};

/** The user an admin action names by `userId` or `wallet`. */
function userOf(ctx: Ctx, input: Record<string, unknown>): User {
  const id = typeof input.userId === "string" ? input.userId : ctx.state.byWallet[String(input.wallet)];
  const user = id ? ctx.state.users[id] : undefined;
  if (!user) throw new Error("no such user: pass userId or wallet");
  return user;
}

/** The `setAccountState` admin action: a non-active account's bucket is read-only. */
export function setAccountState(ctx: Ctx, input: Record<string, unknown>) {
  const user = userOf(ctx, input);
  const state = String(input.state);
  if (!["active", "frozen", "purge_scheduled", "purged"].includes(state))
    throw new Error(`unknown account state ${state}`);
  user.accountState = state as User["accountState"];
  parts(ctx).s3.setReadOnly(user.bucket.name, user.accountState !== "active");
  return { userId: user.userId, account_state: user.accountState };
}

/** The `user` admin action: who a user is, their balance and account state. */
export function userSummary(ctx: Ctx, input: Record<string, unknown>) {
  const user = userOf(ctx, input);
  return {
    userId: user.userId,
    wallet: user.wallet,
    balanceRaw: user.balanceRaw.toString(),
    accountState: user.accountState,
  };
}
