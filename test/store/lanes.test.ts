import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";

import type { Application, Endpoint, Message } from "../../src/domain/types.ts";
import { MESSAGE_STATUS, TRIGGER } from "../../src/domain/types.ts";
import type { DeliveryOutcome, Job, Lease, Store } from "../../src/store/store.ts";
import { makeApp, makeAttempt, makeEndpoint, makeMessage, NO_WINDOW_MS, pageReq, STORES, T0, target } from "./fixtures.ts";

const LEASE_MS = 30_000;
const lease = (now: number, workerId = "worker-a"): Lease => ({ workerId, now, leaseMs: LEASE_MS });

/** FIFO lanes: deliveries to an ordered endpoint go one at a time, in message order. */
for (const factory of STORES) {
  describe(`${factory.name} store: FIFO lanes and delayed deliveries`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    let app: Application;
    let ordered: Endpoint;
    let other: Endpoint;

    beforeEach(async () => {
      ({ store, cleanup } = await factory.make());
      app = makeApp();
      await store.createApplication(app);
      ordered = makeEndpoint(app.id, { options: { ordering: "fifo" } });
      other = makeEndpoint(app.id, { createdAt: T0 + 1 });
      for (const endpoint of [ordered, other]) await store.createEndpoint(endpoint);
    });
    afterEach(async () => {
      await cleanup();
    });

    /** Queues one ordered delivery to `ordered` per message, due at T0. */
    async function enqueueOrdered(messages: Message[], runAt = T0): Promise<void> {
      await store.enqueueDeliveries(
        messages.map((m) => ({ appId: app.id, msgId: m.id, endpointId: ordered.id, trigger: TRIGGER.scheduled, runAt, ordered: true })),
      );
    }

    function outcome(job: Job, at: number, retryAt: number | null): DeliveryOutcome {
      const message = { ...makeMessage(app.id), id: job.msgId ?? "", createdAt: T0 };
      const failed = retryAt !== null;
      return {
        attempt: makeAttempt(message, job.endpointId ?? "", {
          createdAt: at,
          status: failed ? MESSAGE_STATUS.fail : MESSAGE_STATUS.success,
          attemptNumber: job.attempt,
        }),
        destinationStatus: failed ? MESSAGE_STATUS.pending : MESSAGE_STATUS.success,
        retryAt,
        endpointHealth: failed ? "failure" : "success",
        failureWindowMs: NO_WINDOW_MS,
      };
    }

    test("only a lane's head is claimed, in message order; a retrying head holds back the rest", async () => {
      const messages = [0, 1, 2].map((i) => makeMessage(app.id, { createdAt: T0 + i }));
      // Queued newest first: the lane follows message order, not queueing order.
      await enqueueOrdered([...messages].reverse());
      const unordered = makeMessage(app.id, { createdAt: T0 + 5 });
      await store.enqueueDeliveries([
        { appId: app.id, msgId: unordered.id, endpointId: other.id, trigger: TRIGGER.scheduled, runAt: T0 + 5, ordered: false },
      ]);

      const first = await store.claimJobs(10, lease(T0 + 10));
      assert.deepEqual(
        first.map((j) => [j.msgId, j.endpointId, j.lane]),
        [
          [messages[0].id, ordered.id, ordered.id],
          [unordered.id, other.id, null],
        ],
      );
      const head = first[0];
      assert.deepEqual(await store.claimJobs(10, lease(T0 + 11)), [], "the head is leased and the followers wait behind it");
      // Followers cannot run before their head: the next due time is the end of the head's lease.
      assert.equal(await store.nextJobDueAt(), T0 + 10 + LEASE_MS);

      // The head fails and waits for its retry: the followers, though due, still wait.
      const retryAt = T0 + 100_000;
      await store.completeDelivery(head, outcome(head, T0 + 20, retryAt));
      await store.completeDelivery(first[1], outcome(first[1], T0 + 20, null));
      assert.deepEqual(await store.claimJobs(10, lease(T0 + 30)), []);
      assert.equal(await store.nextJobDueAt(), retryAt);
      assert.equal((await store.queueStats(T0 + 30)).due, 2, "the followers count as due");

      const [retry, ...none] = await store.claimJobs(10, lease(retryAt));
      assert.deepEqual([retry.id, retry.attempt, none.length], [head.id, 2, 0]);
      await store.completeDelivery(retry, outcome(retry, retryAt + 1, null));

      for (const message of messages.slice(1)) {
        const [next, ...rest] = await store.claimJobs(10, lease(retryAt + 2));
        assert.deepEqual([next.msgId, next.lane, rest.length], [message.id, ordered.id, 0]);
        await store.completeDelivery(next, outcome(next, retryAt + 3, null));
      }
      assert.equal((await store.queueStats(retryAt)).depth, 0);
    });

    test("a lane job waits while an older message of its application is not fanned out", async () => {
      const [m1, m2] = [0, 1].map((i) => makeMessage(app.id, { createdAt: T0 + i }));
      for (const message of [m1, m2]) await store.createMessage(message);
      const otherApp = makeApp({ createdAt: T0 + 2 });
      await store.createApplication(otherApp);
      const elsewhere = makeMessage(otherApp.id, { createdAt: T0 - 1000 });

      const [fan1, fan2] = await store.claimJobs(10, lease(T0 + 10));
      assert.deepEqual([fan1.msgId, fan2.msgId], [m1.id, m2.id]);
      // m2's fan-out finishes first: its lane job must not overtake m1's, still to come.
      assert.deepEqual(await store.fanOut(fan2, [target(ordered.id, { ordered: true })], lease(T0 + 11)), []);
      assert.deepEqual(await store.claimJobs(10, lease(T0 + 12)), []);

      // An older message of another application does not hold this lane back.
      await store.createMessage(elsewhere);
      const [otherFanout] = await store.claimJobs(10, lease(T0 + 13));
      assert.deepEqual([otherFanout.kind, otherFanout.appId], ["fanout", otherApp.id]);

      await store.fanOut(fan1, [target(ordered.id, { ordered: true })], lease(T0 + 14));
      const [head, ...rest] = await store.claimJobs(10, lease(T0 + 15));
      assert.deepEqual([head.msgId, head.lane, rest.length], [m1.id, ordered.id, 0]);
      await store.completeDelivery(head, outcome(head, T0 + 16, null));
      const [next] = await store.claimJobs(10, lease(T0 + 17));
      assert.equal(next.msgId, m2.id);
    });

    test("a fan-out written in parts holds later messages' lane jobs until its last part, not its own", async () => {
      const secondOrdered = makeEndpoint(app.id, { createdAt: T0 + 2, options: { ordering: "fifo" } });
      await store.createEndpoint(secondOrdered);
      const [m1, m2] = [0, 1].map((i) => makeMessage(app.id, { createdAt: T0 + i }));
      for (const message of [m1, m2]) await store.createMessage(message);
      const [fan1, fan2] = await store.claimJobs(10, lease(T0 + 10));
      await store.fanOut(fan2, [target(ordered.id, { ordered: true })], lease(T0 + 11));

      // m1's first part reaches `ordered`, its second is still to come.
      await store.fanOut(fan1, [target(ordered.id, { ordered: true })], lease(T0 + 12), Infinity, { moreToCome: true });
      const [own, ...none] = await store.claimJobs(10, lease(T0 + 13));
      assert.deepEqual([own.msgId, own.lane, none.length], [m1.id, ordered.id, 0], "m1's own lane job runs; m2's waits for m1's fan-out");
      await store.completeDelivery(own, outcome(own, T0 + 14, null));
      assert.deepEqual(await store.claimJobs(10, lease(T0 + 15)), []);

      await store.fanOut(fan1, [target(secondOrdered.id, { ordered: true })], lease(T0 + 16));
      const claimed = await store.claimJobs(10, lease(T0 + 17));
      assert.deepEqual(claimed.map((job) => [job.msgId, job.lane]).sort(), [[m1.id, secondOrdered.id], [m2.id, ordered.id]].sort());
    });

    test("claimLaneFollowers claims the rest of the lane in order, due or not, up to the limit", async () => {
      const messages = [0, 1, 2, 3, 4].map((i) => makeMessage(app.id, { createdAt: T0 + i }));
      await enqueueOrdered(messages.slice(0, 2));
      // Not due for a while: a batch carries it along anyway.
      await enqueueOrdered(messages.slice(2, 3), T0 + 1_000_000);
      // The same message queued twice (a resend): the lane orders the two by job id.
      await enqueueOrdered(messages.slice(3));
      await enqueueOrdered(messages.slice(3, 4));
      const unordered = makeMessage(app.id, { createdAt: T0 + 5 });
      await store.enqueueDeliveries([
        { appId: app.id, msgId: unordered.id, endpointId: other.id, trigger: TRIGGER.scheduled, runAt: T0, ordered: false },
      ]);

      const [head, plain] = await store.claimJobs(10, lease(T0 + 10));
      assert.equal(head.msgId, messages[0].id);
      assert.deepEqual(await store.claimLaneFollowers(plain, 10, lease(T0 + 10)), [], "no lane, no followers");
      assert.deepEqual(await store.claimLaneFollowers({ ...head, leaseToken: "lost" }, 10, lease(T0 + 10)), [], "only for a held head");

      const firstTwo = await store.claimLaneFollowers(head, 2, lease(T0 + 11));
      assert.deepEqual(firstTwo.map((j) => j.msgId), [messages[1].id, messages[2].id]);
      assert.ok(firstTwo.every((j) => j.runAt === T0 + 11 + LEASE_MS && j.lane === ordered.id && j.leaseToken.startsWith("worker-a:")));
      assert.equal(new Set([head, ...firstTwo].map((j) => j.leaseToken)).size, 3);
      // A batch is contiguous: the next follower is held (by this same batch), so nothing more.
      assert.deepEqual(await store.claimLaneFollowers(head, 10, lease(T0 + 12)), []);

      await store.releaseJobs(firstTwo, T0 + 12);
      const all = await store.claimLaneFollowers(head, 10, lease(T0 + 13));
      assert.deepEqual(all.map((j) => j.msgId), [messages[1].id, messages[2].id, messages[3].id, messages[3].id, messages[4].id]);
      assert.ok(all[2].id < all[3].id);
      assert.deepEqual(await store.claimJobs(10, lease(T0 + 14)), [], "the whole lane is leased");
    });

    test("claimLaneFollowers stops at a follower another worker holds", async () => {
      const messages = [0, 1, 2, 3].map((i) => makeMessage(app.id, { createdAt: T0 + i }));
      await enqueueOrdered(messages);
      const [mine] = await store.claimJobs(1, lease(T0, "worker-a"));
      const [follower] = await store.claimLaneFollowers(mine, 1, lease(T0, "worker-a"));
      assert.equal(follower.msgId, messages[1].id);
      await store.extendLeases([follower], T0 + 10 * LEASE_MS);

      // worker-a's head lease lapses and worker-b takes the head over; the follower is still held.
      const [theirs] = await store.claimJobs(10, lease(T0 + LEASE_MS, "worker-b"));
      assert.equal(theirs.id, mine.id);
      assert.deepEqual(await store.claimLaneFollowers(theirs, 10, lease(T0 + LEASE_MS, "worker-b")), []);
      // Once its lease lapses too, worker-b gets the rest of the lane.
      const later = await store.claimLaneFollowers(theirs, 10, lease(T0 + 10 * LEASE_MS, "worker-b"));
      assert.deepEqual(later.map((j) => j.msgId), messages.slice(1).map((m) => m.id));
    });

    test("fanOut: unordered targets come back claimed; ordered and delayed ones are queued", async () => {
      const [delayed, orderedDelayed] = [2, 3].map((i) => makeEndpoint(app.id, { createdAt: T0 + i }));
      for (const endpoint of [delayed, orderedDelayed]) await store.createEndpoint(endpoint);
      const message = makeMessage(app.id);
      await store.createMessage(message);
      const [fanout] = await store.claimJobs(1, lease(T0));
      const now = T0 + 5;
      const jobs = await store.fanOut(
        fanout,
        [
          target(other.id),
          target(ordered.id, { ordered: true }),
          target(delayed.id, { delayMs: 5000 }),
          target(orderedDelayed.id, { ordered: true, delayMs: 5000 }),
        ],
        lease(now),
      );
      assert.deepEqual(
        jobs.map((j) => [j.endpointId, j.lane, j.runAt]),
        [[other.id, null, now + LEASE_MS]],
      );

      const destinations = (await store.listDestinationsByMessage(app.id, message.id, pageReq(10))).items;
      const byEndpoint = new Map(destinations.map((d) => [d.endpointId, d]));
      assert.equal(destinations.length, 4);
      assert.ok(destinations.every((d) => d.status === MESSAGE_STATUS.pending && d.updatedAt === now));
      assert.deepEqual(
        [other, ordered, delayed, orderedDelayed].map((e) => byEndpoint.get(e.id)?.nextAttemptAt),
        [now, now, now + 5000, now + 5000],
      );

      const [head, ...none] = await store.claimJobs(10, lease(now));
      assert.deepEqual([head.endpointId, head.lane, head.trigger, head.attempt, none.length], [ordered.id, ordered.id, TRIGGER.scheduled, 1, 0]);
      assert.deepEqual(await store.claimJobs(10, lease(now + 4999)), []);
      const due = await store.claimJobs(10, lease(now + 5000));
      assert.deepEqual(
        due.map((j) => [j.endpointId, j.lane]).sort(),
        [
          [delayed.id, null],
          [orderedDelayed.id, orderedDelayed.id],
        ].sort(),
      );
    });
  });
}
