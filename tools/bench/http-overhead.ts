/**
 * Requests/s and p50/p99 latency of (a) raw fetch, (b) bare openapi-fetch, (c) a specyard client
 * with the full runtime (auth, CSRF, retries armed, timeout, rate-limit rules, logger, redaction)
 * as Node gets it (on undici's request()), against the same loopback server in one run. Two more
 * rows show where (c) stands: (d) raw undici request(), the floor of its transport, and (e) the
 * same client forced onto the global fetch, as it runs outside Node. Rounds are interleaved so that
 * machine noise falls on every variant alike. `BENCH_REQUESTS` sets the requests per variant per
 * round.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import {
  ATELIER_RATE_LIMITS,
  authorizationHeader,
  type CreateHttpClientOptions,
  createHttpClient,
  fetchTransport,
  headerCredential,
  type Logger,
  PIPEAGENT_RATE_LIMITS,
} from "@specyard/http";
import createClient from "openapi-fetch";
import { request } from "undici";
import type { paths } from "../../packages/pipeagent/src/generated/schema.js";
import { type Summary, summarize, table } from "./stats.js";

const BODY = JSON.stringify({
  feeds: Array.from({ length: 5 }, (_, i) => ({
    id: `feed-${i}`,
    name: `Feed ${i}`,
    endpoint_path: `feed-${i}`,
  })),
  total: 5,
  limit: 20,
  offset: 0,
  has_more: false,
});

export async function main() {
  const server = createServer((_req, res) => {
    res
      .writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(BODY) })
      .end(BODY);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const url = `${base}/v1/catalog?limit=20&offset=0`;

  const bare = createClient<paths>({ baseUrl: base });
  const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
  const full: CreateHttpClientOptions = {
    baseUrl: base,
    auth: [
      authorizationHeader("bench-token-abcdef"),
      headerCredential("X-CSRF-Token", "csrf-abcdef", { mutationsOnly: true }),
    ],
    rateLimits: [...PIPEAGENT_RATE_LIMITS, ...ATELIER_RATE_LIMITS],
    logger: silent,
    logLevel: "info",
    timeoutMs: 10_000,
    secrets: ["another-secret-value"],
  };
  const specyard = createHttpClient<paths>(full);
  const specyardOnFetch = createHttpClient<paths>({ ...full, transport: fetchTransport() });

  const variants: Array<[string, () => Promise<unknown>]> = [
    [
      "(a) raw fetch",
      async () => {
        const response = await fetch(url, { headers: { authorization: "Bearer bench-token-abcdef" } });
        return response.json();
      },
    ],
    [
      "(b) openapi-fetch",
      () =>
        bare.GET("/v1/catalog", {
          params: { query: { limit: 20, offset: 0 } },
          headers: { authorization: "Bearer bench-token-abcdef" },
        }),
    ],
    [
      "(c) specyard client",
      () => specyard.GET("/v1/catalog", { params: { query: { limit: 20, offset: 0 } } }),
    ],
    [
      "(d) raw undici request",
      async () => {
        const answer = await request(url, { headers: { authorization: "Bearer bench-token-abcdef" } });
        return answer.body.json();
      },
    ],
    [
      "(e) specyard on fetch",
      () => specyardOnFetch.GET("/v1/catalog", { params: { query: { limit: 20, offset: 0 } } }),
    ],
  ];

  const perRound = Number(process.env.BENCH_REQUESTS ?? 1000);
  const rounds = 5;
  const latencies = new Map<string, number[]>(variants.map(([name]) => [name, []]));
  const wall = new Map<string, number>(variants.map(([name]) => [name, 0]));

  for (const [, call] of variants) for (let i = 0; i < 200; i++) await call(); // warm-up
  for (let round = 0; round < rounds; round++) {
    for (const [name, call] of variants) {
      const samples = latencies.get(name) ?? [];
      const started = performance.now();
      for (let i = 0; i < perRound; i++) {
        const t0 = performance.now();
        await call();
        samples.push(performance.now() - t0);
      }
      wall.set(name, (wall.get(name) ?? 0) + performance.now() - started);
    }
  }
  server.close();

  const rows: Summary[] = variants.map(([name]) =>
    summarize(name, latencies.get(name) ?? [], wall.get(name) ?? 1),
  );
  const baseline = rows[0] as Summary;
  console.log(
    `${perRound * rounds} sequential GETs per variant over keep-alive loopback, ${rounds} interleaved rounds\n`,
  );
  console.log(table(rows, baseline));
  const [, , ours, undici, onFetch] = rows as [Summary, Summary, Summary, Summary, Summary];
  const over = (row: Summary, floor: Summary) => `${((row.p50 / floor.p50 - 1) * 100).toFixed(1)}%`;
  console.log(`\nspecyard p50 vs raw fetch: ${over(ours, baseline)} (target: within +10%)`);
  console.log(`specyard p50 vs its own transport (raw undici request): ${over(ours, undici)}`);
  console.log(`specyard on fetch p50 vs raw fetch: ${over(onFetch, baseline)}`);
}
