import { idLowerBoundAt } from "../../domain/ids.ts";
import { MESSAGE_STATUS } from "../../domain/types.ts";
import type { DbAttempt, DbDestination, DbDestinationWithMessage, DbMessage } from "../shared-rows.ts";
import { rowToAttempt, rowToDestination, rowToDestinationWithMessage, rowToMessage } from "../shared-rows.ts";
import type { AttemptStore, EndpointStats } from "../store.ts";
import type { SqliteContext } from "./sqlite-database.ts";
import { boundLimit, lazy } from "./sqlite-database.ts";
import type { PageQuery } from "./sqlite-pagination.ts";
import { addMessageFilters, addTimeRange, fetchPage, mapPage, needsMessageJoin } from "./sqlite-pagination.ts";

/** Attempts, destinations ("where did a message go / what did an endpoint get") and endpoint stats. */
export function makeAttemptStore({ db, statements }: SqliteContext): AttemptStore {
  const st = lazy(() => ({
    byId: db.prepare<[string, string, string], DbAttempt>("SELECT * FROM attempts WHERE app_id = ? AND msg_id = ? AND id = ?"),
    // The request body becomes "" rather than NULL: NULL means "the body was the message payload",
    // which would make an expunged attempt show the payload again.
    expunge: db.prepare<[string, string, string]>(
      "UPDATE attempts SET response = '', request_body = '' WHERE app_id = ? AND msg_id = ? AND id = ?",
    ),
    // The application is checked once, against the endpoint, rather than per destination row, so
    // the two queries below are answered from an index alone.
    endpointInApp: db.prepare<[string, string], { one: number }>("SELECT 1 AS one FROM endpoints WHERE id = ? AND app_id = ?"),
    // Message creation time [since, until) is an id range on msg_id (ids are time-sortable).
    stats: db.prepare<{ endpointId: string; from: string; to: string }, { status: number; n: number }>(
      `SELECT status, COUNT(*) AS n FROM message_destinations
       WHERE endpoint_id = @endpointId AND msg_id >= @from AND msg_id < @to
       GROUP BY status`,
    ),
    // INDEXED BY: with three bounds on msg_id the planner may otherwise pick (endpoint_id, msg_id,
    // status) and sort, reading the whole range instead of stopping after `limit` failed rows.
    failed: db.prepare<{ endpointId: string; from: string; to: string; after: string; limit: number }, { msg_id: string }>(
      `SELECT msg_id FROM message_destinations INDEXED BY message_destinations_endpoint_status
       WHERE endpoint_id = @endpointId AND status = ${MESSAGE_STATUS.fail}
         AND msg_id >= @from AND msg_id < @to AND msg_id > @after
       ORDER BY msg_id LIMIT ${boundLimit("@limit")}`,
    ),
    // The application's messages in an id range (messages_app_id), each checked against the
    // destinations' primary key (msg_id, endpoint_id).
    missing: db.prepare<{ appId: string; endpointId: string; from: string; to: string; after: string; limit: number }, DbMessage>(
      `SELECT m.* FROM messages m
       WHERE m.app_id = @appId AND m.id >= @from AND m.id < @to AND m.id > @after
         AND NOT EXISTS (SELECT 1 FROM message_destinations d WHERE d.msg_id = m.id AND d.endpoint_id = @endpointId)
       ORDER BY m.id LIMIT ${boundLimit("@limit")}`,
    ),
  }));

  return {
    async listAttempts(appId, filter) {
      const join = needsMessageJoin(filter);
      const query: PageQuery = {
        from: join ? "SELECT a.* FROM attempts a JOIN messages m ON m.id = a.msg_id" : "SELECT a.* FROM attempts a",
        where: ["a.app_id = ?"],
        params: [appId],
        key: "a.id",
        order: "descending", // newest first, whatever the requested order
      };
      if (filter.msgId !== undefined) {
        query.where.push("a.msg_id = ?");
        query.params.push(filter.msgId);
      }
      if (filter.endpointId !== undefined) {
        query.where.push("a.endpoint_id = ?");
        query.params.push(filter.endpointId);
      }
      if (filter.status !== undefined) {
        query.where.push("a.status = ?");
        query.params.push(filter.status);
      }
      if (filter.statusCodeClass !== undefined) {
        if (filter.statusCodeClass === 0) {
          query.where.push("a.response_status_code = 0");
        } else {
          // floor(code / 100) * 100 = class, written as a range.
          query.where.push("a.response_status_code >= ? AND a.response_status_code < ?");
          query.params.push(filter.statusCodeClass, filter.statusCodeClass + 100);
        }
      }
      if (join) addMessageFilters(query, "m", filter);
      addTimeRange(query, "a.id", "attempt", filter);
      return mapPage(fetchPage<DbAttempt>(statements, query, filter.page, (row) => row.id), rowToAttempt);
    },

    async getAttempt(appId, msgId, attemptId) {
      const row = st().byId.get(appId, msgId, attemptId);
      return row ? rowToAttempt(row) : null;
    },

    async expungeAttemptContent(appId, msgId, attemptId) {
      st().expunge.run(appId, msgId, attemptId);
    },

    async listDestinationsByMessage(appId, msgId, page) {
      const rows = fetchPage<DbDestination>(
        statements,
        { from: "SELECT * FROM message_destinations", where: ["msg_id = ?", "app_id = ?"], params: [msgId, appId], key: "endpoint_id", order: page.order },
        page,
        (row) => row.endpoint_id,
      );
      return mapPage(rows, rowToDestination);
    },

    async listDestinationsByEndpoint(appId, endpointId, filter) {
      const query: PageQuery = {
        from:
          "SELECT m.*, d.endpoint_id AS d_endpoint_id, d.status AS d_status, d.next_attempt_at AS d_next_attempt_at," +
          " d.attempt_count AS d_attempt_count, d.updated_at AS d_updated_at" +
          " FROM message_destinations d JOIN messages m ON m.id = d.msg_id",
        where: ["d.endpoint_id = ?", "d.app_id = ?"],
        params: [endpointId, appId],
        key: "d.msg_id",
        // Newest message first, whatever the requested order, unless asked for oldest first.
        order: filter.ascending === true ? "ascending" : "descending",
      };
      if (filter.status !== undefined) {
        query.where.push("d.status = ?");
        query.params.push(filter.status);
      }
      addMessageFilters(query, "m", filter);
      addTimeRange(query, "d.msg_id", "message", filter);
      const rows = fetchPage<DbDestinationWithMessage>(statements, query, filter.page, (row) => row.id);
      return mapPage(rows, rowToDestinationWithMessage);
    },

    async getEndpointStats(appId, endpointId, since, until) {
      const stats: EndpointStats = { success: 0, pending: 0, sending: 0, fail: 0, canceled: 0 };
      if (!st().endpointInApp.get(endpointId, appId)) return stats;
      const rows = st().stats.all({ endpointId, from: idLowerBoundAt("message", since), to: idLowerBoundAt("message", until) });
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
      if (!st().endpointInApp.get(endpointId, appId)) return [];
      const rows = st().failed.all({
        endpointId,
        from: idLowerBoundAt("message", range.since),
        to: idLowerBoundAt("message", range.until),
        after: range.afterMsgId ?? "",
        limit: Math.max(0, Math.floor(range.limit)),
      });
      return rows.map((row) => row.msg_id);
    },

    async listMessagesMissingDestination(appId, endpointId, range) {
      if (!st().endpointInApp.get(endpointId, appId)) return [];
      const rows = st().missing.all({
        appId,
        endpointId,
        from: idLowerBoundAt("message", range.since),
        to: idLowerBoundAt("message", range.until),
        after: range.afterMsgId ?? "",
        limit: Math.max(0, Math.floor(range.limit)),
      });
      return rows.map(rowToMessage);
    },
  };
}
