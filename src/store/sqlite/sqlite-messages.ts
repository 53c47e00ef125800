import type { Message } from "../../domain/types.ts";
import type { DbMessage } from "../shared-rows.ts";
import { firstJobOf, insertedJob, leasedFanOutJobOf, messageToRow, rowToMessage } from "../shared-rows.ts";
import type { Job, Lease, MessageStore } from "../store.ts";
import type { SqliteContext } from "./sqlite-database.ts";
import { lazy, withConflict } from "./sqlite-database.ts";
import type { PageQuery } from "./sqlite-pagination.ts";
import { addMessageFilters, addTimeRange, fetchPage, mapPage } from "./sqlite-pagination.ts";
import type { QueueStatements } from "./sqlite-queue-statements.ts";
import { insertJob } from "./sqlite-queue-statements.ts";

const EVENT_ID_TAKEN = "A message with this eventId already exists in the application";

export function makeMessageStore({ db, statements, groupCommit }: SqliteContext, queue: () => QueueStatements): MessageStore {
  const st = lazy(() => ({
    insert: db.prepare<DbMessage>(
      `INSERT INTO messages (id, app_id, event_id, event_type, payload, channels, metadata, previous, created_at, expires_at)
       VALUES (@id, @app_id, @event_id, @event_type, @payload, @channels, @metadata, @previous, @created_at, @expires_at)`,
    ),
    byId: db.prepare<[string, string], DbMessage>("SELECT * FROM messages WHERE app_id = ? AND id = ?"),
    byEventId: db.prepare<[string, string], DbMessage>("SELECT * FROM messages WHERE app_id = ? AND event_id = ?"),
    expungePayload: db.prepare<[string, string]>("UPDATE messages SET payload = NULL WHERE app_id = ? AND id = ?"),
    expungeAttemptBodies: db.prepare<[string, string]>("UPDATE attempts SET request_body = NULL WHERE app_id = ? AND msg_id = ?"),
  }));

  // The message and its fan-out job commit together: once createMessage resolves, the message is
  // durable and some worker will fan it out (the job is due at the message's creation time). Both
  // writes run in the group commit's transaction (group-commit.ts), which makes each all or nothing.
  function insertWithJob(message: Message, lease: Lease | undefined): Job | null {
    st().insert.run(messageToRow(message));
    if (!lease) {
      insertJob(queue(), firstJobOf(message));
      return null;
    }
    const job = leasedFanOutJobOf(message, lease);
    return insertedJob(job, insertJob(queue(), job));
  }

  function insertForEndpoint(message: Message, endpointId: string): void {
    st().insert.run(messageToRow(message));
    queue().upsertPendingDestination.run({
      msg_id: message.id,
      endpoint_id: endpointId,
      app_id: message.appId,
      next_attempt_at: message.createdAt,
      updated_at: message.createdAt,
    });
    insertJob(queue(), firstJobOf(message, endpointId));
  }

  const expungeTx = db.transaction((appId: string, msgId: string) => {
    st().expungePayload.run(appId, msgId);
    st().expungeAttemptBodies.run(appId, msgId);
  });

  return {
    createMessage(message, lease) {
      return groupCommit(() => withConflict("eventId", EVENT_ID_TAKEN, () => insertWithJob(message, lease)));
    },
    async createMessageForEndpoint(message, endpointId) {
      await groupCommit(() => withConflict("eventId", EVENT_ID_TAKEN, () => insertForEndpoint(message, endpointId)));
    },
    async getMessage(appId, idOrEventId) {
      const row = st().byId.get(appId, idOrEventId) ?? st().byEventId.get(appId, idOrEventId);
      return row ? rowToMessage(row) : null;
    },
    async getMessagesByIds(refs) {
      return refs.map(({ appId, msgId }) => {
        const row = st().byId.get(appId, msgId);
        return row ? rowToMessage(row) : null;
      });
    },
    async listMessages(appId, filter) {
      // Always newest first (Svix), whatever the requested order.
      const query: PageQuery = { from: "SELECT m.* FROM messages m", where: ["m.app_id = ?"], params: [appId], key: "m.id", order: "descending" };
      addMessageFilters(query, "m", filter);
      addTimeRange(query, "m.id", "message", filter);
      return mapPage(fetchPage<DbMessage>(statements, query, filter.page, (row) => row.id), rowToMessage);
    },
    async expungeMessageContent(appId, msgId) {
      expungeTx.immediate(appId, msgId);
    },
  };
}
