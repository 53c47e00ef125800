-- Herald PostgreSQL schema, version 2. Same columns and indexes as migrations/sqlite/0002_profiles.sql:
-- delivery profiles and options, failure counters for the disable policies, message metadata and
-- previous state, batches, and FIFO lanes in the queue. Every new column has a constant default (or
-- is nullable), so adding it does not rewrite the table.

-- Endpoints: the profile name, the explicitly set delivery options (JSON object, see
-- src/domain/delivery-options.ts), and the counters the `consecutive` and `window` disable
-- policies read (first_failure_at, from version 1, drives `duration`).
ALTER TABLE endpoints
  ADD COLUMN profile              text NOT NULL DEFAULT 'standard',
  ADD COLUMN options              text NOT NULL DEFAULT '{}',
  ADD COLUMN consecutive_failures integer NOT NULL DEFAULT 0, -- failed requests since the last success
  ADD COLUMN window_failures      integer NOT NULL DEFAULT 0, -- failures since the last quiet gap
  ADD COLUMN last_failure_at      bigint;

ALTER TABLE messages
  ADD COLUMN metadata text,           -- JSON object of strings, NULL = {} (the usual case, kept small)
  ADD COLUMN previous text;           -- JSON object or NULL: the object's state before this event

-- How many messages the request carried: 1, or the size of the batch the attempt was part of.
ALTER TABLE attempts ADD COLUMN batch_size integer NOT NULL DEFAULT 1;
-- The endpoint status (getEndpointDeliveryStatus): its newest successful and newest failed attempt.
CREATE INDEX attempts_endpoint_status ON attempts (endpoint_id, status, id);

-- FIFO lanes: a delivery to an ordered endpoint carries lane = endpoint id, and only the head of
-- its lane, the job with the lowest (msg_id, id), is ever claimed (see Job.lane in store.ts).
ALTER TABLE queue ADD COLUMN lane text COLLATE "C";
-- Lane heads and followers, in order; also how the claim lists the lanes (one seek per lane).
CREATE INDEX queue_lane ON queue (lane, msg_id, id) WHERE lane IS NOT NULL;
-- Claiming scans due jobs in run_at order, but a lane's followers are due and blocked, and a
-- blocked lane (its head failing for days) can hold any number of them: so the scan covers only
-- unlaned jobs, and lanes are claimed through queue_lane, head by head.
DROP INDEX queue_run_at;
CREATE INDEX queue_run_at_unlaned ON queue (run_at, id) WHERE lane IS NULL;
-- The lane guard: a lane job waits while an older message of its application is not fanned out.
CREATE INDEX queue_fanout ON queue (app_id, msg_id) WHERE kind = 'fanout';
