import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";

import type { Application } from "../../src/domain/types.ts";
import type { Store } from "../../src/store/store.ts";
import { makeEndpointListings } from "../../src/worker/endpoint-listings.ts";
import { makeMessageReads } from "../../src/worker/message-reads.ts";
import { makeApp, makeEndpoint, makeMessage, STORES, T0 } from "../store/fixtures.ts";

/**
 * The worker's shared reads, on each real store: messages read together for the jobs started in
 * one turn (message-reads.ts), and endpoint listings shared by the fan-outs claimed before them
 * (endpoint-listings.ts). The store is wrapped only to count the calls that reach it.
 */
for (const factory of STORES) {
  describe(`${factory.name}: reads the worker shares`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    let app: Application;
    const calls = { getMessagesByIds: [] as number[], listEndpoints: [] as string[] };
    /** The store as the worker sees it, counting; `failNext` makes the next call of each kind fail. */
    let counted: Pick<Store, "getMessagesByIds" | "listEndpoints">;
    const failNext = { read: false, listing: false };

    beforeEach(async () => {
      ({ store, cleanup } = await factory.make());
      app = makeApp();
      await store.createApplication(app);
      calls.getMessagesByIds = [];
      calls.listEndpoints = [];
      counted = {
        getMessagesByIds: (refs) => {
          calls.getMessagesByIds.push(refs.length);
          if (failNext.read) {
            failNext.read = false;
            return Promise.reject(new Error("read failed"));
          }
          return store.getMessagesByIds(refs);
        },
        listEndpoints: (appId, page) => {
          calls.listEndpoints.push(page.iterator === null ? appId : `${appId} after ${page.iterator}`);
          if (failNext.listing) {
            failNext.listing = false;
            return Promise.reject(new Error("listing failed"));
          }
          return store.listEndpoints(appId, page);
        },
      };
    });
    afterEach(async () => {
      await cleanup();
    });

    test("messages asked for in one turn are read in one call; each job gets its own, or null", async () => {
      const [first, second] = [makeMessage(app.id), makeMessage(app.id, { createdAt: T0 + 1 })];
      await store.createMessage(first);
      await store.createMessage(second);
      const reads = makeMessageReads(counted);

      const together = await Promise.all([
        reads.read(app.id, second.id),
        reads.read(app.id, "msg_missing"),
        reads.read(app.id, first.id),
        reads.read("app_other", first.id),
      ]);
      assert.deepEqual(together, [second, null, first, null]);
      assert.deepEqual(calls.getMessagesByIds, [4]);

      assert.deepEqual(await reads.read(app.id, first.id), first, "a later turn reads again");
      assert.deepEqual(calls.getMessagesByIds, [4, 1]);
    });

    test("a failed read fails every job that shared it, and the next turn reads again", async () => {
      const message = makeMessage(app.id);
      await store.createMessage(message);
      const reads = makeMessageReads(counted);
      failNext.read = true;
      const failing = [reads.read(app.id, message.id), reads.read(app.id, message.id)];
      for (const read of failing) await assert.rejects(read, /read failed/);
      assert.deepEqual(await reads.read(app.id, message.id), message);
      assert.deepEqual(calls.getMessagesByIds, [2, 1]);
    });

    const ids = (page: { items: { id: string }[] }) => page.items.map((endpoint) => endpoint.id);

    test("fan-outs claimed together share one listing; a later claim lists again and sees what changed", async () => {
      const existing = makeEndpoint(app.id, { uid: "existing" });
      await store.createEndpoint(existing);
      const other = makeApp({ createdAt: T0 + 1 });
      await store.createApplication(other);
      const listings = makeEndpointListings(counted);

      const claimed = listings.stamp();
      const firstFanOut = await listings.page(app.id, null, 10, claimed);
      const secondFanOut = await listings.page(app.id, null, 10, claimed);
      assert.deepEqual(ids(firstFanOut), [existing.id]);
      assert.equal(firstFanOut.done, true);
      assert.equal(secondFanOut, firstFanOut, "the same listing");
      assert.deepEqual(ids(await listings.page(other.id, null, 10, claimed)), [], "each application has its own");
      assert.deepEqual(calls.listEndpoints, [app.id, other.id]);

      // Created after that listing was sent: a job claimed now must see it.
      const added = makeEndpoint(app.id, { uid: "added", createdAt: T0 + 2 });
      await store.createEndpoint(added);
      const claimedLater = listings.stamp();
      const later = await listings.page(app.id, null, 10, claimedLater);
      assert.deepEqual(ids(later), [existing.id, added.id]);
      assert.deepEqual(calls.listEndpoints, [app.id, other.id, app.id]);

      // The newer listing also serves a job of the earlier claim (sent after it too).
      assert.equal(await listings.page(app.id, null, 10, claimed), later);
      assert.equal(calls.listEndpoints.length, 3);
    });

    test("pages: in id order, each listed once for the fan-outs claimed before it", async () => {
      const endpoints = [0, 1, 2].map((i) => makeEndpoint(app.id, { uid: `e${i}`, createdAt: T0 + i }));
      for (const endpoint of endpoints) await store.createEndpoint(endpoint);
      const listings = makeEndpointListings(counted);
      const claimed = listings.stamp();

      const first = await listings.page(app.id, null, 2, claimed);
      assert.deepEqual([ids(first), first.done], [endpoints.slice(0, 2).map((e) => e.id), false]);
      const second = await listings.page(app.id, first.iterator, 2, claimed);
      assert.deepEqual([ids(second), second.done], [[endpoints[2].id], true]);
      assert.equal(await listings.page(app.id, first.iterator, 2, claimed), second, "another fan-out of the claim shares the page");
      assert.deepEqual(calls.listEndpoints, [app.id, `${app.id} after ${first.iterator}`]);
    });

    test("a failed listing fails the fan-outs that shared it, and the next one lists again", async () => {
      await store.createEndpoint(makeEndpoint(app.id));
      const listings = makeEndpointListings(counted);
      const claimed = listings.stamp();
      failNext.listing = true;
      const failing = [listings.page(app.id, null, 10, claimed), listings.page(app.id, null, 10, claimed)];
      for (const listing of failing) await assert.rejects(listing, /listing failed/);
      assert.equal((await listings.page(app.id, null, 10, claimed)).items.length, 1);
      assert.equal(calls.listEndpoints.length, 2);
    });
  });
}
