import { fc, test as propTest } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { type LoopEvent, PollTimeoutError, poll, pollIter, runLoop, sleep } from "../src/index.js";

const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;

function recording() {
  let clock = 0;
  const waits: number[] = [];
  return {
    waits,
    now: () => clock,
    sleep: async (ms: number) => {
      waits.push(ms);
      clock += ms;
    },
  };
}

describe("poll", () => {
  it("returns the first value that is done, and waits the interval with backoff between", async () => {
    const r = recording();
    const values = [1, 2, 3, 4];
    const result = await poll(async () => values.shift() ?? 0, {
      until: (v) => v === 3,
      intervalMs: 100,
      backoff: 2,
      maxIntervalMs: 150,
      now: r.now,
      sleep: r.sleep,
    });
    expect(result).toBe(3);
    expect(r.waits).toEqual([100, 150]);
  });

  it("waits at least what a retried error asks (a server's retry hint)", async () => {
    const r = recording();
    let calls = 0;
    const rateLimited = Object.assign(new Error("429"), { retryAfterMs: 5_000 });
    const value = await poll(
      async () => {
        if (++calls === 1) throw rateLimited;
        return "ok";
      },
      { until: () => true, intervalMs: 100, retryOn: () => true, now: r.now, sleep: r.sleep },
    );
    expect(value).toBe("ok");
    expect(r.waits).toEqual([5_000]);
  });

  it("does not retry errors unless told to, and gives up at the deadline with the last value", async () => {
    await expect(poll(() => Promise.reject(new Error("boom")), { until: () => true })).rejects.toThrow(
      "boom",
    );
    const r = recording();
    const error = await poll(async () => "pending", {
      until: (v) => v === "done",
      intervalMs: 400,
      deadlineMs: 1_000,
      now: r.now,
      sleep: r.sleep,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PollTimeoutError);
    expect(error).toMatchObject({ attempts: 3, last: "pending" });
  });

  it("yields every value in the iterator form", async () => {
    const r = recording();
    let n = 0;
    const seen: number[] = [];
    for await (const v of pollIter(async () => ++n, { until: (v) => v >= 3, now: r.now, sleep: r.sleep }))
      seen.push(v);
    expect(seen).toEqual([1, 2, 3]);
  });

  it("cancels promptly mid-wait and leaves no timer behind", async () => {
    const before = timers();
    const controller = new AbortController();
    const pending = poll(async () => "pending", {
      until: () => false,
      intervalMs: 60_000,
      signal: controller.signal,
    });
    await sleep(20);
    controller.abort();
    await expect(pending).rejects.toThrow();
    expect(timers()).toBe(before);
  });
});

describe("runLoop", () => {
  propTest.prop([fc.array(fc.boolean(), { minLength: 1, maxLength: 30 })], { numRuns: 40 })(
    "never exits on a failing iteration, backs off after failures, and resets after a success",
    async (outcomes) => {
      const r = recording();
      const events: LoopEvent[] = [];
      const plan = [...outcomes];
      const loop = runLoop({
        iterate: async () => {
          const ok = plan.shift();
          if (ok === undefined) {
            void loop.stop("plan done");
            return;
          }
          if (!ok) throw new Error("transient");
        },
        intervalMs: 10,
        initialBackoffMs: 100,
        maxBackoffMs: 800,
        now: r.now,
        sleep: r.sleep,
        onEvent: (e) => events.push(e),
      });
      await loop.done;
      expect(loop.health().iterations).toBe(outcomes.length + 1);
      let streak = 0;
      const failures = events.filter((e) => e.type === "failure");
      for (const [i, ok] of outcomes.entries()) {
        streak = ok ? 0 : streak + 1;
        if (!ok) {
          const event = failures.shift();
          expect(event).toMatchObject({
            iteration: i + 1,
            consecutiveFailures: streak,
            retryInMs: Math.min(100 * 2 ** (streak - 1), 800),
          });
        }
      }
      expect(events.at(-1)).toEqual({ type: "stopped", iterations: outcomes.length + 1 });
    },
  );

  it("finishes the item in hand when stopped, then stops without a timer left", async () => {
    const before = timers();
    const controller = new AbortController();
    let finished = 0;
    let release: () => void = () => undefined;
    const loop = runLoop({
      iterate: () =>
        new Promise<void>((resolve) => {
          release = () => {
            finished++;
            resolve();
          };
        }),
      intervalMs: 60_000,
      signal: controller.signal,
    });
    await sleep(10);
    controller.abort();
    expect(loop.health().running).toBe(true); // still working on the item
    release();
    await loop.done;
    expect(finished).toBe(1);
    expect(loop.health()).toMatchObject({ running: false, iterations: 1, consecutiveFailures: 0 });
    expect(timers()).toBe(before);
  });

  it("stops on SIGTERM after the item in hand, and removes its signal handlers", async () => {
    const listeners = process.listenerCount("SIGTERM");
    const loop = runLoop({ iterate: async () => undefined, intervalMs: 60_000, handleSignals: true });
    expect(process.listenerCount("SIGTERM")).toBe(listeners + 1);
    await sleep(5);
    process.emit("SIGTERM");
    await loop.done;
    expect(process.listenerCount("SIGTERM")).toBe(listeners);
  });

  it("lets a listener call stop() on every event without recursing", async () => {
    const events: string[] = [];
    const loop = runLoop({
      iterate: async () => undefined,
      intervalMs: 1,
      onEvent: (event) => {
        events.push(event.type);
        void loop.stop();
      },
    });
    await loop.done;
    expect(events.filter((type) => type === "stopping")).toHaveLength(1);
    expect(events.at(-1)).toBe("stopped");
  });

  it("waits at least an error's retry hint before the next iteration", async () => {
    const r = recording();
    let n = 0;
    const loop = runLoop({
      iterate: async () => {
        if (++n === 1) throw Object.assign(new Error("429"), { retryAfterMs: 7_000 });
        void loop.stop();
      },
      initialBackoffMs: 100,
      now: r.now,
      sleep: r.sleep,
    });
    await loop.done;
    expect(r.waits[0]).toBe(7_000);
  });
});
