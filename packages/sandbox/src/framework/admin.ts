/**
 * The admin surface of a running sandbox (`/__sandbox/…`): what `SandboxAdmin` offers in code, and
 * its HTTP routes (state, reset, clock, faults, stats, actions) with their `Allow` answers.
 */

import type { SandboxClock } from "./clock.js";
import { allowHeader } from "./cors.js";
import type { FaultRule } from "./faults.js";
import type { ProviderContext, SandboxResponse } from "./types.js";

export const ADMIN_PREFIX = "/__sandbox";
/** The admin routes and their methods, for `Allow` and preflights. */
const ADMIN_METHODS: ReadonlyArray<[RegExp, string[]]> = [
  [/^\/state$/, ["GET"]],
  [/^\/reset$/, ["POST"]],
  [/^\/clock$/, ["GET", "POST"]],
  [/^\/faults$/, ["GET", "PUT"]],
  [/^\/stats$/, ["GET"]],
  [/^\/actions\/[^/]+$/, ["POST"]],
];

/** What a running sandbox offers its owner besides HTTP. */
export interface SandboxAdmin<S = unknown> {
  clock: SandboxClock;
  /** The live state (mutable; call `save()` after changing it by hand). */
  state(): S;
  /** State as the admin HTTP route shows it (secrets stripped). */
  inspect(): unknown;
  reset(seed?: string | number): Promise<void>;
  setFaults(rules: FaultRule[]): void;
  faults(): FaultRule[];
  /** 429s the rate limiter sent, and faults applied, by kind. */
  stats(): { rateLimited: Record<string, number>; faults: Record<string, number>; requests: number };
  act(action: string, input?: Record<string, unknown>): Promise<unknown>;
  save(): void;
}

/** The admin route's methods, if `route` (the path after `ADMIN_PREFIX`) is one. */
export function adminMethods(route: string): string[] | undefined {
  return ADMIN_METHODS.find(([pattern]) => pattern.test(route))?.[1];
}

/** Answers an admin route; a failing action or a bad input is a 400 in the provider's error shape. */
export async function adminRoute(
  admin: SandboxAdmin,
  error: ProviderContext<unknown>["error"],
  method: string,
  url: URL,
  rawBody: Buffer,
): Promise<SandboxResponse> {
  const { clock } = admin;
  const route = url.pathname.slice(ADMIN_PREFIX.length);
  try {
    const input = rawBody.length ? (JSON.parse(rawBody.toString("utf8")) as Record<string, unknown>) : {};
    if (route === "/state" && method === "GET") return { status: 200, body: admin.inspect() };
    if (route === "/reset" && method === "POST") {
      await admin.reset(input.seed as string | undefined);
      return { status: 200, body: { ok: true } };
    }
    if (route === "/clock" && method === "GET")
      return { status: 200, body: { now: clock.now(), offsetMs: clock.offset } };
    if (route === "/clock" && method === "POST") {
      return {
        status: 200,
        body: { now: clock.advance(Number(input.advanceMs ?? 0)), offsetMs: clock.offset },
      };
    }
    if (route === "/faults" && method === "GET") return { status: 200, body: admin.faults() };
    if (route === "/faults" && method === "PUT") {
      admin.setFaults((Array.isArray(input) ? input : (input.rules ?? [])) as FaultRule[]);
      return { status: 200, body: admin.faults() };
    }
    if (route === "/stats" && method === "GET") return { status: 200, body: admin.stats() };
    if (route.startsWith("/actions/") && method === "POST") {
      return {
        status: 200,
        body: (await admin.act(route.slice("/actions/".length), input)) ?? { ok: true },
      };
    }
  } catch (thrown) {
    return error(400, thrown instanceof Error ? thrown.message : String(thrown));
  }
  const methods = adminMethods(route);
  if (methods && method === "OPTIONS") return { status: 204, headers: { Allow: allowHeader(methods) } };
  if (methods)
    return {
      ...error(405, `${method} is not allowed on ${url.pathname}`),
      headers: { Allow: allowHeader(methods) },
    };
  return error(404, `no admin route ${method} ${route}`);
}
