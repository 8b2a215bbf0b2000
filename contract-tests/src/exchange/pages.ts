/**
 * `pagination_consistency`: a list walked page by page (a small page size) gives every item once.
 * Judged over the whole walk: each page answered 2xx with at most `limit` items, no item twice, the
 * walk ends, a `total` equals the items walked, a `has_more`-style flag agrees with the pages, and
 * nothing is missing (against one read of the whole list, when it fits in a page, and against the
 * items the phase created first).
 */
import type { Exchange } from "./checks.js";

/** One page as read: its exchange and what the pagination's pointers found in it. */
export interface PageRead {
  exchange: Exchange;
  /** The array at the items pointer; undefined when the answer has none. */
  items?: unknown[];
  total?: unknown;
  more?: unknown;
  /** The next cursor (cursor style); null or undefined at the end. */
  next?: unknown;
}

export interface Walk {
  /** The list operation (`GET /path`). */
  list: string;
  style: "offset" | "cursor";
  /** The page size asked for; undefined when the list has no page-size parameter. */
  limit?: number;
  /** The field that identifies an item; undefined: the item's JSON is its identity. */
  key?: string;
  /** Whether the pagination names a total / a more flag (so that each page must carry it). */
  hasTotal: boolean;
  hasMore: boolean;
  pages: PageRead[];
  /** How the walk stopped: at the end, at the page cap, or on a cursor seen before. */
  ended: "end" | "cap" | "cursor-repeat";
  /** One read of the whole list (largest page), when the list fits in it. */
  whole?: PageRead;
  /** Ids of the items the phase created, which the walk must meet. */
  seeded: string[];
}

/** `pass`, a reason it proves nothing (`skip`), or a failure and the page it shows. */
export type WalkVerdict = "pass" | { skip: string } | { fail: string; page: number };

/** An item's identity: its key field, or its JSON. */
export function itemKey(item: unknown, key: string | undefined): string {
  if (key && item && typeof item === "object" && key in item)
    return String((item as Record<string, unknown>)[key]);
  return JSON.stringify(item);
}

const status = (ex: Exchange) => (ex.response ? `answered ${ex.response.status}` : `failed: ${ex.error}`);

/** The minimum pages a walk needs to prove anything about page boundaries. */
export const MIN_PAGES = 3;

export function judgeWalk(walk: Walk): WalkVerdict {
  const seen = new Map<string, number>();
  const { pages, limit, key } = walk;
  for (const [i, page] of pages.entries()) {
    const n = i + 1;
    const ex = page.exchange;
    const code = ex.response?.status ?? 0;
    if (code < 200 || code >= 300) return { fail: `page ${n} of ${walk.list} ${status(ex)}`, page: i };
    if (!page.items) return { fail: `page ${n} of ${walk.list} has no item array`, page: i };
    if (limit !== undefined && page.items.length > limit)
      return { fail: `page ${n} has ${page.items.length} items, over the limit ${limit} asked for`, page: i };
    for (const item of page.items) {
      const k = itemKey(item, key);
      const before = seen.get(k);
      if (before !== undefined)
        return { fail: `item ${k} comes twice: on page ${before} and on page ${n}`, page: i };
      seen.set(k, n);
    }
    if (walk.hasTotal && page.total === undefined) return { fail: `page ${n} carries no total`, page: i };
    const last = i === pages.length - 1;
    if (walk.hasMore && typeof page.more === "boolean" && page.more === last && walk.ended === "end")
      return {
        fail: last
          ? `the last page (${n}) still says there are more items`
          : `page ${n} says there are no more items, yet page ${n + 1} follows`,
        page: i,
      };
  }
  const lastPage = pages.length - 1;
  if (walk.ended === "cap")
    return { fail: `the walk did not end after ${pages.length} pages`, page: lastPage };
  if (walk.ended === "cursor-repeat")
    return {
      fail: `page ${pages.length} hands out a cursor seen before: the walk would loop`,
      page: lastPage,
    };
  const walked = seen.size;
  for (const [i, page] of pages.entries())
    if (walk.hasTotal && Number(page.total) !== walked)
      return {
        fail: `page ${i + 1} says total ${String(page.total)}, the walk met ${walked} items`,
        page: i,
      };
  const whole = walk.whole?.items;
  if (whole) {
    const all = new Set(whole.map((item) => itemKey(item, key)));
    const missing = [...all].filter((k) => !seen.has(k));
    if (missing.length)
      return {
        fail: `a gap: ${missing.length} item(s) of the whole list never came up in the walk (${missing.slice(0, 3).join(", ")})`,
        page: lastPage,
      };
    const extra = [...seen.keys()].filter((k) => !all.has(k));
    if (extra.length)
      return {
        fail: `the walk met ${extra.length} item(s) the whole list does not hold (${extra.slice(0, 3).join(", ")})`,
        page: lastPage,
      };
  }
  const lost = walk.seeded.filter((id) => !seen.has(id));
  if (lost.length)
    return {
      fail: `a gap: ${lost.length} of the ${walk.seeded.length} items created first never came up (${lost.slice(0, 3).join(", ")})`,
      page: lastPage,
    };
  const filled = pages.filter((p) => (p.items?.length ?? 0) > 0).length;
  if (filled < MIN_PAGES)
    return {
      skip: `only ${walked} item(s) in ${filled} page(s) of ${limit ?? "the server's size"}: fewer than ${MIN_PAGES} pages`,
    };
  return "pass";
}
