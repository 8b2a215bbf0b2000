/** The PipeAgent sandbox's push rate limit. */
import { describe, expect, it } from "vitest";
import { create, feedBody, provider, push, read, rowsOf, sandbox, useSandbox } from "./helpers.js";

useSandbox();

describe("PipeAgent sandbox: push rate limit", () => {
  it("accepts 20 pushes a minute per feed, answers the 21st with 429, and accepts again a minute later", async () => {
    const { client } = await provider();
    const feed = await create(client, feedBody());
    const other = await create(client, feedBody());
    for (let i = 0; i < 20; i++) {
      const { response } = await push(client, feed.id, { payload: [{ id: `r${i}`, name: "n" }] });
      expect(response.status).toBe(200);
      expect(response.headers.get("x-ratelimit-limit")).toBe("20");
      expect(response.headers.get("x-ratelimit-remaining")).toBe(String(19 - i));
    }
    const { response, error } = await push(client, feed.id, { payload: [{ id: "r20", name: "n" }] });
    expect(response.status).toBe(429);
    expect(error?.retry_after_ms).toBeGreaterThan(0);
    expect(error?.retry_after_ms).toBeLessThanOrEqual(60_000);
    expect(response.headers.get("x-ratelimit-limit")).toBe("20");
    expect(response.headers.get("x-ratelimit-remaining")).toBe("0");
    expect(Number(response.headers.get("x-ratelimit-reset"))).toBeGreaterThan(
      sandbox.admin.clock.now() / 1000,
    );
    // Another feed has its own window.
    expect((await push(client, other.id, { payload: [{ id: "a", name: "n" }] })).response.status).toBe(200);

    sandbox.admin.clock.advance(60_000);
    expect((await push(client, feed.id, { payload: [{ id: "r20", name: "n" }] })).response.status).toBe(200);
    expect(rowsOf((await read(client, feed.id, { limit: 100 })).data)).toHaveLength(21);
  });
});
