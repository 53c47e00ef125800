import { idLowerBoundAt } from "../../domain/ids.ts";
import { MESSAGE_STATUS } from "../../domain/types.ts";
import type { DbAttempt, DbDestination, DbDestinationWithMessage, DbMessage } from "../shared-rows.ts";
import { rowToAttempt, rowToDestination, rowToDestinationWithMessage, rowToMessage } from "../shared-rows.ts";
import type { AttemptStore, EndpointStats } from "../store.ts";
import type { PostgresContext } from "./postgres-database.ts";
import { execute, queryOne, queryRows, statement } from "./postgres-database.ts";
import type { PageQuery } from "./postgres-pagination.ts";
import { addMessageFilters, addTimeRange, fetchPage, mapPage, needsMessageJoin } from "./postgres-pagination.ts";
import { ATTEMPT_COLUMNS, columnList, DESTINATION_COLUMNS, MESSAGE_COLUMNS } from "./postgres-rows.ts";
import { sql, trustedSql } from "./postgres-sql.ts";

/** The endpoint belongs to the application ($1 endpoint id, $2 application id). */
const ENDPOINT_IN_APP = "EXISTS (SELECT 1 FROM endpoints WHERE id = $1 AND app_id = $2)";

const st = {
  byId: statement<DbAttempt>(
    "attempt_by_id",
    `SELECT ${columnList(ATTEMPT_COLUMNS)} FROM attempts WHERE app_id = $1 AND msg_id = $2 AND id = $3`,
  ),
  // The request body becomes "" rather than NULL: NULL means "the body was the message payload",
  // which would make an expunged attempt show the payload again.
  expunge: statement(
    "expunge_attempt",
    "UPDATE attempts SET response = '', request_body = '' WHERE app_id = $1 AND msg_id = $2 AND id = $3",
  ),
  // The application is checked once, against the endpoint (a one-time filter in the plan), rather
  // than per destination row, so the destinations are read from an index alone. Message creation
  // time [since, until) is an id range on msg_id (ids are time-sortable).
  stats: statement<{ status: number; n: number }>(
    "endpoint_stats",
    `SELECT status, COUNT(*) AS n FROM message_destinations
     WHERE endpoint_id = $1 AND msg_id >= $3 AND msg_id < $4 AND ${ENDPOINT_IN_APP}
     GROUP BY status`,
  ),
  failed: statement<{ msg_id: string }>(
    "failed_message_ids",
    `SELECT msg_id FROM message_destinations
     WHERE endpoint_id = $1 AND status = ${MESSAGE_STATUS.fail} AND msg_id >= $3 AND msg_id < $4 AND msg_id > $5
       AND ${ENDPOINT_IN_APP}
     ORDER BY msg_id LIMIT $6`,
  ),
  // The application's messages in an id range (messages_app_id), each checked against the
  // destinations' primary key (msg_id, endpoint_id).
  missing: statement<DbMessage>(
    "messages_missing_destination",
    `SELECT ${columnList(MESSAGE_COLUMNS, "m")} FROM messages m
     WHERE m.app_id = $2 AND m.id >= $3 AND m.id < $4 AND m.id > $5
       AND NOT EXISTS (SELECT 1 FROM message_destinations d WHERE d.msg_id = m.id AND d.endpoint_id = $1)
       AND ${ENDPOINT_IN_APP}
     ORDER BY m.id LIMIT $6`,
  ),
};

/** Parameters of the endpoint-and-message-window queries (recover, replay-missing): $1 … $6. */
function windowParams(appId: string, endpointId: string, range: { since: number; until: number; afterMsgId: string | null; limit: number }) {
  return [
    endpointId,
    appId,
    idLowerBoundAt("message", range.since),
    idLowerBoundAt("message", range.until),
    range.afterMsgId ?? "",
    Math.max(0, Math.floor(range.limit)),
  ];
}

export function makeAttemptStore({ pool }: PostgresContext): AttemptStore {
  return {
    async listAttempts(appId, filter) {
      const join = needsMessageJoin(filter);
      const columns = columnList(ATTEMPT_COLUMNS, "a");
      const query: PageQuery = {
        from: trustedSql(
          join ? `SELECT ${columns} FROM attempts a JOIN messages m ON m.id = a.msg_id` : `SELECT ${columns} FROM attempts a`,
        ),
        where: [sql`a.app_id = ${appId}`],
        key: "a.id",
        order: "descending", // newest first, whatever the requested order
      };
      if (filter.msgId !== undefined) query.where.push(sql`a.msg_id = ${filter.msgId}`);
      if (filter.endpointId !== undefined) query.where.push(sql`a.endpoint_id = ${filter.endpointId}`);
      if (filter.status !== undefined) query.where.push(sql`a.status = ${filter.status}`);
      if (filter.statusCodeClass !== undefined) {
        if (filter.statusCodeClass === 0) {
          query.where.push(sql`a.response_status_code = 0`);
        } else {
          // floor(code / 100) * 100 = class, written as a range.
          query.where.push(sql`a.response_status_code >= ${filter.statusCodeClass} AND a.response_status_code < ${filter.statusCodeClass + 100}`);
        }
      }
      if (join) addMessageFilters(query.where, "m", filter);
      addTimeRange(query.where, "a.id", "attempt", filter);
      return mapPage(await fetchPage<DbAttempt>(pool, query, filter.page, (row) => row.id), rowToAttempt);
    },

    async getAttempt(appId, msgId, attemptId) {
      const row = await queryOne(pool, st.byId, [appId, msgId, attemptId]);
      return row ? rowToAttempt(row) : null;
    },

    async expungeAttemptContent(appId, msgId, attemptId) {
      await execute(pool, st.expunge, [appId, msgId, attemptId]);
    },

    async listDestinationsByMessage(appId, msgId, page) {
      const rows = await fetchPage<DbDestination>(
        pool,
        {
          from: trustedSql(`SELECT ${columnList(DESTINATION_COLUMNS)} FROM message_destinations`),
          where: [sql`msg_id = ${msgId}`, sql`app_id = ${appId}`],
          key: "endpoint_id",
          order: page.order,
        },
        page,
        (row) => row.endpoint_id,
      );
      return mapPage(rows, rowToDestination);
    },

    async listDestinationsByEndpoint(appId, endpointId, filter) {
      const query: PageQuery = {
        from: trustedSql(
          `SELECT ${columnList(MESSAGE_COLUMNS, "m")}, d.endpoint_id AS d_endpoint_id, d.status AS d_status,` +
            " d.next_attempt_at AS d_next_attempt_at, d.attempt_count AS d_attempt_count, d.updated_at AS d_updated_at" +
            " FROM message_destinations d JOIN messages m ON m.id = d.msg_id",
        ),
        where: [sql`d.endpoint_id = ${endpointId}`, sql`d.app_id = ${appId}`],
        key: "d.msg_id",
        // Newest message first, whatever the requested order, unless asked for oldest first.
        order: filter.ascending === true ? "ascending" : "descending",
      };
      if (filter.status !== undefined) query.where.push(sql`d.status = ${filter.status}`);
      addMessageFilters(query.where, "m", filter);
      addTimeRange(query.where, "d.msg_id", "message", filter);
      const rows = await fetchPage<DbDestinationWithMessage>(pool, query, filter.page, (row) => row.id);
      return mapPage(rows, rowToDestinationWithMessage);
    },

    async getEndpointStats(appId, endpointId, since, until) {
      const stats: EndpointStats = { success: 0, pending: 0, sending: 0, fail: 0, canceled: 0 };
      const rows = await queryRows(pool, st.stats, [endpointId, appId, idLowerBoundAt("message", since), idLowerBoundAt("message", until)]);
      for (const { status, n } of rows) {
        if (status === MESSAGE_STATUS.success) stats.success = n;
        else if (status === MESSAGE_STATUS.pending) stats.pending = n;
        else if (status === MESSAGE_STATUS.sending) stats.sending = n;
        else if (status === MESSAGE_STATUS.fail) stats.fail = n;
        else if (status === MESSAGE_STATUS.canceled) stats.canceled = n;
      }
      return stats;
    },

    async listFailedMessageIds(appId, endpointId, range) {
      // status = fail means the last attempt failed and no retry is left: a later success would
      // have set the destination to success, so "failed and never succeeded" is exactly status fail.
      const rows = await queryRows(pool, st.failed, windowParams(appId, endpointId, range));
      return rows.map((row) => row.msg_id);
    },

    async listMessagesMissingDestination(appId, endpointId, range) {
      const rows = await queryRows(pool, st.missing, windowParams(appId, endpointId, range));
      return rows.map(rowToMessage);
    },
  };
}
