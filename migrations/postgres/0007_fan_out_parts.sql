-- Herald PostgreSQL schema, version 7. No table changes (SQLite has no matching file: its fan-out
-- is written in src/store/sqlite/sqlite-queue.ts). A fan-out to many endpoints is written in parts
-- (src/worker/fanout-job.ts), each its own transaction, so herald_fan_out (0004) changes in two ways:
--
-- * `more_to_come`: the fanout job is kept, locked (FOR UPDATE, as the DELETE locked it) and checked
--   under its lease token, instead of deleted; the last part deletes it as before. Keeping it keeps
--   later messages' lane jobs waiting (claims skip lane jobs while an older message of their
--   application waits for fan-out) and lets the fan-out run again if it is cut short.
-- * A target whose message already has a destination there is skipped: no destination change and no
--   job. An earlier run of the fan-out, cut short after some parts, queued it; the run after it
--   writes only the rest. Of duplicate targets in one call the first counts (it used to be the
--   last one's destination and a job for each).
--
-- Jobs are still inserted in target order, so ids ascend in that order; the claimed ones come back.
-- herald_fan_outs (0006) passes the new parameter on, as `more_to_come` of each element.
DROP FUNCTION herald_fan_outs(jsonb);
DROP FUNCTION herald_fan_out(bigint, text, text, text, bigint, text, text[], text[], bigint[], bigint[], boolean[], text);

CREATE FUNCTION herald_fan_out(fanout_id bigint, fanout_lease_token text, fanout_app_id text, fanout_msg_id text,
                               now_at bigint, worker_id text, target_endpoint_ids text[], target_lanes text[],
                               target_due_ats bigint[], target_run_ats bigint[], target_send_now boolean[],
                               notify_channel text, more_to_come boolean)
RETURNS TABLE (id bigint, kind text, app_id text, msg_id text, endpoint_id text, lane text, task_id text,
               attempt integer, trigger_type smallint, run_at bigint, lease_token text, rate_slot_at bigint)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
BEGIN
  IF more_to_come THEN
    PERFORM 1 FROM queue f WHERE f.id = fanout_id AND f.lease_token = fanout_lease_token FOR UPDATE;
  ELSE
    DELETE FROM queue f WHERE f.id = fanout_id AND f.lease_token = fanout_lease_token;
  END IF;
  IF NOT FOUND THEN
    RETURN;
  END IF;

  RETURN QUERY
    WITH targets AS (
      SELECT t.* FROM unnest(target_endpoint_ids, target_lanes, target_due_ats, target_run_ats, target_send_now)
        WITH ORDINALITY AS t(endpoint_id, lane, due_at, run_at, send_now, position)
    ),
    created AS (
      INSERT INTO message_destinations (msg_id, endpoint_id, app_id, status, next_attempt_at, attempt_count, updated_at)
      SELECT fanout_msg_id, t.endpoint_id, fanout_app_id, 1, t.due_at, 0, now_at
      FROM targets t ORDER BY t.position
      ON CONFLICT (msg_id, endpoint_id) DO NOTHING
      RETURNING message_destinations.endpoint_id
    ),
    inserted AS (
      INSERT INTO queue (kind, app_id, msg_id, endpoint_id, lane, task_id, attempt, trigger_type, run_at, lease_token)
      SELECT 'deliver', fanout_app_id, fanout_msg_id, t.endpoint_id, t.lane, NULL, 1, 0, t.run_at,
        CASE WHEN t.send_now THEN worker_id || ':' || gen_random_uuid()::text END
      FROM (SELECT DISTINCT ON (t.endpoint_id) t.* FROM targets t ORDER BY t.endpoint_id, t.position) t
      WHERE t.endpoint_id IN (SELECT c.endpoint_id FROM created c)
      ORDER BY t.position
      RETURNING queue.id, queue.kind, queue.app_id, queue.msg_id, queue.endpoint_id, queue.lane, queue.task_id,
        queue.attempt, queue.trigger_type, queue.run_at, queue.lease_token, queue.rate_slot_at
    )
    SELECT i.id, i.kind, i.app_id, i.msg_id, i.endpoint_id, i.lane, i.task_id, i.attempt, i.trigger_type, i.run_at,
      i.lease_token, i.rate_slot_at
    FROM inserted i WHERE i.lease_token IS NOT NULL;

  IF notify_channel IS NOT NULL THEN
    PERFORM pg_notify(notify_channel, '');
  END IF;
END
$$;

CREATE FUNCTION herald_fan_outs(fan_outs jsonb)
RETURNS TABLE (item integer, id bigint, kind text, app_id text, msg_id text, endpoint_id text, lane text,
               task_id text, attempt integer, trigger_type smallint, run_at bigint, lease_token text,
               rate_slot_at bigint)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
  f record;
BEGIN
  FOR f IN
    SELECT * FROM jsonb_to_recordset(fan_outs) AS x(
      item integer, fanout_id bigint, fanout_lease_token text, fanout_app_id text, fanout_msg_id text,
      now_at bigint, worker_id text, target_endpoint_ids text[], target_lanes text[], target_due_ats bigint[],
      target_run_ats bigint[], target_send_now boolean[], notify_channel text, more_to_come boolean)
  LOOP
    RETURN QUERY
      SELECT f.item, j.id, j.kind, j.app_id, j.msg_id, j.endpoint_id, j.lane, j.task_id, j.attempt, j.trigger_type,
        j.run_at, j.lease_token, j.rate_slot_at
      FROM herald_fan_out(f.fanout_id, f.fanout_lease_token, f.fanout_app_id, f.fanout_msg_id, f.now_at, f.worker_id,
        f.target_endpoint_ids, f.target_lanes, f.target_due_ats, f.target_run_ats, f.target_send_now,
        f.notify_channel, f.more_to_come) AS j;
  END LOOP;
END
$$;
