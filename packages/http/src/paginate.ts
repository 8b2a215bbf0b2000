import { SpecyardError } from "./errors.js";

/** `for await (const item of pager)` walks every item; `pager.pages()` walks whole pages. */
export interface Paginator<Item, Page> extends AsyncIterable<Item> {
  pages(): AsyncIterable<Page>;
  /** Every item, in order (for small lists). */
  toArray(): Promise<Item[]>;
}

export interface PaginateOptions<Page, Item, Cursor> {
  /** Loads the page at `cursor` (`undefined` for the first). */
  fetchPage(cursor: Cursor | undefined, signal?: AbortSignal): Promise<Page>;
  items(page: Page): readonly Item[];
  /** The cursor of the page after `page`, or undefined at the end. */
  next(page: Page, cursor: Cursor | undefined): Cursor | undefined;
  first?: Cursor;
  signal?: AbortSignal;
}

export function paginate<Page, Item, Cursor>(
  options: PaginateOptions<Page, Item, Cursor>,
): Paginator<Item, Page> {
  async function* pages(): AsyncGenerator<Page> {
    let cursor = options.first;
    const seen = new Set<unknown>();
    for (;;) {
      options.signal?.throwIfAborted();
      const page = await options.fetchPage(cursor, options.signal);
      yield page;
      const next = options.next(page, cursor);
      if (next === undefined || next === null || next === "") return;
      if (seen.has(next))
        throw new SpecyardError(`pagination did not advance: cursor ${String(next).slice(0, 40)} came twice`);
      seen.add(next);
      cursor = next;
    }
  }
  async function* items(): AsyncGenerator<Item> {
    for await (const page of pages()) yield* options.items(page);
  }
  return {
    [Symbol.asyncIterator]: items,
    pages,
    async toArray() {
      const out: Item[] = [];
      for await (const item of items()) out.push(item);
      return out;
    },
  };
}

/** Cursor pages `{items, nextCursor}` (PipedAI) or `{<key>, nextCursor}` (Pinata's `skills`). */
export function cursorPages<Page extends { nextCursor?: string | null }, Item>(
  fetchPage: (cursor: string | undefined, signal?: AbortSignal) => Promise<Page>,
  items: (page: Page) => readonly Item[],
  signal?: AbortSignal,
): Paginator<Item, Page> {
  return paginate<Page, Item, string>({
    fetchPage,
    items,
    next: (page) => page.nextCursor ?? undefined,
    ...(signal ? { signal } : {}),
  });
}

/** Offset pages `{…, offset, limit, has_more}` (PipeAgent): the next offset follows the items read. */
export function offsetPages<Page extends { has_more?: boolean }, Item>(
  fetchPage: (offset: number, signal?: AbortSignal) => Promise<Page>,
  items: (page: Page) => readonly Item[],
  signal?: AbortSignal,
): Paginator<Item, Page> {
  return paginate<Page, Item, number>({
    fetchPage: (offset, s) => fetchPage(offset ?? 0, s),
    items,
    next: (page, offset) =>
      page.has_more && items(page).length > 0 ? (offset ?? 0) + items(page).length : undefined,
    ...(signal ? { signal } : {}),
  });
}
