import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { TRIGGER } from "../../src/domain/types.ts";
import type { Store } from "../../src/store/store.ts";
import { makePostgresTestStore } from "../helpers/postgres-store.ts";
import { makeTestStore } from "../helpers/sqlite-store.ts";
import { makeApp, makeEndpoint, makeMessage, pageReq, T0, target } from "./fixtures.ts";

/**
 * Where the PostgreSQL store writes a whole batch in one statement and SQLite loops row by row,
 * the two must still end in the same state. Repeated keys are the case that differs: an upsert
 * may not touch a row twice in one PostgreSQL statement.
 */
describe("postgres store: batched writes match SQLite's row-by-row writes", () => {
  async function scenario(store: Store) {
    const app = makeApp({ id: "app_parity" });
    await store.createApplication(app);
    const [e1, e2, e3] = ["ep_parity_1", "ep_parity_2", "ep_parity_3"].map((id) => makeEndpoint(app.id, { id }));
    for (const endpoint of [e1, e2, e3]) await store.createEndpoint(endpoint);
    const message = makeMessage(app.id, { id: "msg_parity" });
    await store.createMessage(message);

    const lease = { workerId: "w", now: T0, leaseMs: 30_000 };
    const [fanout] = await store.claimJobs(1, lease);
    // e1 twice; e3 once delayed, then ordered: the first of each counts (a destination and a job).
    const fanned = await store.fanOut(
      fanout,
      [target(e1.id), target(e2.id), target(e3.id, { delayMs: 70 }), target(e1.id), target(e3.id, { ordered: true })],
      lease,
    );
    // The same destination twice in one batch, with different times: the last one wins.
    await store.enqueueDeliveries([
      { appId: app.id, msgId: message.id, endpointId: e2.id, trigger: TRIGGER.manual, runAt: T0 + 100, ordered: false },
      { appId: app.id, msgId: message.id, endpointId: e2.id, trigger: TRIGGER.manual, runAt: T0 + 50, ordered: false },
    ]);
    const queued = await store.claimJobs(10, { ...lease, now: T0 + 100 });
    return {
      fanned: fanned.map((job) => [job.kind, job.endpointId, job.runAt]),
      queued: queued.map((job) => [job.kind, job.endpointId, job.lane, job.trigger, job.attempt]),
      destinations: (await store.listDestinationsByMessage(app.id, message.id, pageReq(10))).items,
      stats: await store.queueStats(T0 + 100),
    };
  }

  test("duplicate endpoint ids in fanOut (claimed, delayed, ordered) and duplicate deliveries in enqueueDeliveries", async () => {
    const results = [];
    for (const make of [makeTestStore, makePostgresTestStore]) {
      const { store, cleanup } = await make();
      try {
        results.push(await scenario(store));
      } finally {
        await cleanup();
      }
    }
    const [sqlite, postgres] = results;
    assert.deepEqual(sqlite.fanned.map(([, endpointId]) => endpointId), ["ep_parity_1", "ep_parity_2"]);
    assert.equal(sqlite.destinations.length, 3);
    assert.deepEqual(sqlite.destinations.map((d) => d.nextAttemptAt), [T0, T0 + 50, T0 + 70]);
    assert.deepEqual(sqlite.queued.map(([, endpointId, lane]) => [endpointId, lane]), [["ep_parity_2", null], ["ep_parity_3", null], ["ep_parity_2", null]]); // e2 twice, e3 delayed; by due time
    assert.deepEqual(postgres, sqlite);
  });
});
