import type { AttemptStats, StatsPeriod } from "../api/types.ts";

const PERIOD_MS = { OneDay: 86_400_000, OneHour: 3_600_000, FiveMinutes: 300_000 } as const;

/** Where the first bucket starts (ms): the window's start floored to the period. */
export function firstBucket(startDate: string, period: StatsPeriod): number {
  const size = PERIOD_MS[period];
  return Math.floor(Date.parse(startDate) / size) * size;
}

/** Bucket start times in seconds, as uPlot wants them. */
export function bucketTimes(first: number, period: StatsPeriod, count: number): number[] {
  return Array.from({ length: count }, (_, index) => (first + index * PERIOD_MS[period]) / 1000);
}

export function totals(stats: AttemptStats) {
  const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
  const success = sum(stats.data.successCount);
  const failure = sum(stats.data.failureCount);
  const canceled = sum(stats.data.canceledCount);
  return { success, failure, canceled, rate: success + failure === 0 ? null : success / (success + failure) };
}
