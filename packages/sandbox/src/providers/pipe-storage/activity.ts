/**
 * Pipe storage downloads and activity: a download is charged per started MiB from the credits
 * (402 when they do not cover it), and every upload, delete and download lands in the activity log.
 */
import type { Handler } from "../../framework/types.js";
import { authed } from "./guard.js";
import { parts } from "./live.js";
import { iso, type PipeState, usdc } from "./state.js";

const MiB = 1024 * 1024;

export const activityHandlers: Record<string, Handler<PipeState>> = {
  listActivity: authed((request, _ctx, { user }) => {
    const limit = Number(request.query.limit ?? 50);
    return {
      status: 200,
      body: user.activity.slice(0, limit).map((entry) => ({
        status: entry.status,
        operation_type: entry.operationType,
        bytes_transferred: entry.bytes,
        started_at: iso(entry.startedAt),
      })),
    };
  }),

  downloadStream: authed(async (request, ctx, { user }) => {
    const name = String(request.query.file_name);
    const bytes = await parts(ctx).s3.getObject(user.bucket.name, name);
    const startedAt = ctx.clock.now();
    if (!bytes) {
      user.activity.unshift({ status: "failed", operationType: "download", bytes: 0, startedAt, name });
      return ctx.error(404, "no such file");
    }
    const cost = BigInt(Math.max(1, Math.ceil(bytes.length / MiB))) * ctx.state.egressPerMiBRaw;
    if (user.balanceRaw < cost) {
      user.activity.unshift({ status: "failed", operationType: "download", bytes: 0, startedAt, name });
      return {
        status: 402,
        body: {
          error: "insufficient credits",
          message: "not enough credits for this download",
          required_usdc: usdc(cost),
          credits_balance_usdc: usdc(user.balanceRaw),
        },
      };
    }
    user.balanceRaw -= cost;
    user.spentRaw += cost;
    user.activity.unshift({
      status: "completed",
      operationType: "download",
      bytes: bytes.length,
      startedAt,
      name,
    });
    ctx.save();
    return { status: 200, raw: bytes, contentType: "application/octet-stream" };
  }),
};
