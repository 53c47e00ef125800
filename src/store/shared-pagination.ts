import type { Page, PageRequest } from "../domain/types.ts";

/**
 * Svix cursor paging over one key column (an id, or an event type's name), for every engine. Each
 * engine turns a `PageScan` into its own SQL; the semantics live here:
 *
 * - The list is ordered by `key` ascending or descending (`order`).
 * - No iterator: the first page. Iterator `X`: the items after X in list order.
 *   Iterator `-X`: the items just before X in list order (fetched in reverse, then flipped back).
 * - `iterator` is the key of the last item returned, `prevIterator` is "-" + the key of the first;
 *   both are null on an empty page.
 * - `done`: nothing more in the direction this page was fetched in. We fetch limit + 1 rows to know.
 */
export interface PageScan {
  /** Items per page; the query fetches `limit + 1` rows. */
  limit: number;
  /** Rows strictly after this key in scan order, or from the start when null. */
  cursor: string | null;
  /** Scan direction over the key column (the list order, reversed for a `-X` iterator). */
  ascending: boolean;
  /** A `-X` iterator: rows come back in reverse list order and are flipped by `pageFromRows`. */
  backward: boolean;
}

export function planPageScan(page: PageRequest, order: PageRequest["order"]): PageScan {
  const backward = page.iterator !== null && page.iterator.startsWith("-");
  const ascending = order === "ascending";
  return {
    limit: Math.max(1, Math.floor(page.limit)),
    cursor: page.iterator === null ? null : backward ? page.iterator.slice(1) : page.iterator,
    ascending: backward ? !ascending : ascending,
    backward,
  };
}

/** The page for up to `scan.limit + 1` rows fetched in scan order. */
export function pageFromRows<Row>(rows: Row[], scan: PageScan, keyOf: (row: Row) => string): Page<Row> {
  const done = rows.length <= scan.limit;
  const items = rows.slice(0, scan.limit);
  if (scan.backward) items.reverse();
  return {
    items,
    iterator: items.length > 0 ? keyOf(items[items.length - 1]) : null,
    prevIterator: items.length > 0 ? "-" + keyOf(items[0]) : null,
    done,
  };
}

export function mapPage<Row, T>(page: Page<Row>, map: (row: Row) => T): Page<T> {
  return { ...page, items: page.items.map(map) };
}
