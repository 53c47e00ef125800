import type { AttemptStats } from "../api/types.ts";

const PERIOD_MS = { OneDay: 86_400_000, OneHour: 3_600_000, FiveMinutes: 300_000 } as const;

/** Bucket start times (seconds, as uPlot wants) for an attempt-stats answer. */
export function bucketTimes(stats: AttemptStats): number[] {
  const size = PERIOD_MS[stats.period];
  const start = Math.floor(Date.parse(stats.startDate) / size) * size;
  return stats.data.successCount.map((_, index) => (start + index * size) / 1000);
}

export function totals(stats: AttemptStats) {
  const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
  const success = sum(stats.data.successCount);
  const failure = sum(stats.data.failureCount);
  const canceled = sum(stats.data.canceledCount);
  return { success, failure, canceled, rate: success + failure === 0 ? null : success / (success + failure) };
}
