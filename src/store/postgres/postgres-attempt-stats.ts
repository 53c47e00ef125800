import type pg from "pg";

import type { AttemptCounts } from "../../domain/attempt-stats.ts";
import { attemptOutcome, bucketStart, countAttempt, emptyCounts, FIVE_MINUTES_MS, HOUR_MS, LATENCY_COLUMNS } from "../../domain/attempt-stats.ts";
import type { Attempt } from "../../domain/types.ts";
import type { AttemptStatsStore } from "../store.ts";
import type { PostgresContext } from "./postgres-database.ts";
import { queryOne, queryRows, statement } from "./postgres-database.ts";

/**
 * Attempt statistics on PostgreSQL (src/domain/attempt-stats.ts). Each completion call adds up
 * its attempts (pendingCountsJson) and inserts them into attempt_stats_pending in its transaction
 * (herald_complete_deliveries, migrations/postgres/0010); the fold moves them into attempt_stats,
 * at both spans, and reads add what is still pending (the migration's comment says why).
 */

const COUNT_COLUMNS = ["success", "failure", "canceled", ...LATENCY_COLUMNS];
const columns = COUNT_COLUMNS.join(", ");
const sums = COUNT_COLUMNS.map((column) => `sum(${column})::bigint AS ${column}`).join(", ");

/** An attempt a completion call records, and whether its transformation canceled it. */
export interface CountedAttempt {
  attempt: Attempt;
  canceled: boolean;
}

interface PendingRow {
  appId: string;
  bucketStart: number;
  endpointId: string;
  counts: AttemptCounts;
}

/**
 * attempt_stats_pending rows for the attempts of one completion call, as the JSON array its
 * `counts` parameter takes (every column by name). A call's deliveries come sorted by endpoint, so
 * consecutive attempts mostly share a row. The JSON is written out directly: building an object
 * of 38 keys per row and stringifying it cost more than the rest of the call's preparation.
 */
export function pendingCountsJson(attempts: CountedAttempt[]): string {
  const rows: PendingRow[] = [];
  let row: PendingRow | undefined;
  for (const { attempt, canceled } of attempts) {
    const start = bucketStart(attempt.createdAt, FIVE_MINUTES_MS);
    if (!row || row.appId !== attempt.appId || row.endpointId !== attempt.endpointId || row.bucketStart !== start) {
      row = rows.find((candidate) => candidate.appId === attempt.appId && candidate.endpointId === attempt.endpointId && candidate.bucketStart === start);
      if (!row) {
        row = { appId: attempt.appId, bucketStart: start, endpointId: attempt.endpointId, counts: emptyCounts() };
        rows.push(row);
      }
    }
    countAttempt(row.counts, attemptOutcome(attempt.status, canceled), attempt.responseDurationMs);
  }
  return `[${rows.map(rowJson).join(",")}]`;
}

function rowJson({ appId, bucketStart: start, endpointId, counts }: PendingRow): string {
  let json = `{"app_id":${JSON.stringify(appId)},"bucket_start":${start},"endpoint_id":${JSON.stringify(endpointId)}`;
  json += `,"success":${counts.success},"failure":${counts.failure},"canceled":${counts.canceled}`;
  for (let bin = 0; bin < LATENCY_COLUMNS.length; bin++) json += `,"${LATENCY_COLUMNS[bin]}":${counts.latency[bin]}`;
  return json + "}";
}

/** Pending rows moved per fold: a few seconds of a busy worker's completions. */
const FOLD_BATCH_ROWS = 10_000;

/**
 * At most one fold per process this often, started by a completion. Reads add the pending rows
 * of their window, so this bounds the work a read does, not what it sees.
 */
export const FOLD_EVERY_MS = 2_000;

// A batch of pending rows (SKIP LOCKED: concurrent folds take disjoint ones), deleted and added to
// their 5-minute and hour rows in one statement. Rows are upserted in key order, so two folds
// adding to the same rows lock them in the same order.
const fold = statement<{ moved: number }>(
  "fold_attempt_stats",
  `WITH moved AS (
     DELETE FROM attempt_stats_pending
     WHERE ctid = ANY (ARRAY(SELECT ctid FROM attempt_stats_pending LIMIT $1 FOR UPDATE SKIP LOCKED))
     RETURNING *
   ), spans AS (
     SELECT app_id, ${FIVE_MINUTES_MS}::bigint AS span_ms, bucket_start, endpoint_id, ${columns} FROM moved
     UNION ALL
     SELECT app_id, ${HOUR_MS}::bigint, bucket_start - bucket_start % ${HOUR_MS}, endpoint_id, ${columns} FROM moved
   ), added AS (
     INSERT INTO attempt_stats (app_id, span_ms, bucket_start, endpoint_id, ${columns})
     SELECT app_id, span_ms, bucket_start, endpoint_id, ${sums} FROM spans
     GROUP BY app_id, span_ms, bucket_start, endpoint_id
     ORDER BY app_id, span_ms, bucket_start, endpoint_id
     ON CONFLICT (app_id, span_ms, bucket_start, endpoint_id) DO UPDATE SET
       ${COUNT_COLUMNS.map((column) => `${column} = attempt_stats.${column} + excluded.${column}`).join(", ")}
   )
   SELECT count(*)::bigint AS moved FROM moved`,
);

type SumRow = { start: number | null; endpoint_id: string | null; by_endpoint: boolean } & Record<string, number>;

// Folded rows of the span and pending ones (5-minute buckets, inside the window's periods) in one
// snapshot, summed by period and by endpoint in one pass. $5 is the period, $6 the endpoint or null.
const read = statement<SumRow>(
  "attempt_stats_window",
  `WITH counted AS (
     SELECT bucket_start, endpoint_id, ${columns} FROM attempt_stats
     WHERE app_id = $1 AND span_ms = $2 AND bucket_start >= $3 AND bucket_start < $4
       AND ($6::text IS NULL OR endpoint_id = $6)
     UNION ALL
     SELECT bucket_start, endpoint_id, ${columns} FROM attempt_stats_pending
     WHERE app_id = $1 AND bucket_start >= $3 AND bucket_start < $4 AND ($6::text IS NULL OR endpoint_id = $6)
   )
   SELECT bucket_start - (bucket_start - $3::bigint) % $5::bigint AS start, endpoint_id,
     GROUPING(endpoint_id) = 0 AS by_endpoint, ${sums}
   FROM counted
   GROUP BY GROUPING SETS ((bucket_start - (bucket_start - $3::bigint) % $5::bigint), (endpoint_id))`,
);

function countsOf(row: SumRow): AttemptCounts {
  return { success: row.success!, failure: row.failure!, canceled: row.canceled!, latency: LATENCY_COLUMNS.map((column) => row[column]!) };
}

export function makeAttemptStatsStore({ pool }: PostgresContext): AttemptStatsStore {
  return {
    async getAttemptStats(appId, query) {
      const rows = await queryRows(pool, read, [appId, query.spanMs, query.since, query.until, query.periodMs, query.endpointId ?? null]);
      const byPeriod = rows.filter((row) => !row.by_endpoint).map((row) => ({ start: row.start!, ...countsOf(row) }));
      const byEndpoint = rows.filter((row) => row.by_endpoint).map((row) => ({ endpointId: row.endpoint_id!, ...countsOf(row) }));
      byPeriod.sort((a, b) => a.start - b.start);
      byEndpoint.sort((a, b) => (a.endpointId < b.endpointId ? -1 : a.endpointId > b.endpointId ? 1 : 0));
      return { byPeriod, byEndpoint };
    },
  };
}

export interface AttemptStatsFolder {
  /** Call after completions commit: folds what is pending if FOLD_EVERY_MS have passed since the last fold. */
  soon(): void;
  /** Folds everything pending now (tests, the benchmark), then resolves. */
  foldAll(): Promise<void>;
  /** Waits for a fold under way. */
  settle(): Promise<void>;
}

export function makeAttemptStatsFolder(pool: pg.Pool, onError: (error: Error) => void): AttemptStatsFolder {
  let lastStart = 0;
  let folding: Promise<void> | null = null;

  async function foldBatches(): Promise<void> {
    // A full batch means more may be waiting.
    while ((await queryOne(pool, fold, [FOLD_BATCH_ROWS]))?.moved === FOLD_BATCH_ROWS);
  }

  return {
    soon() {
      const now = Date.now();
      if (folding || now - lastStart < FOLD_EVERY_MS) return;
      lastStart = now;
      folding = foldBatches()
        .catch(onError)
        .finally(() => (folding = null));
    },
    async foldAll() {
      await folding;
      await foldBatches();
    },
    async settle() {
      await folding;
    },
  };
}
