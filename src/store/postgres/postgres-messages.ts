import type pg from "pg";

import type { Message } from "../../domain/types.ts";
import type { DbMessage } from "../shared-rows.ts";
import { firstJobOf, messageToRow, rowToMessage } from "../shared-rows.ts";
import type { MessageStore } from "../store.ts";
import type { PostgresContext } from "./postgres-database.ts";
import { execute, queryOne, statement, transaction, withConflict } from "./postgres-database.ts";
import type { PageQuery } from "./postgres-pagination.ts";
import { addMessageFilters, addTimeRange, fetchPage, mapPage } from "./postgres-pagination.ts";
import { insertJob, notifyWork, upsertPendingDestinations } from "./postgres-queue-statements.ts";
import { columnList, MESSAGE_COLUMNS } from "./postgres-rows.ts";
import { sql, trustedSql } from "./postgres-sql.ts";

const EVENT_ID_TAKEN = "A message with this eventId already exists in the application";

const st = {
  insert: statement(
    "insert_message",
    `INSERT INTO messages (id, app_id, event_id, event_type, payload, channels, metadata, previous, created_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
  ),
  // By id or eventId in one round trip; an id match wins over an eventId match.
  byIdOrEventId: statement<DbMessage>(
    "message_by_id_or_event_id",
    `SELECT ${columnList(MESSAGE_COLUMNS)} FROM messages
     WHERE app_id = $1 AND (id = $2 OR event_id = $2)
     ORDER BY id = $2 DESC LIMIT 1`,
  ),
  expungePayload: statement("expunge_message_payload", "UPDATE messages SET payload = NULL WHERE app_id = $1 AND id = $2"),
  expungeAttemptBodies: statement(
    "expunge_message_attempt_bodies",
    "UPDATE attempts SET request_body = NULL WHERE app_id = $1 AND msg_id = $2",
  ),
};

async function insertMessage(tx: pg.PoolClient, message: Message): Promise<void> {
  const row = messageToRow(message);
  await execute(tx, st.insert, [
    row.id,
    row.app_id,
    row.event_id,
    row.event_type,
    row.payload,
    row.channels,
    row.metadata,
    row.previous,
    row.created_at,
    row.expires_at,
  ]);
}

export function makeMessageStore({ pool }: PostgresContext): MessageStore {
  return {
    // The message and its fan-out job commit together: once createMessage resolves, the message is
    // durable and some worker will fan it out (the job is due at the message's creation time).
    async createMessage(message) {
      await withConflict("eventId", EVENT_ID_TAKEN, () =>
        transaction(pool, async (tx) => {
          await insertMessage(tx, message);
          await insertJob(tx, firstJobOf(message));
          await notifyWork(tx);
        }),
      );
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
