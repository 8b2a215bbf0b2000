/**
 * The Atelier sandbox: a stateful local Atelier agent API on specyard's sandbox framework.
 *
 * Agents register (the API key is shown once; the state keeps its SHA-256), list services, upload
 * deliverables to a local "CDN" (`GET /__files/...`), poll, quote and deliver orders and message
 * clients. The client and the platform are the admin actions: `placeOrder`, `acceptQuote`, `pay`,
 * `startOrder`, `approve`, `dispute`, `cancel`, `clientMessage`; `payouts` and `order` inspect.
 * Delivered orders complete by themselves 48 hours later on the sandbox clock, paying the price
 * less 10% to the payout wallet. Every answer is `{success, data}` / `{success: false, error}`.
 */
import { randomBytes } from "node:crypto";
import type { ProviderDefinition, SandboxRequest, SandboxResponse } from "../../framework/types.js";
import spec from "../../generated/specs/atelier.js";
import { FILES_PREFIX, serveFile, upload } from "./files.js";
import {
  apply,
  deliver,
  HOUR_MS,
  MESSAGE_STATUSES,
  type Move,
  placeOrder,
  refusal,
  settleDue,
} from "./orders.js";
import {
  type Agent,
  type AtelierState,
  type Capability,
  type Ctx,
  callerOf,
  formatUsd,
  initialState,
  iso,
  type Message,
  newId,
  type Order,
  type OrderStatus,
  own,
  type PriceType,
  parseUsd,
  randomBase58,
  redact,
  type Service,
  sha256,
} from "./state.js";

export { AUTO_COMPLETE_MS, MOVES, SUBSCRIPTION_MS } from "./orders.js";
export type { AtelierState, Order, OrderStatus, Payout } from "./state.js";

/** The documented per-IP limits (the same numbers the spec's `x-rate-limit` carries). */
export const ATELIER_LIMITS: Record<string, number> = {
  registerAgent: 5,
  createService: 20,
  listAgentOrders: 30,
  deliverOrder: 30,
  uploadFile: 30,
  launchAgentToken: 10,
};

type Handler = (
  request: SandboxRequest,
  ctx: Ctx,
  agent: Agent,
) => SandboxResponse | Promise<SandboxResponse>;

const ok = (data: unknown, status = 200): SandboxResponse => ({ status, body: { success: true, data } });

/** Wraps a handler that needs the calling agent (the guard has already refused unknown keys). */
const authed =
  (handler: Handler) =>
  (request: SandboxRequest, ctx: Ctx): SandboxResponse | Promise<SandboxResponse> => {
    const agent = callerOf(ctx, request);
    return agent ? handler(request, ctx, agent) : ctx.error(401, "Unauthorized");
  };

/** The validated JSON body (undefined when none came, e.g. sent without a content type). */
const bodyOf = (request: SandboxRequest): Record<string, unknown> | undefined =>
  request.body && typeof request.body === "object" && !Array.isArray(request.body)
    ? (request.body as Record<string, unknown>)
    : undefined;
const noBody = (ctx: Ctx) => ctx.error(400, "Expected a JSON object body (Content-Type: application/json)");

// --- views ---------------------------------------------------------------------------------------

const maskKey = (agent: Agent): string => `${agent.key_hint}****`;

function profile(agent: Agent) {
  return {
    id: agent.id,
    name: agent.name,
    description: agent.description,
    endpoint_url: agent.endpoint_url,
    avatar_url: agent.avatar_url,
    capabilities: agent.capabilities,
    owner_wallet: agent.owner_wallet,
    payout_wallet: agent.payout_wallet,
    api_key: maskKey(agent),
    slug: agent.slug,
    created_at: iso(agent.created_at),
  };
}

function serviceView(service: Service) {
  return {
    id: service.id,
    agent_id: service.agent_id,
    category: service.category,
    title: service.title,
    description: service.description,
    price_usd: formatUsd(service.price_cents),
    price_type: service.price_type,
    turnaround_hours: service.turnaround_hours,
    deliverables: service.deliverables,
    demo_url: service.demo_url,
    quota_limit: service.quota_limit,
    active: service.active,
    created_at: iso(service.created_at),
  };
}

export function orderView(order: Order) {
  return {
    id: order.id,
    service_id: order.service_id,
    service_title: order.service_title,
    client_wallet: order.client_wallet,
    brief: order.brief,
    reference_urls: order.reference_urls,
    reference_images: order.reference_images,
    status: order.status,
    quoted_price_usd: order.price_cents === null ? null : formatUsd(order.price_cents),
    deliverable_url: order.deliverable_url,
    ...(order.deliverable_media_type ? { deliverable_media_type: order.deliverable_media_type } : {}),
    created_at: iso(order.created_at),
  };
}

const messageView = (message: Message) => ({ ...message, created_at: iso(message.created_at) });

// --- lookups -------------------------------------------------------------------------------------

/** 404 for an unknown agent, 403 for another agent's: the path's agent must be the caller. */
function notMine(ctx: Ctx, request: SandboxRequest, agent: Agent): SandboxResponse | undefined {
  const id = String(request.params.agent_id);
  if (!own(ctx.state.agents, id)) return ctx.error(404, "Agent not found");
  return id === agent.id ? undefined : ctx.error(403, "Forbidden: this agent is not yours");
}

function myService(ctx: Ctx, request: SandboxRequest, agent: Agent): Service | SandboxResponse {
  const service = own(ctx.state.services, String(request.params.service_id));
  if (!service?.active) return ctx.error(404, "Service not found");
  return service.agent_id === agent.id ? service : ctx.error(403, "Forbidden: this service is not yours");
}

function myOrder(ctx: Ctx, request: SandboxRequest, agent: Agent): Order | SandboxResponse {
  const order = own(ctx.state.orders, String(request.params.order_id));
  if (!order) return ctx.error(404, "Order not found");
  return order.agent_id === agent.id ? order : ctx.error(403, "Forbidden: this order is not yours");
}

const isResponse = (value: object): value is SandboxResponse => "status" in value && "body" in value;

function positivePrice(ctx: Ctx, text: string): bigint | SandboxResponse {
  const cents = parseUsd(text);
  return cents > 0n ? cents : ctx.error(400, "price_usd must be greater than 0");
}

function uniqueSlug(ctx: Ctx, name: string): string {
  const base =
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "") || "agent";
  const taken = new Set(Object.values(ctx.state.agents).map((agent) => agent.slug));
  let slug = base;
  for (let n = 2; taken.has(slug); n++) slug = `${base}-${n}`;
  return slug;
}

/** Where the service's quota goes: kept for weekly/monthly (0 = unlimited), null for fixed/quote. */
const quotaFor = (type: PriceType, asked: unknown, current: number | null): number | null =>
  type === "weekly" || type === "monthly" ? (typeof asked === "number" ? asked : (current ?? 0)) : null;

// --- handlers ------------------------------------------------------------------------------------

const handlers: ProviderDefinition<AtelierState>["handlers"] = {
  registerAgent: (request, ctx) => {
    const body = bodyOf(request);
    if (!body) return noBody(ctx);
    const apiKey = `atelier_${randomBytes(24).toString("hex")}`;
    const webhookSecret = `whsec_${randomBytes(24).toString("hex")}`;
    const agent: Agent = {
      id: newId(ctx, "ext"),
      name: String(body.name),
      description: String(body.description),
      endpoint_url: String(body.endpoint_url),
      avatar_url: typeof body.avatar_url === "string" ? body.avatar_url : null,
      capabilities: Array.isArray(body.capabilities) ? [...new Set(body.capabilities as Capability[])] : [],
      owner_wallet: typeof body.owner_wallet === "string" ? body.owner_wallet : null,
      payout_wallet: null,
      slug: uniqueSlug(ctx, String(body.name)),
      key_hash: sha256(apiKey),
      key_hint: apiKey.slice(0, "atelier_".length + 4),
      webhook_secret: webhookSecret,
      token: null,
      created_at: ctx.clock.now(),
    };
    ctx.state.agents[agent.id] = agent;
    ctx.state.keys[agent.key_hash] = agent.id;
    return ok({ agent_id: agent.id, api_key: apiKey, slug: agent.slug, webhook_secret: webhookSecret }, 201);
  },

  getMyAgent: authed((_request, _ctx, agent) => ok(profile(agent))),

  updateMyAgent: authed((request, ctx, agent) => {
    const body = bodyOf(request);
    if (!body) return noBody(ctx);
    for (const field of ["name", "description", "endpoint_url", "avatar_url", "owner_wallet"] as const)
      if (typeof body[field] === "string") agent[field] = body[field] as string;
    if (Array.isArray(body.capabilities))
      agent.capabilities = [...new Set(body.capabilities as Capability[])];
    // null resets the payout wallet to the owner wallet default.
    if ("payout_wallet" in body)
      agent.payout_wallet = typeof body.payout_wallet === "string" ? body.payout_wallet : null;
    return ok(profile(agent));
  }),

  createService: authed((request, ctx, agent) => {
    const refused = notMine(ctx, request, agent);
    if (refused) return refused;
    const body = bodyOf(request);
    if (!body) return noBody(ctx);
    const price = positivePrice(ctx, String(body.price_usd));
    if (typeof price !== "bigint") return price;
    const type = body.price_type as PriceType;
    const service: Service = {
      id: newId(ctx, "svc"),
      agent_id: agent.id,
      category: body.category as Capability,
      title: String(body.title),
      description: String(body.description),
      price_cents: price,
      price_type: type,
      turnaround_hours: typeof body.turnaround_hours === "number" ? body.turnaround_hours : null,
      deliverables: Array.isArray(body.deliverables) ? (body.deliverables as string[]) : [],
      demo_url: typeof body.demo_url === "string" ? body.demo_url : null,
      quota_limit: quotaFor(type, body.quota_limit, null),
      active: true,
      created_at: ctx.clock.now(),
    };
    ctx.state.services[service.id] = service;
    return ok(serviceView(service), 201);
  }),

  /** The agent's active services (deactivated ones are kept, but no longer listed). */
  listServices: authed((request, ctx, agent) => {
    const refused = notMine(ctx, request, agent);
    if (refused) return refused;
    const services = Object.values(ctx.state.services).filter((s) => s.agent_id === agent.id && s.active);
    return ok(services.map(serviceView));
  }),

  updateService: authed((request, ctx, agent) => {
    const service = myService(ctx, request, agent);
    if (isResponse(service)) return service;
    const body = bodyOf(request);
    if (!body) return noBody(ctx);
    if (typeof body.price_usd === "string") {
      const price = positivePrice(ctx, body.price_usd);
      if (typeof price !== "bigint") return price;
      service.price_cents = price;
    }
    for (const field of ["title", "description"] as const)
      if (typeof body[field] === "string") service[field] = body[field] as string;
    if (typeof body.category === "string") service.category = body.category as Capability;
    if (typeof body.turnaround_hours === "number") service.turnaround_hours = body.turnaround_hours;
    if (Array.isArray(body.deliverables)) service.deliverables = body.deliverables as string[];
    if (typeof body.demo_url === "string") service.demo_url = body.demo_url;
    if (typeof body.price_type === "string") service.price_type = body.price_type as PriceType;
    service.quota_limit = quotaFor(service.price_type, body.quota_limit, service.quota_limit);
    return ok(serviceView(service));
  }),

  deleteService: authed((request, ctx, agent) => {
    const service = myService(ctx, request, agent);
    if (isResponse(service)) return service;
    service.active = false;
    return { status: 200, body: { success: true } };
  }),

  uploadFile: authed((request, ctx, agent) => upload(ctx, request, agent)),

  /** Oldest first, optionally only the `?status=` list. */
  listAgentOrders: authed((request, ctx, agent) => {
    const refused = notMine(ctx, request, agent);
    if (refused) return refused;
    const wanted = Array.isArray(request.query.status) ? (request.query.status as OrderStatus[]) : undefined;
    const orders = Object.values(ctx.state.orders)
      .filter((order) => order.agent_id === agent.id && (!wanted || wanted.includes(order.status)))
      .sort((a, b) => a.created_at - b.created_at || a.id.localeCompare(b.id));
    return ok(orders.map(orderView));
  }),

  deliverOrder: authed((request, ctx, agent) => {
    const order = myOrder(ctx, request, agent);
    if (isResponse(order)) return order;
    const body = bodyOf(request);
    if (!body) return noBody(ctx);
    const refused = refusal(order, "deliver");
    if (refused) return ctx.error(400, refused);
    deliver(
      ctx,
      order,
      String(body.deliverable_url),
      body.deliverable_media_type === "video" ? "video" : "image",
    );
    return ok(orderView(order));
  }),

  quoteOrder: authed((request, ctx, agent) => {
    const order = myOrder(ctx, request, agent);
    if (isResponse(order)) return order;
    const body = bodyOf(request);
    if (!body) return noBody(ctx);
    const refused = refusal(order, "quote");
    if (refused) return ctx.error(400, refused);
    const price = positivePrice(ctx, String(body.price_usd));
    if (typeof price !== "bigint") return price;
    order.price_cents = price;
    apply(ctx, order, "quote");
    return ok(orderView(order));
  }),

  listOrderMessages: authed((request, ctx, agent) => {
    const order = myOrder(ctx, request, agent);
    if (isResponse(order)) return order;
    return ok((own(ctx.state.messages, order.id) ?? []).map(messageView));
  }),

  sendOrderMessage: authed((request, ctx, agent) => {
    const order = myOrder(ctx, request, agent);
    if (isResponse(order)) return order;
    const body = bodyOf(request);
    if (!body) return noBody(ctx);
    const sent = addMessage(ctx, order, "agent", String(body.content));
    return typeof sent === "string" ? ctx.error(400, sent) : ok(messageView(sent), 201);
  }),

  launchAgentToken: authed((request, ctx, agent) => {
    const refused = notMine(ctx, request, agent);
    if (refused) return refused;
    const body = bodyOf(request);
    if (!body) return noBody(ctx);
    if (agent.token) return ctx.error(409, "Token already launched");
    if (!agent.avatar_url) return ctx.error(400, "Set avatar_url on your agent before launching a token");
    agent.token = {
      symbol: String(body.symbol),
      name: `${agent.name} by Atelier`,
      image: agent.avatar_url,
      mint: randomBase58(ctx, 32),
      tx_signature: randomBase58(ctx, 64),
    };
    return ok({ mint: agent.token.mint, tx_signature: agent.token.tx_signature });
  }),
};

/** A message on the thread, or why it is refused (status, blank, too long). */
function addMessage(ctx: Ctx, order: Order, sender: "agent" | "client", content: string): Message | string {
  if (!MESSAGE_STATUSES.includes(order.status))
    return `Messages need an order in status ${MESSAGE_STATUSES.join(", ")}; this order is ${order.status}`;
  if (!content.trim()) return "content is required";
  if ([...content].length > 2000) return "content must be at most 2000 characters";
  const message: Message = {
    id: newId(ctx, "msg"),
    order_id: order.id,
    sender_type: sender,
    content,
    created_at: ctx.clock.now(),
  };
  ctx.state.messages[order.id] = [...(own(ctx.state.messages, order.id) ?? []), message];
  return message;
}

// --- the other party -------------------------------------------------------------------------------

function orderOf(ctx: Ctx, input: Record<string, unknown>): Order {
  const order = own(ctx.state.orders, String(input.order_id ?? ""));
  if (!order) throw new Error(`no order ${String(input.order_id)}`);
  return order;
}

/** An admin action that makes one lifecycle move as the client or the platform. */
const moveAction = (move: Move) => (ctx: Ctx, input: Record<string, unknown>) => {
  const order = orderOf(ctx, input);
  const refused = refusal(order, move);
  if (refused) throw new Error(refused);
  apply(ctx, order, move);
  return orderView(order);
};

const payoutView = (payout: AtelierState["payouts"][number]) => ({
  ...payout,
  gross_raw: payout.gross_raw.toString(),
  fee_raw: payout.fee_raw.toString(),
  net_raw: payout.net_raw.toString(),
  created_at: iso(payout.created_at),
});

export const atelier: ProviderDefinition<AtelierState> = {
  name: "atelier",
  spec,
  initialState,
  errorBody: (_status, message) => ({ success: false, error: message }),
  handlers,
  rateLimits: Object.entries(ATELIER_LIMITS).map(([operation, limit]) => ({
    operations: [operation],
    limit,
    windowMs: HOUR_MS,
  })),
  rateLimitBody: (decision) => ({
    success: false,
    error: `Too many requests: ${decision.limit} per hour. Retry in ${Math.ceil(decision.retryAfterMs / 1000)} seconds`,
  }),
  /** Runs what real time made due, then authentication before validation (401 first). */
  guard(request, ctx) {
    if (settleDue(ctx, ctx.clock.now())) ctx.save();
    if (request.operationId === "registerAgent" || callerOf(ctx, request)) return undefined;
    return ctx.error(401, "Unauthorized: missing or invalid API key");
  },
  onClock: (ctx, now) => {
    settleDue(ctx, now);
  },
  async start(ctx) {
    return { info: { files: `${ctx.baseUrl}${FILES_PREFIX}` }, route: (request) => serveFile(ctx, request) };
  },
  redactState: redact,
  actions: {
    /** The client orders a service: `{service_id, brief, client_wallet?, reference_urls?, reference_images?}`. */
    placeOrder: (ctx, input) => orderView(placeOrder(ctx, input)),
    acceptQuote: moveAction("acceptQuote"),
    /** The client pays (USDC, off-sandbox); weekly/monthly orders open their window and quota. */
    pay: moveAction("pay"),
    /** The platform's auto-advance of a paid order to `in_progress`. */
    startOrder: moveAction("start"),
    /** The client approves a delivery: completed, payout recorded. */
    approve: moveAction("approve"),
    dispute: moveAction("dispute"),
    cancel: moveAction("cancel"),
    /** The client writes on the thread: `{order_id, content}`. */
    clientMessage: (ctx, input) => {
      const sent = addMessage(ctx, orderOf(ctx, input), "client", String(input.content ?? ""));
      if (typeof sent === "string") throw new Error(sent);
      return messageView(sent);
    },
    /** An order as the sandbox keeps it (history, subscription window, timestamps). */
    order: (ctx, input) => {
      const order = orderOf(ctx, input);
      return {
        ...orderView(order),
        internal: { ...order, price_cents: order.price_cents?.toString() ?? null },
      };
    },
    /** Payouts recorded so far (raw USDC units as strings), optionally `{agent_id}`'s only. */
    payouts: (ctx, input) =>
      ctx.state.payouts
        .filter((payout) => input.agent_id === undefined || payout.agent_id === input.agent_id)
        .map(payoutView),
    /** The token an agent launched, if any. */
    token: (ctx, input) => own(ctx.state.agents, String(input.agent_id ?? ""))?.token ?? null,
  },
};
