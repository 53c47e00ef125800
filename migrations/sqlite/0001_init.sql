-- Herald SQLite schema, version 1.
-- Conventions: times are INTEGER epoch milliseconds; JSON values are TEXT; booleans are INTEGER 0/1;
-- ids are time-sortable text (see src/domain/ids.ts), so "newest first" is ORDER BY id DESC and a
-- creation-time range is an id range. No foreign keys: applications and endpoints are soft-deleted
-- (deleted_at set, uid freed) and the history that references them stays.

CREATE TABLE applications (
  id            TEXT PRIMARY KEY,
  uid           TEXT,                 -- NULL when unset or after deletion (frees it for reuse)
  name          TEXT NOT NULL,
  throttle_rate INTEGER,
  metadata      TEXT NOT NULL,        -- JSON object of strings
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  deleted_at    INTEGER
);
-- SQLite treats NULLs as distinct in a unique index, so many applications may have no uid.
CREATE UNIQUE INDEX applications_uid ON applications (uid);

CREATE TABLE event_types (
  name         TEXT PRIMARY KEY,      -- expunge deletes the row, so the name is unique among live ones
  description  TEXT NOT NULL,
  schemas      TEXT,                  -- JSON object or NULL
  archived     INTEGER NOT NULL DEFAULT 0,
  deprecated   INTEGER NOT NULL DEFAULT 0,
  feature_flag TEXT,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
);

CREATE TABLE endpoints (
  id               TEXT PRIMARY KEY,
  app_id           TEXT NOT NULL,
  uid              TEXT,
  url              TEXT NOT NULL,
  description      TEXT NOT NULL,
  event_types      TEXT,              -- JSON array of names, NULL = every event type
  channels         TEXT,              -- JSON array, NULL = no channel filter
  keys_sealed      TEXT NOT NULL,     -- SecretBox-sealed JSON array of {key, expiresAt}
  headers_sealed   TEXT NOT NULL,     -- SecretBox-sealed JSON object of custom headers
  throttle_rate    INTEGER,
  disabled         INTEGER NOT NULL DEFAULT 0,
  first_failure_at INTEGER,
  metadata         TEXT NOT NULL,
  version          INTEGER NOT NULL,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL,
  deleted_at       INTEGER
);
CREATE UNIQUE INDEX endpoints_app_uid ON endpoints (app_id, uid);
CREATE INDEX endpoints_app_id ON endpoints (app_id, id);

CREATE TABLE messages (
  id         TEXT PRIMARY KEY,
  app_id     TEXT NOT NULL,
  event_id   TEXT,
  event_type TEXT NOT NULL,
  payload    TEXT,                    -- NULL once expunged
  channels   TEXT,                    -- JSON array or NULL
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX messages_app_event_id ON messages (app_id, event_id);
CREATE INDEX messages_app_id ON messages (app_id, id);

-- One row per (message, endpoint) the message was queued for: Svix's "message destination".
CREATE TABLE message_destinations (
  msg_id          TEXT NOT NULL,
  endpoint_id     TEXT NOT NULL,
  app_id          TEXT NOT NULL,
  status          INTEGER NOT NULL,   -- MESSAGE_STATUS: 0 success, 1 pending, 2 fail, 3 sending
  next_attempt_at INTEGER,
  attempt_count   INTEGER NOT NULL DEFAULT 0,
  updated_at      INTEGER NOT NULL,
  PRIMARY KEY (msg_id, endpoint_id)
) WITHOUT ROWID;
-- What an endpoint got, newest first, and its stats over a message-time range (ids are
-- time-sortable); status is included so both are answered from the index alone.
CREATE INDEX message_destinations_endpoint ON message_destinations (endpoint_id, msg_id, status);
-- Recover: the failed messages of an endpoint in a time range.
CREATE INDEX message_destinations_endpoint_status ON message_destinations (endpoint_id, status, msg_id);

CREATE TABLE attempts (
  id                   TEXT PRIMARY KEY,
  app_id               TEXT NOT NULL,
  msg_id               TEXT NOT NULL,
  endpoint_id          TEXT NOT NULL,
  url                  TEXT NOT NULL,
  status               INTEGER NOT NULL,
  response_status_code INTEGER NOT NULL,  -- 0 = no response
  response             TEXT NOT NULL,
  response_duration_ms INTEGER NOT NULL,
  trigger_type         INTEGER NOT NULL,  -- TRIGGER: 0 scheduled, 1 manual
  attempt_number       INTEGER NOT NULL,
  request_method       TEXT NOT NULL,
  request_url          TEXT NOT NULL,
  request_headers      TEXT NOT NULL,     -- JSON object, sensitive values already redacted
  request_body         TEXT,              -- NULL = the message payload itself
  created_at           INTEGER NOT NULL
);
CREATE INDEX attempts_app ON attempts (app_id, id);
CREATE INDEX attempts_msg ON attempts (msg_id, id);
CREATE INDEX attempts_endpoint ON attempts (endpoint_id, id);

-- The work queue (see the comment on Store in src/store/store.ts). A claimed job's run_at is the end
-- of its lease and lease_token identifies the claim; lease_token is NULL while nobody holds it.
CREATE TABLE queue (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  kind         TEXT NOT NULL,         -- 'fanout' | 'deliver' | 'task'
  app_id       TEXT NOT NULL,
  msg_id       TEXT,
  endpoint_id  TEXT,
  task_id      TEXT,
  attempt      INTEGER NOT NULL DEFAULT 1,
  trigger_type INTEGER NOT NULL DEFAULT 0,
  run_at       INTEGER NOT NULL,
  lease_token  TEXT
);
CREATE INDEX queue_run_at ON queue (run_at, id);
-- Deleting an endpoint drops its queued deliveries.
CREATE INDEX queue_endpoint ON queue (endpoint_id) WHERE endpoint_id IS NOT NULL;

CREATE TABLE background_tasks (
  id         TEXT PRIMARY KEY,
  app_id     TEXT NOT NULL,
  kind       TEXT NOT NULL,
  status     TEXT NOT NULL,
  data       TEXT NOT NULL,           -- JSON object
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE idempotency_keys (
  key                  TEXT PRIMARY KEY,
  state                TEXT NOT NULL, -- 'in_progress' | 'done'
  lock_expires_at      INTEGER,       -- in_progress: the claim lapses after this
  response_status_code INTEGER,       -- done: the response to replay
  response_body        TEXT,
  expires_at           INTEGER        -- done: replayed until this time
);
