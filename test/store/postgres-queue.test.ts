import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";

import pg from "pg";

import { makeSecretBox } from "../../src/crypto/secret-box.ts";
import { newId } from "../../src/domain/ids.ts";
import type { Application, Endpoint } from "../../src/domain/types.ts";
import { TRIGGER } from "../../src/domain/types.ts";
import { openPostgresStore } from "../../src/store/postgres/postgres-store.ts";
import type { Job, Lease, Store } from "../../src/store/store.ts";
import { makePostgresTestStore } from "../helpers/postgres-store.ts";
import { TEST_MAIN_SECRET } from "../helpers/sqlite-store.ts";
import { makeApp, makeEndpoint, makeMessage, T0 } from "./fixtures.ts";

const LEASE_MS = 30_000;
const lease = (workerId: string, now = T0): Lease => ({ workerId, now, leaseMs: LEASE_MS });

/**
 * Counts the statements every pg client in this process sends while `work` runs (BEGIN and
 * COMMIT included): each is one round trip to the server.
 */
async function countRoundTrips<T>(work: () => Promise<T>): Promise<{ result: T; roundTrips: number }> {
  const prototype = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = prototype.query;
  let roundTrips = 0;
  prototype.query = function (this: unknown, ...args: unknown[]) {
    roundTrips++;
    return original.apply(this, args);
  };
  try {
    const result = await work();
    return { result, roundTrips };
  } finally {
    prototype.query = original;
  }
}

/** The PostgreSQL queue under several workers (store instances) at once. */
describe("postgres store: queue with several workers", () => {
  let store: Store;
  let url: string;
  let cleanup: () => Promise<void>;
  let app: Application;
  let endpoint: Endpoint;
  const others: Store[] = [];

  beforeEach(async () => {
    ({ store, url, cleanup } = await makePostgresTestStore());
    app = makeApp();
    await store.createApplication(app);
    endpoint = makeEndpoint(app.id);
    await store.createEndpoint(endpoint);
  });
  afterEach(async () => {
    for (const other of others.splice(0)) await other.close();
    await cleanup();
  });

  const openWorker = async () => {
    const worker = await openPostgresStore({ url, secretBox: makeSecretBox(TEST_MAIN_SECRET), poolSize: 4 });
    others.push(worker);
    return worker;
  };

  test("two workers claiming 500 jobs at once never get the same job and together get all", async () => {
    const messages = Array.from({ length: 500 }, (_, i) => makeMessage(app.id, { createdAt: T0 + i }));
    for (const message of messages) await store.createMessage(message);
    const [workerA, workerB] = [await openWorker(), await openWorker()];

    // Each worker runs four claim loops at once (as a worker with free slots would), in small
    // batches, so claims overlap all the time.
    const claimed = new Map<string, Job[]>([
      ["a", []],
      ["b", []],
    ]);
    const loop = async (worker: Store, name: string) => {
      for (;;) {
        const jobs = await worker.claimJobs(7, lease(`worker-${name}`, T0 + 1000));
        if (jobs.length === 0) return;
        claimed.get(name)?.push(...jobs);
      }
    };
    await Promise.all([0, 1, 2, 3].flatMap(() => [loop(workerA, "a"), loop(workerB, "b")]));

    const all = [...(claimed.get("a") ?? []), ...(claimed.get("b") ?? [])];
    assert.equal(all.length, 500);
    assert.equal(new Set(all.map((job) => job.id)).size, 500, "no job claimed twice");
    assert.deepEqual(new Set(all.map((job) => job.msgId)), new Set(messages.map((m) => m.id)));
    assert.ok((claimed.get("a") ?? []).length > 0 && (claimed.get("b") ?? []).length > 0, "both workers got work");
    for (const [name, jobs] of claimed) assert.ok(jobs.every((job) => job.leaseToken.startsWith(`worker-${name}:`)));
    assert.equal(new Set(all.map((job) => job.leaseToken)).size, 500, "a token per claimed job");
    assert.deepEqual(await store.queueStats(T0 + 1000), { depth: 500, due: 0, oldestDueAt: null });
  });

  test("fanOut takes the same few round trips for 3 endpoints as for 10,000", async () => {
    const fanOutTo = async (count: number, createdAt: number) => {
      const message = makeMessage(app.id, { createdAt });
      await store.createMessage(message);
      const [fanout] = await store.claimJobs(1, lease("w", createdAt));
      assert.equal(fanout.msgId, message.id);
      const endpointIds = Array.from({ length: count }, (_, i) => newId("endpoint", createdAt + i));
      const { result: jobs, roundTrips } = await countRoundTrips(() => store.fanOut(fanout, endpointIds, lease("w", createdAt)));
      assert.equal(jobs.length, count);
      assert.deepEqual(jobs.map((job) => job.endpointId), endpointIds, "jobs come back in endpoint order");
      return roundTrips;
    };
    const small = await fanOutTo(3, T0);
    const large = await fanOutTo(10_000, T0 + 1);
    // BEGIN, delete the fanout job, insert destinations, insert jobs, COMMIT.
    assert.equal(small, 5);
    assert.equal(large, small);
  });

  test("claim, enqueue and release are one statement each (plus a transaction to notify)", async () => {
    const messages = Array.from({ length: 50 }, (_, i) => makeMessage(app.id, { createdAt: T0 + i }));
    for (const message of messages) await store.createMessage(message);
    const claim = await countRoundTrips(() => store.claimJobs(50, lease("w", T0 + 100)));
    assert.equal(claim.result.length, 50);
    assert.equal(claim.roundTrips, 1);

    const deliveries = messages.map((m) => ({ appId: app.id, msgId: m.id, endpointId: endpoint.id, trigger: TRIGGER.manual, runAt: T0 }));
    const enqueue = await countRoundTrips(() => store.enqueueDeliveries(deliveries));
    assert.equal(enqueue.roundTrips, 5); // BEGIN, destinations, jobs, notify, COMMIT

    const release = await countRoundTrips(() => store.releaseJobs(claim.result, T0));
    assert.equal(release.roundTrips, 4); // BEGIN, release, notify, COMMIT
    const extend = await countRoundTrips(() => store.extendLeases(claim.result, T0));
    assert.equal(extend.roundTrips, 1);
    assert.equal((await store.queueStats(T0)).due, 100);
  });
});
