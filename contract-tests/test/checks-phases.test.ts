/**
 * The checks with phases of their own, judged on hand-made exchanges (each verdict, the passing one
 * and every way to fail), and the phases' reading of the specs: which lists are paginated and how,
 * which updates are checked, which methods a concrete path documents.
 */
import { specPath } from "@specyard/testkit";
import { describe, expect, test } from "vitest";
import type { Exchange } from "../src/exchange/checks.js";
import { documentedMethods, judgeUnsupportedMethod } from "../src/exchange/methods.js";
import { judgeWalk, type PageRead, type Walk } from "../src/exchange/pages.js";
import { judgeUpdate, shows, type UpdateChain } from "../src/exchange/updates.js";
import { PRISM_REASON, runMethods } from "../src/run/methods.js";
import { paginationOf } from "../src/run/pagination.js";
import { updateTargets } from "../src/run/updates.js";
import { type ApiSpec, type Operation, readSpec } from "../src/spec/openapi.js";

const specs: Record<string, ApiSpec> = {};
const spec = (provider: string) => {
  specs[provider] ??= readSpec(specPath(provider), provider);
  return specs[provider];
};
const op = (provider: string, id: string) => spec(provider).operations.find((o) => o.id === id) as Operation;

/** An exchange with this answer (the request does not matter to these checks). */
function exchange(
  status: number,
  body: unknown = {},
  headers: Record<string, string> = {},
  o?: Operation,
): Exchange {
  return {
    phase: "positive",
    op: o ?? op("pipedai", "GET /api/v1/auth/me"),
    case: { path: {}, query: {}, headers: {}, cookies: {}, body: undefined, auth: "valid" },
    request: { method: "GET", url: "http://127.0.0.1/x", headers: {}, body: undefined },
    curl: "curl x",
    response: {
      status,
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    },
  };
}

describe("unsupported_method", () => {
  const probe = (status: number, headers: Record<string, string> = {}) =>
    judgeUnsupportedMethod({
      exchange: exchange(status, {}, headers),
      method: "DELETE",
      path: "/v1/catalog",
      documented: ["GET"],
    });

  test("405 with an Allow header listing the spec's methods passes (OPTIONS and HEAD may be added)", () => {
    expect(probe(405, { allow: "GET, HEAD, OPTIONS" })).toBe("pass");
    expect(probe(405, { allow: "get" })).toBe("pass");
  });

  test("anything else fails, naming what is wrong", () => {
    expect(probe(404)).toEqual({
      fail: "DELETE /v1/catalog (the spec lists GET) answered 404, expected 405",
    });
    expect(probe(200)).toMatchObject({ fail: expect.stringContaining("answered 200, expected 405") });
    expect(probe(405)).toEqual({
      fail: "DELETE /v1/catalog: 405 without an Allow header (the spec lists GET)",
    });
    expect(probe(405, { allow: "POST" })).toMatchObject({ fail: expect.stringContaining("leaves out GET") });
    expect(probe(405, { allow: "GET, DELETE" })).toMatchObject({
      fail: expect.stringContaining("lists DELETE itself"),
    });
    const noAnswer = { ...exchange(405), response: undefined, error: "ECONNREFUSED" } as Exchange;
    expect(
      judgeUnsupportedMethod({ exchange: noAnswer, method: "PUT", path: "/x", documented: ["GET"] }),
    ).toEqual({
      fail: "PUT /x: no response: ECONNREFUSED",
    });
  });

  test("a concrete path documents the methods of every template that matches it", () => {
    const pinata = spec("pinata-agents");
    expect(documentedMethods(pinata, "/v0/agents/a1/domains/challenge")).toEqual(["DELETE", "POST", "PUT"]);
    expect(documentedMethods(pinata, "/v0/agents/a1/domains/d1")).toEqual(["DELETE", "PUT"]);
    expect(documentedMethods(spec("pipeagent"), "/v1/catalog")).toEqual(["GET"]);
  });

  test("on Prism the check is n/a for every path (Prism answers unlisted methods itself)", async () => {
    const pipeagent = spec("pipeagent");
    const session = { baseUrl: "http://127.0.0.1:9", credential: () => "x", close: async () => {} };
    const outcomes = await runMethods({ spec: pipeagent, session, target: "prism" }, pipeagent.operations, {
      seed: 1,
      runs: 3,
    });
    expect(outcomes.get("GET /v1/catalog")).toEqual({ status: "n/a", reason: PRISM_REASON });
    expect(outcomes.get("GET /v1/feed/{id}")?.status).toBe("n/a");
  });
});

describe("pagination_consistency", () => {
  const page = (ids: number[], extra: Partial<PageRead> = {}): PageRead => ({
    exchange: exchange(200),
    items: ids.map((id) => ({ id })),
    ...extra,
  });
  const walk = (pages: PageRead[], extra: Partial<Walk> = {}): Walk => ({
    list: "GET /items",
    style: "offset",
    limit: 2,
    key: "id",
    hasTotal: false,
    hasMore: false,
    pages,
    ended: "end",
    seeded: [],
    ...extra,
  });
  const four = () => [page([1, 2]), page([3, 4]), page([5, 6]), page([7])];

  test("every item once over at least three pages passes", () => {
    expect(judgeWalk(walk(four(), { whole: page([1, 2, 3, 4, 5, 6, 7]), seeded: ["3", "7"] }))).toBe("pass");
    const totals = four().map((p, i, all) => ({ ...p, total: 7, more: i < all.length - 1 }));
    expect(judgeWalk(walk(totals, { hasTotal: true, hasMore: true }))).toBe("pass");
  });

  test("a repeat, a gap, a wrong total or flag, an oversized page, a loop fail", () => {
    expect(judgeWalk(walk([page([1, 2]), page([2, 3]), page([4])]))).toEqual({
      fail: "item 2 comes twice: on page 1 and on page 2",
      page: 1,
    });
    expect(judgeWalk(walk(four(), { whole: page([1, 2, 3, 4, 5, 6, 7, 8]) }))).toMatchObject({
      fail: expect.stringMatching(/^a gap: 1 item\(s\) of the whole list never came up in the walk \(8\)/),
    });
    expect(judgeWalk(walk(four(), { seeded: ["9"] }))).toMatchObject({
      fail: expect.stringContaining("created first"),
    });
    const wrongTotal = four().map((p) => ({ ...p, total: 8 }));
    expect(judgeWalk(walk(wrongTotal, { hasTotal: true }))).toMatchObject({
      fail: "page 1 says total 8, the walk met 7 items",
    });
    const stillMore = four().map((p) => ({ ...p, more: true }));
    expect(judgeWalk(walk(stillMore, { hasMore: true }))).toMatchObject({
      fail: "the last page (4) still says there are more items",
    });
    expect(judgeWalk(walk([page([1, 2, 3]), page([4]), page([5])]))).toMatchObject({
      fail: "page 1 has 3 items, over the limit 2 asked for",
    });
    expect(judgeWalk(walk(four(), { ended: "cursor-repeat" }))).toMatchObject({
      fail: expect.stringContaining("cursor seen before"),
    });
    expect(judgeWalk(walk(four(), { ended: "cap" }))).toMatchObject({
      fail: "the walk did not end after 4 pages",
    });
    expect(judgeWalk(walk([{ ...page([1]), exchange: exchange(500) }]))).toMatchObject({
      fail: "page 1 of GET /items answered 500",
    });
  });

  test("fewer than three pages prove nothing", () => {
    expect(judgeWalk(walk([page([1, 2]), page([3])]))).toEqual({
      skip: "only 3 item(s) in 2 page(s) of 2: fewer than 3 pages",
    });
  });

  test("lists are read from the extension, or inferred from their parameters", () => {
    expect(
      paginationOf(spec("pipedai"), op("pipedai", "GET /api/v1/environments/{envId}/triggers")),
    ).toMatchObject({
      style: "cursor",
      items: "/items",
      key: "id",
      limit: "limit",
      cursor: "cursor",
      next: "/nextCursor",
      seed: { operation: "POST /api/v1/environments/{envId}/triggers", listed: true },
      declared: false,
    });
    expect(
      paginationOf(spec("pipedai"), op("pipedai", "GET /api/v1/environments/{envId}/audit-log")),
    ).toMatchObject({
      declared: true,
      seed: { operation: "POST /api/v1/environments/{envId}/triggers", listed: false },
    });
    expect(paginationOf(spec("pipeagent"), op("pipeagent", "GET /v1/catalog"))).toMatchObject({
      style: "offset",
      items: "/feeds",
      limit: "limit",
      offset: "offset",
      total: "/total",
      more: "/has_more",
    });
    const clawhub = paginationOf(spec("pinata-agents"), op("pinata-agents", "GET /v0/clawhub"));
    expect(clawhub).toMatchObject({ style: "cursor", items: "/skills", next: "/nextCursor" });
    expect(clawhub?.limit).toBeUndefined();
    expect(paginationOf(spec("pipeagent"), op("pipeagent", "GET /v1/feed/{id}/metadata"))).toBeUndefined();
    expect(paginationOf(spec("pipedai"), op("pipedai", "POST /api/v1/workspaces"))).toBeUndefined();
  });
});

describe("update_applied", () => {
  const chain = (
    found: Record<string, unknown> | undefined,
    sent: Record<string, unknown>,
    extra: Partial<UpdateChain> = {},
  ) =>
    judgeUpdate({
      resource: "trigger",
      id: "t1",
      update: exchange(200),
      sent,
      read: exchange(200),
      ...(found ? { found } : {}),
      fields: new Set(["name", "status", "config"]),
      ...extra,
    });

  test("a read that shows every field sent passes; values compare as the API writes them", () => {
    expect(
      chain({ name: "a", status: "paused", config: { x: 1, y: 2 } }, { name: "a", config: { x: 1 } }),
    ).toBe("pass");
    expect(shows("5.00", "5")).toBe(true);
    expect(shows("2025-06-01T10:00:00.000Z", "2025-06-01T10:00:00Z")).toBe(true);
    expect(shows(["a", "b"], ["a", "b"])).toBe(true);
    expect(shows(["a"], ["a", "b"])).toBe(false);
    expect(shows("a", "b")).toBe(false);
  });

  test("a field read back otherwise, or left out although the read shows such a field, fails", () => {
    expect(chain({ name: "old" }, { name: "new" })).toEqual({
      fail: 'trigger t1 updated by GET /api/v1/auth/me (200), but GET /api/v1/auth/me shows name is "old" (sent "new")',
    });
    expect(chain({ name: "a" }, { status: "paused" })).toMatchObject({
      fail: expect.stringContaining("status is missing"),
    });
    expect(chain(undefined, { name: "a" })).toMatchObject({
      fail: expect.stringContaining("no longer shows it"),
    });
    expect(chain({ name: "a" }, { name: "a" }, { read: exchange(404) })).toMatchObject({
      fail: expect.stringContaining("answered 404"),
    });
  });

  test("nulls, write-only fields and failed updates are not judged", () => {
    expect(chain({ name: "a" }, { secret: "s", description: null })).toBe("skip");
    expect(chain({ name: "a" }, { name: "b" }, { update: exchange(400) })).toBe("skip");
  });

  test("the updates checked: links of the create, PATCH / PUT beside a read or delete, singletons", () => {
    const ids = (provider: string) =>
      updateTargets(spec(provider)).map((t) => `${t.update.operation} → ${t.read.operation}`);
    expect(ids("atelier")).toEqual(
      expect.arrayContaining([
        "PATCH /services/{service_id} → GET /agents/{agent_id}/services",
        "PATCH /agents/me → GET /agents/me",
      ]),
    );
    expect(ids("pipeagent")).toContain(
      "PATCH /api/v1/provider/feed/{feed_id}/edit → GET /v1/feed/{id}/metadata",
    );
    expect(ids("pipedai")).toContain("PATCH /api/v1/triggers/{id} → GET /api/v1/triggers/{id}");
    expect(ids("pipe-storage")).toContain("PATCH /api/s3/bucket → GET /api/s3/bucket");
  });
});
