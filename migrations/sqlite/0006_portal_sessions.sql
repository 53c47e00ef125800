-- Herald SQLite schema, version 6: consumer-portal sessions (issue 22). Two new tables, nothing
-- existing changes.

-- The single-use key a portal link carries. Only its SHA-256 is kept; exchanging it (once) mints
-- the session token from `claims` (JSON: app, capabilities, feature flags, session id, expiry).
-- `used_at` stays set after the exchange so that a second try can say the link was used.
CREATE TABLE one_time_tokens (
  key_hash   TEXT PRIMARY KEY,
  app_id     TEXT NOT NULL,
  claims     TEXT NOT NULL,
  return_url TEXT,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at    INTEGER
);
CREATE INDEX one_time_tokens_expiry ON one_time_tokens (expires_at);

-- Revoked app-scoped tokens. A row revokes, from `effective_at` on, the tokens of `app_id` issued
-- at or before `issued_before`: all of them (expire-all), those of one session (`session_id`), or
-- one token (`token_id`, logout). Tokens are stateless otherwise; rows outlive every token they
-- can match by `prune_after`.
CREATE TABLE app_token_revocations (
  id            INTEGER PRIMARY KEY,
  app_id        TEXT NOT NULL,
  session_id    TEXT,
  token_id      TEXT,
  issued_before INTEGER NOT NULL,
  effective_at  INTEGER NOT NULL,
  prune_after   INTEGER NOT NULL
);
CREATE INDEX app_token_revocations_app ON app_token_revocations (app_id);
CREATE INDEX app_token_revocations_prune ON app_token_revocations (prune_after);
