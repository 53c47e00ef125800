import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";

import type { Application, Endpoint } from "../../src/domain/types.ts";
import type { Store } from "../../src/store/store.ts";
import { makeApp, makeAttempt, makeEndpoint, makeMessage, NO_WINDOW_MS, STORES, T0, target } from "./fixtures.ts";

const DAY = 24 * 3600 * 1000;

for (const factory of STORES) {
  describe(`${factory.name} store: retention`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    let app: Application;
    let endpoint: Endpoint;

    beforeEach(async () => {
      ({ store, cleanup } = await factory.make());
      app = makeApp();
      await store.createApplication(app);
      endpoint = makeEndpoint(app.id);
      await store.createEndpoint(endpoint);
    });
    afterEach(async () => {
      await cleanup();
    });

    test("expirePayloads drops payloads past their expiry, in batches, and nothing else", async () => {
      const expiring = [1, 2, 3].map((n) => makeMessage(app.id, { createdAt: T0 + n, expiresAt: T0 + DAY }));
      const kept = makeMessage(app.id, { createdAt: T0 + 10, expiresAt: T0 + 10 * DAY });
      for (const message of [...expiring, kept]) await store.createMessage(message);

      assert.equal(await store.expirePayloads(T0 + DAY - 1, 10), 0, "nothing is due before expiry");
      assert.equal(await store.expirePayloads(T0 + DAY, 2), 2, "a batch is bounded");
      assert.equal(await store.expirePayloads(T0 + DAY, 2), 1);
      assert.equal(await store.expirePayloads(T0 + DAY, 2), 0);
      for (const message of expiring) assert.equal((await store.getMessage(app.id, message.id))?.payload, null);
      assert.equal((await store.getMessage(app.id, kept.id))?.payload, kept.payload);
    });

    test("pruneMessages deletes old messages with their attempts and destinations, newer ones stay", async () => {
      const old = makeMessage(app.id, { createdAt: T0 });
      const recent = makeMessage(app.id, { createdAt: T0 + 5 * DAY });
      for (const message of [old, recent]) {
        await store.createMessage(message);
        const [fanout] = await store.claimJobs(1, { workerId: "w", now: message.createdAt, leaseMs: 1000 });
        const [delivery] = await store.fanOut(fanout, [target(endpoint.id)], { workerId: "w", now: message.createdAt, leaseMs: 1000 });
        await store.completeDelivery(delivery, {
          attempt: makeAttempt(message, endpoint.id),
          destinationStatus: 0,
          retryAt: null,
          endpointHealth: "success", failureWindowMs: NO_WINDOW_MS,
        });
      }

      assert.equal(await store.pruneMessages(T0 + DAY, T0 + 6 * DAY, 10), 1);
      assert.equal(await store.getMessage(app.id, old.id), null);
      assert.equal((await store.listAttempts(app.id, { page: { limit: 10, iterator: null, order: "descending" }, msgId: old.id })).items.length, 0);
      assert.equal((await store.listDestinationsByMessage(app.id, old.id, { limit: 10, iterator: null, order: "ascending" })).items.length, 0);

      assert.notEqual(await store.getMessage(app.id, recent.id), null);
      assert.equal((await store.listAttempts(app.id, { page: { limit: 10, iterator: null, order: "descending" }, msgId: recent.id })).items.length, 1);
      assert.equal(await store.pruneMessages(T0 + DAY, T0 + 6 * DAY, 10), 0);
    });

    test("pruneMessages removes expired idempotency keys and keeps live ones", async () => {
      assert.deepEqual(await store.beginIdempotent("old", T0, 1000), { state: "started" });
      await store.finishIdempotent("old", { statusCode: 202, body: "{}" }, T0 + 1000);
      assert.deepEqual(await store.beginIdempotent("live", T0, 1000), { state: "started" });
      await store.finishIdempotent("live", { statusCode: 202, body: "{}" }, T0 + DAY);

      await store.pruneMessages(T0, T0 + 2000, 10);
      assert.deepEqual(await store.beginIdempotent("old", T0 + 2000, 1000), { state: "started" });
      assert.deepEqual(await store.beginIdempotent("live", T0 + 2000, 1000), { state: "done", response: { statusCode: 202, body: "{}" } });
    });
  });
}
