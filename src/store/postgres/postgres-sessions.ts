import { type DbTokenRevocation, KEEP_EXPIRED_KEYS_MS, tokenRevocationFromRow } from "../shared-rows.ts";
import type { OneTimeRedemption, SessionStore } from "../store.ts";
import type { PostgresContext } from "./postgres-database.ts";
import { execute, queryOne, queryRows, statement, transaction } from "./postgres-database.ts";

const st = {
  insertKey: statement(
    "insert_one_time_token",
    `INSERT INTO one_time_tokens (key_hash, app_id, claims, return_url, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
  ),
  pruneKeys: statement("prune_one_time_tokens", "DELETE FROM one_time_tokens WHERE expires_at < $1"),
  redeem: statement<{ claims: string }>(
    "redeem_one_time_token",
    "UPDATE one_time_tokens SET used_at = $1 WHERE key_hash = $2 AND used_at IS NULL AND expires_at > $1 RETURNING claims",
  ),
  key: statement<{ used_at: number | null; return_url: string | null }>("one_time_token", "SELECT used_at, return_url FROM one_time_tokens WHERE key_hash = $1"),
  insertRevocations: statement(
    "insert_token_revocations",
    `INSERT INTO app_token_revocations (app_id, session_id, token_id, issued_before, effective_at, prune_after)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[])`,
  ),
  pruneRevocations: statement("prune_token_revocations", "DELETE FROM app_token_revocations WHERE prune_after < $1"),
  revocations: statement<DbTokenRevocation>(
    "token_revocations",
    "SELECT app_id, session_id, token_id, issued_before, effective_at, prune_after FROM app_token_revocations WHERE app_id = $1",
  ),
};

/** Single-use portal keys and app-token revocations (migrations/postgres/0009_portal_sessions.sql). */
export function makeSessionStore({ pool }: PostgresContext): SessionStore {
  return {
    async createOneTimeToken(key) {
      await transaction(pool, async (tx) => {
        await execute(tx, st.pruneKeys, [key.createdAt - KEEP_EXPIRED_KEYS_MS]);
        await execute(tx, st.insertKey, [key.keyHash, key.appId, key.claims, key.returnUrl, key.createdAt, key.expiresAt]);
      });
    },
    async redeemOneTimeToken(keyHash, now): Promise<OneTimeRedemption> {
      const redeemed = await queryOne(pool, st.redeem, [now, keyHash]);
      if (redeemed) return { outcome: "redeemed", claims: redeemed.claims };
      const row = await queryOne(pool, st.key, [keyHash]);
      if (!row) return { outcome: "unknown" };
      return { outcome: row.used_at !== null ? "used" : "expired", returnUrl: row.return_url };
    },
    async addTokenRevocations(revocations, now) {
      await transaction(pool, async (tx) => {
        await execute(tx, st.pruneRevocations, [now]);
        await execute(tx, st.insertRevocations, [
          revocations.map((r) => r.appId),
          revocations.map((r) => r.sessionId),
          revocations.map((r) => r.tokenId),
          revocations.map((r) => r.issuedBefore),
          revocations.map((r) => r.effectiveAt),
          revocations.map((r) => r.pruneAfter),
        ]);
      });
    },
    async listTokenRevocations(appId) {
      return (await queryRows(pool, st.revocations, [appId])).map(tokenRevocationFromRow);
    },
  };
}
