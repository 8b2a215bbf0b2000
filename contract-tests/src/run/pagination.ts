/**
 * The `pagination_consistency` phase, on a stateful target: for each paginated list, create enough
 * items first (so that at least three pages exist), then walk the list with a small page size and
 * judge the walk (`src/exchange/pages.ts`).
 *
 * A list is paginated when its GET operation carries `x-specyard-pagination`:
 *
 *     x-specyard-pagination:
 *       style: offset | cursor
 *       items: /feeds            # JSON pointer to the page's array
 *       key: id                  # the field that identifies an item (default: `id` when items have one)
 *       limit: limit             # page size parameter (optional: a fixed page size)
 *       offset: offset           # offset style: the offset parameter
 *       cursor: cursor           # cursor style: the cursor parameter …
 *       next: /nextCursor        # … and the pointer to the next page's cursor (null at the end)
 *       total: /total            # optional: the pointer to the item count
 *       more: /has_more          # optional: the pointer to a "more pages follow" flag
 *       query: { q: specyard }   # optional: fixed query values of every page
 *       seed:                    # optional: how to create items first
 *         operationId: createTrigger   # its resource link's x-specyard-setup / -body apply
 *         listed: true                 # whether the created items are items of this list (default:
 *                                      # when the create is on the list's own path)
 *         id: /id                      # where the create's answer has the item's id (default: its
 *                                      # resource link's id)
 *
 * or, without the extension, when it has an integer `limit` and an `offset` or `cursor` query
 * parameter (or a `cursor` and a next-cursor field) and its 200 answer one top-level array; the POST
 * on the same path then seeds it.
 */
import type { Exchange } from "../exchange/checks.js";
import { execute, type Failure, failureOf, hash, type Outcome } from "../exchange/exchange.js";
import { judgeWalk, type PageRead, type Walk } from "../exchange/pages.js";
import { schemaAt } from "../spec/link-check.js";
import { type ResourceLink, resourceLinks } from "../spec/links.js";
import type { ApiSpec, Operation, Schema } from "../spec/openapi.js";
import { pointer, segments } from "../spec/pointer.js";
import {
  answered,
  bodyOf,
  bodyRuleOf,
  type Caller,
  call,
  ctxOf,
  is2xx,
  operationNamed,
  pathVars,
  plainRequest,
  type Vars,
} from "./calls.js";

export interface Pagination {
  op: Operation;
  style: "offset" | "cursor";
  items: string;
  key?: string;
  limit?: string;
  offset?: string;
  cursor?: string;
  next?: string;
  total?: string;
  more?: string;
  query?: Record<string, unknown>;
  /** The create that makes items, whether they are items of this list, and where its answer has their id. */
  seed?: { operation: string; listed: boolean; id?: string };
  /** Declared by `x-specyard-pagination` (else inferred from the parameters). */
  declared: boolean;
}

/** The page size walked (the smallest the list allows, at least 2). */
export const PAGE_SIZE = 2;
/** Items wanted before a walk: three full pages and one more. */
const WANTED_PAGES = 3;
/** Creates per list at most. */
const MAX_SEEDS = 10;
/** Pages per walk at most. */
const MAX_PAGES = 40;

const json200 = (op: Operation): Schema | undefined => {
  const response = op.responses["200"];
  const media = Object.entries(response?.content ?? {}).find(([type]) => /json/i.test(type));
  return media?.[1].schema;
};

const queryParam = (op: Operation, name: string | undefined) =>
  name === undefined ? undefined : op.parameters.find((p) => p.in === "query" && p.name === name);

/** A schema's own properties and those of its `allOf` parts. */
function properties(schema: Schema | undefined): Record<string, Schema> {
  if (!schema) return {};
  return Object.assign({}, ...(schema.allOf ?? []).map(properties), schema.properties ?? {});
}

/** The item schema's fields, when the items are objects. */
function itemFields(op: Operation, items: string): Record<string, Schema> {
  return properties(schemaAt(json200(op), segments(items))?.items);
}

/** The pagination of a list operation, declared or inferred; undefined for any other operation. */
export function paginationOf(spec: ApiSpec, op: Operation): Pagination | undefined {
  const ext = op.extensions["x-specyard-pagination"] as Schema | undefined;
  const onPath = spec.operations.find((o) => o.method === "POST" && o.path === op.path);
  if (ext) {
    const seedOp = ext.seed?.operationId ? operationNamed(spec, String(ext.seed.operationId)) : undefined;
    const fields = itemFields(op, String(ext.items));
    return {
      op,
      style: ext.style === "cursor" ? "cursor" : "offset",
      items: String(ext.items),
      ...(ext.key ? { key: String(ext.key) } : fields.id ? { key: "id" } : {}),
      ...Object.fromEntries(
        (["limit", "offset", "cursor", "next", "total", "more"] as const).flatMap((name) =>
          ext[name] === undefined ? [] : [[name, String(ext[name])]],
        ),
      ),
      ...(ext.query ? { query: ext.query as Record<string, unknown> } : {}),
      ...(seedOp
        ? {
            seed: {
              operation: seedOp.id,
              listed: ext.seed.listed ?? seedOp.path === op.path,
              ...(ext.seed.id ? { id: String(ext.seed.id) } : {}),
            },
          }
        : {}),
      declared: true,
    };
  }
  if (op.method !== "GET") return undefined;
  const schema = json200(op);
  const props = properties(schema);
  const arrays = Object.entries(props).filter(([, s]) => s.type === "array");
  if (arrays.length !== 1) return undefined;
  const [itemsName] = arrays[0] as [string, Schema];
  const limit = queryParam(op, "limit");
  const hasLimit = limit && limit.schema.type === "integer";
  const nextName = ["nextCursor", "next_cursor", "next"].find((n) => n in props);
  const style =
    queryParam(op, "offset") && hasLimit
      ? "offset"
      : queryParam(op, "cursor") && nextName
        ? "cursor"
        : undefined;
  if (!style) return undefined;
  const fields = itemFields(op, `/${itemsName}`);
  const totalName = ["total", "total_count", "totalCount"].find((n) => props[n]?.type === "integer");
  const moreName = ["has_more", "hasMore"].find((n) => props[n]?.type === "boolean");
  return {
    op,
    style,
    items: `/${itemsName}`,
    ...(fields.id ? { key: "id" } : {}),
    ...(hasLimit ? { limit: "limit" } : {}),
    ...(style === "offset" ? { offset: "offset" } : { cursor: "cursor", next: `/${nextName}` }),
    ...(totalName ? { total: `/${totalName}` } : {}),
    ...(moreName ? { more: `/${moreName}` } : {}),
    ...(onPath ? { seed: { operation: onPath.id, listed: true } } : {}),
    declared: false,
  };
}

export const paginationSeed = (seed: number, op: string) =>
  hash(`${seed} ${op} pagination_consistency`).readInt32BE(0);

function readPage(p: Pagination, exchange: Exchange): PageRead {
  const body = bodyOf(exchange);
  const items = pointer(body, p.items);
  return {
    exchange,
    ...(Array.isArray(items) ? { items } : {}),
    ...(p.total ? { total: pointer(body, p.total) } : {}),
    ...(p.more ? { more: pointer(body, p.more) } : {}),
    ...(p.next ? { next: pointer(body, p.next) } : {}),
  };
}

/** The page size to ask for, and the largest one (for a read of the whole list). */
function sizes(p: Pagination): { small?: number; large?: number } {
  const schema = queryParam(p.op, p.limit)?.schema;
  if (!schema) return {};
  const min = typeof schema.minimum === "number" ? schema.minimum : 1;
  return {
    small: Math.max(min, PAGE_SIZE),
    large: typeof schema.maximum === "number" ? schema.maximum : 100,
  };
}

/** Reads one page. */
function page(c: Caller, p: Pagination, vars: Vars, seed: number, query: Record<string, unknown>) {
  const request = plainRequest(p.op, vars, seed, { query: { ...p.query, ...query } });
  return execute(ctxOf(c, p.op), "positive", request);
}

/** One read of the whole list (the largest page), kept only when it holds everything. */
async function wholeList(c: Caller, p: Pagination, vars: Vars, seed: number): Promise<PageRead | undefined> {
  const { large } = sizes(p);
  const read = readPage(p, await page(c, p, vars, seed, large && p.limit ? { [p.limit]: large } : {}));
  if (!is2xx(read.exchange) || !read.items) return undefined;
  const complete =
    p.style === "cursor"
      ? read.next === null || read.next === undefined
      : read.more === false || (large !== undefined && read.items.length < large);
  return complete ? read : undefined;
}

/** Walks the list page by page. */
async function walk(
  c: Caller,
  p: Pagination,
  vars: Vars,
  seed: number,
): Promise<Pick<Walk, "pages" | "ended">> {
  const { small } = sizes(p);
  const pages: PageRead[] = [];
  const cursors = new Set<string>();
  let offset = 0;
  let cursor: string | undefined;
  while (pages.length < MAX_PAGES) {
    const query: Record<string, unknown> = small && p.limit ? { [p.limit]: small } : {};
    if (p.style === "offset" && p.offset && pages.length) query[p.offset] = offset;
    if (p.style === "cursor" && p.cursor && cursor !== undefined) query[p.cursor] = cursor;
    const read = readPage(p, await page(c, p, vars, seed, query));
    pages.push(read);
    if (!is2xx(read.exchange) || !read.items) return { pages, ended: "end" };
    if (p.style === "cursor") {
      if (read.next === null || read.next === undefined || read.next === "") return { pages, ended: "end" };
      cursor = String(read.next);
      if (cursors.has(cursor)) return { pages, ended: "cursor-repeat" };
      cursors.add(cursor);
    } else {
      if (read.more === false || read.items.length === 0) return { pages, ended: "end" };
      if (read.more === undefined && small !== undefined && read.items.length < small)
        return { pages, ended: "end" };
      offset += small ?? read.items.length;
    }
  }
  return { pages, ended: "cap" };
}

/** Creates up to `count` items; returns their ids (when the link names one) or why none was made. */
async function createItems(
  c: Caller,
  create: Operation,
  link: ResourceLink | undefined,
  idAt: string | undefined,
  vars: Vars,
  count: number,
  seed: number,
): Promise<{ ids: string[]; made: number; problem?: string }> {
  const rule = link?.body ?? bodyRuleOf(create);
  const ids: string[] = [];
  let made = 0;
  let problem: string | undefined;
  for (let i = 0; i < count; i++) {
    const ex = await call(c, create, vars, seed + i, { rule });
    if (!is2xx(ex)) {
      problem ??= `${create.id} ${answered(ex)}`;
      continue;
    }
    made++;
    const id = idAt ? pointer(bodyOf(ex), idAt) : undefined;
    if (typeof id === "string" || typeof id === "number") ids.push(String(id));
  }
  return { ids, made, ...(problem ? { problem } : {}) };
}

/** `pagination_consistency` of one list. */
export async function checkPagination(c: Caller, p: Pagination, options: { seed: number }): Promise<Outcome> {
  const { seed } = options;
  const links = resourceLinks(c.spec);
  const create = p.seed ? operationNamed(c.spec, p.seed.operation) : undefined;
  const link = create ? links.find((l) => l.create === create.id) : undefined;
  const seedVars = create ? await pathVars(c, create, link?.setup, seed) : {};
  if (typeof seedVars === "string") return { status: "n/a", reason: `creating items: ${seedVars}` };
  const vars = await pathVars(c, p.op, undefined, seed, seedVars);
  if (typeof vars === "string") return { status: "n/a", reason: vars };
  const { small } = sizes(p);
  const before = await wholeList(c, p, vars, seed);
  const wanted = WANTED_PAGES * (small ?? 1) + 1;
  let seeded: string[] = [];
  let problem: string | undefined;
  const have = before?.items?.length;
  if (create && (have === undefined || have < wanted)) {
    const made = await createItems(
      c,
      create,
      link,
      p.seed?.id ?? link?.id,
      vars,
      Math.min(MAX_SEEDS, wanted - (have ?? 0)),
      seed,
    );
    if (p.seed?.listed) seeded = made.ids;
    problem = made.problem;
  }
  const walked = await walk(c, p, vars, seed);
  const whole = await wholeList(c, p, vars, seed);
  const w: Walk = {
    list: p.op.id,
    style: p.style,
    ...(small !== undefined ? { limit: small } : {}),
    ...(p.key ? { key: p.key } : {}),
    hasTotal: p.total !== undefined,
    hasMore: p.more !== undefined,
    ...walked,
    ...(whole ? { whole } : {}),
    seeded,
  };
  const verdict = judgeWalk(w);
  if (verdict === "pass") return { status: "pass" };
  if ("skip" in verdict) {
    const why = problem ? `; creating items: ${problem}` : create ? "" : "; nothing seeds it";
    return { status: "n/a", reason: `${verdict.skip}${why}` };
  }
  const shown = walked.pages[verdict.page]?.exchange ?? walked.pages[0]?.exchange;
  if (!shown) return { status: "n/a", reason: "no page was read" };
  const curl = walked.pages.map((pg) => pg.exchange.curl).join("\n");
  const secrets = new Map<string, string>();
  for (const pg of walked.pages) for (const [k, v] of pg.exchange.secrets ?? []) secrets.set(k, v);
  const failure: Failure = failureOf(
    ctxOf(c, p.op),
    { ...shown, curl, secrets },
    "pagination_consistency",
    verdict.fail,
    {
      seed,
      path: "",
      runs: 1,
      activeChecks: ["pagination_consistency"],
    },
  );
  return { status: "fail", failure };
}

/** `pagination_consistency` for the operations in `ops`: operation id → outcome. */
export async function runPagination(
  c: Caller,
  ops: Operation[],
  options: { seed: number; stateful: boolean },
): Promise<Map<string, Outcome>> {
  const out = new Map<string, Outcome>();
  for (const op of ops) {
    const p = paginationOf(c.spec, op);
    if (!p) out.set(op.id, { status: "n/a", reason: "not a paginated list" });
    else if (!options.stateful)
      out.set(op.id, {
        status: "n/a",
        reason: "paginated list: needs a stateful target (items are created first)",
      });
    else out.set(op.id, await checkPagination(c, p, { seed: paginationSeed(options.seed, op.id) }));
  }
  return out;
}
