/** The PipeAgent sandbox's push size and row limits, at their boundaries. */
import type { PipeAgentClient } from "@specyard/pipeagent";
import { beforeAll, describe, expect, it } from "vitest";
import { create, feedBody, provider, push, read, useSandbox } from "./helpers.js";

useSandbox();

const MB = 1024 * 1024;

const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value), "utf8");

/** A body whose compact JSON is exactly `target` bytes: `rows` rows sharing the padding. */
function sizedRows(
  target: number,
  rows: number,
  wrap: (rows: unknown[]) => unknown = (payload) => ({ payload }),
) {
  const make = (pads: number[]) => wrap(pads.map((pad, i) => ({ id: i, p: "x".repeat(pad) })));
  const extra = target - bytes(make(Array(rows).fill(0)));
  const each = Math.floor(extra / rows);
  const pads = Array.from({ length: rows }, (_, i) => each + (i === rows - 1 ? extra - each * rows : 0));
  const body = make(pads);
  expect(bytes(body)).toBe(target);
  return body;
}

describe("PipeAgent sandbox: push limits at their boundaries", () => {
  let client: PipeAgentClient;
  beforeAll(async () => {
    client = (await provider()).client;
  });
  const tooLarge = async (feedId: string, body: unknown, limit: string) => {
    const { response, error } = await push(client, feedId, body);
    expect(response.status).toBe(413);
    expect(error?.limit).toBe(limit);
  };

  it("500 rows are accepted, 501 get 413 row_count (not the spec validator's 400)", async () => {
    const feed = await create(client, feedBody({ schema_definition: { type: "object" } }));
    const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ id: i }));
    expect((await push(client, feed.id, { payload: rows(500) })).data?.rows).toBe(500);
    await tooLarge(feed.id, { payload: rows(501) }, "row_count");
    await tooLarge(feed.id, rows(501), "row_count"); // legacy form
  });

  it("a row of exactly 50 KB of UTF-8 is accepted, one byte more gets 413 row_payload", async () => {
    const feed = await create(
      client,
      feedBody({ schema_definition: { type: "object" }, feed_type: "stream" }),
    );
    const row = (size: number, id: string) => {
      const value = { id, p: "x".repeat(size - bytes({ id, p: "" })) };
      expect(bytes(value)).toBe(size);
      return value;
    };
    expect((await push(client, feed.id, { payload: [row(51_200, "a")] })).response.status).toBe(200);
    await tooLarge(feed.id, { payload: [{ id: "small" }, row(51_201, "b")] }, "row_payload");
    // Bytes, not characters: "é" is two bytes of UTF-8.
    const base = bytes({ id: "c", p: "" });
    const accents = Math.floor((51_201 - base) / 2);
    const multi = { id: "c", p: "é".repeat(accents) + "x".repeat(51_201 - base - 2 * accents) };
    expect(JSON.stringify(multi).length).toBeLessThan(51_200);
    expect(bytes(multi)).toBe(51_201);
    await tooLarge(feed.id, { payload: multi }, "row_payload");
  });

  it("a collection body of exactly 2 MB is accepted, one byte more gets 413 request_body", async () => {
    const feed = await create(client, feedBody({ schema_definition: { type: "object" } }));
    expect((await push(client, feed.id, sizedRows(2 * MB, 45))).data?.rows).toBe(45);
    await tooLarge(feed.id, sizedRows(2 * MB + 1, 45), "request_body");
    const stream = await create(
      client,
      feedBody({ schema_definition: { type: "object" }, feed_type: "stream" }),
    );
    expect((await push(client, stream.id, sizedRows(2 * MB, 45))).response.status).toBe(200);
    await tooLarge(stream.id, sizedRows(2 * MB + 1, 45), "request_body");
  });

  it("a singleton body of exactly 4 MB is accepted, one byte more gets 413 singleton_body", async () => {
    const feed = await create(
      client,
      feedBody({ schema_definition: { type: "object" }, feed_type: "singleton" }),
    );
    const doc = (size: number) => {
      const body = { payload: { blob: "" } };
      body.payload.blob = "x".repeat(size - bytes(body));
      expect(bytes(body)).toBe(size);
      return body;
    };
    expect((await push(client, feed.id, doc(4 * MB))).response.status).toBe(200);
    await tooLarge(feed.id, doc(4 * MB + 1), "singleton_body");
    const stored = (await read(client, feed.id)).data as { blob: string };
    expect(stored.blob.length).toBe(4 * MB - bytes({ payload: { blob: "" } }));
  });
});
