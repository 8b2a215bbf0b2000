/** The PipeAgent sandbox's schema lock: rows checked against a feed's schema. */
import { describe, expect, it } from "vitest";
import { CREATE, checked, create, feedBody, provider, push, read, rowsOf, useSandbox } from "./helpers.js";

useSandbox();

describe("PipeAgent sandbox: schema lock", () => {
  it("refuses rows that break a locked schema with 422 and JSON Pointer field paths, storing nothing", async () => {
    const { client } = await provider();
    const feed = await create(client, feedBody({ schema_locked: true }));
    const { response, error } = await push(client, feed.id, {
      payload: [
        { id: "ok", name: "fine", stars: 1 },
        { id: "b", name: 5 },
        { id: "c", stars: 1.5 },
      ],
    });
    expect(response.status).toBe(422);
    expect(error?.error).toBe("Payload does not match the feed schema");
    expect(error?.details?.map((d) => d.path).sort()).toEqual([
      "/payload/1/name",
      "/payload/2/name",
      "/payload/2/stars",
    ]);
    expect(rowsOf((await read(client, feed.id)).data)).toEqual([]);

    // Legacy single object: paths from the body's root.
    const single = await create(client, feedBody({ feed_type: "singleton", schema_locked: true }));
    const legacy = await push(client, single.id, { id: 7, name: "x" });
    expect(legacy.response.status).toBe(422);
    expect(legacy.error?.details).toEqual([{ path: "/id", message: "must be string" }]);

    // The same rows go into an unlocked feed.
    const open = await create(client, feedBody());
    expect((await push(client, open.id, { payload: [{ id: "b", name: 5 }] })).response.status).toBe(200);
  });

  it("takes draft-07 and 2020-12 schemas, and refuses a locked schema Ajv cannot compile", async () => {
    const { client } = await provider();
    const modern = await create(
      client,
      feedBody({
        schema_locked: true,
        schema_definition: {
          $schema: "https://json-schema.org/draft/2020-12/schema",
          type: "object",
          properties: { tags: { type: "array", prefixItems: [{ type: "string" }] } },
        },
      }),
    );
    expect((await push(client, modern.id, { payload: [{ id: 1, tags: ["a", 2] }] })).response.status).toBe(
      200,
    );
    const refused = await push(client, modern.id, { payload: [{ id: 2, tags: [3] }] });
    expect(refused.error?.details).toEqual([{ path: "/payload/0/tags/0", message: "must be string" }]);
    const { response } = await checked(
      CREATE,
      "post",
      client.POST(CREATE, {
        body: feedBody({ schema_locked: true, schema_definition: { type: "no-such-type" } }),
      }),
    );
    expect(response.status).toBe(400);
  });
});
