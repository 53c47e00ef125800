/**
 * When to try again. The schedule lists the delay before attempt 2, 3, …; after the last one the
 * message is exhausted for that endpoint. Each delay gets ±20 % jitter so a recovering receiver
 * is not hit by every retry at once. A `Retry-After` from the receiver is honoured: we never come
 * back sooner than it asks, up to a day later at most.
 */
export const JITTER_RATIO = 0.2;
export const MAX_RETRY_AFTER_MS = 24 * 60 * 60 * 1000;

/** Total attempts the schedule allows: the first plus one per delay. */
export function maxAttempts(scheduleSeconds: readonly number[]): number {
  return scheduleSeconds.length + 1;
}

/**
 * Delay after failed attempt number `attemptNumber` (1-based), or null if none is left. With
 * `forever`, the schedule's last delay repeats without end (Grist: until the queue is cleared).
 * `random` is injectable for tests; it returns [0, 1).
 */
export function retryDelayMs(
  attemptNumber: number,
  scheduleSeconds: readonly number[],
  retryAfterMs: number | null,
  random: () => number = Math.random,
  forever = false,
): number | null {
  const index = forever ? Math.min(attemptNumber, scheduleSeconds.length) - 1 : attemptNumber - 1;
  const baseSeconds = scheduleSeconds[index];
  if (baseSeconds === undefined) return null;
  const base = baseSeconds * 1000;
  const jittered = Math.round(base * (1 - JITTER_RATIO + 2 * JITTER_RATIO * random()));
  if (retryAfterMs === null) return jittered;
  return Math.max(jittered, Math.min(retryAfterMs, MAX_RETRY_AFTER_MS));
}

/** Parses `Retry-After` (delta seconds or an HTTP date) into milliseconds from `now`. */
export function parseRetryAfter(value: string | undefined, now: number): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // An HTTP date (RFC 9110: IMF-fixdate, RFC 850 or asctime) starts with a day name. Date.parse alone
  // is too lenient: it reads "1.5", "-5" or "next year 2099" as dates, and the last would postpone
  // the retry by the full cap.
  if (!/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,? /i.test(trimmed)) return null;
  // asctime dates carry no zone but are GMT; Date.parse would read them as local time.
  const date = Date.parse(/ GMT$/i.test(trimmed) ? trimmed : `${trimmed} GMT`);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}
