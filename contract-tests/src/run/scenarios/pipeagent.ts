/** The pipeagent scenario: a feed of each type → push → read back exactly what was pushed. */
import type { Scenario, ScenarioApi } from "../scenario.js";
import { bearer, needed } from "./helpers.js";

/** What each feed type gets pushed, and what a read gives back. */
const PUSHES = {
  singleton: { market: "SOL-USDC", price: 172.41 },
  collection: [[{ id: "a", name: "first chunk" }], [{ id: "b", name: "second chunk" }]],
  stream: [
    { id: "e1", headline: "one", event_timestamp: "2025-06-01T08:00:00Z" },
    { id: "e2", headline: "two", event_timestamp: "2025-06-02T08:00:00Z" },
  ],
};

export const pipeagent: Scenario = {
  provider: "pipeagent",
  name: "create feed → push each type → read back",
  credentials: ["WriteKey", "ReadKeyHeader"],
  steps() {
    const feeds: Record<string, string> = {};
    const suffix = Math.random().toString(36).slice(2, 8);
    const write = (api: ScenarioApi) => bearer(needed(api, "WriteKey"));
    const read = (api: ScenarioApi, id: string) =>
      api.call(
        { method: "GET", path: `/v1/feed/${id}`, headers: { "x-api-key": needed(api, "ReadKeyHeader") } },
        200,
      );
    const push = (api: ScenarioApi, type: string, body: unknown) =>
      api.call(
        {
          method: "POST",
          path: `/api/v1/provider/feed/${feeds[type]}/push`,
          headers: write(api),
          json: body,
        },
        200,
      );
    return [
      {
        name: "create a singleton, a collection and a stream feed",
        async run(api) {
          for (const type of ["singleton", "collection", "stream"]) {
            const feed = await api.call(
              {
                method: "POST",
                path: "/api/v1/provider/feed/create",
                headers: write(api),
                json: {
                  name: `Scenario ${type} ${suffix}`,
                  description: `A ${type} feed made by the contract scenario`,
                  endpoint_path: `scenario-${type}-${suffix}`,
                  feed_type: type,
                  schema_definition: { type: "object" },
                  price_type: "free",
                },
              },
              200,
            );
            api.expect(
              feed.id && feed.feed_type === type,
              `created feed is not a ${type}: ${feed.feed_type}`,
            );
            feeds[type] = feed.id;
          }
        },
      },
      {
        name: "push the singleton document",
        async run(api) {
          const pushed = await push(api, "singleton", { payload: PUSHES.singleton });
          api.expect(pushed.rows === 1, `rows: ${pushed.rows}`);
        },
      },
      {
        name: "push the collection as one batch over two requests (batch_id, batch_complete)",
        async run(api) {
          const [first, second] = PUSHES.collection;
          const one = await push(api, "collection", {
            payload: first,
            batch_id: "scenario",
            batch_complete: false,
          });
          api.expect(
            one.batch_complete === false && one.rows === 1,
            "the first chunk was not taken as an open batch",
          );
          await push(api, "collection", { payload: second, batch_id: "scenario", batch_complete: true });
        },
      },
      {
        name: "push the stream events",
        async run(api) {
          const pushed = await push(api, "stream", { payload: PUSHES.stream });
          api.expect(pushed.rows === PUSHES.stream.length, `rows: ${pushed.rows}`);
        },
      },
      {
        name: "read back exactly what was pushed",
        async run(api) {
          const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
          const single = await read(api, feeds.singleton ?? "");
          api.expect(same(single, PUSHES.singleton), `singleton reads ${JSON.stringify(single)}`);
          const rows = (await read(api, feeds.collection ?? "")).data;
          api.expect(same(rows, PUSHES.collection.flat()), `collection reads ${JSON.stringify(rows)}`);
          const events = (await read(api, feeds.stream ?? "")).data;
          api.expect(same(events, PUSHES.stream), `stream reads ${JSON.stringify(events)}`);
        },
      },
    ];
  },
};
