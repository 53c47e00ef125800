import { DAY_MS } from "../domain/retention.ts";
import type { WorkerDeps } from "./worker-deps.ts";

/**
 * Retention, run by every worker once a minute: drops payloads past their message's retention
 * period, then deletes messages (and their attempts) older than HERALD_RETENTION_DAYS, and the
 * attempt statistics of buckets that old. Work is done
 * in small batches with a pause between them, so deliveries are never stuck behind a long delete.
 * Several workers pruning at once is harmless: each batch is its own transaction.
 */
export const RETENTION_INTERVAL_MS = 60_000;
const BATCH = 500;

export async function runRetention(deps: Pick<WorkerDeps, "store" | "clock" | "config">, shouldStop: () => boolean = () => false): Promise<{ expired: number; pruned: number }> {
  const { store, clock, config } = deps;
  let expired = 0;
  let pruned = 0;
  for (;;) {
    const count = await store.expirePayloads(clock.now(), BATCH);
    expired += count;
    if (count < BATCH || shouldStop()) break;
    await yieldToDeliveries();
  }
  for (;;) {
    const now = clock.now();
    const count = await store.pruneMessages(now - config.retentionDays * DAY_MS, now, BATCH);
    pruned += count;
    if (count < BATCH || shouldStop()) break;
    await yieldToDeliveries();
  }
  for (;;) {
    const count = await store.pruneAttemptStats(clock.now() - config.retentionDays * DAY_MS, BATCH);
    if (count < BATCH || shouldStop()) break;
    await yieldToDeliveries();
  }
  return { expired, pruned };
}

function yieldToDeliveries(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 10));
}
