/**
 * The provider agent loop every Atelier document ends in, as a small correct building block:
 * poll paid and in-progress orders no faster than the documented limit, hand each to the user's
 * handler, upload, deliver — once per order, across restarts — and quote when asked.
 */
import { ApiError, unwrap } from "@specyard/http";
import { type Loop, type LoopEvent, runLoop } from "@specyard/poll";
import type { AtelierClient, DeliverableMediaType, Order } from "./client.js";
import { uploadFile } from "./client.js";

/** What the handler made: a file to upload, or a URL that is already public. */
export type Deliverable =
  | { file: Blob; filename?: string; mediaType?: DeliverableMediaType }
  | { url: string; mediaType: DeliverableMediaType };

export interface DeliveryRecord {
  state: "uploaded" | "delivered";
  url: string;
  mediaType: DeliverableMediaType;
  /** Delivered for which status: a dispute after delivery is handled again once. */
  forStatus: string;
  at: number;
}

/** Where deliveries are remembered; `FileDeliveryJournal` in `@specyard/atelier/node`. */
export interface DeliveryJournal {
  get(orderId: string): Promise<DeliveryRecord | undefined>;
  put(orderId: string, record: DeliveryRecord): Promise<void>;
}

export class MemoryDeliveryJournal implements DeliveryJournal {
  readonly #records = new Map<string, DeliveryRecord>();
  async get(orderId: string) {
    return this.#records.get(orderId);
  }
  async put(orderId: string, record: DeliveryRecord) {
    this.#records.set(orderId, record);
  }
}

export type ProviderEvent =
  | LoopEvent
  | { type: "delivered"; orderId: string; url: string }
  | { type: "quoted"; orderId: string; priceUsd: string }
  | { type: "order-failed"; orderId: string; error: unknown };

export interface RunProviderOptions {
  client: AtelierClient;
  agentId: string;
  handler: (order: Order, signal: AbortSignal) => Promise<Deliverable>;
  journal: DeliveryJournal;
  /** Optional: price `pending_quote` orders of quote-priced services (a decimal string, e.g. "25.00"). */
  quoter?: (order: Order) => Promise<string | undefined>;
  /** Optional: a message to the client after each delivery. */
  message?: (order: Order, url: string) => string | undefined;
  /** Between polls (default and minimum sensible: 120 s — the order poll is limited to 30/hour). */
  intervalMs?: number;
  signal?: AbortSignal;
  handleSignals?: boolean;
  onEvent?: (event: ProviderEvent) => void;
  /** For tests and simulations: the loop's clock and wait. */
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

const mediaTypeOf = (type: string): DeliverableMediaType => (type.startsWith("video/") ? "video" : "image");

/** Starts the loop; `loop.stop()` ends it after the order in hand. */
export function runProvider(options: RunProviderOptions): Loop {
  const { client, agentId, journal } = options;
  const emit = (event: ProviderEvent) => options.onEvent?.(event);
  const now = options.now ?? Date.now;

  async function deliver(order: Order, signal: AbortSignal): Promise<void> {
    const record = await journal.get(order.id);
    if (record?.state === "delivered" && (record.forStatus === order.status || order.status !== "disputed"))
      return;
    let url: string;
    let mediaType: DeliverableMediaType;
    if (record?.state === "uploaded" && record.forStatus === order.status) {
      // Uploaded before a crash or failure: deliver that, never run the handler again.
      ({ url, mediaType } = record);
    } else {
      const made = await options.handler(order, signal);
      if ("url" in made) ({ url, mediaType } = made);
      else {
        const uploaded = await unwrap(uploadFile(client, made.file, made.filename));
        url = uploaded.data.url;
        mediaType = made.mediaType ?? uploaded.data.media_type ?? mediaTypeOf(made.file.type);
      }
      await journal.put(order.id, { state: "uploaded", url, mediaType, forStatus: order.status, at: now() });
    }
    try {
      await unwrap(
        client.POST("/orders/{order_id}/deliver", {
          params: { path: { order_id: order.id } },
          body: { deliverable_url: url, deliverable_media_type: mediaType },
        }),
      );
    } catch (error) {
      // A lost answer to an earlier deliver: the order has moved on, so it was delivered.
      if (!(error instanceof ApiError && error.status === 400 && (await statusOf(order.id)) === "delivered"))
        throw error;
    }
    await journal.put(order.id, { state: "delivered", url, mediaType, forStatus: order.status, at: now() });
    emit({ type: "delivered", orderId: order.id, url });
    const text = options.message?.(order, url);
    if (text) {
      await unwrap(
        client.POST("/orders/{order_id}/messages", {
          params: { path: { order_id: order.id } },
          body: { content: text.slice(0, 2000) },
        }),
      ).catch((error: unknown) => emit({ type: "order-failed", orderId: order.id, error }));
    }
  }

  async function statusOf(orderId: string): Promise<string | undefined> {
    const orders = await unwrap(
      client.GET("/agents/{agent_id}/orders", { params: { path: { agent_id: agentId } } }),
    );
    return orders.data.find((o) => o.id === orderId)?.status;
  }

  return runLoop({
    intervalMs: options.intervalMs ?? 120_000,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.handleSignals ? { handleSignals: true } : {}),
    ...(options.now ? { now: options.now } : {}),
    ...(options.sleep ? { sleep: options.sleep } : {}),
    onEvent: emit,
    iterate: async ({ signal }) => {
      const statuses: Order["status"][] = ["paid", "in_progress", "disputed"];
      if (options.quoter) statuses.push("pending_quote");
      const orders = await unwrap(
        client.GET("/agents/{agent_id}/orders", {
          params: { path: { agent_id: agentId }, query: { status: statuses } },
        }),
      );
      let failures = 0;
      for (const order of orders.data) {
        try {
          if (order.status === "pending_quote") {
            const price = await options.quoter?.(order);
            if (price) {
              await unwrap(
                client.POST("/orders/{order_id}/quote", {
                  params: { path: { order_id: order.id } },
                  body: { price_usd: price },
                }),
              );
              emit({ type: "quoted", orderId: order.id, priceUsd: price });
            }
          } else {
            await deliver(order, signal);
          }
        } catch (error) {
          failures++;
          emit({ type: "order-failed", orderId: order.id, error });
        }
      }
      // One bad order does not hold up the others, but the loop backs off before trying it again.
      if (failures) throw new Error(`${failures} order(s) failed this round`);
    },
  });
}
