-- Herald PostgreSQL schema, version 3. Same columns as migrations/sqlite/0003_consumers.sql (what
-- hosted-Svix consumers use, issue 5: transformations, mTLS identities and enforced rate limits on
-- endpoints, retry schedules on event types, the rate slot a postponed delivery keeps in the queue),
-- plus a new version of the claim function, at the end, which returns the new queue column.
-- Every new column has a constant default (or is nullable), so adding it does not rewrite the table.

-- Transformations: JavaScript defining handler(webhook), run in a sandbox before each delivery
-- while enabled (see EndpointTransformation in src/domain/types.ts). The mTLS client identity (PEM
-- private key and certificate) is SecretBox-sealed like keys_sealed; NULL = none. The rate limiter
-- (reserveDeliverySlot in src/store/store.ts) keeps the endpoint's next free delivery slot, and
-- since when slots have run ahead of time (deliveries held back), on the endpoint's row: its row
-- lock is what makes a reservation atomic across processes.
ALTER TABLE endpoints
  ADD COLUMN transformation_code       text,
  ADD COLUMN transformation_enabled    boolean NOT NULL DEFAULT false,
  ADD COLUMN transformation_variables  text,   -- JSON object of strings, or NULL
  ADD COLUMN transformation_updated_at bigint,
  ADD COLUMN mtls_sealed               text,
  ADD COLUMN rate_next_at              bigint, -- NULL = not limited yet
  ADD COLUMN throttled_since           bigint;

ALTER TABLE event_types ADD COLUMN retry_schedule text; -- JSON array of seconds, or NULL = not set

-- A delivery postponed to its rate slot keeps the slot (postponeJob): claimed again, it is sent
-- without reserving another. NULL for new and retried jobs.
ALTER TABLE queue ADD COLUMN rate_slot_at bigint;

-- herald_claim_jobs, as in 0002_profiles.sql (the comments there explain it), now also returning
-- rate_slot_at. A function's result type cannot be changed in place (CREATE OR REPLACE refuses),
-- so it is dropped and created again, in this migration's transaction (if anything fails, the old
-- one stays). The body and the plan settings are unchanged; so is herald_lane_heads.
DROP FUNCTION herald_claim_jobs(bigint, bigint, text, integer);

CREATE FUNCTION herald_claim_jobs(due_by bigint, lease_until bigint, worker_id text, max_jobs integer)
RETURNS TABLE (id bigint, kind text, app_id text, msg_id text, endpoint_id text, lane text, task_id text,
               attempt integer, trigger_type smallint, run_at bigint, lease_token text, rate_slot_at bigint,
               due_at bigint)
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
        q.run_at, q.lease_token, q.rate_slot_at, due.run_at;
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
        q.run_at, q.lease_token, q.rate_slot_at, due.run_at;
  END IF;
END
$$;
