-- Herald SQLite schema, version 7: attempt statistics (issue 22, GET /api/v1/stats/app/{app_id}/attempt;
-- see src/domain/attempt-stats.ts). Nothing existing changes.

-- Attempts counted per application, endpoint and bucket, written in the transaction that records
-- each attempt (src/store/sqlite/sqlite-attempt-stats.ts), at two spans: 5-minute buckets (span_ms
-- 300000) and hours (3600000), so a window reads a bounded number of rows whatever the number of
-- attempts. success/failure/canceled count attempts by outcome; l0 … l31 count the successes and
-- failures (canceled ones made no request) by response duration, in the bins whose lower bounds
-- are LATENCY_BIN_LOWER_MS: 0, 1, 2, 3 ms, then ⌈2^(k/2)⌉ ms for k = 4 … 31 (the CASE below).
CREATE TABLE attempt_stats (
  app_id       TEXT NOT NULL,
  span_ms      INTEGER NOT NULL,
  bucket_start INTEGER NOT NULL,
  endpoint_id  TEXT NOT NULL,
  success      INTEGER NOT NULL DEFAULT 0,
  failure      INTEGER NOT NULL DEFAULT 0,
  canceled     INTEGER NOT NULL DEFAULT 0,
  l0 INTEGER NOT NULL DEFAULT 0, l1 INTEGER NOT NULL DEFAULT 0, l2 INTEGER NOT NULL DEFAULT 0,
  l3 INTEGER NOT NULL DEFAULT 0, l4 INTEGER NOT NULL DEFAULT 0, l5 INTEGER NOT NULL DEFAULT 0,
  l6 INTEGER NOT NULL DEFAULT 0, l7 INTEGER NOT NULL DEFAULT 0, l8 INTEGER NOT NULL DEFAULT 0,
  l9 INTEGER NOT NULL DEFAULT 0, l10 INTEGER NOT NULL DEFAULT 0, l11 INTEGER NOT NULL DEFAULT 0,
  l12 INTEGER NOT NULL DEFAULT 0, l13 INTEGER NOT NULL DEFAULT 0, l14 INTEGER NOT NULL DEFAULT 0,
  l15 INTEGER NOT NULL DEFAULT 0, l16 INTEGER NOT NULL DEFAULT 0, l17 INTEGER NOT NULL DEFAULT 0,
  l18 INTEGER NOT NULL DEFAULT 0, l19 INTEGER NOT NULL DEFAULT 0, l20 INTEGER NOT NULL DEFAULT 0,
  l21 INTEGER NOT NULL DEFAULT 0, l22 INTEGER NOT NULL DEFAULT 0, l23 INTEGER NOT NULL DEFAULT 0,
  l24 INTEGER NOT NULL DEFAULT 0, l25 INTEGER NOT NULL DEFAULT 0, l26 INTEGER NOT NULL DEFAULT 0,
  l27 INTEGER NOT NULL DEFAULT 0, l28 INTEGER NOT NULL DEFAULT 0, l29 INTEGER NOT NULL DEFAULT 0,
  l30 INTEGER NOT NULL DEFAULT 0, l31 INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (app_id, span_ms, bucket_start, endpoint_id)
) WITHOUT ROWID;
-- Retention deletes the rows of buckets older than HERALD_RETENTION_DAYS.
CREATE INDEX attempt_stats_age ON attempt_stats (bucket_start);

-- The attempts made before this version, counted once. A transformation's cancel was recorded as a
-- success with no response and this text (src/worker/deliver-job.ts).
INSERT INTO attempt_stats (app_id, span_ms, bucket_start, endpoint_id, success, failure, canceled,
  l0, l1, l2, l3, l4, l5, l6, l7, l8, l9, l10, l11, l12, l13, l14, l15, l16, l17, l18, l19, l20, l21, l22,
  l23, l24, l25, l26, l27, l28, l29, l30, l31)
SELECT app_id, 300000, created_at - created_at % 300000, endpoint_id,
  SUM(outcome = 0), SUM(outcome = 2), SUM(outcome = 4),
  SUM(outcome <> 4 AND bin = 0), SUM(outcome <> 4 AND bin = 1), SUM(outcome <> 4 AND bin = 2),
  SUM(outcome <> 4 AND bin = 3), SUM(outcome <> 4 AND bin = 4), SUM(outcome <> 4 AND bin = 5),
  SUM(outcome <> 4 AND bin = 6), SUM(outcome <> 4 AND bin = 7), SUM(outcome <> 4 AND bin = 8),
  SUM(outcome <> 4 AND bin = 9), SUM(outcome <> 4 AND bin = 10), SUM(outcome <> 4 AND bin = 11),
  SUM(outcome <> 4 AND bin = 12), SUM(outcome <> 4 AND bin = 13), SUM(outcome <> 4 AND bin = 14),
  SUM(outcome <> 4 AND bin = 15), SUM(outcome <> 4 AND bin = 16), SUM(outcome <> 4 AND bin = 17),
  SUM(outcome <> 4 AND bin = 18), SUM(outcome <> 4 AND bin = 19), SUM(outcome <> 4 AND bin = 20),
  SUM(outcome <> 4 AND bin = 21), SUM(outcome <> 4 AND bin = 22), SUM(outcome <> 4 AND bin = 23),
  SUM(outcome <> 4 AND bin = 24), SUM(outcome <> 4 AND bin = 25), SUM(outcome <> 4 AND bin = 26),
  SUM(outcome <> 4 AND bin = 27), SUM(outcome <> 4 AND bin = 28), SUM(outcome <> 4 AND bin = 29),
  SUM(outcome <> 4 AND bin = 30), SUM(outcome <> 4 AND bin = 31)
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
)
GROUP BY app_id, created_at - created_at % 300000, endpoint_id;

INSERT INTO attempt_stats (app_id, span_ms, bucket_start, endpoint_id, success, failure, canceled,
  l0, l1, l2, l3, l4, l5, l6, l7, l8, l9, l10, l11, l12, l13, l14, l15, l16, l17, l18, l19, l20, l21, l22,
  l23, l24, l25, l26, l27, l28, l29, l30, l31)
SELECT app_id, 3600000, bucket_start - bucket_start % 3600000, endpoint_id, SUM(success), SUM(failure), SUM(canceled),
  SUM(l0), SUM(l1), SUM(l2), SUM(l3), SUM(l4), SUM(l5), SUM(l6), SUM(l7), SUM(l8), SUM(l9), SUM(l10),
  SUM(l11), SUM(l12), SUM(l13), SUM(l14), SUM(l15), SUM(l16), SUM(l17), SUM(l18), SUM(l19), SUM(l20),
  SUM(l21), SUM(l22), SUM(l23), SUM(l24), SUM(l25), SUM(l26), SUM(l27), SUM(l28), SUM(l29), SUM(l30),
  SUM(l31)
FROM attempt_stats WHERE span_ms = 300000
GROUP BY app_id, bucket_start - bucket_start % 3600000, endpoint_id;
