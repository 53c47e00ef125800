import type { IdKind } from "../../domain/ids.ts";
import { idLowerBoundAt } from "../../domain/ids.ts";
import type { Page, PageRequest } from "../../domain/types.ts";
import { pageFromRows, planPageScan } from "../shared-pagination.ts";
import type { Queryable } from "./postgres-database.ts";
import { queryDynamic } from "./postgres-database.ts";
import type { Sql } from "./postgres-sql.ts";
import { joinSql, sql, trustedSql } from "./postgres-sql.ts";

export { mapPage } from "../shared-pagination.ts";

/**
 * Svix cursor paging over one key column, in SQL for PostgreSQL. The paging rules (iterators,
 * `done`) are shared with SQLite in `store/shared-pagination.ts`.
 */
export interface PageQuery {
  /** `SELECT … FROM …` (with joins), without WHERE. */
  from: Sql;
  /** Conditions ANDed together. */
  where: Sql[];
  /** SQL expression of the cursor column, e.g. `m.id` (a COLLATE "C" column, so order is byte order). */
  key: string;
  order: PageRequest["order"];
}

export async function fetchPage<Row>(
  db: Queryable,
  query: PageQuery,
  page: PageRequest,
  keyOf: (row: Row) => string,
): Promise<Page<Row>> {
  const scan = planPageScan(page, query.order);
  const key = trustedSql(query.key);
  const where = [...query.where];
  if (scan.cursor !== null) where.push(scan.ascending ? sql`${key} > ${scan.cursor}` : sql`${key} < ${scan.cursor}`);
  const rows = await queryDynamic<Row>(
    db,
    sql`${query.from}${where.length > 0 ? sql` WHERE ${joinSql(where, " AND ")}` : trustedSql("")}
      ORDER BY ${key} ${trustedSql(scan.ascending ? "ASC" : "DESC")} LIMIT ${scan.limit + 1}`,
  );
  return pageFromRows(rows, scan, keyOf);
}

/**
 * Creation-time bounds as id bounds: ids of a kind embed their creation millisecond and sort by
 * it (src/domain/ids.ts), so `created before B` is `id < lowerBound(B)` and `created at or after A`
 * is `id >= lowerBound(A)`, served by the same (…, id) index that orders the list. `before` is
 * exclusive and `after` inclusive, like the [since, until) ranges. Same rule as SQLite's.
 */
export function addTimeRange(where: Sql[], column: string, kind: IdKind, range: { before?: number; after?: number }): void {
  const key = trustedSql(column);
  if (range.before !== undefined) where.push(sql`${key} < ${idLowerBoundAt(kind, range.before)}`);
  if (range.after !== undefined) where.push(sql`${key} >= ${idLowerBoundAt(kind, range.after)}`);
}

/**
 * Filters on the message (alias `messageAlias`): has `channel` among its channels, and/or has one of
 * `eventTypes`. Channels are stored as JSON text, cast to jsonb here for `?` (array contains this
 * string). The event type list is bound as one text[] so the SQL text does not depend on its
 * length. An empty list means "no filter", like an absent one.
 */
export function addMessageFilters(where: Sql[], messageAlias: string, filter: { channel?: string; eventTypes?: string[] }): void {
  const alias = trustedSql(messageAlias);
  if (filter.channel !== undefined) where.push(sql`(${alias}.channels::jsonb) ? ${filter.channel}`);
  if (filter.eventTypes !== undefined && filter.eventTypes.length > 0) {
    where.push(sql`${alias}.event_type = ANY(${filter.eventTypes}::text[])`);
  }
}

export function needsMessageJoin(filter: { channel?: string; eventTypes?: string[] }): boolean {
  return filter.channel !== undefined || (filter.eventTypes !== undefined && filter.eventTypes.length > 0);
}
