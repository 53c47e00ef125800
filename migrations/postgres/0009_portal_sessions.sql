-- Herald PostgreSQL schema, version 9: consumer-portal sessions (issue 22). The same two tables as
-- migrations/sqlite/0006_portal_sessions.sql, whose comments explain them; nothing existing changes.

CREATE TABLE one_time_tokens (
  key_hash   text PRIMARY KEY,
  app_id     text NOT NULL,
  claims     text NOT NULL,
  return_url text,
  created_at bigint NOT NULL,
  expires_at bigint NOT NULL,
  used_at    bigint
);
CREATE INDEX one_time_tokens_expiry ON one_time_tokens (expires_at);

CREATE TABLE app_token_revocations (
  id            bigserial PRIMARY KEY,
  app_id        text NOT NULL,
  session_id    text,
  token_id      text,
  issued_before bigint NOT NULL,
  effective_at  bigint NOT NULL,
  prune_after   bigint NOT NULL
);
CREATE INDEX app_token_revocations_app ON app_token_revocations (app_id);
CREATE INDEX app_token_revocations_prune ON app_token_revocations (prune_after);
