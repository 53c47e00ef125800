import type { MessageStatus } from "./types.ts";
import { MESSAGE_STATUS } from "./types.ts";

/**
 * Attempt statistics (`GET /api/v1/stats/app/{app_id}/attempt`): what each engine keeps per
 * application, endpoint and time bucket, and how percentiles come out of it.
 *
 * Every recorded attempt is counted, in the same transaction that records it, into rows of two
 * spans: its 5-minute bucket and its hour (UTC), so that a window of any period reads at most a
 * bounded number of rows per endpoint (FiveMinutes from the 5-minute rows, OneHour and OneDay
 * from the hour rows). A row holds the counts by outcome and a histogram of response durations in
 * LATENCY_BIN_COUNT fixed bins that grow by a factor of √2, so a percentile read from the rows is
 * exact below 4 ms and within one bin (at most a factor √2 wide) above.
 */

export const FIVE_MINUTES_MS = 5 * 60 * 1000;
export const HOUR_MS = 60 * 60 * 1000;

/** The spans rows are kept in. */
export const STATS_SPANS_MS = [FIVE_MINUTES_MS, HOUR_MS] as const;
export type StatsSpanMs = (typeof STATS_SPANS_MS)[number];

/**
 * Lower bound (ms, inclusive) of each latency bin; a bin ends where the next begins, and the last
 * is open-ended. 0–3 ms have a bin each, then each bin starts at ⌈2^(k/2)⌉ ms (k = 4 … 31).
 * Durations are whole milliseconds, so these integer bounds split them exactly as the powers do.
 * Fixed for good: rows already written are counted against them (the migrations' backfills spell
 * the same table out in SQL).
 */
export const LATENCY_BIN_LOWER_MS: readonly number[] = Object.freeze([
  0, 1, 2, 3, 4, 6, 8, 12, 16, 23, 32, 46, 64, 91, 128, 182, 256, 363, 512, 725, 1024, 1449, 2048, 2897, 4096, 5793,
  8192, 11586, 16384, 23171, 32768, 46341,
]);
export const LATENCY_BIN_COUNT = LATENCY_BIN_LOWER_MS.length;

/** The columns of a stats row that hold the histogram, `l0` … `l31`, in bin order. */
export const LATENCY_COLUMNS: readonly string[] = Object.freeze(LATENCY_BIN_LOWER_MS.map((_, bin) => `l${bin}`));

/** The bin a response duration falls in. */
export function latencyBin(durationMs: number): number {
  let bin = 0;
  while (bin + 1 < LATENCY_BIN_COUNT && durationMs >= LATENCY_BIN_LOWER_MS[bin + 1]!) bin++;
  return bin;
}

/** How an attempt counts: a transformation's cancel made no request, so it has no latency. */
export type AttemptOutcome = "success" | "failure" | "canceled";

/** A recorded attempt's outcome: its status, unless its transformation canceled it. */
export function attemptOutcome(status: MessageStatus, canceled: boolean): AttemptOutcome {
  if (canceled) return "canceled";
  return status === MESSAGE_STATUS.success ? "success" : "failure";
}

/** What a row (or a sum of rows) holds. */
export interface AttemptCounts {
  success: number;
  failure: number;
  canceled: number;
  /** Attempts per latency bin (successes and failures: every attempt that made its request). */
  latency: number[];
}

export function emptyCounts(): AttemptCounts {
  return { success: 0, failure: 0, canceled: 0, latency: new Array<number>(LATENCY_BIN_COUNT).fill(0) };
}

/** Adds one attempt to `counts`. */
export function countAttempt(counts: AttemptCounts, outcome: AttemptOutcome, durationMs: number): void {
  counts[outcome]++;
  if (outcome !== "canceled") counts.latency[latencyBin(durationMs)]!++;
}

/** The start of the bucket of `span` holding `at` (epoch ms; spans divide days, so buckets align to UTC). */
export function bucketStart(at: number, spanMs: number): number {
  return at - (((at % spanMs) + spanMs) % spanMs);
}

/**
 * The `quantile` (0 < q ≤ 1) of the durations in `latency`, in ms, or null when it holds none: the
 * bin that holds the rank-th duration (rank = ⌈q·n⌉), and within it a linear interpolation by
 * rank between its bounds (the last bin, which is open-ended, reports its lower bound). Rounded
 * to 0.1 ms.
 */
export function latencyPercentile(latency: readonly number[], quantile: number): number | null {
  const total = latency.reduce((sum, n) => sum + n, 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(quantile * total));
  let below = 0;
  for (let bin = 0; bin < latency.length; bin++) {
    const n = latency[bin]!;
    if (below + n < rank) {
      below += n;
      continue;
    }
    const lower = LATENCY_BIN_LOWER_MS[bin]!;
    const upper = LATENCY_BIN_LOWER_MS[bin + 1];
    // Bins of one millisecond hold one value; wider ones spread their n durations evenly.
    if (upper === undefined || upper - lower === 1) return lower;
    return Math.round((lower + ((upper - lower) * (rank - below - 0.5)) / n) * 10) / 10;
  }
  return LATENCY_BIN_LOWER_MS[LATENCY_BIN_COUNT - 1]!;
}
