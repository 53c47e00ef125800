import type { AttemptStats } from "../../api/types.ts";

export interface EndpointHealth {
  successRate: number | null;
  attempts: number;
  failing: boolean;
}

/** Success rate over the window, and "failing" when most of its attempts failed. */
export function healthOf(stats: AttemptStats | undefined, endpointId: string): EndpointHealth {
  const totals = stats?.endpoints?.find((entry) => entry.endpointId === endpointId);
  if (!totals) return { successRate: null, attempts: 0, failing: false };
  const finished = totals.successCount + totals.failureCount;
  const successRate = finished === 0 ? null : totals.successCount / finished;
  return { successRate, attempts: finished, failing: successRate !== null && successRate < 0.5 };
}

export const DAY_MS = 86_400_000;
