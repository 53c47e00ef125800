import type { Clock } from "../domain/clock.ts";
import type { EventType } from "../domain/types.ts";
import type { Store } from "../store/store.ts";

/**
 * Short-lived caches for what every delivery reads but rarely changes: event types (Dastra's
 * eventName, per-event-type retry schedules) and applications' default throttle rates. A change
 * reaches workers within TTL_MS; the database is not asked once per delivery.
 */
export interface Lookups {
  eventType(name: string): Promise<EventType | null>;
  appThrottleRate(appId: string): Promise<number | null>;
}

const TTL_MS = 5_000;
const MAX_ENTRIES = 10_000;

function ttlCache<V>(clock: Clock, load: (key: string) => Promise<V>): (key: string) => Promise<V> {
  const entries = new Map<string, { value: Promise<V>; expiresAt: number }>();
  return (key) => {
    const now = clock.now();
    const hit = entries.get(key);
    if (hit && hit.expiresAt > now) return hit.value;
    if (entries.size >= MAX_ENTRIES) entries.clear();
    const value = load(key);
    entries.set(key, { value, expiresAt: now + TTL_MS });
    // A failed load is not cached: the next delivery asks again.
    value.catch(() => entries.delete(key));
    return value;
  };
}

export function makeLookups(store: Store, clock: Clock): Lookups {
  return {
    eventType: ttlCache(clock, (name) => store.getEventType(name)),
    appThrottleRate: ttlCache(clock, async (appId) => (await store.getApplication(appId))?.throttleRate ?? null),
  };
}
