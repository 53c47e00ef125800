import type { IdKind } from "../../domain/ids.ts";
import { idLowerBoundAt } from "../../domain/ids.ts";
import type { Page, PageRequest } from "../../domain/types.ts";
import { pageFromRows, planPageScan } from "../shared-pagination.ts";
import { boundLimit, type StatementCache } from "./sqlite-database.ts";

export { mapPage } from "../shared-pagination.ts";

/**
 * Svix cursor paging over one key column, in SQL for SQLite. The paging rules (iterators, `done`)
 * are shared with the other engines in `store/shared-pagination.ts`.
 */
export interface PageQuery {
  /** `SELECT … FROM …` (with joins), without WHERE. */
  from: string;
  /** Conditions ANDed together; each `?` is bound from `params` in order. */
  where: string[];
  params: unknown[];
  /** SQL expression of the cursor column, e.g. `m.id`. */
  key: string;
  order: PageRequest["order"];
}

export function fetchPage<Row>(
  statements: StatementCache,
  query: PageQuery,
  page: PageRequest,
  keyOf: (row: Row) => string,
): Page<Row> {
  const scan = planPageScan(page, query.order);
  const where = [...query.where];
  const params = [...query.params];
  if (scan.cursor !== null) {
    where.push(`${query.key} ${scan.ascending ? ">" : "<"} ?`);
    params.push(scan.cursor);
  }
  const sql =
    `${query.from}` +
    (where.length > 0 ? ` WHERE ${where.join(" AND ")}` : "") +
    ` ORDER BY ${query.key} ${scan.ascending ? "ASC" : "DESC"} LIMIT ${boundLimit("?")}`;
  params.push(scan.limit + 1);
  return pageFromRows(statements.get<Row>(sql).all(...params), scan, keyOf);
}

/**
 * Creation-time bounds as id bounds: ids of a kind embed their creation millisecond and sort by
 * it (src/domain/ids.ts), so `created before B` is `id < lowerBound(B)` and `created at or after A`
 * is `id >= lowerBound(A)`, served by the same (…, id) index that orders the list. This relies on
 * ids being minted with the object's createdAt (newId(kind, createdAt)), which is how Herald (and
 * Svix) create them. `before` is exclusive and `after` inclusive, like the [since, until) ranges.
 */
export function addTimeRange(
  query: Pick<PageQuery, "where" | "params">,
  column: string,
  kind: IdKind,
  range: { before?: number; after?: number },
): void {
  if (range.before !== undefined) {
    query.where.push(`${column} < ?`);
    query.params.push(idLowerBoundAt(kind, range.before));
  }
  if (range.after !== undefined) {
    query.where.push(`${column} >= ?`);
    query.params.push(idLowerBoundAt(kind, range.after));
  }
}

/**
 * Filters on the message (alias `messageAlias`): has `channel` among its channels, and/or has one of
 * `eventTypes`. The event type list is bound as one JSON array so the SQL text (and thus the cached
 * statement) does not depend on its length. An empty list means "no filter", like an absent one.
 */
export function addMessageFilters(
  query: Pick<PageQuery, "where" | "params">,
  messageAlias: string,
  filter: { channel?: string; eventTypes?: string[] },
): void {
  if (filter.channel !== undefined) {
    query.where.push(`EXISTS (SELECT 1 FROM json_each(${messageAlias}.channels) WHERE value = ?)`);
    query.params.push(filter.channel);
  }
  if (filter.eventTypes !== undefined && filter.eventTypes.length > 0) {
    query.where.push(`${messageAlias}.event_type IN (SELECT value FROM json_each(?))`);
    query.params.push(JSON.stringify(filter.eventTypes));
  }
}

export function needsMessageJoin(filter: { channel?: string; eventTypes?: string[] }): boolean {
  return filter.channel !== undefined || (filter.eventTypes !== undefined && filter.eventTypes.length > 0);
}
