import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";

import type { Application, Attempt, Endpoint, Message, MessageStatus } from "../../src/domain/types.ts";
import { MESSAGE_STATUS, TRIGGER } from "../../src/domain/types.ts";
import type { EndpointHealth, Job, Lease, Store } from "../../src/store/store.ts";
import { makeApp, makeAttempt, makeEndpoint, makeMessage, NO_WINDOW_MS, pageReq, STORES, T0 } from "./fixtures.ts";

const LEASE_MS = 30_000;
const lease = (now: number, workerId = "worker-a"): Lease => ({ workerId, now, leaseMs: LEASE_MS });
const MINUTE = 60_000;

/** An endpoint's failure counters, cancelling its queued deliveries, and its delivery status. */
for (const factory of STORES) {
  describe(`${factory.name} store: endpoint health, cancel and delivery status`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    let app: Application;
    let endpoint: Endpoint;
    let other: Endpoint;

    beforeEach(async () => {
      ({ store, cleanup } = await factory.make());
      app = makeApp();
      await store.createApplication(app);
      endpoint = makeEndpoint(app.id);
      other = makeEndpoint(app.id, { createdAt: T0 + 1 });
      for (const e of [endpoint, other]) await store.createEndpoint(e);
    });
    afterEach(async () => {
      await cleanup();
    });

    /** Queues a delivery of `message` to `to`, due at `runAt`. */
    async function enqueue(message: Message, to: Endpoint, runAt = message.createdAt): Promise<void> {
      await store.enqueueDeliveries([{ appId: app.id, msgId: message.id, endpointId: to.id, trigger: TRIGGER.scheduled, runAt, ordered: false }]);
    }

    /** Claims the one due job for `message` at `at`. */
    async function claim(message: Message, at: number): Promise<Job> {
      const job = (await store.claimJobs(100, lease(at))).find((j) => j.msgId === message.id);
      assert.ok(job, `a due job for ${message.id}`);
      return job;
    }

    /** One scheduled attempt to `endpoint` finishing at `at`: queued, claimed and completed. */
    async function attempt(at: number, status: MessageStatus, windowMs = NO_WINDOW_MS): Promise<{ health: EndpointHealth | null; attempt: Attempt }> {
      const message = makeMessage(app.id, { createdAt: at });
      await enqueue(message, endpoint);
      const job = await claim(message, at);
      const recorded = makeAttempt(message, endpoint.id, { createdAt: at, status, responseStatusCode: status === MESSAGE_STATUS.success ? 200 : 500 });
      const health = await store.completeDelivery(job, {
        attempt: recorded,
        destinationStatus: status,
        retryAt: null,
        endpointHealth: status === MESSAGE_STATUS.success ? "success" : "failure",
        failureWindowMs: windowMs,
      });
      return { health, attempt: recorded };
    }

    test("health: a success resets the consecutive count; the window count restarts after a quiet gap only", async () => {
      const window = 10 * MINUTE;
      const fail = async (at: number) => (await attempt(at, MESSAGE_STATUS.fail, window)).health;
      const stored = async () => {
        const e = await store.getEndpoint(app.id, endpoint.id);
        return [e?.firstFailureAt, e?.consecutiveFailures, e?.windowFailures, e?.lastFailureAt];
      };

      assert.deepEqual(await fail(T0), { firstFailureAt: T0, consecutiveFailures: 1, windowFailures: 1 });
      assert.deepEqual(await fail(T0 + MINUTE), { firstFailureAt: T0, consecutiveFailures: 2, windowFailures: 2 });
      assert.deepEqual(await stored(), [T0, 2, 2, T0 + MINUTE]);

      // A success ends the run of failures but not the window: only a quiet gap does.
      const { health: afterSuccess } = await attempt(T0 + 2 * MINUTE, MESSAGE_STATUS.success, window);
      assert.equal(afterSuccess, null, "a success reports no counters: it disables nothing");
      assert.deepEqual(await stored(), [null, 0, 2, T0 + MINUTE]);
      // Exactly `window` after the previous failure still counts as within it.
      assert.deepEqual(await fail(T0 + MINUTE + window), { firstFailureAt: T0 + MINUTE + window, consecutiveFailures: 1, windowFailures: 3 });

      // More than `window` of quiet: the window count restarts, the consecutive count goes on.
      const late = T0 + MINUTE + 2 * window + 1;
      assert.deepEqual(await fail(late), { firstFailureAt: T0 + MINUTE + window, consecutiveFailures: 2, windowFailures: 1 });
      // An attempt that finishes out of order counts, but does not move lastFailureAt back.
      assert.deepEqual(await fail(late - 1000), { firstFailureAt: T0 + MINUTE + window, consecutiveFailures: 3, windowFailures: 2 });
      assert.deepEqual(await stored(), [T0 + MINUTE + window, 3, 2, late]);

      // A manual attempt (no health) changes nothing and reports nothing.
      const message = makeMessage(app.id, { createdAt: late + 1 });
      await store.enqueueDeliveries([{ appId: app.id, msgId: message.id, endpointId: endpoint.id, trigger: TRIGGER.manual, runAt: late + 1, ordered: false }]);
      const manual = await claim(message, late + 1);
      const health = await store.completeDelivery(manual, {
        attempt: makeAttempt(message, endpoint.id, { createdAt: late + 2, triggerType: TRIGGER.manual }),
        destinationStatus: MESSAGE_STATUS.success,
        retryAt: null,
        endpointHealth: null,
        failureWindowMs: window,
      });
      assert.equal(health, null);
      assert.deepEqual(await stored(), [T0 + MINUTE + window, 3, 2, late]);
    });

    test("completions asked for together each get their own answer, and one that fails does not fail the others", async () => {
      const messages = [0, 1, 2, 3].map((i) => makeMessage(app.id, { createdAt: T0 + i }));
      const targets = [endpoint, endpoint, other, other];
      for (const [i, message] of messages.entries()) await enqueue(message, targets[i]!);
      const claimed = await store.claimJobs(100, lease(T0 + 3));
      const jobs = messages.map((message) => {
        const job = claimed.find((j) => j.msgId === message.id);
        assert.ok(job, `a job for ${message.id}`);
        return job;
      });
      const attempts = messages.map((message, i) =>
        makeAttempt(message, targets[i]!.id, { createdAt: T0 + 10 + i, status: i < 2 ? MESSAGE_STATUS.fail : MESSAGE_STATUS.success }),
      );
      // The last one reuses the third one's attempt id: its insert breaks the primary key.
      attempts[3] = { ...attempts[3]!, id: attempts[2]!.id };

      // All four in the same turn, as a busy worker's completions come.
      const results = await Promise.allSettled(
        jobs.map((job, i) =>
          store.completeDelivery(job, {
            attempt: attempts[i]!,
            destinationStatus: attempts[i]!.status,
            retryAt: null,
            endpointHealth: i < 2 ? "failure" : "success",
            failureWindowMs: NO_WINDOW_MS,
          }),
        ),
      );

      const [first, second, third, fourth] = results;
      assert.equal(fourth?.status, "rejected", "the broken completion fails");
      const healths = [first, second, third].map((result) => {
        assert.equal(result?.status, "fulfilled", String(result?.status === "rejected" && result.reason));
        return (result as PromiseFulfilledResult<EndpointHealth | null>).value;
      });
      // Both failures counted, each reported as it left the counters (in either order).
      assert.deepEqual(healths.slice(0, 2).map((h) => h?.consecutiveFailures).sort(), [1, 2]);
      assert.equal(healths[2], null, "the success reports no counters");

      const recorded = (await store.listAttempts(app.id, { page: pageReq(10) })).items.map((a) => a.id).sort();
      assert.deepEqual(recorded, attempts.slice(0, 3).map((a) => a.id).sort());
      // The broken one's job is still held by its lease, the others are done.
      assert.equal((await store.queueStats(T0)).depth, 1);
      const destinationStatus = async (message: Message, to: Endpoint) =>
        (await store.listDestinationsByMessage(app.id, message.id, pageReq(10))).items.find((d) => d.endpointId === to.id)?.status;
      assert.deepEqual(
        await Promise.all(messages.map((message, i) => destinationStatus(message, targets[i]!))),
        [MESSAGE_STATUS.fail, MESSAGE_STATUS.fail, MESSAGE_STATUS.success, MESSAGE_STATUS.pending],
      );
    });

    test("cancelEndpointMessages removes older queued deliveries, leased or not, and cancels their destinations", async () => {
      const [m0, m1, m2] = [0, 1, 2].map((i) => makeMessage(app.id, { createdAt: T0 + i * MINUTE }));
      for (const message of [m0, m1, m2]) await store.createMessageForEndpoint(message, endpoint.id);
      for (const message of [m0, m1]) await enqueue(message, other);
      const done = makeMessage(app.id, { createdAt: T0 - MINUTE });
      await store.createMessageForEndpoint(done, endpoint.id);

      // `done` was delivered; m0 is in flight; m1 failed once and waits for its retry.
      const delivered = await claim(done, T0 - MINUTE);
      await store.completeDelivery(delivered, {
        attempt: makeAttempt(done, endpoint.id),
        destinationStatus: MESSAGE_STATUS.success,
        retryAt: null,
        endpointHealth: "success",
        failureWindowMs: NO_WINDOW_MS,
      });
      const inFlight = await claim(m0, T0);
      const failing = await claim(m1, T0 + MINUTE);
      await store.completeDelivery(failing, {
        attempt: makeAttempt(m1, endpoint.id, { status: MESSAGE_STATUS.fail }),
        destinationStatus: MESSAGE_STATUS.pending,
        retryAt: T0 + 10 * MINUTE,
        endpointHealth: "failure",
        failureWindowMs: NO_WINDOW_MS,
      });
      assert.equal((await store.queueStats(T0)).depth, 5);

      assert.equal(await store.cancelEndpointMessages("app_other", endpoint.id, T0 + 2 * MINUTE, T0 + 5 * MINUTE), 0, "scoped to its application");
      // m2 was created at the bound itself, so it stays.
      assert.equal(await store.cancelEndpointMessages(app.id, endpoint.id, T0 + 2 * MINUTE, T0 + 5 * MINUTE), 2);
      assert.equal((await store.queueStats(T0)).depth, 3);

      const destination = async (message: Message, to: Endpoint) =>
        (await store.listDestinationsByMessage(app.id, message.id, pageReq(10))).items.find((d) => d.endpointId === to.id);
      for (const message of [m0, m1]) {
        const canceled = await destination(message, endpoint);
        assert.deepEqual([canceled?.status, canceled?.nextAttemptAt, canceled?.updatedAt], [MESSAGE_STATUS.canceled, null, T0 + 5 * MINUTE]);
        assert.equal((await destination(message, other))?.status, MESSAGE_STATUS.pending, "other endpoints keep their deliveries");
      }
      assert.equal((await destination(m2, endpoint))?.status, MESSAGE_STATUS.pending);
      assert.equal((await destination(done, endpoint))?.status, MESSAGE_STATUS.success, "finished destinations are not canceled");
      assert.deepEqual(await store.getEndpointStats(app.id, endpoint.id, T0 - 2 * MINUTE, T0 + 3 * MINUTE), {
        success: 1,
        pending: 1,
        sending: 0,
        fail: 0,
        canceled: 2,
      });

      // The worker that held m0 finishes after the cancel: its attempt is kept, the destination stays canceled.
      await store.completeDelivery(inFlight, {
        attempt: makeAttempt(m0, endpoint.id, { createdAt: T0 + 6 * MINUTE }),
        destinationStatus: MESSAGE_STATUS.success,
        retryAt: null,
        endpointHealth: "success",
        failureWindowMs: NO_WINDOW_MS,
      });
      assert.equal((await destination(m0, endpoint))?.status, MESSAGE_STATUS.canceled);

      const left = await store.claimJobs(10, lease(T0 + 100 * MINUTE));
      assert.deepEqual(
        left.map((j) => [j.msgId, j.endpointId]).sort(),
        [
          [m0.id, other.id],
          [m1.id, other.id],
          [m2.id, endpoint.id],
        ].sort(),
      );
    });

    test("getEndpointDeliveryStatus: queued, in flight, retrying, and the latest attempts", async () => {
      const empty = { numWaiting: 0, sending: false, retrying: false, lastAttempt: null, lastSuccess: null, lastFailure: null };
      assert.deepEqual(await store.getEndpointDeliveryStatus(app.id, endpoint.id, T0), empty);

      await attempt(T0, MESSAGE_STATUS.fail);
      await attempt(T0 + 1000, MESSAGE_STATUS.success);
      const { attempt: failure } = await attempt(T0 + 2000, MESSAGE_STATUS.fail);
      const { attempt: newest } = await attempt(T0 + 3000, MESSAGE_STATUS.success);
      assert.deepEqual(await store.getEndpointDeliveryStatus(app.id, endpoint.id, T0 + 4000), {
        ...empty,
        lastAttempt: newest,
        lastSuccess: newest,
        lastFailure: failure,
      });

      // Three queued: one in flight, one waiting for its retry, one waiting for its turn.
      const [m0, m1, m2] = [0, 1, 2].map((i) => makeMessage(app.id, { createdAt: T0 + 10_000 + i }));
      for (const message of [m0, m1, m2]) await enqueue(message, endpoint, T0 + 20_000);
      await enqueue(m0, other, T0 + 20_000);
      const [retrying, sending] = (await store.claimJobs(2, lease(T0 + 20_000))).filter((j) => j.endpointId === endpoint.id);
      await store.completeDelivery(retrying, {
        attempt: makeAttempt(m0, endpoint.id, { createdAt: T0 + 20_001, status: MESSAGE_STATUS.fail }),
        destinationStatus: MESSAGE_STATUS.pending,
        retryAt: T0 + 90_000,
        endpointHealth: "failure",
        failureWindowMs: NO_WINDOW_MS,
      });
      assert.ok(sending);
      const status = await store.getEndpointDeliveryStatus(app.id, endpoint.id, T0 + 20_002);
      assert.deepEqual([status.numWaiting, status.sending, status.retrying], [3, true, true]);
      assert.equal(status.lastFailure?.msgId, m0.id);
      assert.equal(status.lastAttempt?.msgId, m0.id);
      assert.deepEqual(status.lastSuccess, newest);

      // Once the lease has lapsed, nobody is sending.
      const lapsed = await store.getEndpointDeliveryStatus(app.id, endpoint.id, T0 + 20_000 + LEASE_MS);
      assert.deepEqual([lapsed.numWaiting, lapsed.sending, lapsed.retrying], [3, false, true]);
      assert.deepEqual(await store.getEndpointDeliveryStatus("app_other", endpoint.id, T0 + 20_002), empty, "scoped to its application");
      const otherStatus = await store.getEndpointDeliveryStatus(app.id, other.id, T0 + 20_002);
      assert.deepEqual([otherStatus.numWaiting, otherStatus.sending, otherStatus.lastAttempt], [1, false, null]);
    });
  });
}
