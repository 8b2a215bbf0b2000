/**
 * What calling an operation costs on a real account, as the spec documents it, read from four
 * operation extensions:
 *
 * | extension                                  | says                                                                 |
 * | ------------------------------------------ | -------------------------------------------------------------------- |
 * | `x-rate-limit: { limit, period, scope }`   | at most `limit` calls per `period` (`minute`, `hour`, `day`)          |
 * | `x-specyard-quota: { limit, scope, note }` | at most `limit` resources per `scope` (e.g. 3 feeds per account), ever |
 * | `x-specyard-spends: "<what>"`              | a valid call spends money or credits (what, in words)                 |
 * | `x-specyard-revokes: [scheme…]`            | a 2xx answer revokes the caller's credentials of these schemes (logout) |
 */
import { type Operation, SpecError } from "./openapi.js";

export interface Costs {
  rateLimit?: { limit: number; period: string; scope?: string };
  quota?: { limit: number; scope?: string; note?: string };
  spends?: string;
  revokes: string[];
}

const limitOf = (op: Operation, key: string) => {
  const raw = op.extensions[key] as
    | { limit?: unknown; period?: unknown; scope?: unknown; note?: unknown }
    | undefined;
  if (raw === undefined) return undefined;
  if (typeof raw !== "object" || !Number.isInteger(raw.limit) || (raw.limit as number) < 0)
    throw new SpecError(`${op.id}: ${key} needs an integer limit ≥ 0`);
  return {
    limit: raw.limit as number,
    ...(typeof raw.period === "string" ? { period: raw.period } : {}),
    ...(typeof raw.scope === "string" ? { scope: raw.scope } : {}),
    ...(typeof raw.note === "string" ? { note: raw.note } : {}),
  };
};

export function costsOf(op: Operation): Costs {
  const rate = limitOf(op, "x-rate-limit");
  const quota = limitOf(op, "x-specyard-quota");
  const spends = op.extensions["x-specyard-spends"];
  const revokes = op.extensions["x-specyard-revokes"] ?? [];
  if (spends !== undefined && typeof spends !== "string")
    throw new SpecError(`${op.id}: x-specyard-spends says what a call spends, in words`);
  if (!Array.isArray(revokes) || !revokes.every((s) => typeof s === "string"))
    throw new SpecError(`${op.id}: x-specyard-revokes lists security scheme names`);
  return {
    ...(rate ? { rateLimit: { period: "hour", ...rate } } : {}),
    ...(quota ? { quota } : {}),
    ...(spends !== undefined ? { spends } : {}),
    revokes,
  };
}
