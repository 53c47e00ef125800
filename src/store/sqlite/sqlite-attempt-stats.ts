import type { AttemptCounts } from "../../domain/attempt-stats.ts";
import { attemptOutcome, bucketStart, countAttempt, emptyCounts, LATENCY_COLUMNS, STATS_SPANS_MS } from "../../domain/attempt-stats.ts";
import type { Attempt } from "../../domain/types.ts";
import type { AttemptStats, AttemptStatsStore } from "../store.ts";
import type { GroupHooks } from "./group-commit.ts";
import type { Db, SqliteContext } from "./sqlite-database.ts";
import { lazy } from "./sqlite-database.ts";

/**
 * Attempt statistics on SQLite (src/domain/attempt-stats.ts). The attempts recorded in one
 * transaction of the group commit are counted in memory by endpoint and bucket, and each
 * bucket's row of each span gets one upsert at the end of that transaction: under load a
 * transaction completes tens of deliveries, mostly to a few endpoints, so the statistics cost a
 * couple of statements per transaction, not one per attempt.
 */
export interface AttemptStatsCounter {
  /** Counts a recorded attempt into the current transaction; call it last in the write (see GroupHooks). */
  count(attempt: Attempt, canceled: boolean): void;
  /** For makeGroupCommit: starts each transaction's counts afresh and writes them at its end. */
  hooks: GroupHooks;
}

interface RowCounts {
  appId: string;
  spanMs: number;
  bucketStart: number;
  endpointId: string;
  counts: AttemptCounts;
}

const COUNT_COLUMNS = ["success", "failure", "canceled", ...LATENCY_COLUMNS];

export function makeAttemptStatsCounter(db: Db): AttemptStatsCounter {
  const upsert = lazy(() =>
    db.prepare<unknown[]>(
      `INSERT INTO attempt_stats (app_id, span_ms, bucket_start, endpoint_id, ${COUNT_COLUMNS.join(", ")})
       VALUES (?, ?, ?, ?, ${COUNT_COLUMNS.map(() => "?").join(", ")})
       ON CONFLICT (app_id, span_ms, bucket_start, endpoint_id) DO UPDATE SET
         ${COUNT_COLUMNS.map((column) => `${column} = ${column} + excluded.${column}`).join(", ")}`,
    ),
  );
  let rows = new Map<string, RowCounts>();
  // The row each span counted into last: the attempts of a transaction mostly go to a few
  // endpoints, one after another, and the key and map lookup cost more than the count.
  let latest: Array<RowCounts | undefined> = [];

  function rowFor(attempt: Attempt, spanMs: number, start: number, span: number): RowCounts {
    const last = latest[span];
    if (last && last.bucketStart === start && last.endpointId === attempt.endpointId && last.appId === attempt.appId) return last;
    const key = `${attempt.appId}\n${spanMs}\n${start}\n${attempt.endpointId}`;
    let row = rows.get(key);
    if (!row) {
      row = { appId: attempt.appId, spanMs, bucketStart: start, endpointId: attempt.endpointId, counts: emptyCounts() };
      rows.set(key, row);
    }
    latest[span] = row;
    return row;
  }

  function reset(): Map<string, RowCounts> {
    const counted = rows;
    rows = new Map();
    latest = [];
    return counted;
  }

  return {
    count(attempt, canceled) {
      const outcome = attemptOutcome(attempt.status, canceled);
      STATS_SPANS_MS.forEach((spanMs, span) => {
        const row = rowFor(attempt, spanMs, bucketStart(attempt.createdAt, spanMs), span);
        countAttempt(row.counts, outcome, attempt.responseDurationMs);
      });
    },
    hooks: {
      begin() {
        reset();
      },
      end() {
        if (rows.size === 0) return;
        for (const row of reset().values()) {
          const { success, failure, canceled, latency } = row.counts;
          upsert().run(row.appId, row.spanMs, row.bucketStart, row.endpointId, success, failure, canceled, ...latency);
        }
      },
    },
  };
}

type SumRow = [key: string | number, ...counts: number[]];

function countsOf(row: SumRow): AttemptCounts {
  return { success: row[1]!, failure: row[2]!, canceled: row[3]!, latency: row.slice(4) as number[] };
}

export function makeAttemptStatsStore({ db }: SqliteContext): AttemptStatsStore {
  const sums = COUNT_COLUMNS.map((column) => `SUM(${column})`).join(", ");
  // The rows of one span in [since, until), of one endpoint when @endpoint is not null.
  const window = `FROM attempt_stats
    WHERE app_id = @app AND span_ms = @span AND bucket_start >= @since AND bucket_start < @until
      AND (@endpoint IS NULL OR endpoint_id = @endpoint)`;
  type Params = { app: string; span: number; since: number; until: number; period: number; endpoint: string | null };
  const st = lazy(() => ({
    byPeriod: db.prepare<Params, SumRow>(`SELECT bucket_start - (bucket_start - @since) % @period AS start, ${sums} ${window} GROUP BY start`).raw(),
    byEndpoint: db.prepare<Params, SumRow>(`SELECT endpoint_id, ${sums} ${window} GROUP BY endpoint_id ORDER BY endpoint_id`).raw(),
  }));

  // Both sums read one snapshot, even with another process writing.
  const read = db.transaction((params: Params): AttemptStats => ({
    byPeriod: st().byPeriod.all(params).map((row) => ({ start: row[0] as number, ...countsOf(row) })),
    byEndpoint: st().byEndpoint.all(params).map((row) => ({ endpointId: row[0] as string, ...countsOf(row) })),
  }));

  return {
    async getAttemptStats(appId, query) {
      return read({
        app: appId,
        span: query.spanMs,
        since: query.since,
        until: query.until,
        period: query.periodMs,
        endpoint: query.endpointId ?? null,
      });
    },
  };
}

