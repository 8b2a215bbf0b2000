/**
 * Who is calling a Pipe storage route, decided before the spec's validation: a bearer access JWT
 * (with the session's CSRF token on mutations) or an app key, then the account state (frozen and
 * purge-scheduled accounts may read, and make only the writes that unfreeze them or sign out).
 */
import { jwtVerify } from "jose";
import type { SandboxRequest, SandboxResponse } from "../../framework/types.js";
import spec from "../../generated/specs/pipe-storage.js";
import type { Ctx, User } from "./state.js";

export interface Caller {
  user: User;
  via: "bearer" | "apikey";
  sessionId?: string;
}

const BEARER_ONLY = new Set(["logout", "listSessions", "revokeSession"]);
/** Operations the spec marks `security: []` (sign-in, refresh, the spec itself): everything else needs a caller. */
const PUBLIC = new Set(
  Object.values((spec as { paths: Record<string, Record<string, unknown>> }).paths).flatMap((item) =>
    Object.values(item).flatMap((op) => {
      const { operationId, security } = (op ?? {}) as { operationId?: string; security?: unknown[] };
      return operationId && Array.isArray(security) && security.length === 0 ? [operationId] : [];
    }),
  ),
);
/** The caller the guard found, for the handler of the same request. */
const callers = new WeakMap<SandboxRequest, Caller>();
const MUTATIONS = new Set(["POST", "PATCH", "PUT", "DELETE"]);
/** Writes a frozen account may still make: the ones that unfreeze it, and signing out. */
const ALLOWED_WHEN_FROZEN = new Set([
  "redeemPromoCode",
  "topUpCreditsX402",
  "createCreditIntent",
  "submitCreditPayment",
  "cancelCreditIntent",
  "logout",
  "revokeSession",
]);

async function authenticate(request: SandboxRequest, ctx: Ctx): Promise<Caller | SandboxResponse> {
  const header = request.headers.authorization ?? "";
  const [scheme = "", value = ""] = header.split(/\s+/, 2);
  let caller: Caller | undefined;
  if (scheme.toLowerCase() === "bearer" && value) {
    try {
      const { payload } = await jwtVerify(value, secretKey(ctx), {
        currentDate: new Date(ctx.clock.now()),
        algorithms: ["HS256"],
      });
      const session = ctx.state.sessions[String(payload.sid)];
      const user = session && !session.revoked ? ctx.state.users[session.userId] : undefined;
      if (user) caller = { user, via: "bearer", sessionId: session?.sessionId };
    } catch {
      return ctx.error(401, "token expired or invalid");
    }
    if (!caller) return ctx.error(401, "session revoked");
    if (MUTATIONS.has(request.method)) {
      const session = ctx.state.sessions[caller.sessionId ?? ""];
      if (!session || request.headers["x-csrf-token"] !== session.csrfToken) {
        return ctx.error(403, "csrf token missing or invalid: re-authenticate to get a fresh one");
      }
    }
  } else if (scheme.toLowerCase() === "apikey" && value) {
    const userId = ctx.state.byAppKey[value];
    const user = userId ? ctx.state.users[userId] : undefined;
    if (!user) return ctx.error(401, "invalid app key");
    if (BEARER_ONLY.has(request.operationId))
      return ctx.error(401, "this endpoint needs a bearer session token");
    caller = { user, via: "apikey" };
  } else {
    return ctx.error(401, "missing credentials");
  }
  const state = caller.user.accountState;
  if (state === "purged") return ctx.error(403, "account is purged");
  if (
    (state === "frozen" || state === "purge_scheduled") &&
    MUTATIONS.has(request.method) &&
    !ALLOWED_WHEN_FROZEN.has(request.operationId)
  ) {
    return ctx.error(403, `account is ${state}: reads work, writes are blocked; top up credits to unfreeze`);
  }
  return caller;
}

/** The HMAC key of the access JWTs. */
export function secretKey(ctx: Ctx): Uint8Array {
  return Buffer.from(ctx.state.jwtSecret, "hex");
}

/**
 * Runs before the spec's validation, in the document's order: credentials (401), then CSRF on bearer
 * mutations (403 naming CSRF), then the account state; only then is the request's shape checked.
 */
export async function guard(request: SandboxRequest, ctx: Ctx): Promise<SandboxResponse | undefined> {
  if (PUBLIC.has(request.operationId)) return undefined;
  const caller = await authenticate(request, ctx);
  if ("status" in caller) return caller;
  callers.set(request, caller);
  return undefined;
}

/** Wraps a handler that needs a signed-in caller (the guard found it). */
export function authed(
  handler: (request: SandboxRequest, ctx: Ctx, caller: Caller) => SandboxResponse | Promise<SandboxResponse>,
) {
  return async (request: SandboxRequest, ctx: Ctx) => {
    const caller = callers.get(request) ?? (await authenticate(request, ctx));
    return "status" in caller ? caller : handler(request, ctx, caller);
  };
}
