import { idLowerBoundAt } from "../../domain/ids.ts";
import type { RetentionStore } from "../store.ts";
import type { SqliteContext } from "./sqlite-database.ts";
import { boundLimit, lazy } from "./sqlite-database.ts";

/**
 * Retention in bounded batches: each call is one short transaction, so deliveries interleave with
 * pruning instead of waiting behind one long delete. Message ids sort by creation time, so "created
 * before" is an id range on the primary key.
 */
export function makeRetentionStore({ db }: SqliteContext): RetentionStore {
  const st = lazy(() => ({
    expire: db.prepare<[number, number]>(
      `UPDATE messages SET payload = NULL
       WHERE id IN (SELECT id FROM messages WHERE expires_at <= ? AND payload IS NOT NULL LIMIT ${boundLimit("?")})`,
    ),
    oldMessages: db.prepare<[string, number], { id: string }>(`SELECT id FROM messages WHERE id < ? ORDER BY id LIMIT ${boundLimit("?")}`),
    deleteAttempts: db.prepare<[string]>("DELETE FROM attempts WHERE msg_id = ?"),
    deleteDestinations: db.prepare<[string]>("DELETE FROM message_destinations WHERE msg_id = ?"),
    deleteMessage: db.prepare<[string]>("DELETE FROM messages WHERE id = ?"),
    deleteIdempotency: db.prepare<[number]>("DELETE FROM idempotency_keys WHERE state = 'done' AND expires_at <= ?"),
    deleteAttemptStats: db.prepare<[number, number]>(
      `DELETE FROM attempt_stats WHERE (app_id, span_ms, bucket_start, endpoint_id) IN
         (SELECT app_id, span_ms, bucket_start, endpoint_id FROM attempt_stats WHERE bucket_start < ? LIMIT ${boundLimit("?")})`,
    ),
  }));

  const pruneTx = db.transaction((before: number, now: number, limit: number): number => {
    const ids = st().oldMessages.all(idLowerBoundAt("message", before), limit);
    for (const { id } of ids) {
      st().deleteAttempts.run(id);
      st().deleteDestinations.run(id);
      st().deleteMessage.run(id);
    }
    st().deleteIdempotency.run(now);
    return ids.length;
  });

  return {
    async expirePayloads(now, limit) {
      return st().expire.run(now, limit).changes;
    },
    async pruneMessages(before, now, limit) {
      return pruneTx.immediate(before, now, limit);
    },
    async pruneAttemptStats(before, limit) {
      return st().deleteAttemptStats.run(before, limit).changes;
    },
  };
}
