import type pg from "pg";

import type { Message } from "../../domain/types.ts";
import type { DbMessage } from "../shared-rows.ts";
import { firstJobOf, messageToRow, rowToMessage } from "../shared-rows.ts";
import type { MessageStore } from "../store.ts";
import type { PostgresContext } from "./postgres-database.ts";
import { execute, queryOne, statement, transaction, withConflict } from "./postgres-database.ts";
import type { PageQuery } from "./postgres-pagination.ts";
import { addMessageFilters, addTimeRange, fetchPage, mapPage } from "./postgres-pagination.ts";
import { insertJob, jobParams, notifyWork, upsertPendingDestinations, WORK_CHANNEL } from "./postgres-queue-statements.ts";
import { columnList, MESSAGE_COLUMNS } from "./postgres-rows.ts";
import { sql, trustedSql } from "./postgres-sql.ts";

const EVENT_ID_TAKEN = "A message with this eventId already exists in the application";

const st = {
  insert: statement(
    "insert_message",
    `INSERT INTO messages (id, app_id, event_id, event_type, payload, channels, metadata, previous, created_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
  ),
  // createMessage in one statement, so one round trip and one transaction: the message, then its
  // fan-out job ($11…$20, as firstJobOf makes it), then the work notification ($21, the channel),
  // which PostgreSQL sends when the statement commits. A taken eventId fails the message insert,
  // and with it the whole statement. The job reads the message's CTE only to run after it.
  insertWithJob: statement(
    "insert_message_with_job",
    `WITH message AS (
       INSERT INTO messages (id, app_id, event_id, event_type, payload, channels, metadata, previous, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       RETURNING id
     ),
     job AS (
       INSERT INTO queue (kind, app_id, msg_id, endpoint_id, task_id, attempt, trigger_type, run_at, lease_token, lane)
       SELECT $11::text, $12::text, $13::text, $14::text, $15::text, $16::integer, $17::smallint, $18::bigint, $19::text,
         $20::text
       FROM message
       RETURNING id
     )
     SELECT pg_notify($21, '') FROM job`,
  ),
  // By id or eventId in one round trip; an id match wins over an eventId match (`preference`).
  // Written as two probes of unique indexes rather than one `id = $2 OR event_id = $2`: a named
  // statement is planned for its parameters five times, then PostgreSQL may settle on one generic
  // plan for the connection, costed with the statistics of that moment, and keep it. For the OR
  // form that plan could be a walk over all the application's messages (messages_app_id), picked
  // while the table was small and kept as it grew: under load, getMessage read ~10,000 index
  // entries per call on some connections and one on others (issue 6). An equality on a unique
  // index is one probe whatever the statistics, so any plan of this form is the right one. The
  // lookups of applications and endpoints by id or uid are written the same way.
  byIdOrEventId: statement<DbMessage>(
    "message_by_id_or_event_id",
    `SELECT ${columnList(MESSAGE_COLUMNS)} FROM (
       SELECT ${columnList(MESSAGE_COLUMNS)}, 1 AS preference FROM messages WHERE app_id = $1 AND id = $2
       UNION ALL
       SELECT ${columnList(MESSAGE_COLUMNS)}, 2 FROM messages WHERE app_id = $1 AND event_id = $2
     ) AS found
     ORDER BY preference LIMIT 1`,
  ),
  expungePayload: statement("expunge_message_payload", "UPDATE messages SET payload = NULL WHERE app_id = $1 AND id = $2"),
  expungeAttemptBodies: statement(
    "expunge_message_attempt_bodies",
    "UPDATE attempts SET request_body = NULL WHERE app_id = $1 AND msg_id = $2",
  ),
};

/** A message's columns in the order of insert_message's parameters. */
function messageParams(message: Message): unknown[] {
  const row = messageToRow(message);
  return [row.id, row.app_id, row.event_id, row.event_type, row.payload, row.channels, row.metadata, row.previous, row.created_at, row.expires_at];
}

async function insertMessage(tx: pg.PoolClient, message: Message): Promise<void> {
  await execute(tx, st.insert, messageParams(message));
}

export function makeMessageStore({ pool }: PostgresContext): MessageStore {
  return {
    // The message and its fan-out job commit together: once createMessage resolves, the message is
    // durable and some worker will fan it out (the job is due at the message's creation time).
    async createMessage(message) {
      const params = [...messageParams(message), ...jobParams(firstJobOf(message)), WORK_CHANNEL];
      await withConflict("eventId", EVENT_ID_TAKEN, () => execute(pool, st.insertWithJob, params));
    },

    async createMessageForEndpoint(message, endpointId) {
      await withConflict("eventId", EVENT_ID_TAKEN, () =>
        transaction(pool, async (tx) => {
          await insertMessage(tx, message);
          await upsertPendingDestinations(tx, [{ msgId: message.id, endpointId, appId: message.appId, at: message.createdAt }]);
          await insertJob(tx, firstJobOf(message, endpointId));
          await notifyWork(tx);
        }),
      );
    },

    async getMessage(appId, idOrEventId) {
      const row = await queryOne(pool, st.byIdOrEventId, [appId, idOrEventId]);
      return row ? rowToMessage(row) : null;
    },

    async listMessages(appId, filter) {
      // Always newest first (Svix), whatever the requested order.
      const query: PageQuery = {
        from: trustedSql(`SELECT ${columnList(MESSAGE_COLUMNS, "m")} FROM messages m`),
        where: [sql`m.app_id = ${appId}`],
        key: "m.id",
        order: "descending",
      };
      addMessageFilters(query.where, "m", filter);
      addTimeRange(query.where, "m.id", "message", filter);
      return mapPage(await fetchPage<DbMessage>(pool, query, filter.page, (row) => row.id), rowToMessage);
    },

    async expungeMessageContent(appId, msgId) {
      await transaction(pool, async (tx) => {
        await execute(tx, st.expungePayload, [appId, msgId]);
        await execute(tx, st.expungeAttemptBodies, [appId, msgId]);
      });
    },
  };
}
