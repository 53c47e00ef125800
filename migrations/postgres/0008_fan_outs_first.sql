-- Herald PostgreSQL schema, version 8: claims take due fan-outs first, up to half of each claim
-- (see claimJobs in src/store/store.ts; SQLite: 0005_fan_outs_first.sql and sqlite-queue.ts). A
-- fan-out to many endpoints queues thousands of deliveries due at once; without this, a message
-- posted meanwhile, to any application, waited for all of them to be claimed before its own
-- fan-out was.
--
-- queue_fanout_due lists the due fan-outs oldest first. herald_claim_jobs (0003_consumers.sql, whose
-- comments explain the rest) first leases up to max_jobs / 2 of them, then, as before, the oldest
-- due unlaned jobs and lane heads for what is left of max_jobs: the fan-outs it just leased are no
-- longer due by then (each statement of a VOLATILE function sees the ones before it). Same result
-- columns, so the function is replaced in place.
CREATE INDEX queue_fanout_due ON queue (run_at, id) WHERE kind = 'fanout';

CREATE OR REPLACE FUNCTION herald_claim_jobs(due_by bigint, lease_until bigint, worker_id text, max_jobs integer)
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
DECLARE
  fan_outs integer;
  rest integer;
BEGIN
  RETURN QUERY
    WITH due AS (
      SELECT d.id, d.run_at FROM queue d WHERE d.kind = 'fanout' AND d.run_at <= due_by
      ORDER BY d.run_at, d.id LIMIT max_jobs / 2 FOR UPDATE SKIP LOCKED
    )
    UPDATE queue q SET run_at = lease_until, lease_token = worker_id || ':' || gen_random_uuid()::text
    FROM due WHERE q.id = due.id
    RETURNING q.id, q.kind, q.app_id, q.msg_id, q.endpoint_id, q.lane, q.task_id, q.attempt, q.trigger_type,
      q.run_at, q.lease_token, q.rate_slot_at, due.run_at;
  GET DIAGNOSTICS fan_outs = ROW_COUNT;
  rest := max_jobs - fan_outs;

  IF (SELECT min(l.lane) FROM queue l) IS NULL THEN
    RETURN QUERY
      WITH due AS (
        SELECT d.id, d.run_at FROM queue d WHERE d.lane IS NULL AND d.run_at <= due_by
        ORDER BY d.run_at, d.id LIMIT rest FOR UPDATE SKIP LOCKED
      )
      UPDATE queue q SET run_at = lease_until, lease_token = worker_id || ':' || gen_random_uuid()::text
      FROM due WHERE q.id = due.id
      RETURNING q.id, q.kind, q.app_id, q.msg_id, q.endpoint_id, q.lane, q.task_id, q.attempt, q.trigger_type,
        q.run_at, q.lease_token, q.rate_slot_at, due.run_at;
  ELSE
    RETURN QUERY
      WITH due_unlaned AS (
        SELECT d.id, d.run_at FROM queue d WHERE d.lane IS NULL AND d.run_at <= due_by
        ORDER BY d.run_at, d.id LIMIT rest FOR UPDATE SKIP LOCKED
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
        ORDER BY 2, 1 LIMIT rest
      )
      UPDATE queue q SET run_at = lease_until, lease_token = worker_id || ':' || gen_random_uuid()::text
      FROM due WHERE q.id = due.id
      RETURNING q.id, q.kind, q.app_id, q.msg_id, q.endpoint_id, q.lane, q.task_id, q.attempt, q.trigger_type,
        q.run_at, q.lease_token, q.rate_slot_at, due.run_at;
  END IF;
END
$$;
