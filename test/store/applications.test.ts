import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";

import { OPERATIONAL_APP_ID } from "../../src/store/operational-app.ts";
import type { Store } from "../../src/store/store.ts";
import { StoreConflictError } from "../../src/store/store.ts";
import { makeApp, makeEndpoint, makeEventType, makeMessage, pageReq, STORES, T0, walkPages } from "./fixtures.ts";

function isConflict(field: string) {
  return (error: unknown) => error instanceof StoreConflictError && error.field === field;
}

for (const factory of STORES) {
  describe(`${factory.name} store: applications, event types, endpoints`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    beforeEach(async () => {
      ({ store, cleanup } = await factory.make());
    });
    afterEach(async () => {
      await cleanup();
    });

    test("applications: create, get by id and uid, update, uid conflicts", async () => {
      const app = makeApp({ uid: "acme", name: "Acme", throttleRate: 10, metadata: { tier: "gold" } });
      await store.createApplication(app);
      assert.deepEqual(await store.getApplication(app.id), app);
      assert.deepEqual(await store.getApplication("acme"), app);
      assert.equal(await store.getApplication("nope"), null);

      await assert.rejects(store.createApplication(makeApp({ uid: "acme" })), isConflict("uid"));
      // Many applications may have no uid.
      await store.createApplication(makeApp());
      await store.createApplication(makeApp());

      const other = makeApp({ uid: "other", createdAt: T0 + 1 });
      await store.createApplication(other);
      await assert.rejects(store.updateApplication({ ...other, uid: "acme" }), isConflict("uid"));

      const updated = { ...app, name: "Acme Inc", uid: "acme-inc", throttleRate: null, metadata: {}, updatedAt: T0 + 5 };
      await store.updateApplication(updated);
      assert.deepEqual(await store.getApplication(app.id), updated);
      assert.equal(await store.getApplication("acme"), null);
      assert.deepEqual(await store.getApplication("acme-inc"), updated);
    });

    test("applications: soft delete frees the uid and deletes endpoints", async () => {
      const app = makeApp({ uid: "acme" });
      await store.createApplication(app);
      const endpoint = makeEndpoint(app.id, { uid: "main" });
      await store.createEndpoint(endpoint);
      const message = makeMessage(app.id);
      await store.createMessage(message);
      await store.enqueueDeliveries([{ appId: app.id, msgId: message.id, endpointId: endpoint.id, trigger: 1, runAt: T0, ordered: false }]);
      assert.equal((await store.queueStats(T0)).depth, 2);

      await store.deleteApplication(app.id, T0 + 10);
      // The endpoint's queued delivery went with it; the fan-out is left for the worker to drop.
      const left = await store.claimJobs(10, { workerId: "w", now: T0, leaseMs: 1000 });
      assert.deepEqual(left.map((j) => j.kind), ["fanout"]);
      assert.equal(await store.getApplication(app.id), null);
      assert.equal(await store.getApplication("acme"), null);
      assert.equal(await store.getEndpoint(app.id, endpoint.id), null);
      assert.deepEqual(await store.listAllEndpoints(app.id), []);
      assert.equal((await store.listApplications(pageReq(10))).items.length, 0);

      const again = makeApp({ uid: "acme", createdAt: T0 + 20 });
      await store.createApplication(again);
      assert.equal((await store.getApplication("acme"))?.id, again.id);
    });

    test("applications: list excludes the operational application", async () => {
      await store.createApplication(makeApp({ id: OPERATIONAL_APP_ID, name: "Operational webhooks" }));
      const app = makeApp();
      await store.createApplication(app);
      const page = await store.listApplications(pageReq(10));
      assert.deepEqual(page.items.map((a) => a.id), [app.id]);
      assert.equal((await store.getApplication(OPERATIONAL_APP_ID))?.name, "Operational webhooks");
    });

    test("applications: pagination forward and backward over more than two pages", async () => {
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) {
        const app = makeApp({ createdAt: T0 + i * 1000, name: `app ${i}` });
        ids.push(app.id);
        await store.createApplication(app);
      }
      const list = (page: Parameters<Store["listApplications"]>[0]) => store.listApplications(page);

      const first = await list(pageReq(3));
      assert.deepEqual(first.items.map((a) => a.id), ids.slice(0, 3));
      assert.equal(first.iterator, ids[2]);
      assert.equal(first.prevIterator, "-" + ids[0]);
      assert.equal(first.done, false);

      const { forward, backward } = await walkPages(list, 3);
      assert.deepEqual(forward.map((p) => p.items.map((a) => a.id)), [ids.slice(0, 3), ids.slice(3, 6), ids.slice(6)]);
      assert.deepEqual(forward.map((p) => p.done), [false, false, true]);
      assert.deepEqual(backward.map((p) => p.items.map((a) => a.id)), [ids.slice(3, 6), ids.slice(0, 3)]);
      assert.deepEqual(backward.map((p) => p.done), [false, true]);

      // Descending order walks the same items in reverse.
      const desc = await walkPages(list, 3, "descending");
      const reversed = [...ids].reverse();
      assert.deepEqual(desc.forward.map((p) => p.items.map((a) => a.id)), [reversed.slice(0, 3), reversed.slice(3, 6), reversed.slice(6)]);
      assert.deepEqual(desc.backward.map((p) => p.items.map((a) => a.id)), [reversed.slice(3, 6), reversed.slice(0, 3)]);

      // Past the end: an empty page, done, no iterators.
      const empty = await list(pageReq(3, ids[6]));
      assert.deepEqual(empty, { items: [], iterator: null, prevIterator: null, done: true });
      // Exactly `limit` items left: done is true without an extra empty page.
      const exact = await list(pageReq(3, ids[3]));
      assert.deepEqual(exact.items.map((a) => a.id), ids.slice(4, 7));
      assert.equal(exact.done, true);
    });

    test("event types: create, conflict, update, archive filter, expunge, pagination by name", async () => {
      const names = ["a.one", "b.two", "c.three", "d.four", "e.five"];
      for (const name of names) await store.createEventType(makeEventType(name));
      await assert.rejects(store.createEventType(makeEventType("c.three")), isConflict("name"));

      const updated = makeEventType("c.three", {
        description: "changed",
        schemas: { "1": { type: "object" } },
        archived: true,
        deprecated: true,
        featureFlag: "beta",
        updatedAt: T0 + 1,
      });
      await store.updateEventType(updated);
      assert.deepEqual(await store.getEventType("c.three"), updated);

      const live = await store.listEventTypes(pageReq(10), false);
      assert.deepEqual(live.items.map((e) => e.name), ["a.one", "b.two", "d.four", "e.five"]);
      const all = await walkPages((page) => store.listEventTypes(page, true), 2);
      assert.deepEqual(all.forward.map((p) => p.items.map((e) => e.name)), [["a.one", "b.two"], ["c.three", "d.four"], ["e.five"]]);
      assert.equal(all.forward[1].iterator, "d.four");
      assert.deepEqual(all.backward.map((p) => p.items.map((e) => e.name)), [["c.three", "d.four"], ["a.one", "b.two"]]);

      await store.expungeEventType("c.three");
      assert.equal(await store.getEventType("c.three"), null);
      await store.createEventType(makeEventType("c.three")); // the name is free again
    });

    test("endpoints: create, get by id and uid, update, conflicts within an application", async () => {
      const app = makeApp();
      const app2 = makeApp({ createdAt: T0 + 1 });
      await store.createApplication(app);
      await store.createApplication(app2);
      const endpoint = makeEndpoint(app.id, {
        uid: "main",
        eventTypes: ["user.created"],
        channels: ["eu"],
        headers: { "X-Api-Key": "secret-header-value" },
        metadata: { team: "core" },
        throttleRate: 5,
      });
      await store.createEndpoint(endpoint);
      assert.deepEqual(await store.getEndpoint(app.id, endpoint.id), endpoint);
      assert.deepEqual(await store.getEndpoint(app.id, "main"), endpoint);
      assert.equal(await store.getEndpoint(app2.id, endpoint.id), null, "scoped to its application");

      await assert.rejects(store.createEndpoint(makeEndpoint(app.id, { uid: "main" })), isConflict("uid"));
      await store.createEndpoint(makeEndpoint(app2.id, { uid: "main" })); // other application: fine

      const second = makeEndpoint(app.id, { uid: "second", createdAt: T0 + 2 });
      await store.createEndpoint(second);
      await assert.rejects(store.updateEndpoint({ ...second, uid: "main" }), isConflict("uid"));

      const updated = {
        ...endpoint,
        url: "https://example.org/hook",
        description: "new",
        eventTypes: null,
        channels: null,
        keys: [
          { key: "whsec_bmV3", expiresAt: null },
          { key: "whsec_b2xk", expiresAt: T0 + 86_400_000 },
        ],
        headers: {},
        throttleRate: null,
        disabled: true,
        firstFailureAt: T0 + 3,
        metadata: {},
        version: 2,
        updatedAt: T0 + 4,
      };
      await store.updateEndpoint(updated);
      assert.deepEqual(await store.getEndpoint(app.id, endpoint.id), updated);
      assert.deepEqual((await store.listAllEndpoints(app.id)).map((e) => e.id), [endpoint.id, second.id]);
    });

    test("endpoints: profile, delivery options and failure counters round trip", async () => {
      const app = makeApp();
      await store.createApplication(app);
      const endpoint = makeEndpoint(app.id, {
        profile: "dastra",
        options: {
          method: "PUT",
          retrySchedule: [5, 300, 3600],
          retryForever: true,
          acceptStatus: "200",
          disablePolicy: { type: "window", allowedFailures: 5, resetAfterSeconds: 600 },
          body: { template: '{"id": {{ payload.id | json }}, "k": "é✓"}' },
          signatures: [{ scheme: "hmac-sha256", header: "X-Signature", encoding: "hex" }],
          batch: { maxSize: 10, maxWaitMs: 500 },
          ordering: "fifo",
          filter: { $or: [{ eventType: "a.b" }, { "payload.n": { $gt: 2 } }] },
          watchFields: ["status"],
          readyField: null,
        },
        consecutiveFailures: 3,
        windowFailures: 2,
        lastFailureAt: T0 + 9,
        firstFailureAt: T0 + 1,
      });
      await store.createEndpoint(endpoint);
      assert.deepEqual(await store.getEndpoint(app.id, endpoint.id), endpoint);
      assert.deepEqual((await store.listEndpoints(app.id, pageReq(10))).items, [endpoint]);
      assert.deepEqual(await store.listAllEndpoints(app.id), [endpoint]);

      // An update replaces them all (the API resets the counters when it re-enables an endpoint).
      const updated = {
        ...endpoint,
        profile: "grist" as const,
        options: {},
        consecutiveFailures: 0,
        windowFailures: 0,
        lastFailureAt: null,
        firstFailureAt: null,
        version: 2,
        updatedAt: T0 + 10,
      };
      await store.updateEndpoint(updated);
      assert.deepEqual(await store.getEndpoint(app.id, endpoint.id), updated);
      // Defaults of an endpoint stored without any of them.
      const plain = makeEndpoint(app.id, { createdAt: T0 + 1 });
      await store.createEndpoint(plain);
      const stored = await store.getEndpoint(app.id, plain.id);
      assert.deepEqual(
        [stored?.profile, stored?.options, stored?.consecutiveFailures, stored?.windowFailures, stored?.lastFailureAt],
        ["standard", {}, 0, 0, null],
      );
    });

    test("endpoints: pagination, soft delete frees the uid and drops queued deliveries", async () => {
      const app = makeApp();
      await store.createApplication(app);
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const endpoint = makeEndpoint(app.id, { createdAt: T0 + i, uid: `ep-${i}` });
        ids.push(endpoint.id);
        await store.createEndpoint(endpoint);
      }
      const pages = await walkPages((page) => store.listEndpoints(app.id, page), 2);
      assert.deepEqual(pages.forward.map((p) => p.items.map((e) => e.id)), [ids.slice(0, 2), ids.slice(2, 4), ids.slice(4)]);

      const message = makeMessage(app.id);
      await store.createMessage(message);
      await store.enqueueDeliveries([
        { appId: app.id, msgId: message.id, endpointId: ids[0], trigger: 0, runAt: T0, ordered: false },
        { appId: app.id, msgId: message.id, endpointId: ids[1], trigger: 0, runAt: T0, ordered: false },
      ]);
      assert.equal((await store.queueStats(T0)).depth, 3); // the fanout and two deliveries

      await store.deleteEndpoint(app.id, ids[0], T0 + 100);
      assert.equal(await store.getEndpoint(app.id, ids[0]), null);
      assert.equal(await store.getEndpoint(app.id, "ep-0"), null);
      assert.equal((await store.queueStats(T0)).depth, 2);
      const claimed = await store.claimJobs(10, { workerId: "w", now: T0, leaseMs: 1000 });
      assert.deepEqual(claimed.map((j) => [j.kind, j.endpointId]).sort(), [["deliver", ids[1]], ["fanout", null]]);

      assert.deepEqual((await store.listEndpoints(app.id, pageReq(10))).items.map((e) => e.id), ids.slice(1));
      await store.createEndpoint(makeEndpoint(app.id, { uid: "ep-0", createdAt: T0 + 200 }));
      assert.notEqual((await store.getEndpoint(app.id, "ep-0"))?.id, ids[0]);
    });

    test("endpoints: disableEndpoint reports only the call that disabled it", async () => {
      const app = makeApp();
      await store.createApplication(app);
      const endpoint = makeEndpoint(app.id);
      await store.createEndpoint(endpoint);
      assert.equal(await store.disableEndpoint(app.id, endpoint.id, T0 + 1), true);
      assert.equal(await store.disableEndpoint(app.id, endpoint.id, T0 + 2), false);
      const stored = await store.getEndpoint(app.id, endpoint.id);
      assert.equal(stored?.disabled, true);
      assert.equal(stored?.updatedAt, T0 + 1);
      assert.equal(await store.disableEndpoint(app.id, "ep_missing", T0 + 3), false);
    });
  });
}
