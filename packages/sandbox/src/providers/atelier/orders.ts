/**
 * The order lifecycle, shared by the agent's endpoints and the client's admin actions:
 *
 *   pending_quote → quoted → accepted → paid → in_progress → delivered → completed
 *                                                              ↘ disputed → (re-delivered)
 *   pending_quote / quoted / accepted → cancelled
 *
 * Quote services start at `pending_quote`; fixed and subscription services start at `accepted`
 * (the price is known, payment is next). A delivered order completes when the client approves or,
 * by itself, 48 hours after delivery; completion records a payout of the price less 10%.
 *
 * Weekly/monthly orders: payment opens a 7- or 30-day window with the service's quota. Each
 * delivery in the window counts one generation and leaves the order `in_progress`; the order
 * completes (and pays out) when the quota is used up or the window ends.
 */
import {
  type Ctx,
  newId,
  type Order,
  type OrderStatus,
  own,
  type PriceType,
  payoutOf,
  randomBase58,
} from "./state.js";

export const HOUR_MS = 3_600_000;
export const AUTO_COMPLETE_MS = 48 * HOUR_MS;
export const SUBSCRIPTION_MS: Partial<Record<PriceType, number>> = {
  weekly: 7 * 24 * HOUR_MS,
  monthly: 30 * 24 * HOUR_MS,
};

/** Each move of the lifecycle, with the statuses it may start from and where it leads. */
export const MOVES = {
  quote: { from: ["pending_quote"], to: "quoted", by: "agent" },
  acceptQuote: { from: ["quoted"], to: "accepted", by: "client" },
  pay: { from: ["accepted"], to: "paid", by: "client" },
  start: { from: ["paid"], to: "in_progress", by: "platform" },
  deliver: { from: ["paid", "in_progress", "disputed"], to: "delivered", by: "agent" },
  approve: { from: ["delivered"], to: "completed", by: "client" },
  dispute: { from: ["delivered"], to: "disputed", by: "client" },
  cancel: { from: ["pending_quote", "quoted", "accepted"], to: "cancelled", by: "client" },
} as const satisfies Record<
  string,
  { from: readonly OrderStatus[]; to: OrderStatus; by: "agent" | "client" | "platform" }
>;
export type Move = keyof typeof MOVES;

/** Statuses on which the thread takes new messages. */
export const MESSAGE_STATUSES: readonly OrderStatus[] = [
  "paid",
  "in_progress",
  "delivered",
  "completed",
  "disputed",
];

/** Why `move` may not happen to the order now, or undefined when it may. */
export function refusal(order: Order, move: Move): string | undefined {
  const { from } = MOVES[move];
  if ((from as readonly OrderStatus[]).includes(order.status)) return undefined;
  return `Order is ${order.status}; ${move} needs status ${from.join(", ")}`;
}

export const isSubscription = (order: Order): boolean => SUBSCRIPTION_MS[order.price_type] !== undefined;

function setStatus(ctx: Ctx, order: Order, status: OrderStatus, by: "agent" | "client" | "platform") {
  order.status = status;
  order.history.push({ status, at: ctx.clock.now(), by });
}

/** Applies a move the caller already checked with `refusal`. */
export function apply(ctx: Ctx, order: Order, move: Move): void {
  const now = ctx.clock.now();
  const { to, by } = MOVES[move];
  setStatus(ctx, order, to, by);
  if (move === "pay") {
    order.paid_at = now;
    const window = SUBSCRIPTION_MS[order.price_type];
    if (window !== undefined) {
      const service = own(ctx.state.services, order.service_id);
      order.subscription = {
        starts_at: now,
        ends_at: now + window,
        quota_limit: service?.quota_limit ?? 0,
        used: 0,
      };
    }
  }
  if (move === "approve") complete(ctx, order, by);
}

/** The agent's delivery: a one-off order becomes `delivered`; a subscription counts a generation. */
export function deliver(ctx: Ctx, order: Order, url: string, kind: "image" | "video"): void {
  order.deliverable_url = url;
  order.deliverable_media_type = kind;
  const sub = order.subscription;
  if (isSubscription(order) && sub) {
    sub.used++;
    if (order.status !== "in_progress") setStatus(ctx, order, "in_progress", "agent");
    if (sub.quota_limit > 0 && sub.used >= sub.quota_limit) complete(ctx, order, "platform");
    return;
  }
  order.delivered_at = ctx.clock.now();
  setStatus(ctx, order, "delivered", "agent");
}

/** Completes the order and records the payout: the price less the 10% platform fee. */
export function complete(ctx: Ctx, order: Order, by: "agent" | "client" | "platform"): void {
  const now = ctx.clock.now();
  if (order.status !== "completed") setStatus(ctx, order, "completed", by);
  order.completed_at = now;
  const agent = own(ctx.state.agents, order.agent_id);
  const { gross, fee, net } = payoutOf(order.price_cents ?? 0n);
  ctx.state.payouts.push({
    id: newId(ctx, "pay"),
    order_id: order.id,
    agent_id: order.agent_id,
    wallet: agent?.payout_wallet ?? agent?.owner_wallet ?? null,
    gross_raw: gross,
    fee_raw: fee,
    net_raw: net,
    created_at: now,
  });
}

/**
 * Runs what is due at `now`: delivered orders 48 hours old complete, subscription windows that
 * ended complete. Returns whether anything changed.
 */
export function settleDue(ctx: Ctx, now: number): boolean {
  let changed = false;
  for (const order of Object.values(ctx.state.orders)) {
    const due =
      (order.status === "delivered" &&
        order.delivered_at !== null &&
        now >= order.delivered_at + AUTO_COMPLETE_MS) ||
      (order.subscription !== null &&
        ["paid", "in_progress"].includes(order.status) &&
        now >= order.subscription.ends_at);
    if (due) {
      complete(ctx, order, "platform");
      changed = true;
    }
  }
  return changed;
}

/** The client places an order on an active service (the other party, via the admin surface). */
export function placeOrder(ctx: Ctx, input: Record<string, unknown>): Order {
  const service = own(ctx.state.services, String(input.service_id ?? ""));
  if (!service?.active) throw new Error(`no active service ${String(input.service_id)}`);
  const brief = typeof input.brief === "string" ? input.brief : "";
  if (!brief.trim()) throw new Error("brief is required");
  const strings = (value: unknown) =>
    Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
  const order: Order = {
    id: newId(ctx, "ord"),
    agent_id: service.agent_id,
    service_id: service.id,
    service_title: service.title,
    price_type: service.price_type,
    client_wallet: typeof input.client_wallet === "string" ? input.client_wallet : randomBase58(ctx, 32),
    brief,
    reference_urls: strings(input.reference_urls),
    reference_images: strings(input.reference_images),
    status: service.price_type === "quote" ? "pending_quote" : "accepted",
    price_cents: service.price_type === "quote" ? null : service.price_cents,
    deliverable_url: null,
    deliverable_media_type: null,
    created_at: ctx.clock.now(),
    paid_at: null,
    delivered_at: null,
    completed_at: null,
    subscription: null,
    history: [],
  };
  order.history.push({ status: order.status, at: order.created_at, by: "client" });
  ctx.state.orders[order.id] = order;
  ctx.state.messages[order.id] = [];
  return order;
}
