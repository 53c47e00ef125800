import type { DbIdempotencyKey } from "../shared-rows.ts";
import type { IdempotencyState, IdempotencyStore } from "../store.ts";
import type { PostgresContext } from "./postgres-database.ts";
import { execute, queryOne, statement, transaction } from "./postgres-database.ts";
import { columnList, IDEMPOTENCY_KEY_COLUMNS } from "./postgres-rows.ts";

/**
 * Idempotency keys. A key is `in_progress` while a request holds it (until lock_expires_at) and
 * `done` with the response to replay (until expires_at). Expired rows count as absent and are
 * overwritten by the next begin; retention (pruneMessages) deletes expired responses.
 */
const st = {
  // Takes the key if it is absent or expired ($2 = now), in one statement, so two concurrent
  // requests cannot both start: the second's insert waits on the first's row and then sees it live.
  // When the WHERE fails the row is still locked (ON CONFLICT locks before it checks), so the
  // read that follows in the same transaction sees the state that made it fail.
  claim: statement(
    "claim_idempotency_key",
    `INSERT INTO idempotency_keys (key, state, lock_expires_at, response_status_code, response_body, expires_at)
     VALUES ($1, 'in_progress', $3, NULL, NULL, NULL)
     ON CONFLICT (key) DO UPDATE SET state = 'in_progress', lock_expires_at = excluded.lock_expires_at,
       response_status_code = NULL, response_body = NULL, expires_at = NULL
     WHERE NOT (idempotency_keys.state = 'done' AND idempotency_keys.expires_at > $2)
       AND NOT (idempotency_keys.state = 'in_progress' AND idempotency_keys.lock_expires_at > $2)`,
  ),
  get: statement<DbIdempotencyKey>("idempotency_key", `SELECT ${columnList(IDEMPOTENCY_KEY_COLUMNS)} FROM idempotency_keys WHERE key = $1`),
  finish: statement(
    "finish_idempotency_key",
    `INSERT INTO idempotency_keys (key, state, lock_expires_at, response_status_code, response_body, expires_at)
     VALUES ($1, 'done', NULL, $2, $3, $4)
     ON CONFLICT (key) DO UPDATE SET state = 'done', lock_expires_at = NULL,
       response_status_code = excluded.response_status_code, response_body = excluded.response_body,
       expires_at = excluded.expires_at`,
  ),
  // Only an unfinished claim is abandoned; a stored response stays for replay.
  abandon: statement("abandon_idempotency_key", "DELETE FROM idempotency_keys WHERE key = $1 AND state = 'in_progress'"),
};

export function makeIdempotencyStore({ pool }: PostgresContext): IdempotencyStore {
  return {
    async beginIdempotent(key, now, lockMs): Promise<IdempotencyState> {
      return transaction(pool, async (tx) => {
        if ((await execute(tx, st.claim, [key, now, now + lockMs])) === 1) return { state: "started" };
        const row = await queryOne(tx, st.get, [key]);
        if (row?.state === "done") {
          return { state: "done", response: { statusCode: row.response_status_code ?? 0, body: row.response_body ?? "" } };
        }
        return { state: "in_progress" };
      });
    },
    async finishIdempotent(key, response, expiresAt) {
      await execute(pool, st.finish, [key, response.statusCode, response.body, expiresAt]);
    },
    async abandonIdempotent(key) {
      await execute(pool, st.abandon, [key]);
    },
  };
}
