import { performance } from "node:perf_hooks";

import { Pool } from "undici";

/**
 * Load generators over undici: a closed loop (C requests in flight until a count or a deadline)
 * and an open loop (a fixed rate, whatever the answers do). Both stop by themselves.
 */

/** Epoch ms with sub-ms precision; the receiver computes arrival times the same way. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

export interface PostTarget {
  pool: Pool;
  path: string;
  headers: Record<string, string>;
  /** The answer that counts as accepted (204 from the receiver, 202 from Herald). */
  expectStatus: number;
}

export function makePool(origin: string, connections: number): Pool {
  return new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 60_000, headersTimeout: 0, bodyTimeout: 0 });
}

async function postOnce(target: PostTarget, body: string): Promise<boolean> {
  try {
    const response = await target.pool.request({ method: "POST", path: target.path, headers: target.headers, body });
    await response.body.dump();
    return response.statusCode === target.expectStatus;
  } catch {
    return false;
  }
}

export interface ClosedLoopResult {
  accepted: number;
  failed: number;
  startedAt: number;
  endedAt: number;
  /** True when the deadline stopped it before `total`. */
  cutShort: boolean;
  /** [epoch ms, accepted so far], about every `sampleEvery` acceptances. */
  progress: Array<[number, number]>;
}

/** Sends `total` requests, `concurrency` at a time, starting none after `deadlineMs` (epoch). */
export async function closedLoop(options: {
  target: PostTarget;
  total: number;
  concurrency: number;
  deadlineMs: number;
  body: (n: number) => string;
  sampleEvery?: number;
}): Promise<ClosedLoopResult> {
  const { target, total, concurrency, deadlineMs, body } = options;
  const sampleEvery = options.sampleEvery ?? Math.max(1, Math.floor(total / 100));
  let next = 0;
  let accepted = 0;
  let failed = 0;
  let cutShort = false;
  const startedAt = nowMs();
  const progress: Array<[number, number]> = [[startedAt, 0]];
  async function lane(): Promise<void> {
    while (next < total) {
      if (Date.now() > deadlineMs) {
        cutShort = true;
        return;
      }
      const n = next++;
      if (await postOnce(target, body(n))) {
        accepted++;
        if (accepted % sampleEvery === 0) progress.push([nowMs(), accepted]);
      } else failed++;
    }
  }
  await Promise.all(Array.from({ length: concurrency }, lane));
  const endedAt = nowMs();
  progress.push([endedAt, accepted]);
  return { accepted, failed, startedAt, endedAt, cutShort, progress };
}

/** Sends one request every 1000/rate ms for `seconds`, not waiting for answers; resolves when all are answered. */
export async function openLoop(options: { target: PostTarget; ratePerSecond: number; seconds: number; body: (n: number, sentAt: number) => string }): Promise<{
  sent: number;
  accepted: number;
  failed: number;
  /** How late the sender fell behind its schedule at worst, in ms (a sign the client was saturated). */
  maxLagMs: number;
}> {
  const { target, ratePerSecond, seconds, body } = options;
  const total = Math.round(ratePerSecond * seconds);
  const intervalMs = 1000 / ratePerSecond;
  const startedAt = nowMs();
  const pending: Array<Promise<boolean>> = [];
  let maxLagMs = 0;
  for (let n = 0; n < total; n++) {
    const dueAt = startedAt + n * intervalMs;
    let wait = dueAt - nowMs();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait - 1));
    // The last millisecond spins: timers are too coarse for 2 ms spacing.
    while ((wait = dueAt - nowMs()) > 0) await new Promise((resolve) => setImmediate(resolve));
    maxLagMs = Math.max(maxLagMs, -wait);
    const sentAt = nowMs();
    pending.push(postOnce(target, body(n, sentAt)));
  }
  const results = await Promise.all(pending);
  const accepted = results.filter(Boolean).length;
  return { sent: total, accepted, failed: total - accepted, maxLagMs };
}

/** Messages/s between the first sample at or after `fromCount` accepted and the first at or after `toCount`. */
export function rateBetween(progress: Array<[number, number]>, fromCount: number, toCount: number): number | null {
  const from = progress.find(([, count]) => count >= fromCount);
  const to = progress.find(([, count]) => count >= toCount);
  if (!from || !to || to[1] <= from[1]) return null;
  return ((to[1] - from[1]) * 1000) / (to[0] - from[0]);
}
