-- Herald PostgreSQL schema, version 6. No table changes (SQLite has no matching file: its group
-- commit already puts the fan-outs of one turn in one transaction). herald_fan_outs runs several
-- fan-outs in one call, so the fan-outs a worker claimed together, which are ready together, cost
-- one round trip and one pooled connection instead of one each (see
-- src/store/postgres/postgres-fan-outs.ts).
--
-- Each element of `fan_outs` holds the parameters of herald_fan_out (0004) by name, the target
-- lists as JSON arrays, plus `item`, its place in the caller's list; they run in array order, each
-- exactly as that function runs alone, all in one transaction. Returns the claimed jobs of each,
-- with its `item`.
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
      target_run_ats bigint[], target_send_now boolean[], notify_channel text)
  LOOP
    RETURN QUERY
      SELECT f.item, j.id, j.kind, j.app_id, j.msg_id, j.endpoint_id, j.lane, j.task_id, j.attempt, j.trigger_type,
        j.run_at, j.lease_token, j.rate_slot_at
      FROM herald_fan_out(f.fanout_id, f.fanout_lease_token, f.fanout_app_id, f.fanout_msg_id, f.now_at, f.worker_id,
        f.target_endpoint_ids, f.target_lanes, f.target_due_ats, f.target_run_ats, f.target_send_now,
        f.notify_channel) AS j;
  END LOOP;
END
$$;
