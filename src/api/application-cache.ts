import type { Application } from "../domain/types.ts";
import type { Store } from "../store/store.ts";

/**
 * The store as the API uses it, with applications kept for a second once read. Every request to
 * an app route reads its application first: posting a message is that read and one write, and
 * the read was a tenth of the API's time in SQLite (on PostgreSQL, a round trip of two per
 * message). Applications rarely change, so:
 *
 * - A write of an application through this store empties the cache, before and after it, and a
 *   read that was under way meanwhile keeps nothing: this process always sees its own changes.
 * - Another process (`herald api` beside this one) sees a change within TTL_MS.
 * - "Not found" is never kept: an application created anywhere is found at once.
 */
const TTL_MS = 1_000;
const MAX_ENTRIES = 10_000;

export function cacheApplicationReads(store: Store): Store {
  const kept = new Map<string, { app: Application; expiresAt: number }>();
  /** Moves on every write, so a read that began before it does not keep what it found. */
  let generation = 0;

  function forget(): void {
    generation += 1;
    kept.clear();
  }

  function writing<Args extends unknown[]>(write: (...args: Args) => Promise<void>): (...args: Args) => Promise<void> {
    return async (...args) => {
      forget();
      try {
        await write(...args);
      } finally {
        forget();
      }
    };
  }

  return {
    ...store,
    async getApplication(idOrUid) {
      const now = performance.now();
      const hit = kept.get(idOrUid);
      if (hit && hit.expiresAt > now) return hit.app;
      const readIn = generation;
      const app = await store.getApplication(idOrUid);
      if (app && generation === readIn) {
        if (kept.size >= MAX_ENTRIES) kept.clear();
        kept.set(idOrUid, { app, expiresAt: now + TTL_MS });
      }
      return app;
    },
    createApplication: writing(store.createApplication),
    updateApplication: writing(store.updateApplication),
    deleteApplication: writing(store.deleteApplication),
  };
}
