import { idLowerBoundAt } from "../../domain/ids.ts";
import type { RetentionStore } from "../store.ts";
import type { PostgresContext } from "./postgres-database.ts";
import { execute, statement, transaction } from "./postgres-database.ts";

/**
 * Retention in bounded batches: each call is one short transaction, so deliveries interleave with
 * pruning instead of waiting behind one long delete. Message ids sort by creation time, so "created
 * before" is an id range on the primary key.
 *
 * Every worker runs retention, so several may run it at once: batches are picked with FOR UPDATE
 * SKIP LOCKED, and concurrent runs take disjoint rows instead of queueing on the same ones.
 */
const st = {
  expire: statement(
    "expire_payloads",
    `UPDATE messages SET payload = NULL
     WHERE id IN (SELECT id FROM messages WHERE expires_at <= $1 AND payload IS NOT NULL LIMIT $2 FOR UPDATE SKIP LOCKED)`,
  ),
  // One statement: the batch of old messages, then their attempts, destinations and the messages.
  prune: statement(
    "prune_messages",
    `WITH doomed AS (SELECT id FROM messages WHERE id < $1 ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED),
     attempts_deleted AS (DELETE FROM attempts WHERE msg_id IN (SELECT id FROM doomed)),
     destinations_deleted AS (DELETE FROM message_destinations WHERE msg_id IN (SELECT id FROM doomed))
     DELETE FROM messages WHERE id IN (SELECT id FROM doomed)`,
  ),
  deleteIdempotency: statement(
    "prune_idempotency_keys",
    `DELETE FROM idempotency_keys
     WHERE key IN (SELECT key FROM idempotency_keys WHERE state = 'done' AND expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
  ),
  deleteAttemptStats: statement(
    "prune_attempt_stats",
    `DELETE FROM attempt_stats
     WHERE ctid = ANY (ARRAY(SELECT ctid FROM attempt_stats WHERE bucket_start < $1 LIMIT $2 FOR UPDATE SKIP LOCKED))`,
  ),
};

export function makeRetentionStore({ pool }: PostgresContext): RetentionStore {
  return {
    async expirePayloads(now, limit) {
      return execute(pool, st.expire, [now, limit]);
    },
    async pruneMessages(before, now, limit) {
      return transaction(pool, async (tx) => {
        const pruned = await execute(tx, st.prune, [idLowerBoundAt("message", before), limit]);
        await execute(tx, st.deleteIdempotency, [now, limit]);
        return pruned;
      });
    },
    async pruneAttemptStats(before, limit) {
      return execute(pool, st.deleteAttemptStats, [before, limit]);
    },
  };
}
