import { newId } from "../../src/domain/ids.ts";
import type { Attempt } from "../../src/domain/types.ts";
import { MESSAGE_STATUS, TRIGGER } from "../../src/domain/types.ts";
import type { Job, Store } from "../../src/store/store.ts";
import { api } from "./herald-api.ts";

/**
 * Phase 7 of the benchmark: the attempt statistics of a busy application. `total` attempts are
 * recorded over the 24 hours before `now` through the store's own write path (completeDelivery,
 * from the benchmark process, on Herald's database), then Herald's API is asked for that 24-hour
 * window in 5-minute buckets, a few times.
 */

/** Completions handed to the store per turn: the store batches them as it batches a worker's. */
const COMPLETIONS_PER_TURN = 1_000;
const DAY_MS = 24 * 60 * 60 * 1000;

/** A response time as a receiver's might be: mostly tens of ms, a slow tail, 3 % failures. */
function sampleAttempt(i: number, random: () => number): { durationMs: number; failed: boolean } {
  const failed = random() < 0.03;
  const base = 5 + 40 * random() * random();
  const durationMs = Math.round(random() < 0.02 ? base * 20 : base);
  return { durationMs: failed && i % 10 === 0 ? 15_000 : durationMs, failed };
}

/** A small deterministic generator, so two runs record the same attempts. */
function makeRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

/**
 * Records `total` attempts of `appId` spread evenly over [now - 24 h, now), round-robin over the
 * endpoints. The jobs are not in the queue (the store records an attempt whose job is gone, as
 * for a lease taken over), so only the attempt and its counts are written.
 */
export async function recordAttempts(store: Store, appId: string, endpointIds: string[], total: number, now: number): Promise<{ seconds: number }> {
  const random = makeRandom(42);
  const startedAt = performance.now();
  const from = now - DAY_MS;
  for (let start = 0; start < total; start += COMPLETIONS_PER_TURN) {
    const turn: Promise<unknown>[] = [];
    for (let i = start; i < Math.min(total, start + COMPLETIONS_PER_TURN); i++) {
      const at = from + Math.floor((i * DAY_MS) / total);
      const endpointId = endpointIds[i % endpointIds.length]!;
      const { durationMs, failed } = sampleAttempt(i, random);
      const job: Job = {
        id: -1 - i,
        kind: "deliver",
        appId,
        msgId: newId("message", at),
        endpointId,
        lane: null,
        taskId: null,
        attempt: 1,
        trigger: TRIGGER.scheduled,
        runAt: at,
        leaseToken: "bench",
        rateSlotAt: null,
      };
      const attempt: Attempt = {
        id: newId("attempt", at),
        appId,
        msgId: job.msgId!,
        endpointId,
        url: "http://127.0.0.1/stats",
        status: failed ? MESSAGE_STATUS.fail : MESSAGE_STATUS.success,
        responseStatusCode: failed ? 500 : 204,
        response: "",
        responseDurationMs: durationMs,
        triggerType: TRIGGER.scheduled,
        attemptNumber: 1,
        batchSize: 1,
        request: { method: "POST", url: "http://127.0.0.1/stats", headers: { "content-type": "application/json" }, body: null },
        createdAt: at,
      };
      turn.push(
        store.completeDelivery(job, {
          attempt,
          destinationStatus: attempt.status,
          retryAt: null,
          endpointHealth: null,
          failureWindowMs: 1,
        }),
      );
    }
    await Promise.all(turn);
  }
  return { seconds: (performance.now() - startedAt) / 1000 };
}

export interface StatsQueryTimes {
  calls: number;
  medianMs: number;
  maxMs: number;
  buckets: number;
  attemptsCounted: number;
}

/** Asks Herald's API `calls` times (after one untimed call) for the 24 hours before `now` in 5-minute buckets. */
export async function timeStatsQuery(url: string, appId: string, now: number, calls: number): Promise<StatsQueryTimes> {
  const query = `?period=FiveMinutes&startDate=${new Date(now - DAY_MS).toISOString()}&endDate=${new Date(now).toISOString()}`;
  const path = `/api/v1/stats/app/${appId}/attempt${query}`;
  const ask = async () => {
    const response = await api(url, "GET", path);
    if (response.status !== 200) throw new Error(`the stats query answered ${response.status}: ${JSON.stringify(response.body)}`);
    return response.body as { data: { successCount: number[]; failureCount: number[]; canceledCount: number[] } };
  };
  const first = await ask();
  const times: number[] = [];
  for (let i = 0; i < calls; i++) {
    const startedAt = performance.now();
    await ask();
    times.push(performance.now() - startedAt);
  }
  times.sort((a, b) => a - b);
  const sum = (values: number[]) => values.reduce((total, n) => total + n, 0);
  return {
    calls,
    medianMs: times[Math.floor(times.length / 2)]!,
    maxMs: times.at(-1)!,
    buckets: first.data.successCount.length,
    attemptsCounted: sum(first.data.successCount) + sum(first.data.failureCount) + sum(first.data.canceledCount),
  };
}
