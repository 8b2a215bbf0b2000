/**
 * The Atelier sandbox's state: agents (API keys kept as SHA-256 only), services, orders with their
 * messages, uploads (metadata; the bytes live in the file store) and payouts. Plain JSON with
 * bigints for money, so the framework persists it as it is.
 */
import { createHash } from "node:crypto";
import bs58 from "bs58";
import type { ProviderContext, SandboxRequest } from "../../framework/types.js";

export type Capability = "image_gen" | "video_gen" | "ugc" | "influencer" | "brand_content" | "custom";
export type PriceType = "fixed" | "quote" | "weekly" | "monthly";
export type MediaKind = "image" | "video";
export type OrderStatus =
  | "pending_quote"
  | "quoted"
  | "accepted"
  | "paid"
  | "in_progress"
  | "delivered"
  | "completed"
  | "disputed"
  | "cancelled";

export interface Agent {
  id: string;
  name: string;
  description: string;
  endpoint_url: string;
  avatar_url: string | null;
  capabilities: Capability[];
  owner_wallet: string | null;
  /** Set by the agent; null means "the owner wallet". */
  payout_wallet: string | null;
  slug: string;
  /** SHA-256 of the API key: the key is shown once and cannot be recovered. */
  key_hash: string;
  /** `atelier_` and the key's first hex digits, for the masked key on the profile. */
  key_hint: string;
  /** Kept to sign future webhook pushes; never shown by the admin surface. */
  webhook_secret: string;
  token: { symbol: string; name: string; image: string; mint: string; tx_signature: string } | null;
  created_at: number;
}

export interface Service {
  id: string;
  agent_id: string;
  category: Capability;
  title: string;
  description: string;
  /** USD cents. */
  price_cents: bigint;
  price_type: PriceType;
  turnaround_hours: number | null;
  deliverables: string[];
  demo_url: string | null;
  /** Generations per period for weekly/monthly (0 = unlimited); null for fixed/quote. */
  quota_limit: number | null;
  active: boolean;
  created_at: number;
}

/** The workspace a paid weekly/monthly order opens. */
export interface Subscription {
  starts_at: number;
  ends_at: number;
  /** 0 = unlimited. */
  quota_limit: number;
  /** Deliveries made in the window. */
  used: number;
}

export interface Order {
  id: string;
  agent_id: string;
  service_id: string;
  service_title: string;
  price_type: PriceType;
  client_wallet: string;
  brief: string;
  reference_urls: string[];
  reference_images: string[];
  status: OrderStatus;
  /** USD cents; null until a quote order is quoted. */
  price_cents: bigint | null;
  deliverable_url: string | null;
  deliverable_media_type: MediaKind | null;
  created_at: number;
  paid_at: number | null;
  delivered_at: number | null;
  completed_at: number | null;
  subscription: Subscription | null;
  /** Every status the order went through, with when. */
  history: Array<{ status: OrderStatus; at: number; by: "agent" | "client" | "platform" }>;
}

export interface Message {
  id: string;
  order_id: string;
  sender_type: "agent" | "client";
  content: string;
  created_at: number;
}

export interface Upload {
  key: string;
  agent_id: string;
  content_type: string;
  size: number;
  created_at: number;
}

/** What Atelier sends when an order completes: the price less the 10% platform fee, in USDC. */
export interface Payout {
  id: string;
  order_id: string;
  agent_id: string;
  /** The payout wallet, else the owner wallet; null when the agent set neither (held). */
  wallet: string | null;
  /** USDC raw units (6 decimals). */
  gross_raw: bigint;
  fee_raw: bigint;
  net_raw: bigint;
  created_at: number;
}

export interface AtelierState {
  agents: Record<string, Agent>;
  /** SHA-256 of an API key → agent id. */
  keys: Record<string, string>;
  services: Record<string, Service>;
  orders: Record<string, Order>;
  /** By order id, oldest first. */
  messages: Record<string, Message[]>;
  /** By file key (the path under `/__files/`). */
  uploads: Record<string, Upload>;
  payouts: Payout[];
}

export type Ctx = ProviderContext<AtelierState>;

export function initialState(): AtelierState {
  return { agents: {}, keys: {}, services: {}, orders: {}, messages: {}, uploads: {}, payouts: [] };
}

/** `record[key]` for own keys only: ids from requests may be `toString` or `__proto__`. */
export const own = <T>(record: Record<string, T>, key: string): T | undefined =>
  Object.hasOwn(record, key) ? record[key] : undefined;

export const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");
export const iso = (ms: number): string => new Date(ms).toISOString();

const ALPHANUMERIC = "abcdefghijklmnopqrstuvwxyz0123456789";

/** `prefix_<ms>_<9 seeded chars>`, the documented id shape (`ext_1708123456789_abc123xyz`). */
export function newId(ctx: Ctx, prefix: string): string {
  let tail = "";
  for (let i = 0; i < 9; i++) tail += ALPHANUMERIC[Math.floor(ctx.random() * ALPHANUMERIC.length)];
  return `${prefix}_${ctx.clock.now()}_${tail}`;
}

/** `n` seeded bytes, base58: addresses (32) and signatures (64) for the sandbox's fake chain. */
export function randomBase58(ctx: Ctx, n: number): string {
  const bytes = new Uint8Array(n);
  for (let i = 0; i < n; i++) bytes[i] = Math.floor(ctx.random() * 256);
  return bs58.encode(bytes);
}

// --- money ---------------------------------------------------------------------------------------

/** USDC raw units per USD cent (USDC has 6 decimals). */
export const RAW_PER_CENT = 10_000n;
/** The platform fee, in basis points of the order price. */
export const PLATFORM_FEE_BPS = 1_000n;

/** A `PriceUsd` string ("5", "5.5", "5.00") as cents. */
export function parseUsd(text: string): bigint {
  const [whole = "0", fraction = ""] = text.split(".");
  return BigInt(whole) * 100n + BigInt(fraction.padEnd(2, "0") || "0");
}

/** Cents as the documented decimal string, two decimals ("5.00"). */
export function formatUsd(cents: bigint): string {
  return `${cents / 100n}.${(cents % 100n).toString().padStart(2, "0")}`;
}

/** The payout of an order price: gross, the 10% fee and the net, all exact raw USDC units. */
export function payoutOf(cents: bigint): { gross: bigint; fee: bigint; net: bigint } {
  const gross = cents * RAW_PER_CENT;
  const fee = (gross * PLATFORM_FEE_BPS) / 10_000n;
  return { gross, fee, net: gross - fee };
}

// --- authentication ------------------------------------------------------------------------------

/** The agent behind `Authorization: Bearer atelier_<hex>`, if any. */
export function callerOf(ctx: Ctx, request: SandboxRequest): Agent | undefined {
  const key = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? "")?.[1];
  const id = key ? own(ctx.state.keys, sha256(key)) : undefined;
  return id ? own(ctx.state.agents, id) : undefined;
}

/** State as the admin surface shows it: no key hashes, no webhook secrets. */
export function redact(state: AtelierState): unknown {
  return {
    ...state,
    keys: `${Object.keys(state.keys).length} entries`,
    agents: Object.fromEntries(
      Object.entries(state.agents).map(([id, agent]) => [
        id,
        { ...agent, key_hash: "[redacted]", webhook_secret: "[redacted]" },
      ]),
    ),
  };
}
