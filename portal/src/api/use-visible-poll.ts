import { POLL_INTERVAL_MS } from "./use-paged.ts";

/** react-query options that refresh a view every few seconds while the page is visible. */
export const livePolling = { refetchInterval: POLL_INTERVAL_MS, refetchIntervalInBackground: false } as const;
