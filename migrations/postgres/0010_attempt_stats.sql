-- Herald PostgreSQL schema, version 10: attempt statistics (issue 22, GET
-- /api/v1/stats/app/{app_id}/attempt; see src/domain/attempt-stats.ts). attempt_stats is
-- migrations/sqlite/0007_attempt_stats.sql's table, whose comments explain it.
--
-- The two engines write it differently. SQLite has one writer: the transaction of each turn's
-- completions adds to the rows directly. Here completions of one endpoint commit concurrently, and
-- a row updated by each would be locked by one until its commit (its WAL flush) while the others
-- wait for it, so they would commit one after another. So each completion call inserts its counts
-- as new rows of attempt_stats_pending (no key, no index: an insert takes no lock another
-- transaction waits for), and every few seconds the process that completes deliveries folds what
-- is pending into attempt_stats (src/store/postgres/postgres-attempt-stats.ts). A read adds the
-- pending rows of its window to the folded ones in one snapshot: a row is in one table or the
-- other, never both, so nothing is counted twice or missed.

CREATE TABLE attempt_stats (
  app_id       text NOT NULL,
  span_ms      bigint NOT NULL,
  bucket_start bigint NOT NULL,
  endpoint_id  text NOT NULL,
  success      integer NOT NULL DEFAULT 0,
  failure      integer NOT NULL DEFAULT 0,
  canceled     integer NOT NULL DEFAULT 0,
  l0 integer NOT NULL DEFAULT 0, l1 integer NOT NULL DEFAULT 0, l2 integer NOT NULL DEFAULT 0,
  l3 integer NOT NULL DEFAULT 0, l4 integer NOT NULL DEFAULT 0, l5 integer NOT NULL DEFAULT 0,
  l6 integer NOT NULL DEFAULT 0, l7 integer NOT NULL DEFAULT 0, l8 integer NOT NULL DEFAULT 0,
  l9 integer NOT NULL DEFAULT 0, l10 integer NOT NULL DEFAULT 0, l11 integer NOT NULL DEFAULT 0,
  l12 integer NOT NULL DEFAULT 0, l13 integer NOT NULL DEFAULT 0, l14 integer NOT NULL DEFAULT 0,
  l15 integer NOT NULL DEFAULT 0, l16 integer NOT NULL DEFAULT 0, l17 integer NOT NULL DEFAULT 0,
  l18 integer NOT NULL DEFAULT 0, l19 integer NOT NULL DEFAULT 0, l20 integer NOT NULL DEFAULT 0,
  l21 integer NOT NULL DEFAULT 0, l22 integer NOT NULL DEFAULT 0, l23 integer NOT NULL DEFAULT 0,
  l24 integer NOT NULL DEFAULT 0, l25 integer NOT NULL DEFAULT 0, l26 integer NOT NULL DEFAULT 0,
  l27 integer NOT NULL DEFAULT 0, l28 integer NOT NULL DEFAULT 0, l29 integer NOT NULL DEFAULT 0,
  l30 integer NOT NULL DEFAULT 0, l31 integer NOT NULL DEFAULT 0,
  PRIMARY KEY (app_id, span_ms, bucket_start, endpoint_id)
);
CREATE INDEX attempt_stats_age ON attempt_stats (bucket_start);

-- Counts not yet folded, by 5-minute bucket (the fold adds each to its hour too).
CREATE TABLE attempt_stats_pending (
  app_id       text NOT NULL,
  bucket_start bigint NOT NULL,
  endpoint_id  text NOT NULL,
  success      integer NOT NULL DEFAULT 0,
  failure      integer NOT NULL DEFAULT 0,
  canceled     integer NOT NULL DEFAULT 0,
  l0 integer NOT NULL DEFAULT 0, l1 integer NOT NULL DEFAULT 0, l2 integer NOT NULL DEFAULT 0,
  l3 integer NOT NULL DEFAULT 0, l4 integer NOT NULL DEFAULT 0, l5 integer NOT NULL DEFAULT 0,
  l6 integer NOT NULL DEFAULT 0, l7 integer NOT NULL DEFAULT 0, l8 integer NOT NULL DEFAULT 0,
  l9 integer NOT NULL DEFAULT 0, l10 integer NOT NULL DEFAULT 0, l11 integer NOT NULL DEFAULT 0,
  l12 integer NOT NULL DEFAULT 0, l13 integer NOT NULL DEFAULT 0, l14 integer NOT NULL DEFAULT 0,
  l15 integer NOT NULL DEFAULT 0, l16 integer NOT NULL DEFAULT 0, l17 integer NOT NULL DEFAULT 0,
  l18 integer NOT NULL DEFAULT 0, l19 integer NOT NULL DEFAULT 0, l20 integer NOT NULL DEFAULT 0,
  l21 integer NOT NULL DEFAULT 0, l22 integer NOT NULL DEFAULT 0, l23 integer NOT NULL DEFAULT 0,
  l24 integer NOT NULL DEFAULT 0, l25 integer NOT NULL DEFAULT 0, l26 integer NOT NULL DEFAULT 0,
  l27 integer NOT NULL DEFAULT 0, l28 integer NOT NULL DEFAULT 0, l29 integer NOT NULL DEFAULT 0,
  l30 integer NOT NULL DEFAULT 0, l31 integer NOT NULL DEFAULT 0
);

-- 0005's function with the call's counts: `counts` holds attempt_stats_pending rows (every column
-- by name), which the caller adds up from the call's attempts (src/store/postgres/
-- postgres-completions.ts), so both engines count alike; typically one row, for the endpoint and
-- bucket of the call. 0005's function stays as it was, for processes of the previous version
-- during an upgrade (their attempts are not counted).
CREATE FUNCTION herald_complete_deliveries(deliveries jsonb, notify_channel text, counts jsonb)
RETURNS TABLE (item integer, first_failure_at bigint, consecutive_failures integer, window_failures integer)
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
  RETURN QUERY SELECT * FROM herald_complete_deliveries(deliveries, notify_channel);
  INSERT INTO attempt_stats_pending SELECT * FROM jsonb_populate_recordset(NULL::attempt_stats_pending, counts);
END
$$;

-- The attempts made before this version, counted once, straight into attempt_stats. A
-- transformation's cancel was recorded as a success with no response and this text
-- (src/worker/deliver-job.ts).
INSERT INTO attempt_stats (app_id, span_ms, bucket_start, endpoint_id, success, failure, canceled,
  l0, l1, l2, l3, l4, l5, l6, l7, l8, l9, l10, l11, l12, l13, l14, l15, l16, l17, l18, l19, l20, l21, l22,
  l23, l24, l25, l26, l27, l28, l29, l30, l31)
SELECT app_id, 300000, created_at - created_at % 300000, endpoint_id,
  count(*) FILTER (WHERE outcome = 0), count(*) FILTER (WHERE outcome = 2), count(*) FILTER (WHERE outcome = 4),
  count(*) FILTER (WHERE outcome <> 4 AND bin = 0), count(*) FILTER (WHERE outcome <> 4 AND bin = 1),
  count(*) FILTER (WHERE outcome <> 4 AND bin = 2), count(*) FILTER (WHERE outcome <> 4 AND bin = 3),
  count(*) FILTER (WHERE outcome <> 4 AND bin = 4), count(*) FILTER (WHERE outcome <> 4 AND bin = 5),
  count(*) FILTER (WHERE outcome <> 4 AND bin = 6), count(*) FILTER (WHERE outcome <> 4 AND bin = 7),
  count(*) FILTER (WHERE outcome <> 4 AND bin = 8), count(*) FILTER (WHERE outcome <> 4 AND bin = 9),
  count(*) FILTER (WHERE outcome <> 4 AND bin = 10), count(*) FILTER (WHERE outcome <> 4 AND bin = 11),
  count(*) FILTER (WHERE outcome <> 4 AND bin = 12), count(*) FILTER (WHERE outcome <> 4 AND bin = 13),
  count(*) FILTER (WHERE outcome <> 4 AND bin = 14), count(*) FILTER (WHERE outcome <> 4 AND bin = 15),
  count(*) FILTER (WHERE outcome <> 4 AND bin = 16), count(*) FILTER (WHERE outcome <> 4 AND bin = 17),
  count(*) FILTER (WHERE outcome <> 4 AND bin = 18), count(*) FILTER (WHERE outcome <> 4 AND bin = 19),
  count(*) FILTER (WHERE outcome <> 4 AND bin = 20), count(*) FILTER (WHERE outcome <> 4 AND bin = 21),
  count(*) FILTER (WHERE outcome <> 4 AND bin = 22), count(*) FILTER (WHERE outcome <> 4 AND bin = 23),
  count(*) FILTER (WHERE outcome <> 4 AND bin = 24), count(*) FILTER (WHERE outcome <> 4 AND bin = 25),
  count(*) FILTER (WHERE outcome <> 4 AND bin = 26), count(*) FILTER (WHERE outcome <> 4 AND bin = 27),
  count(*) FILTER (WHERE outcome <> 4 AND bin = 28), count(*) FILTER (WHERE outcome <> 4 AND bin = 29),
  count(*) FILTER (WHERE outcome <> 4 AND bin = 30), count(*) FILTER (WHERE outcome <> 4 AND bin = 31)
FROM (
  SELECT app_id, endpoint_id, created_at,
         CASE WHEN status = 0 AND response_status_code = 0 AND response = 'Canceled by the endpoint''s transformation' THEN 4
              WHEN status = 0 THEN 0 ELSE 2 END AS outcome,
         CASE
              WHEN response_duration_ms < 1 THEN 0
              WHEN response_duration_ms < 2 THEN 1
              WHEN response_duration_ms < 3 THEN 2
              WHEN response_duration_ms < 4 THEN 3
              WHEN response_duration_ms < 6 THEN 4
              WHEN response_duration_ms < 8 THEN 5
              WHEN response_duration_ms < 12 THEN 6
              WHEN response_duration_ms < 16 THEN 7
              WHEN response_duration_ms < 23 THEN 8
              WHEN response_duration_ms < 32 THEN 9
              WHEN response_duration_ms < 46 THEN 10
              WHEN response_duration_ms < 64 THEN 11
              WHEN response_duration_ms < 91 THEN 12
              WHEN response_duration_ms < 128 THEN 13
              WHEN response_duration_ms < 182 THEN 14
              WHEN response_duration_ms < 256 THEN 15
              WHEN response_duration_ms < 363 THEN 16
              WHEN response_duration_ms < 512 THEN 17
              WHEN response_duration_ms < 725 THEN 18
              WHEN response_duration_ms < 1024 THEN 19
              WHEN response_duration_ms < 1449 THEN 20
              WHEN response_duration_ms < 2048 THEN 21
              WHEN response_duration_ms < 2897 THEN 22
              WHEN response_duration_ms < 4096 THEN 23
              WHEN response_duration_ms < 5793 THEN 24
              WHEN response_duration_ms < 8192 THEN 25
              WHEN response_duration_ms < 11586 THEN 26
              WHEN response_duration_ms < 16384 THEN 27
              WHEN response_duration_ms < 23171 THEN 28
              WHEN response_duration_ms < 32768 THEN 29
              WHEN response_duration_ms < 46341 THEN 30
              ELSE 31 END AS bin
  FROM attempts
) a
GROUP BY app_id, created_at - created_at % 300000, endpoint_id;

INSERT INTO attempt_stats (app_id, span_ms, bucket_start, endpoint_id, success, failure, canceled,
  l0, l1, l2, l3, l4, l5, l6, l7, l8, l9, l10, l11, l12, l13, l14, l15, l16, l17, l18, l19, l20, l21, l22,
  l23, l24, l25, l26, l27, l28, l29, l30, l31)
SELECT app_id, 3600000, bucket_start - bucket_start % 3600000, endpoint_id, sum(success), sum(failure), sum(canceled),
  SUM(l0), SUM(l1), SUM(l2), SUM(l3), SUM(l4), SUM(l5), SUM(l6), SUM(l7), SUM(l8), SUM(l9), SUM(l10),
  SUM(l11), SUM(l12), SUM(l13), SUM(l14), SUM(l15), SUM(l16), SUM(l17), SUM(l18), SUM(l19), SUM(l20),
  SUM(l21), SUM(l22), SUM(l23), SUM(l24), SUM(l25), SUM(l26), SUM(l27), SUM(l28), SUM(l29), SUM(l30),
  SUM(l31)
FROM attempt_stats WHERE span_ms = 300000
GROUP BY app_id, bucket_start - bucket_start % 3600000, endpoint_id;
