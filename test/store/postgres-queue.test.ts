import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";

import pg from "pg";

import { makeSecretBox } from "../../src/crypto/secret-box.ts";
import { newId } from "../../src/domain/ids.ts";
import type { Application, Endpoint } from "../../src/domain/types.ts";
import { MESSAGE_STATUS, TRIGGER } from "../../src/domain/types.ts";
import { openPostgresStore } from "../../src/store/postgres/postgres-store.ts";
import { NOTIFY_LATER } from "../../src/store/postgres/postgres-work-notifier.ts";
import type { DeliveryRequest, Job, Lease, Store } from "../../src/store/store.ts";
import { makePostgresTestStore } from "../helpers/postgres-store.ts";
import { TEST_MAIN_SECRET } from "../helpers/sqlite-store.ts";
import { fixtureId, makeApp, makeAttempt, makeEndpoint, makeMessage, T0, target } from "./fixtures.ts";

const LEASE_MS = 30_000;
const lease = (workerId: string, now = T0): Lease => ({ workerId, now, leaseMs: LEASE_MS });

/**
 * Counts the statements every pg client in this process sends while `work` runs (BEGIN and
 * COMMIT included): each is one round trip to the server. The notification that follows created
 * messages on a timer (postgres-work-notifier.ts) belongs to no call, so it is not counted.
 */
async function countRoundTrips<T>(work: () => Promise<T>): Promise<{ result: T; roundTrips: number }> {
  const prototype = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = prototype.query;
  let roundTrips = 0;
  prototype.query = function (this: unknown, ...args: unknown[]) {
    if ((args[0] as { name?: string } | undefined)?.name !== NOTIFY_LATER.name) roundTrips++;
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

  test("renewing leases skips a job another transaction has locked instead of waiting for it, so it cannot join a lock cycle with completions", async () => {
    for (let i = 0; i < 2; i++) await store.createMessageForEndpoint(makeMessage(app.id, { createdAt: T0 + i }), endpoint.id);
    const [locked, free] = await store.claimJobs(2, lease("w", T0 + 10));
    const runAtOf = async (client: pg.Client, job: Job) => Number((await client.query("SELECT run_at FROM queue WHERE id = $1", [job.id])).rows[0].run_at);

    // Another transaction holds one job's row, as a completion or a fan-out of it does.
    const locker = new pg.Client(url);
    await locker.connect();
    try {
      await locker.query("BEGIN");
      await locker.query("SELECT id FROM queue WHERE id = $1 FOR UPDATE", [locked.id]);
      let waiting: NodeJS.Timeout | undefined;
      const renewal = store.extendLeases([locked, free], T0 + 5 * LEASE_MS).then(() => "renewed");
      const blocked = new Promise((resolve) => (waiting = setTimeout(resolve, 10_000, "still waiting for the locked row")));
      assert.equal(await Promise.race([renewal, blocked]), "renewed");
      clearTimeout(waiting);
      assert.equal(await runAtOf(locker, free), T0 + 5 * LEASE_MS);
      assert.equal(await runAtOf(locker, locked), T0 + 10 + LEASE_MS, "the locked job's lease is left to the next renewal");
      await locker.query("COMMIT");

      await store.extendLeases([locked, free], T0 + 6 * LEASE_MS);
      assert.equal(await runAtOf(locker, locked), T0 + 6 * LEASE_MS);
    } finally {
      await locker.end();
    }
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

  test("two workers claiming lanes at once never have two jobs of one lane in flight, and keep lane order", async () => {
    const LANES = 12;
    const PER_LANE = 10;
    const deliveries: DeliveryRequest[] = [];
    for (let i = 0; i < LANES * PER_LANE; i++) {
      const msgId = fixtureId("message", T0 + i);
      deliveries.push({ appId: app.id, msgId, endpointId: `ep_lane_${i % LANES}`, trigger: TRIGGER.scheduled, runAt: T0, ordered: true });
    }
    const unordered = Array.from({ length: 60 }, (_, i) => ({
      appId: app.id,
      msgId: fixtureId("message", T0 + i),
      endpointId: endpoint.id,
      trigger: TRIGGER.scheduled,
      runAt: T0,
      ordered: false,
    }));
    // Queued in a shuffled order: the lanes follow message ids, not queueing order.
    const shuffled = [...deliveries].sort(() => Math.random() - 0.5);
    for (let i = 0; i < shuffled.length; i += 40) await store.enqueueDeliveries(shuffled.slice(i, i + 40));
    await store.enqueueDeliveries(unordered);
    const [workerA, workerB] = [await openWorker(), await openWorker()];

    const inFlight = new Map<string, Job>();
    const order = new Map<string, string[]>();
    let done = 0;
    const violations: string[] = [];
    const loop = async (worker: Store, name: string) => {
      let idle = 0;
      while (done < deliveries.length + unordered.length && idle < 200) {
        const jobs = await worker.claimJobs(5, lease(`worker-${name}`, T0 + 1000));
        if (jobs.length === 0) {
          idle++;
          await new Promise((resolve) => setTimeout(resolve, 1));
          continue;
        }
        idle = 0;
        for (const job of jobs) {
          if (job.lane === null) continue;
          const holder = inFlight.get(job.lane);
          if (holder) violations.push(`${job.lane}: ${job.msgId} claimed by ${name} while ${holder.msgId} is in flight`);
          inFlight.set(job.lane, job);
          order.set(job.lane, [...(order.get(job.lane) ?? []), job.msgId ?? ""]);
        }
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 3));
        for (const job of jobs) {
          // Out of the in-flight set just before the row goes: from then on the next may be claimed.
          if (job.lane !== null) inFlight.delete(job.lane);
          await worker.dropJob(job);
          done++;
        }
      }
    };
    await Promise.all([0, 1, 2].flatMap(() => [loop(workerA, "a"), loop(workerB, "b")]));

    assert.deepEqual(violations, []);
    assert.equal(done, deliveries.length + unordered.length, "every job was claimed exactly once");
    assert.equal((await store.queueStats(T0)).depth, 0);
    for (let lane = 0; lane < LANES; lane++) {
      const expected = deliveries.filter((d) => d.endpointId === `ep_lane_${lane}`).map((d) => d.msgId);
      assert.deepEqual(order.get(`ep_lane_${lane}`), expected, `lane ${lane} in message order`);
    }
  });

  test("fanOut takes the same few round trips for 3 endpoints as for 10,000", async () => {
    const fanOutTo = async (count: number, createdAt: number) => {
      const message = makeMessage(app.id, { createdAt });
      await store.createMessage(message);
      const [fanout] = await store.claimJobs(1, lease("w", createdAt));
      assert.equal(fanout.msgId, message.id);
      const endpointIds = Array.from({ length: count }, (_, i) => newId("endpoint", createdAt + i));
      const { result: jobs, roundTrips } = await countRoundTrips(() => store.fanOut(fanout, endpointIds.map((id) => target(id)), lease("w", createdAt)));
      assert.equal(jobs.length, count);
      assert.deepEqual(jobs.map((job) => job.endpointId), endpointIds, "jobs come back in endpoint order");
      return roundTrips;
    };
    const small = await fanOutTo(3, T0);
    const large = await fanOutTo(10_000, T0 + 1);
    // One call of herald_fan_out: delete the fanout job, insert destinations, insert jobs.
    assert.equal(small, 1);
    assert.equal(large, small);
  });

  test("fan-outs asked for in the same turn are one round trip; each gets its own deliveries, and one whose lease was lost gets none", async () => {
    const second = makeEndpoint(app.id, { createdAt: T0 + 1 });
    await store.createEndpoint(second);
    // Posted before T0, so that all four are due at the claim.
    const messages = Array.from({ length: 4 }, (_, i) => makeMessage(app.id, { createdAt: T0 - 4 + i }));
    for (const message of messages) await store.createMessage(message);
    const fanouts = await store.claimJobs(10, lease("w"));
    assert.deepEqual(fanouts.map((job) => job.msgId), messages.map((m) => m.id));
    const lost = fanouts[2]!;

    const { result, roundTrips } = await countRoundTrips(() =>
      Promise.all(
        fanouts.map((job, i) =>
          store.fanOut(
            job === lost ? { ...job, leaseToken: "another-worker:1" } : job,
            // The first fan-out has no targets; the others go to one or both endpoints.
            i === 0 ? [] : i % 2 === 0 ? [target(endpoint.id), target(second.id)] : [target(second.id)],
            lease("w"),
          ),
        ),
      ),
    );
    assert.equal(roundTrips, 1);
    assert.deepEqual(
      result.map((jobs) => jobs.map((job) => [job.msgId, job.endpointId])),
      [[], [[messages[1]!.id, second.id]], [], [[messages[3]!.id, second.id]]],
    );
    // Once the leases run out: the lost fan-out's job is still there, and nothing was queued for it.
    const left = await store.claimJobs(10, lease("w", T0 + LEASE_MS));
    assert.deepEqual(
      left.map((job) => [job.kind, job.msgId, job.endpointId]).sort(),
      [
        ["deliver", messages[1]!.id, second.id],
        ["deliver", messages[3]!.id, second.id],
        ["fanout", lost.msgId, null],
      ].sort(),
    );
  });

  test("the delivery hot path is one round trip per call: createMessage, getMessage, fanOut, completeDelivery", async () => {
    const message = makeMessage(app.id, { createdAt: T0 });
    assert.equal((await countRoundTrips(() => store.createMessage(message))).roundTrips, 1);
    assert.equal((await countRoundTrips(() => store.getMessage(app.id, message.id))).roundTrips, 1);
    const [fanout] = await store.claimJobs(1, lease("w"));
    const fanOut = await countRoundTrips(() => store.fanOut(fanout, [target(endpoint.id)], lease("w")));
    assert.equal(fanOut.roundTrips, 1);
    for (const [retryAt, health] of [[T0 + 60_000, "failure"], [null, "success"]] as const) {
      const job = retryAt === null ? (await store.claimJobs(1, lease("w", T0 + 60_000)))[0] : fanOut.result[0];
      const complete = await countRoundTrips(() =>
        store.completeDelivery(job, {
          attempt: makeAttempt(message, endpoint.id, { attemptNumber: job.attempt, createdAt: retryAt ?? T0 + 60_000 }),
          destinationStatus: retryAt === null ? MESSAGE_STATUS.success : MESSAGE_STATUS.pending,
          retryAt,
          endpointHealth: health,
          failureWindowMs: 1,
        }),
      );
      assert.equal(complete.roundTrips, 1, `completeDelivery with ${health}`);
    }
    assert.equal((await store.queueStats(T0 + 60_000)).depth, 0);
  });

  test("completions asked for in the same turn are one round trip, retries included, and each gets its endpoint's counters", async () => {
    const second = makeEndpoint(app.id, { createdAt: T0 + 1 });
    await store.createEndpoint(second);
    const messages = Array.from({ length: 6 }, (_, i) => makeMessage(app.id, { createdAt: T0 + i }));
    const endpointOf = (i: number) => (i % 2 === 0 ? endpoint : second);
    await store.enqueueDeliveries(
      messages.map((message, i) => ({ appId: app.id, msgId: message.id, endpointId: endpointOf(i).id, trigger: TRIGGER.scheduled, runAt: T0, ordered: false })),
    );
    const jobs = await store.claimJobs(10, lease("w"));
    assert.equal(jobs.length, 6);

    // Deliveries to `endpoint` fail (one of them is retried), those to `second` succeed.
    const retried = jobs.find((job) => job.endpointId === endpoint.id);
    const { result: healths, roundTrips } = await countRoundTrips(() =>
      Promise.all(
        jobs.map((job, i) => {
          const message = messages.find((m) => m.id === job.msgId)!;
          const fails = job.endpointId === endpoint.id;
          return store.completeDelivery(job, {
            attempt: makeAttempt(message, job.endpointId!, { createdAt: T0 + 10 + i, status: fails ? MESSAGE_STATUS.fail : MESSAGE_STATUS.success }),
            destinationStatus: job === retried ? MESSAGE_STATUS.pending : fails ? MESSAGE_STATUS.fail : MESSAGE_STATUS.success,
            retryAt: job === retried ? T0 + 60_000 : null,
            endpointHealth: fails ? "failure" : "success",
            failureWindowMs: 1,
          });
        }),
      ),
    );
    assert.equal(roundTrips, 1);
    const failures = jobs.map((job, i) => (job.endpointId === endpoint.id ? healths[i]?.consecutiveFailures : null)).filter((n) => n !== null);
    assert.deepEqual(failures.sort(), [1, 2, 3], "the three failures counted one after another");
    for (const [i, job] of jobs.entries()) {
      if (job.endpointId === second.id) assert.equal(healths[i], null, "a success reports no counters");
    }
    assert.equal((await store.getEndpoint(app.id, endpoint.id))?.consecutiveFailures, 3);
    const stats = await store.queueStats(T0 + 60_000);
    assert.deepEqual([stats.depth, stats.due], [1, 1], "only the retried delivery is left, due at its retry time");
  });

  test("two pools reserving rate slots at once, 50 times each, get 100 distinct slots exactly an interval apart", async () => {
    const INTERVAL_MS = 250;
    const [workerA, workerB] = [await openWorker(), await openWorker()];
    // All 100 calls in flight together, over two pools of four connections: they contend for the
    // endpoint's row lock all the time.
    const reserve = (worker: Store) =>
      Promise.all(Array.from({ length: 50 }, () => worker.reserveDeliverySlot(app.id, endpoint.id, T0, INTERVAL_MS)));
    const [a, b] = await Promise.all([reserve(workerA), reserve(workerB)]);

    const slots = [...a, ...b].sort((x, y) => x - y);
    assert.equal(new Set(slots).size, 100, "no slot given twice");
    assert.deepEqual(slots, Array.from({ length: 100 }, (_, i) => T0 + i * INTERVAL_MS));
    assert.equal((await store.getEndpoint(app.id, endpoint.id))?.throttledSince, T0);
    assert.equal(await store.reserveDeliverySlot(app.id, endpoint.id, T0, INTERVAL_MS), T0 + 100 * INTERVAL_MS);
  });

  test("claim, enqueue, release, postpone and slot reservation are one statement each (plus a transaction to notify)", async () => {
    const messages = Array.from({ length: 50 }, (_, i) => makeMessage(app.id, { createdAt: T0 + i }));
    for (const message of messages) await store.createMessage(message);
    const claim = await countRoundTrips(() => store.claimJobs(50, lease("w", T0 + 100)));
    assert.equal(claim.result.length, 50);
    assert.equal(claim.roundTrips, 1);

    const deliveries = messages.map((m) => ({ appId: app.id, msgId: m.id, endpointId: endpoint.id, trigger: TRIGGER.manual, runAt: T0, ordered: false }));
    const enqueue = await countRoundTrips(() => store.enqueueDeliveries(deliveries));
    assert.equal(enqueue.roundTrips, 5); // BEGIN, destinations, jobs, notify, COMMIT

    const postpone = await countRoundTrips(() => store.postponeJob(claim.result[0], T0 + 200));
    assert.deepEqual([postpone.result, postpone.roundTrips], [true, 1]);
    const reserve = await countRoundTrips(() => store.reserveDeliverySlot(app.id, endpoint.id, T0, 100));
    assert.deepEqual([reserve.result, reserve.roundTrips], [T0, 1]);

    const release = await countRoundTrips(() => store.releaseJobs(claim.result, T0));
    assert.equal(release.roundTrips, 4); // BEGIN, release, notify, COMMIT
    const extend = await countRoundTrips(() => store.extendLeases(claim.result, T0));
    assert.equal(extend.roundTrips, 1);
    // The postponed job was not released (its lease had ended): 49 released, 50 queued.
    assert.equal((await store.queueStats(T0)).due, 99);
  });
});
