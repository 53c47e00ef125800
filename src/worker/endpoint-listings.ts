import type { Endpoint, Page } from "../domain/types.ts";
import type { Store } from "../store/store.ts";

/**
 * An application's endpoints, a page at a time (a fan-out writes its deliveries a part at a time:
 * fanout-job.ts), each page listed once for all the fan-outs of the jobs claimed before the
 * listing was sent, instead of once per fan-out.
 *
 * Why that is as fresh as listing per fan-out: an endpoint created, changed or deleted before a
 * message was posted was committed before the message was, and the message was committed before
 * its fan-out job could be claimed. A listing sent after the claim came back therefore sees the
 * endpoint as it was when the message was posted, or later. So a fan-out claimed at stamp C may
 * use any listing sent at stamp S > C, however many other fan-outs share it. Stamps are a counter
 * in this process, not clock times, so clock steps (or a test's frozen clock) cannot reorder them.
 *
 * The pages of one fan-out may come from listings sent at different stamps: each is after the
 * claim, so each sees every endpoint as it was when the message was posted, or later.
 *
 * A message this process accepts and fans out itself, with no claim (Worker.reserveFanOut), is
 * stamped while its request is handled, before the message is stored: an endpoint change the
 * client saw committed before it posted is committed before any listing sent after that stamp.
 * (A change committed while the message is being stored raced the message; either order is one
 * the client could have seen.) So the messages accepted in one turn share one listing too.
 *
 * Only the newest listing of each page is kept, and for KEEP_MS at most: once every job claimed
 * before it has started its fan-out, no later claim can use it.
 */
export interface EndpointListings {
  /** Marks a claim: to be taken when the claim's jobs came back, before they start. */
  stamp(): number;
  /**
   * The application's endpoints after `iterator` (from the first when null), in id order, up to
   * `limit`, from a listing sent after `claimedAt`.
   */
  page(appId: string, iterator: string | null, limit: number, claimedAt: number): Promise<Page<Endpoint>>;
}

const KEEP_MS = 1_000;

interface Listing {
  sentAt: number;
  /** performance.now() when sent: for dropping old listings, never for ordering them. */
  sentAtMs: number;
  endpoints: Promise<Page<Endpoint>>;
}

export function makeEndpointListings(store: Pick<Store, "listEndpoints">): EndpointListings {
  let stamps = 0;
  /** By application, page and size, oldest first (re-inserted when replaced), so old ones are dropped from the front. */
  const listings = new Map<string, Listing>();

  function dropOld(now: number): void {
    for (const [key, listing] of listings) {
      if (now - listing.sentAtMs < KEEP_MS) return;
      listings.delete(key);
    }
  }

  return {
    stamp: () => ++stamps,
    page(appId, iterator, limit, claimedAt) {
      const now = performance.now();
      dropOld(now);
      const key = `${appId} ${iterator ?? ""} ${limit}`;
      const kept = listings.get(key);
      if (kept && kept.sentAt > claimedAt) return kept.endpoints;
      const endpoints = store.listEndpoints(appId, { limit, iterator, order: "ascending" });
      const listing: Listing = { sentAt: ++stamps, sentAtMs: now, endpoints };
      listings.delete(key);
      listings.set(key, listing);
      // A failed listing is not shared with fan-outs that ask later: they list again.
      listing.endpoints.catch(() => {
        if (listings.get(key) === listing) listings.delete(key);
      });
      return listing.endpoints;
    },
  };
}
