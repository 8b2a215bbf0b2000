/** The Atelier sandbox's order lifecycle: each move allowed from its documented statuses only. */
import { describe, expect, it, vi } from "vitest";
import {
  act,
  boot,
  checked,
  createService,
  deliver,
  HOUR,
  ME,
  MESSAGES,
  ORDERS,
  OTHER_WALLET,
  orderIn,
  type Payout,
  quote,
  register,
  type Status,
  statusOf,
  useCleanup,
  WALLET,
} from "./helpers.js";

useCleanup();

/** Where each move may start, as the document describes the lifecycle. */
const ALLOWED: Record<string, { from: Status[]; to?: Status }> = {
  quote: { from: ["pending_quote"], to: "quoted" },
  acceptQuote: { from: ["quoted"], to: "accepted" },
  pay: { from: ["accepted"], to: "paid" },
  startOrder: { from: ["paid"], to: "in_progress" },
  deliver: { from: ["paid", "in_progress", "disputed"], to: "delivered" },
  approve: { from: ["delivered"], to: "completed" },
  dispute: { from: ["delivered"], to: "disputed" },
  cancel: { from: ["pending_quote", "quoted", "accepted"], to: "cancelled" },
  message: { from: ["paid", "in_progress", "delivered", "completed", "disputed"] },
};

const STATUSES: Status[] = [
  "pending_quote",
  "quoted",
  "accepted",
  "paid",
  "in_progress",
  "delivered",
  "completed",
  "disputed",
  "cancelled",
];

describe("Atelier sandbox: the order lifecycle", () => {
  it.each(Object.keys(ALLOWED))("%s: allowed from its documented statuses only", async (move) => {
    const box = await boot();
    const agent = await register(box);
    const rule = ALLOWED[move] as { from: Status[]; to?: Status };
    for (const from of STATUSES) {
      const id = await orderIn(box, agent, from);
      let accepted: boolean;
      if (move === "deliver" || move === "quote" || move === "message") {
        const result =
          move === "deliver"
            ? await deliver(agent, id)
            : move === "quote"
              ? await quote(agent, id)
              : await checked(
                  MESSAGES,
                  "post",
                  agent.client.POST(MESSAGES, {
                    params: { path: { order_id: id } },
                    body: { content: "hi" },
                  }),
                );
        accepted = result.response.ok;
        if (!accepted) {
          expect(result.response.status, `${move} from ${from}`).toBe(400);
          expect((result.error as { error: string }).error).toContain(from);
        }
      } else {
        accepted = await box.admin.act(move, { order_id: id }).then(
          () => true,
          (error: Error) => {
            expect(error.message).toContain(from);
            return false;
          },
        );
      }
      expect(accepted, `${move} from ${from}`).toBe(rule.from.includes(from));
      expect(await statusOf(box, id), `${move} from ${from}`).toBe(accepted && rule.to ? rule.to : from);
    }
  });

  it("completes a delivered order by itself 48 hours later (not a millisecond before) and pays price − 10%", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: new Date("2025-02-17T12:00:00.000Z") });
    const box = await boot();
    const agent = await register(box, { owner_wallet: WALLET });
    await agent.client.PATCH(ME, { body: { payout_wallet: OTHER_WALLET } });
    const service = await createService(agent, { price_usd: "19.99" });
    const order = await act(box, "placeOrder", { service_id: service.id, brief: "An avatar" });
    await act(box, "pay", { order_id: order.id });
    expect((await deliver(agent, order.id)).response.status).toBe(200);
    const listed = async () =>
      (await agent.client.GET(ORDERS, { params: { path: { agent_id: agent.agentId } } })).data?.data[0]
        ?.status;

    box.admin.clock.advance(48 * HOUR - 1);
    expect(await listed()).toBe("delivered");
    expect(await box.admin.act("payouts", {})).toEqual([]);
    box.admin.clock.advance(1);
    expect(await listed()).toBe("completed");
    const payouts = (await box.admin.act("payouts", {})) as Payout[];
    const gross = 1999n * 10_000n; // USDC raw units (6 decimals)
    expect(payouts).toEqual([
      expect.objectContaining({
        order_id: order.id,
        wallet: OTHER_WALLET,
        gross_raw: gross.toString(),
        fee_raw: (gross / 10n).toString(),
        net_raw: "17991000",
      }),
    ]);
    expect(BigInt(payouts[0]?.net_raw ?? "0") + BigInt(payouts[0]?.fee_raw ?? "0")).toBe(gross);
  });

  it("also completes on real time passing (checked on the next request), and approval pays at once", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: new Date("2025-03-01T00:00:00.000Z") });
    const box = await boot();
    const agent = await register(box, { owner_wallet: WALLET });
    const byTime = await orderIn(box, agent, "delivered");
    const approved = await orderIn(box, agent, "delivered");
    await act(box, "approve", { order_id: approved });
    vi.setSystemTime(new Date("2025-03-03T00:00:00.000Z")); // 48 h later, without a clock advance
    const all = await agent.client.GET(ORDERS, { params: { path: { agent_id: agent.agentId } } });
    expect(all.data?.data.map((o) => [o.id, o.status])).toEqual([
      [byTime, "completed"],
      [approved, "completed"],
    ]);
    const payouts = (await box.admin.act("payouts", {})) as Payout[];
    // Payout wallet unset: the owner wallet gets it. Price 5.00 → 4.50 USDC.
    expect(payouts.map((p) => [p.order_id, p.wallet, p.net_raw])).toEqual([
      [approved, WALLET, "4500000"],
      [byTime, WALLET, "4500000"],
    ]);
  });

  it("restarts the 48 hours on re-delivery of a disputed order, and never auto-completes a dispute", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: new Date("2025-04-01T00:00:00.000Z") });
    const box = await boot();
    const agent = await register(box);
    const id = await orderIn(box, agent, "disputed");
    box.admin.clock.advance(100 * HOUR);
    expect(await statusOf(box, id)).toBe("disputed");
    expect((await deliver(agent, id, "https://cdn.example.com/better.png")).data?.data).toMatchObject({
      status: "delivered",
      deliverable_url: "https://cdn.example.com/better.png",
    });
    box.admin.clock.advance(48 * HOUR - 1);
    expect(await statusOf(box, id)).toBe("delivered");
    box.admin.clock.advance(1);
    expect(await statusOf(box, id)).toBe("completed");
    // No wallet at all: the payout is recorded, held without a wallet.
    expect(((await box.admin.act("payouts", {})) as Payout[])[0]).toMatchObject({
      wallet: null,
      net_raw: "4500000",
    });
  });

  it("opens a weekly window with a quota: each delivery counts, the last one completes and pays", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: new Date("2025-05-01T00:00:00.000Z") });
    const box = await boot();
    const agent = await register(box, { owner_wallet: WALLET });
    const service = await createService(agent, { price_type: "weekly", price_usd: "25.00", quota_limit: 2 });
    const order = await act(box, "placeOrder", { service_id: service.id, brief: "Avatars all week" });
    await act(box, "pay", { order_id: order.id });
    const internal = (await box.admin.act("order", { order_id: order.id })) as {
      internal: { subscription: { starts_at: number; ends_at: number; quota_limit: number } };
    };
    expect(internal.internal.subscription.ends_at - internal.internal.subscription.starts_at).toBe(
      168 * HOUR,
    );
    expect(internal.internal.subscription.quota_limit).toBe(2);
    expect((await deliver(agent, order.id)).data?.data.status).toBe("in_progress");
    expect((await deliver(agent, order.id)).data?.data.status).toBe("completed");
    expect((await deliver(agent, order.id)).response.status).toBe(400);
    expect(((await box.admin.act("payouts", {})) as Payout[]).map((p) => p.net_raw)).toEqual(["22500000"]);
  });

  it("completes an unlimited monthly subscription when its 30-day window ends", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: new Date("2025-06-01T00:00:00.000Z") });
    const box = await boot();
    const agent = await register(box);
    const service = await createService(agent, { price_type: "monthly", price_usd: "100", quota_limit: 0 });
    const order = await act(box, "placeOrder", { service_id: service.id, brief: "A month of content" });
    await act(box, "pay", { order_id: order.id });
    for (let i = 0; i < 5; i++) await deliver(agent, order.id);
    box.admin.clock.advance(30 * 24 * HOUR - 1);
    expect(await statusOf(box, order.id)).toBe("in_progress");
    box.admin.clock.advance(1);
    expect(await statusOf(box, order.id)).toBe("completed");
    expect(((await box.admin.act("payouts", {})) as Payout[]).map((p) => p.net_raw)).toEqual(["90000000"]);
  });
});
