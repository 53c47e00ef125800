import { useQuery } from "@tanstack/react-query";

import { attemptStats } from "../../api/portal-api.ts";
import { livePolling } from "../../api/use-visible-poll.ts";
import { DAY_MS } from "./endpoint-health.ts";

/** The application's last 24 hours in hourly buckets, with per-endpoint totals. */
export function useRecentStats() {
  return useQuery({
    queryKey: ["stats", "recent"],
    queryFn: () => {
      const end = new Date();
      return attemptStats(new Date(end.getTime() - DAY_MS), end, "OneHour");
    },
    ...livePolling,
    retry: false,
  });
}
