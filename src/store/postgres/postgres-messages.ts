import type pg from "pg";

import type { Message } from "../../domain/types.ts";
import type { DbMessage } from "../shared-rows.ts";
import { firstJobOf, rowToMessage } from "../shared-rows.ts";
import type { MessageStore } from "../store.ts";
import type { PostgresContext } from "./postgres-database.ts";
import { execute, queryByIdOrKey, queryRows, statement, transaction, withConflict } from "./postgres-database.ts";
import { makeMessageInsert, messageParams } from "./postgres-message-inserts.ts";
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
  // By id, then (if no id matches) by eventId: an id match wins over an eventId match. Two
  // statements, not one `id = $2 OR event_id = $2` nor a UNION of both: a named statement is planned
  // for its parameters five times, then PostgreSQL may settle on one generic plan for the
  // connection, costed with the statistics of that moment, and keep it. Planned while the table
  // was still empty (a new database, the benchmark's), the eventId probe became a walk over all the
  // application's messages (messages_app_id, filtering on event_id): 0.5 ms a call on average and
  // half of PostgreSQL's time in the benchmark (pg_stat_statements, issue 6). The id lookup has
  // only full probes to choose from (the primary key, or app_id and id), so any plan of it is
  // right; the worker only ever asks by id, and asking by eventId is an API call, not the hot path.
  byId: statement<DbMessage>(
    "message_by_id",
    `SELECT ${columnList(MESSAGE_COLUMNS)} FROM messages WHERE id = $2 AND app_id = $1`,
  ),
  // Parallel arrays: $1 application ids, $2 message ids.
  byIds: statement<DbMessage>(
    "messages_by_ids",
    `SELECT ${columnList(MESSAGE_COLUMNS, "m")} FROM unnest($1::text[], $2::text[]) AS ref(app_id, id)
     JOIN messages m ON m.id = ref.id AND m.app_id = ref.app_id`,
  ),
  byEventId: statement<DbMessage>(
    "message_by_event_id",
    `SELECT ${columnList(MESSAGE_COLUMNS)} FROM messages WHERE app_id = $1 AND event_id = $2`,
  ),
  expungePayload: statement("expunge_message_payload", "UPDATE messages SET payload = NULL WHERE app_id = $1 AND id = $2"),
  expungeAttemptBodies: statement(
    "expunge_message_attempt_bodies",
    "UPDATE attempts SET request_body = NULL WHERE app_id = $1 AND msg_id = $2",
  ),
};

async function insertMessage(tx: pg.PoolClient, message: Message): Promise<void> {
  await execute(tx, st.insert, messageParams(message));
}

export function makeMessageStore({ pool, workNotifier }: PostgresContext): MessageStore {
  const insertWithJob = makeMessageInsert(pool);
  return {
    // The message and its fan-out job commit together: once createMessage resolves, the message is
    // durable and some worker will fan it out (the job is due at the message's creation time).
    async createMessage(message, lease) {
      const job = await withConflict("eventId", EVENT_ID_TAKEN, () => insertWithJob(message, lease));
      // Workers hear of it after the commit, with other messages (postgres-work-notifier.ts); a
      // job leased already is this process's own to run.
      if (!job) workNotifier.soon();
      return job;
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
      const row = await queryByIdOrKey(pool, "message", { byId: st.byId, byKey: st.byEventId }, appId, idOrEventId);
      return row ? rowToMessage(row) : null;
    },

    async getMessagesByIds(refs) {
      if (refs.length === 0) return [];
      const rows = await queryRows(pool, st.byIds, [refs.map((ref) => ref.appId), refs.map((ref) => ref.msgId)]);
      const byId = new Map(rows.map((row) => [row.id, row]));
      return refs.map(({ appId, msgId }) => {
        const row = byId.get(msgId);
        return row && row.app_id === appId ? rowToMessage(row) : null;
      });
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
