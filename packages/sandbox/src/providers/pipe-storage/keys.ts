/**
 * Pipe storage S3 access: the scoped S3 keys (enforced by the live S3-compatible gateway), the
 * endpoint, and the user's bucket settings (public read, CORS origins).
 */
import { randomBytes } from "node:crypto";
import type { Handler } from "../../framework/types.js";
import { authed } from "./guard.js";
import { parts } from "./live.js";
import { iso, type PipeState, type User } from "./state.js";

function bucketView(user: User) {
  return {
    bucket_name: user.bucket.name,
    public_read: user.bucket.publicRead,
    cors_allowed_origins: user.bucket.corsAllowedOrigins,
  };
}

export const keyHandlers: Record<string, Handler<PipeState>> = {
  createS3Key: authed((request, ctx, { user }) => {
    const body = (request.body ?? {}) as { key_name?: string; name_prefix?: string };
    const prefix = body.name_prefix ?? "";
    if (prefix.split("/").some((segment) => segment === "." || segment === "..") || prefix.startsWith("/")) {
      return ctx.error(400, "name_prefix must not start with / or contain . or .. segments");
    }
    const key = {
      keyName: body.key_name ?? null,
      accessKeyId: `PIPE${randomBytes(8).toString("hex").toUpperCase()}`,
      secretAccessKey: randomBytes(30).toString("base64url"),
      namePrefix: prefix,
      createdAt: ctx.clock.now(),
    };
    user.s3Keys[key.accessKeyId] = key;
    const { s3 } = parts(ctx);
    s3.addKey({
      accessKeyId: key.accessKeyId,
      secretAccessKey: key.secretAccessKey,
      bucket: user.bucket.name,
      prefix,
    });
    return {
      status: 200,
      body: {
        access_key_id: key.accessKeyId,
        secret_access_key: key.secretAccessKey,
        endpoint: s3.endpoint,
        region: s3.region,
        bucket_name: user.bucket.name,
        name_prefix: prefix,
      },
    };
  }),

  listS3Keys: authed((_request, _ctx, { user }) => ({
    status: 200,
    body: {
      keys: Object.values(user.s3Keys).map((key) => ({
        key_name: key.keyName,
        access_key_id: key.accessKeyId,
        bucket_name: user.bucket.name,
        name_prefix: key.namePrefix,
        created_at: iso(key.createdAt),
      })),
    },
  })),

  deleteS3Key: authed((request, ctx, { user }) => {
    const id = String(request.params.access_key_id);
    if (!user.s3Keys[id]) return ctx.error(404, "no such key");
    delete user.s3Keys[id];
    parts(ctx).s3.removeKey(id);
    return { status: 204 };
  }),

  getS3Info: authed((_request, ctx) => ({
    status: 200,
    body: { endpoint: parts(ctx).s3.endpoint, region: parts(ctx).s3.region },
  })),

  getBucket: authed((_request, _ctx, { user }) => ({ status: 200, body: bucketView(user) })),

  updateBucket: authed((request, ctx, { user }) => {
    const body = request.body as { public_read?: boolean; cors_allowed_origins?: string[] };
    if (body.public_read !== undefined) {
      user.bucket.publicRead = body.public_read;
      parts(ctx).s3.setPublicRead(user.bucket.name, body.public_read);
    }
    if (body.cors_allowed_origins !== undefined)
      user.bucket.corsAllowedOrigins = [...body.cors_allowed_origins];
    return { status: 200, body: bucketView(user) };
  }),
};
