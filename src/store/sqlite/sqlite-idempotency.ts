import type { DbIdempotencyKey } from "../shared-rows.ts";
import type { IdempotencyState, IdempotencyStore } from "../store.ts";
import type { SqliteContext } from "./sqlite-database.ts";
import { lazy } from "./sqlite-database.ts";

/**
 * Idempotency keys. A key is `in_progress` while a request holds it (until lock_expires_at) and
 * `done` with the response to replay (until expires_at). Expired rows count as absent and are
 * overwritten by the next begin; nothing here purges them (the interface has no sweep method).
 */
export function makeIdempotencyStore({ db }: SqliteContext): IdempotencyStore {
  const st = lazy(() => ({
    get: db.prepare<[string], DbIdempotencyKey>("SELECT * FROM idempotency_keys WHERE key = ?"),
    claim: db.prepare<{ key: string; lockExpiresAt: number }>(
      `INSERT INTO idempotency_keys (key, state, lock_expires_at, response_status_code, response_body, expires_at)
       VALUES (@key, 'in_progress', @lockExpiresAt, NULL, NULL, NULL)
       ON CONFLICT (key) DO UPDATE SET state = 'in_progress', lock_expires_at = excluded.lock_expires_at,
         response_status_code = NULL, response_body = NULL, expires_at = NULL`,
    ),
    finish: db.prepare<{ key: string; statusCode: number; body: string; expiresAt: number }>(
      `INSERT INTO idempotency_keys (key, state, lock_expires_at, response_status_code, response_body, expires_at)
       VALUES (@key, 'done', NULL, @statusCode, @body, @expiresAt)
       ON CONFLICT (key) DO UPDATE SET state = 'done', lock_expires_at = NULL,
         response_status_code = excluded.response_status_code, response_body = excluded.response_body,
         expires_at = excluded.expires_at`,
    ),
    // Only an unfinished claim is abandoned; a stored response stays for replay.
    abandon: db.prepare<[string]>("DELETE FROM idempotency_keys WHERE key = ? AND state = 'in_progress'"),
  }));

  // Read and claim in one IMMEDIATE transaction, so two concurrent requests cannot both start.
  const beginTx = db.transaction((key: string, now: number, lockMs: number): IdempotencyState => {
    const row = st().get.get(key);
    if (row?.state === "done" && row.expires_at !== null && row.expires_at > now) {
      return { state: "done", response: { statusCode: row.response_status_code ?? 0, body: row.response_body ?? "" } };
    }
    if (row?.state === "in_progress" && row.lock_expires_at !== null && row.lock_expires_at > now) {
      return { state: "in_progress" };
    }
    st().claim.run({ key, lockExpiresAt: now + lockMs });
    return { state: "started" };
  });

  return {
    async beginIdempotent(key, now, lockMs) {
      return beginTx.immediate(key, now, lockMs);
    },
    async finishIdempotent(key, response, expiresAt) {
      st().finish.run({ key, statusCode: response.statusCode, body: response.body, expiresAt });
    },
    async abandonIdempotent(key) {
      st().abandon.run(key);
    },
  };
}
