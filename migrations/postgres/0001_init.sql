-- Herald PostgreSQL schema, version 1. Same tables and columns as migrations/sqlite/0001_init.sql.
-- Conventions:
-- - Times are BIGINT epoch milliseconds (the store parses int8 to a JS number).
-- - JSON values are TEXT, not jsonb: Herald only stores and returns them (the payload must come back
--   byte for byte as delivered, and jsonb would also reorder the keys of metadata, headers and event
--   type schemas); the one JSON query, the channel filter, casts to jsonb where it runs.
-- - Booleans are BOOLEAN.
-- - Ids, uids and names are COLLATE "C": ids are time-sortable base62 text (src/domain/ids.ts), where
--   'Z' < 'a'. "Newest first" is ORDER BY id DESC and a creation-time range is an id range only under
--   byte order; a linguistic collation (en_US…) would interleave cases and break both. "C" is also
--   what SQLite compares with, and the fastest.
-- - No foreign keys: applications and endpoints are soft-deleted (deleted_at set, uid freed) and the
--   history that references them stays.

CREATE TABLE applications (
  id            text COLLATE "C" PRIMARY KEY,
  uid           text COLLATE "C",     -- NULL when unset or after deletion (frees it for reuse)
  name          text NOT NULL,
  throttle_rate integer,
  metadata      text NOT NULL,        -- JSON object of strings
  created_at    bigint NOT NULL,
  updated_at    bigint NOT NULL,
  deleted_at    bigint
);
-- NULLs are distinct in a unique index, so many applications may have no uid.
CREATE UNIQUE INDEX applications_uid ON applications (uid);

CREATE TABLE event_types (
  name         text COLLATE "C" PRIMARY KEY, -- expunge deletes the row, so the name is unique among live ones
  description  text NOT NULL,
  schemas      text,                  -- JSON object or NULL
  archived     boolean NOT NULL DEFAULT false,
  deprecated   boolean NOT NULL DEFAULT false,
  feature_flag text,
  created_at   bigint NOT NULL,
  updated_at   bigint NOT NULL
);

CREATE TABLE endpoints (
  id               text COLLATE "C" PRIMARY KEY,
  app_id           text COLLATE "C" NOT NULL,
  uid              text COLLATE "C",
  url              text NOT NULL,
  description      text NOT NULL,
  event_types      text,              -- JSON array of names, NULL = every event type
  channels         text,              -- JSON array, NULL = no channel filter
  keys_sealed      text NOT NULL,     -- SecretBox-sealed JSON array of {key, expiresAt}
  headers_sealed   text NOT NULL,     -- SecretBox-sealed JSON object of custom headers
  throttle_rate    integer,
  disabled         boolean NOT NULL DEFAULT false,
  first_failure_at bigint,
  metadata         text NOT NULL,
  version          integer NOT NULL,
  created_at       bigint NOT NULL,
  updated_at       bigint NOT NULL,
  deleted_at       bigint
);
CREATE UNIQUE INDEX endpoints_app_uid ON endpoints (app_id, uid);
CREATE INDEX endpoints_app_id ON endpoints (app_id, id);

CREATE TABLE messages (
  id         text COLLATE "C" PRIMARY KEY,
  app_id     text COLLATE "C" NOT NULL,
  event_id   text COLLATE "C",
  event_type text COLLATE "C" NOT NULL,
  payload    text,                    -- NULL once expunged or expired
  channels   text,                    -- JSON array or NULL
  created_at bigint NOT NULL,
  expires_at bigint NOT NULL
);
CREATE UNIQUE INDEX messages_app_event_id ON messages (app_id, event_id);
CREATE INDEX messages_app_id ON messages (app_id, id);
-- Retention: payloads still held, by expiry. Partial, so it shrinks as payloads expire.
CREATE INDEX messages_payload_expiry ON messages (expires_at) WHERE payload IS NOT NULL;

-- One row per (message, endpoint) the message was queued for: Svix's "message destination".
CREATE TABLE message_destinations (
  msg_id          text COLLATE "C" NOT NULL,
  endpoint_id     text COLLATE "C" NOT NULL,
  app_id          text COLLATE "C" NOT NULL,
  status          smallint NOT NULL,  -- MESSAGE_STATUS: 0 success, 1 pending, 2 fail, 3 sending
  next_attempt_at bigint,
  attempt_count   integer NOT NULL DEFAULT 0,
  updated_at      bigint NOT NULL,
  PRIMARY KEY (msg_id, endpoint_id)
);
-- What an endpoint got, newest first, and its stats over a message-time range (ids are
-- time-sortable); status is included so the stats are answered from the index alone.
CREATE INDEX message_destinations_endpoint ON message_destinations (endpoint_id, msg_id) INCLUDE (status);
-- Recover: the failed messages of an endpoint in a time range.
CREATE INDEX message_destinations_endpoint_status ON message_destinations (endpoint_id, status, msg_id);

CREATE TABLE attempts (
  id                   text COLLATE "C" PRIMARY KEY,
  app_id               text COLLATE "C" NOT NULL,
  msg_id               text COLLATE "C" NOT NULL,
  endpoint_id          text COLLATE "C" NOT NULL,
  url                  text NOT NULL,
  status               smallint NOT NULL,
  response_status_code integer NOT NULL,  -- 0 = no response
  response             text NOT NULL,
  response_duration_ms integer NOT NULL,
  trigger_type         smallint NOT NULL, -- TRIGGER: 0 scheduled, 1 manual
  attempt_number       integer NOT NULL,
  request_method       text NOT NULL,
  request_url          text NOT NULL,
  request_headers      text NOT NULL,     -- JSON object, sensitive values already redacted
  request_body         text,              -- NULL = the message payload itself
  created_at           bigint NOT NULL
);
CREATE INDEX attempts_app ON attempts (app_id, id);
CREATE INDEX attempts_msg ON attempts (msg_id, id);
CREATE INDEX attempts_endpoint ON attempts (endpoint_id, id);

-- The work queue (see the comment on Store in src/store/store.ts). A claimed job's run_at is the end
-- of its lease and lease_token identifies the claim; lease_token is NULL while nobody holds it.
-- Workers on many hosts claim from it at once with FOR UPDATE SKIP LOCKED.
CREATE TABLE queue (
  id           bigserial PRIMARY KEY,
  kind         text NOT NULL,         -- 'fanout' | 'deliver' | 'task'
  app_id       text COLLATE "C" NOT NULL,
  msg_id       text COLLATE "C",
  endpoint_id  text COLLATE "C",
  task_id      text COLLATE "C",
  attempt      integer NOT NULL DEFAULT 1,
  trigger_type smallint NOT NULL DEFAULT 0,
  run_at       bigint NOT NULL,
  lease_token  text
);
-- Claiming (due jobs, oldest first) and the next due time.
CREATE INDEX queue_run_at ON queue (run_at, id);
-- Deleting an endpoint drops its queued deliveries.
CREATE INDEX queue_endpoint ON queue (endpoint_id) WHERE endpoint_id IS NOT NULL;

CREATE TABLE background_tasks (
  id         text COLLATE "C" PRIMARY KEY,
  app_id     text COLLATE "C" NOT NULL,
  kind       text NOT NULL,
  status     text NOT NULL,
  data       text NOT NULL,           -- JSON object
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
);

CREATE TABLE idempotency_keys (
  key                  text COLLATE "C" PRIMARY KEY,
  state                text NOT NULL, -- 'in_progress' | 'done'
  lock_expires_at      bigint,        -- in_progress: the claim lapses after this
  response_status_code integer,       -- done: the response to replay
  response_body        text,
  expires_at           bigint         -- done: replayed until this time
);
-- Retention: expired stored responses, in batches.
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at) WHERE state = 'done';
