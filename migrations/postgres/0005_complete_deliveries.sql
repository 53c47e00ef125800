-- Herald PostgreSQL schema, version 5. No table changes (SQLite has no matching file: its group
-- commit already puts the completions of one turn in one transaction). herald_complete_deliveries
-- completes several deliveries in one call, so the worker's completions that finish in the same
-- turn of its event loop cost one round trip and one pooled connection instead of one each (see
-- src/store/postgres/postgres-completions.ts).
--
-- Each element of `deliveries` holds the parameters of herald_complete_delivery (0004) by name,
-- plus `item`, its place in the caller's list; they run in array order, each exactly as that
-- function runs alone, all in one transaction. The caller sorts them by endpoint so that two calls
-- lock endpoint rows in the same order. Returns one row per delivery whose endpoint exists: `item`
-- and the endpoint's counters as that delivery left them.
CREATE FUNCTION herald_complete_deliveries(deliveries jsonb, notify_channel text)
RETURNS TABLE (item integer, first_failure_at bigint, consecutive_failures integer, window_failures integer)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
  d record;
BEGIN
  FOR d IN
    SELECT * FROM jsonb_to_recordset(deliveries) AS x(
      item integer, job_id bigint, job_lease_token text, retry_at bigint, destination_status smallint,
      endpoint_health text, failure_window_ms bigint, attempt_id text, attempt_app_id text, attempt_msg_id text,
      attempt_endpoint_id text, attempt_url text, attempt_status smallint, attempt_response_status_code integer,
      attempt_response text, attempt_response_duration_ms integer, attempt_trigger_type smallint,
      attempt_attempt_number integer, attempt_request_method text, attempt_request_url text,
      attempt_request_headers text, attempt_request_body text, attempt_created_at bigint, attempt_batch_size integer)
  LOOP
    RETURN QUERY
      SELECT d.item, h.first_failure_at, h.consecutive_failures, h.window_failures
      FROM herald_complete_delivery(d.job_id, d.job_lease_token, d.retry_at, d.destination_status, d.endpoint_health,
        d.failure_window_ms, notify_channel, d.attempt_id, d.attempt_app_id, d.attempt_msg_id, d.attempt_endpoint_id,
        d.attempt_url, d.attempt_status, d.attempt_response_status_code, d.attempt_response,
        d.attempt_response_duration_ms, d.attempt_trigger_type, d.attempt_attempt_number, d.attempt_request_method,
        d.attempt_request_url, d.attempt_request_headers, d.attempt_request_body, d.attempt_created_at,
        d.attempt_batch_size) AS h;
  END LOOP;
END
$$;
