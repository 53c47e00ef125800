-- Herald PostgreSQL schema, version 2. Same columns and indexes as migrations/sqlite/0002_profiles.sql
-- (delivery profiles and options, failure counters for the disable policies, message metadata and
-- previous state, batches, FIFO lanes in the queue), plus the two functions the claim runs, at the end.
-- Every new column has a constant default (or is nullable), so adding it does not rewrite the table.

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

-- Claiming, as two functions. Why functions: written inline, the lane part of the claim costs more
-- to plan on every claim than the claim costs to run, and the plan the planner picks depends on
-- statistics of the new lane column, which a table analyzed while empty does not have (it could
-- then sort every due job, or every lane job, on every claim). In PL/pgSQL each statement keeps one
-- plan per connection, and the SET clauses make that plan the index walks written here whatever
-- the statistics say when it is made: they only steer the planner (sorts and scans they disable are
-- still used where nothing else can answer a query).

-- The heads of the lanes that may run by `due_by`: for every lane, the job with the lowest
-- (msg_id, id), if its run_at <= due_by and no older message of its application still waits for
-- fan-out (its deliveries, once queued, would go before). queue_lane is ordered (lane, msg_id, id),
-- so the first entry past a lane is the next lane's head: one index seek per lane, however many
-- jobs wait in the lanes (a loose index scan). STABLE: it sees the calling statement's snapshot.
CREATE FUNCTION herald_lane_heads(due_by bigint) RETURNS TABLE (head_id bigint, head_run_at bigint)
LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
SET enable_bitmapscan = off
SET enable_sort = off
SET enable_hashjoin = off
SET enable_mergejoin = off
AS $$
BEGIN
  RETURN QUERY
    WITH RECURSIVE heads (id, lane) AS (
      (SELECT q.id, q.lane FROM queue q WHERE q.lane IS NOT NULL ORDER BY q.lane, q.msg_id, q.id LIMIT 1)
      UNION ALL
      SELECT n.id, n.lane FROM heads
      CROSS JOIN LATERAL (
        SELECT q.id, q.lane FROM queue q
        WHERE q.lane IS NOT NULL AND q.lane > heads.lane ORDER BY q.lane, q.msg_id, q.id LIMIT 1
      ) AS n
    )
    SELECT q.id, q.run_at FROM heads JOIN queue q ON q.id = heads.id
    WHERE q.run_at <= due_by
      AND NOT EXISTS (SELECT 1 FROM queue f WHERE f.kind = 'fanout' AND f.app_id = q.app_id AND f.msg_id < q.msg_id);
END
$$;

-- Claims up to `max_jobs` due jobs for `lease_until` (see claimJobs in src/store/store.ts): picks
-- the due rows nobody else holds, FOR UPDATE SKIP LOCKED, so concurrent claimers pass over each
-- other's rows, leases them (lease token `<worker_id>:<uuid>`) and returns them with `due_at`,
-- their run_at before the claim, to order them oldest first. Unlaned jobs come from
-- queue_run_at_unlaned, in which blocked lane followers are not; while no lane job exists at all
-- (min(lane) is one index probe) that is the whole claim. Otherwise they are merged with the due
-- lane heads; both sets are locked as they are read, so up to twice `max_jobs` rows may be locked
-- until the calling statement ends.
CREATE FUNCTION herald_claim_jobs(due_by bigint, lease_until bigint, worker_id text, max_jobs integer)
RETURNS TABLE (id bigint, kind text, app_id text, msg_id text, endpoint_id text, lane text, task_id text,
               attempt integer, trigger_type smallint, run_at bigint, lease_token text, due_at bigint)
LANGUAGE plpgsql VOLATILE
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
SET enable_bitmapscan = off
SET enable_sort = off
SET enable_hashjoin = off
SET enable_mergejoin = off
AS $$
#variable_conflict use_column
BEGIN
  IF (SELECT min(l.lane) FROM queue l) IS NULL THEN
    RETURN QUERY
      WITH due AS (
        SELECT d.id, d.run_at FROM queue d WHERE d.lane IS NULL AND d.run_at <= due_by
        ORDER BY d.run_at, d.id LIMIT max_jobs FOR UPDATE SKIP LOCKED
      )
      UPDATE queue q SET run_at = lease_until, lease_token = worker_id || ':' || gen_random_uuid()::text
      FROM due WHERE q.id = due.id
      RETURNING q.id, q.kind, q.app_id, q.msg_id, q.endpoint_id, q.lane, q.task_id, q.attempt, q.trigger_type,
        q.run_at, q.lease_token, due.run_at;
  ELSE
    RETURN QUERY
      WITH due_unlaned AS (
        SELECT d.id, d.run_at FROM queue d WHERE d.lane IS NULL AND d.run_at <= due_by
        ORDER BY d.run_at, d.id LIMIT max_jobs FOR UPDATE SKIP LOCKED
      ),
      due_heads AS (
        SELECT d.id, d.run_at FROM queue d
        WHERE d.id IN (SELECT h.head_id FROM herald_lane_heads(due_by) h) AND d.run_at <= due_by
        FOR UPDATE SKIP LOCKED
      ),
      due AS (
        SELECT u.id, u.run_at FROM due_unlaned u
        UNION ALL
        SELECT h.id, h.run_at FROM due_heads h
        ORDER BY 2, 1 LIMIT max_jobs
      )
      UPDATE queue q SET run_at = lease_until, lease_token = worker_id || ':' || gen_random_uuid()::text
      FROM due WHERE q.id = due.id
      RETURNING q.id, q.kind, q.app_id, q.msg_id, q.endpoint_id, q.lane, q.task_id, q.attempt, q.trigger_type,
        q.run_at, q.lease_token, due.run_at;
  END IF;
END
$$;
