-- Herald PostgreSQL schema, version 4. No table changes (SQLite has no matching file: its store runs
-- in-process, where a statement costs no round trip). Two functions for the worker's hot path
-- (issue 6): fanOut and completeDelivery each ran as BEGIN, three to five statements and COMMIT on
-- one pooled connection, every statement a round trip, and each round trip kept the connection
-- (and any row locks taken so far) held while the worker waited. As functions they are one round
-- trip and one transaction each (a function call outside BEGIN commits as one statement).
--
-- They run the statements the store ran, in the same order, so the semantics and the lock order
-- (queue row, then destination, then endpoint: see src/store/postgres/postgres-queue.ts) are
-- unchanged. Under READ COMMITTED every statement of a VOLATILE function takes a fresh snapshot,
-- as separate statements did: a read after an update still sees what other transactions
-- committed meanwhile. Constants as in src/domain/types.ts: MESSAGE_STATUS.pending = 1,
-- TRIGGER.scheduled = 0. `notify_channel` is the work channel (WORK_CHANNEL in
-- postgres-queue-statements.ts), or NULL for no notification; passing it keeps the name in one place.
-- Result columns are named as the queue's and endpoints' own: a new queue column needs a new version
-- of herald_fan_out, as for herald_claim_jobs.

-- fanOut (see QueueStore.fanOut in src/store/store.ts): deletes the claimed fanout job under its
-- lease token, which is the ownership check (if another worker took the job over nothing is
-- deleted, nothing is queued and no row comes back); upserts one pending destination per endpoint
-- (a duplicate endpoint keeps the values of its last occurrence, as upserting one by one would:
-- ON CONFLICT may not touch a row twice in one statement, hence DISTINCT ON); inserts one job per
-- target, in target order (so ids ascend in that order), claimed for `worker_id` where `send_now`;
-- and returns the claimed ones. The four arrays run in parallel, one element per target.
CREATE FUNCTION herald_fan_out(fanout_id bigint, fanout_lease_token text, fanout_app_id text, fanout_msg_id text,
                               now_at bigint, worker_id text, target_endpoint_ids text[], target_lanes text[],
                               target_due_ats bigint[], target_run_ats bigint[], target_send_now boolean[],
                               notify_channel text)
RETURNS TABLE (id bigint, kind text, app_id text, msg_id text, endpoint_id text, lane text, task_id text,
               attempt integer, trigger_type smallint, run_at bigint, lease_token text, rate_slot_at bigint)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
BEGIN
  DELETE FROM queue f WHERE f.id = fanout_id AND f.lease_token = fanout_lease_token;
  IF NOT FOUND THEN
    RETURN;
  END IF;

  INSERT INTO message_destinations (msg_id, endpoint_id, app_id, status, next_attempt_at, attempt_count, updated_at)
  SELECT DISTINCT ON (t.endpoint_id) fanout_msg_id, t.endpoint_id, fanout_app_id, 1, t.due_at, 0, now_at
  FROM unnest(target_endpoint_ids, target_due_ats) WITH ORDINALITY AS t(endpoint_id, due_at, position)
  ORDER BY t.endpoint_id, t.position DESC
  ON CONFLICT (msg_id, endpoint_id) DO UPDATE SET
    status = 1, next_attempt_at = excluded.next_attempt_at, updated_at = excluded.updated_at;

  RETURN QUERY
    WITH inserted AS (
      INSERT INTO queue (kind, app_id, msg_id, endpoint_id, lane, task_id, attempt, trigger_type, run_at, lease_token)
      SELECT 'deliver', fanout_app_id, fanout_msg_id, t.endpoint_id, t.lane, NULL, 1, 0, t.run_at,
        CASE WHEN t.send_now THEN worker_id || ':' || gen_random_uuid()::text END
      FROM unnest(target_endpoint_ids, target_lanes, target_run_ats, target_send_now) WITH ORDINALITY
        AS t(endpoint_id, lane, run_at, send_now, position)
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

-- completeDelivery (see QueueStore.completeDelivery in src/store/store.ts). The attempt is always
-- recorded (it happened) and the endpoint's health always learns from it. The job is removed
-- (`retry_at` NULL) or rescheduled without its rate slot (a retry needs a new one), under its lease
-- token: only if that held does this worker also move the destination on (and, for a retry, tell
-- idle workers); otherwise the destination belongs to the job's new owner. Manual attempts (resend,
-- recover) leave the destination's attempt_count alone. `endpoint_health`: 'success' ends the run
-- of failures, writing (and locking) the endpoint row only when something changes, so successful
-- deliveries to one endpoint do not queue behind each other; 'failure' always writes: the window
-- count goes on while each failure comes within `failure_window_ms` of the previous one and
-- restarts at 1 after a longer gap, and last_failure_at only moves forward (attempts to one
-- endpoint may finish out of order); NULL leaves health alone. Returns the endpoint's counters as
-- the failure update left them, else as read afterwards; no row if the endpoint does not exist.
CREATE FUNCTION herald_complete_delivery(job_id bigint, job_lease_token text, retry_at bigint,
                                         destination_status smallint, endpoint_health text,
                                         failure_window_ms bigint, notify_channel text,
                                         attempt_id text, attempt_app_id text, attempt_msg_id text,
                                         attempt_endpoint_id text, attempt_url text, attempt_status smallint,
                                         attempt_response_status_code integer, attempt_response text,
                                         attempt_response_duration_ms integer, attempt_trigger_type smallint,
                                         attempt_attempt_number integer, attempt_request_method text,
                                         attempt_request_url text, attempt_request_headers text,
                                         attempt_request_body text, attempt_created_at bigint,
                                         attempt_batch_size integer)
RETURNS TABLE (first_failure_at bigint, consecutive_failures integer, window_failures integer)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
  scheduled boolean := attempt_trigger_type = 0;
BEGIN
  INSERT INTO attempts (id, app_id, msg_id, endpoint_id, url, status, response_status_code, response,
    response_duration_ms, trigger_type, attempt_number, request_method, request_url, request_headers,
    request_body, created_at, batch_size)
  VALUES (attempt_id, attempt_app_id, attempt_msg_id, attempt_endpoint_id, attempt_url, attempt_status,
    attempt_response_status_code, attempt_response, attempt_response_duration_ms, attempt_trigger_type,
    attempt_attempt_number, attempt_request_method, attempt_request_url, attempt_request_headers, attempt_request_body,
    attempt_created_at, attempt_batch_size);

  IF retry_at IS NULL THEN
    DELETE FROM queue j WHERE j.id = job_id AND j.lease_token = job_lease_token;
  ELSE
    UPDATE queue j SET run_at = retry_at, attempt = j.attempt + 1, lease_token = NULL, rate_slot_at = NULL
    WHERE j.id = job_id AND j.lease_token = job_lease_token;
  END IF;

  IF FOUND THEN
    INSERT INTO message_destinations (msg_id, endpoint_id, app_id, status, next_attempt_at, attempt_count, updated_at)
    VALUES (attempt_msg_id, attempt_endpoint_id, attempt_app_id, destination_status, retry_at,
      CASE WHEN scheduled THEN attempt_attempt_number ELSE 0 END, attempt_created_at)
    ON CONFLICT (msg_id, endpoint_id) DO UPDATE SET
      status = excluded.status, next_attempt_at = excluded.next_attempt_at, updated_at = excluded.updated_at,
      attempt_count = CASE WHEN scheduled THEN excluded.attempt_count ELSE message_destinations.attempt_count END;
    IF retry_at IS NOT NULL AND notify_channel IS NOT NULL THEN
      PERFORM pg_notify(notify_channel, '');
    END IF;
  END IF;

  IF endpoint_health = 'failure' THEN
    RETURN QUERY
      UPDATE endpoints e SET
        first_failure_at = COALESCE(e.first_failure_at, attempt_created_at),
        consecutive_failures = e.consecutive_failures + 1,
        window_failures = CASE WHEN e.last_failure_at IS NOT NULL AND attempt_created_at - e.last_failure_at <= failure_window_ms
                               THEN e.window_failures + 1 ELSE 1 END,
        last_failure_at = GREATEST(e.last_failure_at, attempt_created_at)
      WHERE e.id = attempt_endpoint_id
      RETURNING e.first_failure_at, e.consecutive_failures, e.window_failures;
    RETURN;
  END IF;

  IF endpoint_health = 'success' THEN
    UPDATE endpoints e SET first_failure_at = NULL, consecutive_failures = 0
    WHERE e.id = attempt_endpoint_id AND (e.first_failure_at IS NOT NULL OR e.consecutive_failures <> 0);
  END IF;
  RETURN QUERY
    SELECT e.first_failure_at, e.consecutive_failures, e.window_failures FROM endpoints e WHERE e.id = attempt_endpoint_id;
END
$$;
