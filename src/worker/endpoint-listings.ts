import type { Endpoint } from "../domain/types.ts";
import type { Store } from "../store/store.ts";

/**
 * An application's endpoints, listed once for all the fan-outs of the jobs claimed before the
 * listing was sent, instead of once per fan-out.
 *
 * Why that is as fresh as listing per fan-out: an endpoint created, changed or deleted before a
 * message was posted was committed before the message was, and the message was committed before
 * its fan-out job could be claimed. A listing sent after the claim came back therefore sees the
 * endpoint as it was when the message was posted, or later. So a fan-out claimed at stamp C may
 * use any listing sent at stamp S > C, however many other fan-outs share it. Stamps are a counter
 * in this process, not clock times, so clock steps (or a test's frozen clock) cannot reorder them.
 *
 * Only the newest listing of each application is kept, and for KEEP_MS at most: once every job
 * claimed before it has started its fan-out, no later claim can use it.
 */
export interface EndpointListings {
  /** Marks a claim: to be taken when the claim's jobs came back, before they start. */
  stamp(): number;
  /** The application's endpoints, from a listing sent after `claimedAt`. */
  list(appId: string, claimedAt: number): Promise<Endpoint[]>;
}

const KEEP_MS = 1_000;

interface Listing {
  sentAt: number;
  /** performance.now() when sent: for dropping old listings, never for ordering them. */
  sentAtMs: number;
  endpoints: Promise<Endpoint[]>;
}

export function makeEndpointListings(store: Pick<Store, "listAllEndpoints">): EndpointListings {
  let stamps = 0;
  /** By application, oldest first (re-inserted when replaced), so old ones are dropped from the front. */
  const listings = new Map<string, Listing>();

  function dropOld(now: number): void {
    for (const [appId, listing] of listings) {
      if (now - listing.sentAtMs < KEEP_MS) return;
      listings.delete(appId);
    }
  }

  return {
    stamp: () => ++stamps,
    list(appId, claimedAt) {
      const now = performance.now();
      dropOld(now);
      const kept = listings.get(appId);
      if (kept && kept.sentAt > claimedAt) return kept.endpoints;
      const listing: Listing = { sentAt: ++stamps, sentAtMs: now, endpoints: store.listAllEndpoints(appId) };
      listings.delete(appId);
      listings.set(appId, listing);
      // A failed listing is not shared with fan-outs that ask later: they list again.
      listing.endpoints.catch(() => {
        if (listings.get(appId) === listing) listings.delete(appId);
      });
      return listing.endpoints;
    },
  };
}
