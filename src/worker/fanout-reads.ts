import type { Clock } from "../domain/clock.ts";
import { type Endpoint, type Message, TRIGGER } from "../domain/types.ts";
import type { Job } from "../store/store.ts";
import type { PreloadedDelivery } from "./deliver-job.ts";

/**
 * What a fan-out read, kept for a few seconds for the deliveries it queued but could not start at
 * once (more endpoints than the worker had room for): when this worker claims one of them, it is
 * sent with the message and endpoint the fan-out read instead of reading both again. Each entry is
 * used once. A delivery claimed later than READS_TTL_MS, retried, or claimed by another worker
 * reads them as usual. An endpoint changed within those seconds is seen as it was at fan-out, as
 * it is by the deliveries the fan-out starts itself.
 */
export interface FanOutReads {
  remember(message: Message, endpoints: Iterable<Endpoint>): void;
  /** The fan-out's reads for a first attempt this worker claimed, if it has them. */
  take(job: Job): PreloadedDelivery | undefined;
}

export const READS_TTL_MS = 5_000;
/** Enough for a few fan-outs to 10,000 endpoints; beyond it, deliveries read for themselves. */
const MAX_ENTRIES = 50_000;

export function makeFanOutReads(clock: Clock): FanOutReads {
  /** By message and endpoint id, oldest first (a Map keeps insertion order and the TTL is fixed). */
  const entries = new Map<string, { message: Message; endpoint: Endpoint; expiresAt: number }>();
  const keyOf = (msgId: string, endpointId: string) => `${msgId} ${endpointId}`;

  function dropExpired(now: number): void {
    for (const [key, entry] of entries) {
      if (entry.expiresAt > now) return;
      entries.delete(key);
    }
  }

  return {
    remember(message, endpoints) {
      const now = clock.now();
      dropExpired(now);
      for (const endpoint of endpoints) {
        if (entries.size >= MAX_ENTRIES) return;
        entries.set(keyOf(message.id, endpoint.id), { message, endpoint, expiresAt: now + READS_TTL_MS });
      }
    },
    take(job) {
      if (entries.size === 0 || job.kind !== "deliver" || job.trigger !== TRIGGER.scheduled || job.attempt !== 1 || job.msgId === null || job.endpointId === null) return undefined;
      const now = clock.now();
      dropExpired(now);
      const key = keyOf(job.msgId, job.endpointId);
      const entry = entries.get(key);
      if (!entry) return undefined;
      entries.delete(key);
      return entry.expiresAt > now ? { job, message: entry.message, endpoint: entry.endpoint } : undefined;
    },
  };
}
