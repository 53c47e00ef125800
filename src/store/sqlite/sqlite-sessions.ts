import { type DbTokenRevocation, KEEP_EXPIRED_KEYS_MS, tokenRevocationFromRow } from "../shared-rows.ts";
import type { OneTimeRedemption, SessionStore, TokenRevocation } from "../store.ts";
import type { SqliteContext } from "./sqlite-database.ts";
import { lazy } from "./sqlite-database.ts";

/** Single-use portal keys and app-token revocations (migrations/sqlite/0006_portal_sessions.sql). */
export function makeSessionStore({ db }: SqliteContext): SessionStore {
  const st = lazy(() => ({
    insertKey: db.prepare(
      `INSERT INTO one_time_tokens (key_hash, app_id, claims, return_url, created_at, expires_at)
       VALUES (@keyHash, @appId, @claims, @returnUrl, @createdAt, @expiresAt)`,
    ),
    pruneKeys: db.prepare<[number]>("DELETE FROM one_time_tokens WHERE expires_at < ?"),
    redeem: db.prepare<[number, string, number], { claims: string }>(
      "UPDATE one_time_tokens SET used_at = ? WHERE key_hash = ? AND used_at IS NULL AND expires_at > ? RETURNING claims",
    ),
    key: db.prepare<[string], { used_at: number | null; return_url: string | null }>("SELECT used_at, return_url FROM one_time_tokens WHERE key_hash = ?"),
    insertRevocation: db.prepare(
      `INSERT INTO app_token_revocations (app_id, session_id, token_id, issued_before, effective_at, prune_after)
       VALUES (@appId, @sessionId, @tokenId, @issuedBefore, @effectiveAt, @pruneAfter)`,
    ),
    pruneRevocations: db.prepare<[number]>("DELETE FROM app_token_revocations WHERE prune_after < ?"),
    revocations: db.prepare<[string], DbTokenRevocation>(
      "SELECT app_id, session_id, token_id, issued_before, effective_at, prune_after FROM app_token_revocations WHERE app_id = ?",
    ),
  }));

  const createKey = db.transaction((oneTimeToken: Parameters<SessionStore["createOneTimeToken"]>[0]) => {
    st().pruneKeys.run(oneTimeToken.createdAt - KEEP_EXPIRED_KEYS_MS);
    st().insertKey.run(oneTimeToken);
  });
  const addRevocations = db.transaction((revocations: TokenRevocation[], now: number) => {
    st().pruneRevocations.run(now);
    for (const revocation of revocations) st().insertRevocation.run(revocation);
  });

  return {
    async createOneTimeToken(oneTimeToken) {
      createKey.immediate(oneTimeToken);
    },
    async redeemOneTimeToken(keyHash, now): Promise<OneTimeRedemption> {
      const redeemed = st().redeem.get(now, keyHash, now);
      if (redeemed) return { outcome: "redeemed", claims: redeemed.claims };
      const row = st().key.get(keyHash);
      if (!row) return { outcome: "unknown" };
      return { outcome: row.used_at !== null ? "used" : "expired", returnUrl: row.return_url };
    },
    async addTokenRevocations(revocations, now) {
      addRevocations.immediate(revocations, now);
    },
    async listTokenRevocations(appId) {
      return st().revocations.all(appId).map(tokenRevocationFromRow);
    },
  };
}
