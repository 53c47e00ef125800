-- Herald SQLite schema, version 4: the two indexes retention needs.
--
-- Retention (src/worker/retention-loop.ts) asks once a minute for payloads past their expiry and
-- for replayed idempotency keys past theirs. Without these indexes each of those questions read
-- the whole table: at 1,000,000 messages, a pass over a gigabyte on every minute's run, holding up
-- the API and the worker meanwhile. PostgreSQL has had them from its first migration.
CREATE INDEX messages_payload_expiry ON messages (expires_at) WHERE payload IS NOT NULL;
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at) WHERE state = 'done';
