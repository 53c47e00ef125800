import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";

import { newId } from "../../src/domain/ids.ts";
import type { Application, BackgroundTask, Endpoint } from "../../src/domain/types.ts";
import { MESSAGE_STATUS, TRIGGER } from "../../src/domain/types.ts";
import type { Job, Lease, Store } from "../../src/store/store.ts";
import { makeApp, makeAttempt, makeEndpoint, makeMessage, NO_WINDOW_MS, pageReq, STORES, T0, target, walkPages } from "./fixtures.ts";

const LEASE_MS = 30_000;
const lease = (now: number, workerId = "worker-a"): Lease => ({ workerId, now, leaseMs: LEASE_MS });

for (const factory of STORES) {
  describe(`${factory.name} store: queue, background tasks, idempotency`, () => {
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

    test("message → fanout job → deliveries → retry → done", async () => {
      assert.equal(await store.nextJobDueAt(), null);
      const message = makeMessage(app.id, { createdAt: T0 });
      await store.createMessage(message);
      assert.equal(await store.nextJobDueAt(), T0);
      assert.deepEqual(await store.claimJobs(10, lease(T0 - 1)), [], "not due before the message's creation");

      const [fanout, ...rest] = await store.claimJobs(10, lease(T0));
      assert.equal(rest.length, 0);
      assert.equal(fanout.kind, "fanout");
      assert.equal(fanout.appId, app.id);
      assert.equal(fanout.msgId, message.id);
      assert.equal(fanout.runAt, T0 + LEASE_MS);
      assert.ok(fanout.leaseToken.length > 0);
      assert.deepEqual(await store.claimJobs(10, lease(T0)), [], "a claimed job is not claimable during its lease");

      const [job] = await store.fanOut(fanout, [target(endpoint.id)], lease(T0 + 5));
      assert.deepEqual({ ...job, id: 0, leaseToken: "" }, {
        id: 0,
        kind: "deliver",
        appId: app.id,
        msgId: message.id,
        endpointId: endpoint.id,
        lane: null,
        taskId: null,
        attempt: 1,
        trigger: TRIGGER.scheduled,
        runAt: T0 + 5 + LEASE_MS,
        leaseToken: "",
        rateSlotAt: null,
      });
      assert.notEqual(job.leaseToken, fanout.leaseToken);
      assert.deepEqual(await store.claimJobs(10, lease(T0 + 10)), [], "fanned-out deliveries come back already leased");
      const [pending] = (await store.listDestinationsByMessage(app.id, message.id, pageReq(10))).items;
      assert.equal(pending.status, MESSAGE_STATUS.pending);
      assert.equal(pending.attemptCount, 0);

      // Attempt 1 fails: retry in a minute.
      const retryAt = T0 + 60_000;
      const failed = makeAttempt(message, endpoint.id, { createdAt: T0 + 20, status: MESSAGE_STATUS.fail, responseStatusCode: 500 });
      const first = await store.completeDelivery(job, { attempt: failed, destinationStatus: MESSAGE_STATUS.pending, retryAt, endpointHealth: "failure", failureWindowMs: NO_WINDOW_MS });
      assert.deepEqual(first, { firstFailureAt: T0 + 20, consecutiveFailures: 1, windowFailures: 1 });
      assert.equal((await store.getEndpoint(app.id, endpoint.id))?.firstFailureAt, T0 + 20);
      const [afterFailure] = (await store.listDestinationsByMessage(app.id, message.id, pageReq(10))).items;
      assert.deepEqual([afterFailure.status, afterFailure.attemptCount, afterFailure.nextAttemptAt], [MESSAGE_STATUS.pending, 1, retryAt]);
      assert.equal(await store.nextJobDueAt(), retryAt);
      assert.deepEqual(await store.claimJobs(10, lease(T0 + 30)), [], "not due until retryAt");

      const [retry] = await store.claimJobs(10, lease(retryAt, "worker-b"));
      assert.equal(retry.id, job.id);
      assert.equal(retry.attempt, 2);
      assert.equal(retry.endpointId, endpoint.id);

      // A second failure keeps the first failure time.
      const failedAgain = makeAttempt(message, endpoint.id, { createdAt: retryAt + 1, status: MESSAGE_STATUS.fail, attemptNumber: 2 });
      const second = await store.completeDelivery(retry, {
        attempt: failedAgain,
        destinationStatus: MESSAGE_STATUS.pending,
        retryAt: retryAt + 60_000,
        endpointHealth: "failure", failureWindowMs: NO_WINDOW_MS,
      });
      assert.deepEqual(second, { firstFailureAt: T0 + 20, consecutiveFailures: 2, windowFailures: 1 });

      const [third] = await store.claimJobs(10, lease(retryAt + 60_000));
      assert.equal(third.attempt, 3);
      const success = makeAttempt(message, endpoint.id, { createdAt: retryAt + 60_001, attemptNumber: 3 });
      const done = await store.completeDelivery(third, { attempt: success, destinationStatus: MESSAGE_STATUS.success, retryAt: null, endpointHealth: "success", failureWindowMs: NO_WINDOW_MS });
      assert.equal(done, null, "a success reports no counters");
      const recovered = await store.getEndpoint(app.id, endpoint.id);
      assert.deepEqual([recovered?.firstFailureAt, recovered?.consecutiveFailures], [null, 0]);
      assert.equal(await store.nextJobDueAt(), null);
      assert.deepEqual(await store.queueStats(T0 * 2), { depth: 0, due: 0, oldestDueAt: null });
      assert.deepEqual(await store.claimJobs(10, lease(T0 * 2)), []);

      const [delivered] = (await store.listDestinationsByMessage(app.id, message.id, pageReq(10))).items;
      assert.deepEqual([delivered.status, delivered.attemptCount, delivered.nextAttemptAt], [MESSAGE_STATUS.success, 3, null]);
      const attempts = await store.listAttempts(app.id, { page: pageReq(10), msgId: message.id });
      assert.deepEqual(attempts.items.map((a) => a.attemptNumber), [3, 2, 1]);
    });

    test("an expired lease can be claimed by another worker; the old token is then powerless", async () => {
      const message = makeMessage(app.id);
      await store.createMessageForEndpoint(message, endpoint.id);
      const [mine] = await store.claimJobs(1, lease(T0, "worker-a"));
      assert.equal(mine.kind, "deliver");
      assert.deepEqual(await store.claimJobs(1, lease(T0 + LEASE_MS - 1, "worker-b")), []);

      // worker-a stalls past its lease: worker-b takes the job over.
      const [theirs] = await store.claimJobs(1, lease(T0 + LEASE_MS, "worker-b"));
      assert.equal(theirs.id, mine.id);
      assert.notEqual(theirs.leaseToken, mine.leaseToken);

      await store.dropJob(mine);
      await store.releaseJobs([mine], T0);
      assert.deepEqual(await store.claimJobs(1, lease(T0 + LEASE_MS + 1, "worker-c")), [], "stale drop/release did nothing");

      // The stale worker's attempt is recorded, but the job and destination stay with worker-b.
      const staleAttempt = makeAttempt(message, endpoint.id, { createdAt: T0 + LEASE_MS + 2 });
      await store.completeDelivery(mine, { attempt: staleAttempt, destinationStatus: MESSAGE_STATUS.success, retryAt: null, endpointHealth: "success", failureWindowMs: NO_WINDOW_MS });
      assert.ok(await store.getAttempt(app.id, message.id, staleAttempt.id));
      assert.equal((await store.queueStats(T0)).depth, 1);
      const [destination] = (await store.listDestinationsByMessage(app.id, message.id, pageReq(10))).items;
      assert.equal(destination.status, MESSAGE_STATUS.pending);

      // And a stale fan-out queues nothing.
      const other = makeMessage(app.id, { createdAt: T0 + 1 });
      await store.createMessage(other);
      const [fanA] = await store.claimJobs(1, lease(T0 + 1, "worker-a"));
      const [fanB] = await store.claimJobs(1, lease(T0 + 1 + LEASE_MS, "worker-b"));
      assert.equal(fanA.kind, "fanout");
      assert.equal(fanB.id, fanA.id);
      assert.deepEqual(await store.fanOut(fanA, [target(endpoint.id)], lease(T0 + 2 + LEASE_MS)), []);
      assert.equal((await store.fanOut(fanB, [target(endpoint.id)], lease(T0 + 2 + LEASE_MS))).length, 1);

      // worker-b finishes the first job normally.
      const real = makeAttempt(message, endpoint.id, { createdAt: T0 + LEASE_MS + 3 });
      await store.completeDelivery(theirs, { attempt: real, destinationStatus: MESSAGE_STATUS.success, retryAt: null, endpointHealth: "success", failureWindowMs: NO_WINDOW_MS });
      const [finished] = (await store.listDestinationsByMessage(app.id, message.id, pageReq(10))).items;
      assert.equal(finished.status, MESSAGE_STATUS.success);
    });

    test("createMessage with a lease queues the fan-out claimed already and returns it; without one, returns null", async () => {
      const unleased = makeMessage(app.id, { createdAt: T0 });
      assert.equal(await store.createMessage(unleased), null);
      // Several in one turn, as concurrent API requests are (PostgreSQL inserts them together).
      const accepted = [1, 2, 3].map((i) => makeMessage(app.id, { createdAt: T0 + i }));
      const jobs = await Promise.all(accepted.map((message, i) => store.createMessage(message, lease(T0 + i, "worker-a"))));
      jobs.forEach((job, i) => {
        assert.ok(job);
        assert.deepEqual(
          { kind: job.kind, appId: job.appId, msgId: job.msgId, endpointId: job.endpointId, lane: job.lane, attempt: job.attempt, trigger: job.trigger, runAt: job.runAt },
          { kind: "fanout", appId: app.id, msgId: accepted[i].id, endpointId: null, lane: null, attempt: 1, trigger: TRIGGER.scheduled, runAt: T0 + i + LEASE_MS },
        );
        assert.ok(job.leaseToken.startsWith("worker-a:"));
      });
      assert.equal(new Set(jobs.map((job) => job!.id)).size, 3);

      // Another worker claims only the message accepted without a lease, until the leases end.
      const claimed = await store.claimJobs(10, lease(T0 + 10, "worker-b"));
      assert.deepEqual(claimed.map((job) => job.msgId), [unleased.id]);
      // The returned jobs are the queue's own: their holder fans out with them.
      const [delivery] = await store.fanOut(jobs[0]!, [target(endpoint.id)], lease(T0 + 11, "worker-a"));
      assert.equal(delivery.msgId, accepted[0].id);
      assert.deepEqual(
        (await store.claimJobs(10, lease(T0 + 3 + LEASE_MS, "worker-b"))).map((job) => job.msgId),
        [accepted[1].id, accepted[2].id],
        "a lease not kept runs out like a claim's",
      );
    });

    test("releaseJobs makes claimed jobs due again; dropJob removes them", async () => {
      const messages = [0, 1, 2].map((i) => makeMessage(app.id, { createdAt: T0 + i }));
      for (const message of messages) await store.createMessage(message);
      const claimed = await store.claimJobs(2, lease(T0 + 10));
      assert.deepEqual(claimed.map((j) => j.msgId), [messages[0].id, messages[1].id], "oldest first, limit respected");
      assert.deepEqual(await store.queueStats(T0 + 10), { depth: 3, due: 1, oldestDueAt: T0 + 2 });

      await store.releaseJobs(claimed, T0 + 10);
      assert.deepEqual(await store.queueStats(T0 + 10), { depth: 3, due: 3, oldestDueAt: T0 + 2 });
      const again = await store.claimJobs(10, lease(T0 + 10, "worker-b"));
      // Oldest first: the never-claimed job (runAt T0+2) before the released ones (runAt T0+10).
      assert.deepEqual(again.map((j) => j.msgId), [messages[2].id, messages[0].id, messages[1].id]);
      assert.ok(again.every((j) => j.runAt === T0 + 10 + LEASE_MS));

      await store.dropJob(again[0]);
      assert.equal((await store.queueStats(T0)).depth, 2);
      assert.equal(await store.nextJobDueAt(), T0 + 10 + LEASE_MS);
    });

    test("extendLeases keeps a held job from being taken over; a lost lease is not extended", async () => {
      const messages = [0, 1].map((i) => makeMessage(app.id, { createdAt: T0 + i }));
      for (const message of messages) await store.createMessage(message);
      const [kept, lost] = await store.claimJobs(2, lease(T0 + 10));

      // Past the lease end, another worker takes `lost` over; `kept` was renewed in time.
      await store.extendLeases([kept], T0 + 10 + 3 * LEASE_MS);
      const takenOver = await store.claimJobs(10, lease(T0 + 10 + LEASE_MS, "worker-b"));
      assert.deepEqual(takenOver.map((j) => j.id), [lost.id]);

      // The first worker's late renewal of `lost` must not steal it back.
      await store.extendLeases([kept, lost], T0 + 10 + 10 * LEASE_MS);
      assert.equal(await store.nextJobDueAt(), takenOver[0].runAt);
      await store.dropJob(takenOver[0]);
      assert.equal(await store.nextJobDueAt(), T0 + 10 + 10 * LEASE_MS, "kept's lease moved to the renewal time");
    });

    test("enqueueDeliveries queues manual deliveries and marks destinations pending", async () => {
      const message = makeMessage(app.id);
      await store.createMessage(message);
      const [fanout] = await store.claimJobs(1, lease(T0));
      const [job] = await store.fanOut(fanout, [target(endpoint.id)], lease(T0));
      await store.completeDelivery(job, {
        attempt: makeAttempt(message, endpoint.id, { createdAt: T0 + 1, status: MESSAGE_STATUS.fail }),
        destinationStatus: MESSAGE_STATUS.fail,
        retryAt: null,
        endpointHealth: "failure", failureWindowMs: NO_WINDOW_MS,
      });

      await store.enqueueDeliveries([{ appId: app.id, msgId: message.id, endpointId: endpoint.id, trigger: TRIGGER.manual, runAt: T0 + 100, ordered: false }]);
      const [destination] = (await store.listDestinationsByMessage(app.id, message.id, pageReq(10))).items;
      assert.deepEqual([destination.status, destination.attemptCount, destination.nextAttemptAt], [MESSAGE_STATUS.pending, 1, T0 + 100]);
      const [manual] = await store.claimJobs(10, lease(T0 + 100));
      assert.deepEqual([manual.kind, manual.trigger, manual.attempt, manual.endpointId], ["deliver", TRIGGER.manual, 1, endpoint.id]);

      // A manual success does not touch the failure clock nor the scheduled attempt count.
      const result = await store.completeDelivery(manual, {
        attempt: makeAttempt(message, endpoint.id, { createdAt: T0 + 101, triggerType: TRIGGER.manual }),
        destinationStatus: MESSAGE_STATUS.success,
        retryAt: null,
        endpointHealth: null, failureWindowMs: NO_WINDOW_MS,
      });
      assert.equal(result, null, "a manual attempt reports no counters");
      const untouched = await store.getEndpoint(app.id, endpoint.id);
      assert.deepEqual([untouched?.firstFailureAt, untouched?.consecutiveFailures, untouched?.windowFailures], [T0 + 1, 1, 1]);
      const [after] = (await store.listDestinationsByMessage(app.id, message.id, pageReq(10))).items;
      assert.deepEqual([after.status, after.attemptCount], [MESSAGE_STATUS.success, 1]);
    });

    test("fanOut to 10,000 endpoints", async () => {
      const endpointIds = Array.from({ length: 10_000 }, (_, i) => newId("endpoint", T0 + i));
      const message = makeMessage(app.id);
      await store.createMessage(message);
      const [fanout] = await store.claimJobs(1, lease(T0));
      const started = performance.now();
      const jobs = await store.fanOut(fanout, endpointIds.map((id) => target(id)), lease(T0));
      const elapsed = performance.now() - started;
      assert.equal(jobs.length, 10_000);
      assert.equal(new Set(jobs.map((j) => j.id)).size, 10_000);
      assert.equal(new Set(jobs.map((j) => j.leaseToken)).size, 10_000);
      assert.deepEqual(jobs.map((j) => j.endpointId), endpointIds);
      assert.ok(elapsed < 10_000, `fanOut took ${Math.round(elapsed)} ms`);
      assert.deepEqual(await store.queueStats(T0), { depth: 10_000, due: 0, oldestDueAt: null });
      const last = await store.listDestinationsByEndpoint(app.id, endpointIds[9_999], { page: pageReq(10) });
      assert.deepEqual(last.items.map((x) => [x.message.id, x.destination.status]), [[message.id, MESSAGE_STATUS.pending]]);
      const page = await store.listDestinationsByMessage(app.id, message.id, pageReq(100));
      assert.equal(page.items.length, 100);
      assert.equal(page.done, false);
      // After the lease, they are all claimable.
      assert.equal((await store.claimJobs(20_000, lease(T0 + LEASE_MS))).length, 10_000);
    });

    test("fanOut claims no more than the caller has room for; the rest are due now, for any worker", async () => {
      const endpointIds = Array.from({ length: 5 }, (_, i) => newId("endpoint", T0 + i));
      const message = makeMessage(app.id);
      await store.createMessage(message);
      const [fanout] = await store.claimJobs(1, lease(T0));
      const claimed = await store.fanOut(fanout, endpointIds.map((id) => target(id)), lease(T0 + 1), 2);
      assert.deepEqual(claimed.map((job) => job.endpointId), endpointIds.slice(0, 2));
      assert.deepEqual(await store.queueStats(T0 + 1), { depth: 5, due: 3, oldestDueAt: T0 + 1 });
      const taken = await store.claimJobs(10, lease(T0 + 1, "worker-b"));
      assert.deepEqual(taken.map((job) => job.endpointId).sort(), endpointIds.slice(2).sort());
      const destinations = (await store.listDestinationsByMessage(app.id, message.id, pageReq(10))).items;
      assert.deepEqual(destinations.map((destination) => destination.status), Array(5).fill(MESSAGE_STATUS.pending));
    });

    test("fanOut in parts: the fanout job stays until the last part, and a run cut short is taken up where it stopped", async () => {
      const endpointIds = Array.from({ length: 6 }, (_, i) => newId("endpoint", T0 + i));
      const message = makeMessage(app.id);
      await store.createMessage(message);
      const [fanout] = await store.claimJobs(1, lease(T0));

      // The first part of worker-a's run; worker-a stops there.
      const first = await store.fanOut(fanout, endpointIds.slice(0, 2).map((id) => target(id)), lease(T0 + 1), Infinity, { moreToCome: true });
      assert.deepEqual(first.map((job) => job.endpointId), endpointIds.slice(0, 2));
      assert.equal((await store.queueStats(T0 + 1)).depth, 3, "the fanout job and the first part's deliveries");

      // Its lease runs out; worker-b claims the fan-out (not yet the deliveries: they are leased
      // to worker-a from a later time) and runs it all again.
      const [again] = await store.claimJobs(10, lease(T0 + LEASE_MS, "worker-b"));
      assert.equal(again.id, fanout.id);
      assert.deepEqual(await store.fanOut(fanout, [target(endpointIds[2])], lease(T0 + LEASE_MS)), [], "worker-a lost its lease: nothing is written");
      const retaken = await store.fanOut(again, endpointIds.slice(0, 4).map((id) => target(id)), lease(T0 + LEASE_MS + 1, "worker-b"), Infinity, { moreToCome: true });
      assert.deepEqual(retaken.map((job) => job.endpointId), endpointIds.slice(2, 4), "the endpoints the first run queued are skipped");
      const last = await store.fanOut(again, endpointIds.slice(4).map((id) => target(id)), lease(T0 + LEASE_MS + 2, "worker-b"));
      assert.deepEqual(last.map((job) => job.endpointId), endpointIds.slice(4));

      // One delivery and one destination per endpoint, and no fanout job left.
      assert.equal((await store.queueStats(T0 + LEASE_MS + 2)).depth, 6);
      const deliveries = await store.claimJobs(20, lease(T0 + 3 * LEASE_MS));
      assert.deepEqual(deliveries.map((job) => [job.kind, job.endpointId]).sort(), endpointIds.map((id) => ["deliver", id]).sort());
      const destinations = (await store.listDestinationsByMessage(app.id, message.id, pageReq(10))).items;
      assert.deepEqual(destinations.map((d) => d.endpointId).sort(), [...endpointIds].sort());
    });

    test("claims take due fan-outs first, up to half of the claim; the rest are the oldest due jobs", async () => {
      // A fan-out to 6 endpoints whose deliveries all wait in the queue, then two more messages.
      const endpointIds = Array.from({ length: 6 }, (_, i) => newId("endpoint", T0 + i));
      const big = makeMessage(app.id, { createdAt: T0 });
      await store.createMessage(big);
      const [fanout] = await store.claimJobs(1, lease(T0));
      await store.fanOut(fanout, endpointIds.map((id) => target(id)), lease(T0 + 1), 0);
      const later = [2, 3].map((i) => makeMessage(app.id, { createdAt: T0 + i }));
      for (const message of later) await store.createMessage(message);

      // One job: the oldest (a fan-out gets no share of a claim of one).
      const [single] = await store.claimJobs(1, lease(T0 + 10));
      assert.deepEqual([single.kind, single.endpointId], ["deliver", endpointIds[0]]);
      // Three: one fan-out ahead of the deliveries queued before it, then the two oldest.
      const three = await store.claimJobs(3, lease(T0 + 10));
      assert.deepEqual(
        three.map((job) => [job.kind, job.msgId, job.endpointId]).sort(),
        [["deliver", big.id, endpointIds[1]], ["deliver", big.id, endpointIds[2]], ["fanout", later[0].id, null]].sort(),
      );
      // Four: the last fan-out (all there is), then the three oldest deliveries.
      const four = await store.claimJobs(4, lease(T0 + 10));
      assert.deepEqual(
        four.map((job) => [job.kind, job.msgId, job.endpointId]).sort(),
        [...endpointIds.slice(3, 6).map((id) => ["deliver", big.id, id]), ["fanout", later[1].id, null]].sort(),
      );
    });

    test("background tasks: create queues a task job; get, update, list", async () => {
      const tasks: BackgroundTask[] = [];
      for (let i = 0; i < 5; i++) {
        const task: BackgroundTask = {
          id: newId("backgroundTask", T0 + i),
          kind: i % 2 === 0 ? "endpoint.recover" : "endpoint.replay",
          status: "running",
          data: { endpointId: endpoint.id, since: T0 },
          createdAt: T0 + i,
          updatedAt: T0 + i,
        };
        tasks.push(task);
        await store.createBackgroundTask(task, app.id);
      }
      assert.deepEqual(await store.getBackgroundTask(tasks[0].id), tasks[0]);
      assert.equal(await store.getBackgroundTask("qtask_missing"), null);

      const jobs = await store.claimJobs(10, lease(T0 + 10));
      assert.deepEqual(jobs.map((j: Job) => [j.kind, j.taskId, j.appId]), tasks.map((t) => ["task", t.id, app.id]));

      const finished = { ...tasks[2], status: "finished" as const, data: { recovered: 12 }, updatedAt: T0 + 50 };
      await store.updateBackgroundTask(finished);
      assert.deepEqual(await store.getBackgroundTask(finished.id), finished);

      const pages = await walkPages((page) => store.listBackgroundTasks(page), 2, "descending");
      const newest = [...tasks].reverse().map((t) => t.id);
      assert.deepEqual(pages.forward.map((p) => p.items.map((t) => t.id)), [newest.slice(0, 2), newest.slice(2, 4), newest.slice(4)]);
      assert.deepEqual(pages.backward.map((p) => p.items.map((t) => t.id)), [newest.slice(2, 4), newest.slice(0, 2)]);
    });

    test("idempotency keys: started, in_progress, done, expiry, abandon", async () => {
      assert.deepEqual(await store.beginIdempotent("k1", T0, 1000), { state: "started" });
      assert.deepEqual(await store.beginIdempotent("k1", T0 + 999, 1000), { state: "in_progress" });
      // The holder's claim lapsed: the next request takes over.
      assert.deepEqual(await store.beginIdempotent("k1", T0 + 1000, 1000), { state: "started" });
      await store.finishIdempotent("k1", { statusCode: 202, body: '{"id":"msg_1"}' }, T0 + 10_000);
      assert.deepEqual(await store.beginIdempotent("k1", T0 + 2000, 1000), { state: "done", response: { statusCode: 202, body: '{"id":"msg_1"}' } });
      await store.abandonIdempotent("k1"); // does not drop a finished response
      assert.equal((await store.beginIdempotent("k1", T0 + 3000, 1000)).state, "done");
      // Once the stored response expires the key is free again.
      assert.deepEqual(await store.beginIdempotent("k1", T0 + 10_000, 1000), { state: "started" });

      assert.deepEqual(await store.beginIdempotent("k2", T0, 60_000), { state: "started" });
      await store.abandonIdempotent("k2");
      assert.deepEqual(await store.beginIdempotent("k2", T0 + 1, 60_000), { state: "started" });
    });
  });
}
