import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";

import { newId } from "../../src/domain/ids.ts";
import type { Application, BackgroundTask, Endpoint, Message } from "../../src/domain/types.ts";
import { MESSAGE_STATUS, TRIGGER } from "../../src/domain/types.ts";
import type { Job, Lease, Store } from "../../src/store/store.ts";
import {
  makeApp,
  makeAttempt,
  makeEndpoint,
  makeEventType,
  makeMessage,
  MTLS_IDENTITY,
  NO_WINDOW_MS,
  pageReq,
  STORES,
  T0,
  walkPages,
} from "./fixtures.ts";

const LEASE_MS = 30_000;
const lease = (now: number, workerId = "worker-a"): Lease => ({ workerId, now, leaseMs: LEASE_MS });
const MINUTE = 60_000;
const SECOND = 1000;

/**
 * What hosted-Svix consumers use (issue 5): transformations, mTLS identities and retry schedules
 * stored, the endpoint rate limiter (slots, postponed jobs), and the lists replay-missing and
 * bulk-replay page through.
 */
for (const factory of STORES) {
  describe(`${factory.name} store: transformations, mTLS, rate limits, replay lists`, () => {
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

    /** Claims the one due delivery of `message` at `at`. */
    async function claim(message: Message, at: number, workerId = "worker-a"): Promise<Job> {
      const job = (await store.claimJobs(100, lease(at, workerId))).find((j) => j.msgId === message.id);
      assert.ok(job, `a due job for ${message.id} at ${at}`);
      return job;
    }

    test("endpoints: transformation and mTLS identity round trip through create, update and the lists", async () => {
      assert.deepEqual(await store.getEndpoint(app.id, endpoint.id), endpoint, "new endpoints have none");

      const configured = makeEndpoint(app.id, {
        createdAt: T0 + 1,
        uid: "codat",
        transformation: {
          code: "function handler(webhook) { webhook.method = 'PUT'; return webhook; }",
          enabled: true,
          variables: { region: "eu", "client-id": "é" },
          updatedAt: T0 + 2,
        },
        mtlsIdentity: MTLS_IDENTITY,
      });
      await store.createEndpoint(configured);
      assert.deepEqual(await store.getEndpoint(app.id, configured.id), configured);
      assert.deepEqual(await store.getEndpoint(app.id, "codat"), configured);
      assert.deepEqual(await store.listAllEndpoints(app.id), [endpoint, configured]);
      assert.deepEqual((await store.listEndpoints(app.id, pageReq(10))).items, [endpoint, configured]);

      // Disabled, code kept; the identity replaced; then both removed.
      const disabled = {
        ...configured,
        transformation: { ...configured.transformation, enabled: false, updatedAt: T0 + 3 },
        mtlsIdentity: MTLS_IDENTITY.replace("certificate-marker", "renewed-certificate"),
        updatedAt: T0 + 3,
      };
      await store.updateEndpoint(disabled);
      assert.deepEqual(await store.getEndpoint(app.id, configured.id), disabled);
      const cleared = {
        ...disabled,
        transformation: { code: null, enabled: false, variables: null, updatedAt: T0 + 4 },
        mtlsIdentity: null,
        updatedAt: T0 + 4,
      };
      await store.updateEndpoint(cleared);
      assert.deepEqual(await store.getEndpoint(app.id, configured.id), cleared);
    });

    test("event types: retrySchedule round trips through create, update and list", async () => {
      const scheduled = makeEventType("invoice.paid", { retrySchedule: [5, 300, 3600] });
      await store.createEventType(scheduled);
      await store.createEventType(makeEventType("invoice.sent"));
      assert.deepEqual(await store.getEventType("invoice.paid"), scheduled);
      assert.equal((await store.getEventType("invoice.sent"))?.retrySchedule, null);

      const changed = { ...scheduled, retrySchedule: [], updatedAt: T0 + 1 };
      await store.updateEventType(changed);
      assert.deepEqual(await store.getEventType("invoice.paid"), changed, "an empty schedule is not null");
      const unset = { ...scheduled, retrySchedule: null, updatedAt: T0 + 2 };
      await store.updateEventType(unset);
      assert.deepEqual((await store.listEventTypes(pageReq(10), true)).items, [unset, makeEventType("invoice.sent")]);
    });

    test("background tasks of the replay kinds round trip", async () => {
      for (const [i, kind] of (["endpoint.replay-missing", "endpoint.bulk-replay"] as const).entries()) {
        const task: BackgroundTask = {
          id: newId("backgroundTask", T0 + i),
          kind,
          status: "running",
          data: { endpointId: endpoint.id, done: 0 },
          createdAt: T0 + i,
          updatedAt: T0 + i,
        };
        await store.createBackgroundTask(task, app.id);
        assert.deepEqual(await store.getBackgroundTask(task.id), task);
      }
    });

    test("reserveDeliverySlot: slots an interval apart, clamped to now, throttledSince while they run ahead", async () => {
      const throttledSince = async () => (await store.getEndpoint(app.id, endpoint.id))?.throttledSince;

      // The first slot is now, and nothing is held back.
      assert.equal(await store.reserveDeliverySlot(app.id, endpoint.id, T0, SECOND), T0);
      assert.equal(await throttledSince(), null);
      // Callers at the same time get the following slots; from the first slot ahead, throttled.
      assert.equal(await store.reserveDeliverySlot(app.id, endpoint.id, T0, SECOND), T0 + SECOND);
      assert.equal(await throttledSince(), T0);
      assert.equal(await store.reserveDeliverySlot(app.id, endpoint.id, T0 + 10, SECOND), T0 + 2 * SECOND);
      assert.equal(await throttledSince(), T0, "kept while slots run ahead");

      // updateEndpoint from an object read earlier leaves the limiter alone.
      await store.updateEndpoint({ ...endpoint, description: "renamed", updatedAt: T0 + 20 });
      assert.equal(await throttledSince(), T0);
      assert.equal(await store.reserveDeliverySlot(app.id, endpoint.id, T0 + 30, SECOND), T0 + 3 * SECOND);

      // Once the next free slot is in the past, the slot is now: no burst to catch up, no longer throttled.
      const later = T0 + 60 * SECOND;
      assert.equal(await store.reserveDeliverySlot(app.id, endpoint.id, later, SECOND), later);
      assert.equal(await throttledSince(), null);
      // Exactly at the next free slot: not ahead, so not throttled either.
      assert.equal(await store.reserveDeliverySlot(app.id, endpoint.id, later + SECOND, SECOND), later + SECOND);
      assert.equal(await throttledSince(), null);

      // A fractional interval (3 per second) is rounded up to a whole millisecond.
      const third = 1000 / 3;
      const start = T0 + 120 * SECOND;
      const slots = [];
      for (let i = 0; i < 4; i++) slots.push(await store.reserveDeliverySlot(app.id, endpoint.id, start, third));
      assert.deepEqual(slots, [start, start + 334, start + 668, start + 1002]);

      // Each endpoint has its own limiter; another application's id reserves nothing.
      const other = makeEndpoint(app.id, { createdAt: T0 + 1 });
      await store.createEndpoint(other);
      assert.equal(await store.reserveDeliverySlot(app.id, other.id, start, SECOND), start);
      assert.equal(await store.reserveDeliverySlot("app_other", endpoint.id, start, SECOND), start);
      assert.equal(await store.reserveDeliverySlot(app.id, "ep_missing", start, SECOND), start);
      assert.equal(await store.reserveDeliverySlot(app.id, endpoint.id, start, third), start + 1336);
    });

    test("postponeJob: the job waits for its slot and comes back with it; a retry or a release gives it up", async () => {
      const message = makeMessage(app.id);
      await store.createMessageForEndpoint(message, endpoint.id);
      const job = await claim(message, T0);
      assert.equal(job.rateSlotAt, null);

      await store.reserveDeliverySlot(app.id, endpoint.id, T0, SECOND);
      const slot = await store.reserveDeliverySlot(app.id, endpoint.id, T0, SECOND);
      assert.equal(slot, T0 + SECOND);
      assert.equal(await store.postponeJob(job, slot), true);
      assert.equal(await store.postponeJob(job, slot + 5), false, "the lease ended with the postponement");
      assert.equal(await store.nextJobDueAt(), slot);
      assert.deepEqual(await store.claimJobs(10, lease(slot - 1)), [], "not due before its slot");

      const atSlot = await claim(message, slot, "worker-b");
      assert.deepEqual([atSlot.id, atSlot.attempt, atSlot.runAt, atSlot.rateSlotAt], [job.id, 1, slot + LEASE_MS, slot]);
      // worker-b stalls past its lease: the job is taken over with its slot.
      const takenOver = await claim(message, slot + LEASE_MS, "worker-c");
      assert.equal(takenOver.rateSlotAt, slot);
      assert.equal(await store.postponeJob(atSlot, slot + 2 * SECOND), false, "a lost lease cannot postpone");
      assert.equal(await store.nextJobDueAt(), slot + 2 * LEASE_MS, "and the job was left to its new owner");

      // A failed attempt with a retry: the retry reserves a new slot.
      await store.completeDelivery(takenOver, {
        attempt: makeAttempt(message, endpoint.id, { createdAt: slot + 20, status: MESSAGE_STATUS.fail }),
        destinationStatus: MESSAGE_STATUS.pending,
        retryAt: T0 + MINUTE,
        endpointHealth: "failure",
        failureWindowMs: NO_WINDOW_MS,
      });
      const retry = await claim(message, T0 + MINUTE);
      assert.deepEqual([retry.id, retry.attempt, retry.rateSlotAt], [job.id, 2, null]);

      // Postponed again, claimed with its slot, then put back: it gives the slot up.
      assert.equal(await store.postponeJob(retry, T0 + MINUTE + SECOND), true);
      const postponed = await claim(message, T0 + MINUTE + SECOND);
      assert.equal(postponed.rateSlotAt, T0 + MINUTE + SECOND);
      await store.releaseJobs([postponed], T0 + MINUTE + 2 * SECOND);
      const released = await claim(message, T0 + MINUTE + 2 * SECOND);
      assert.deepEqual([released.attempt, released.rateSlotAt], [2, null]);
    });

    test("postponeJob on a lane head keeps the lane behind it", async () => {
      const [m0, m1] = [0, 1].map((i) => makeMessage(app.id, { createdAt: T0 + i }));
      for (const message of [m0, m1]) await store.createMessage(message);
      for (const fanout of await store.claimJobs(10, lease(T0 + 1))) await store.dropJob(fanout);
      await store.enqueueDeliveries(
        [m0, m1].map((m) => ({ appId: app.id, msgId: m.id, endpointId: endpoint.id, trigger: TRIGGER.scheduled, runAt: T0 + 1, ordered: true })),
      );
      const [head] = await store.claimJobs(10, lease(T0 + 1));
      assert.deepEqual([head.msgId, head.rateSlotAt], [m0.id, null]);
      assert.equal(await store.postponeJob(head, T0 + SECOND), true);
      assert.deepEqual(await store.claimJobs(10, lease(T0 + SECOND - 1)), [], "the follower waits for its postponed head");
      const [again] = await store.claimJobs(10, lease(T0 + SECOND));
      assert.deepEqual([again.id, again.rateSlotAt], [head.id, T0 + SECOND]);
      const followers = await store.claimLaneFollowers(again, 5, lease(T0 + SECOND));
      assert.deepEqual(followers.map((j) => [j.msgId, j.rateSlotAt]), [[m1.id, null]]);
    });

    test("listMessagesMissingDestination: the application's messages never queued for the endpoint, by range and page", async () => {
      const other = makeEndpoint(app.id, { createdAt: T0 + 1 });
      await store.createEndpoint(other);
      const messages = Array.from({ length: 7 }, (_, i) =>
        makeMessage(app.id, { createdAt: T0 + i * MINUTE, eventType: i % 2 === 0 ? "user.created" : "user.deleted" }),
      );
      // m1 went to the endpoint, m2 only to the other one, m4 to the endpoint by a resend;
      // m0, m3, m5 and m6 went nowhere (m6 is past the range).
      for (const [i, message] of messages.entries()) {
        if (i === 1) await store.createMessageForEndpoint(message, endpoint.id);
        else if (i === 2) await store.createMessageForEndpoint(message, other.id);
        else await store.createMessage(message);
      }
      await store.enqueueDeliveries([{ appId: app.id, msgId: messages[4].id, endpointId: endpoint.id, trigger: TRIGGER.manual, runAt: T0, ordered: false }]);
      const app2 = makeApp({ createdAt: T0 + 2 });
      await store.createApplication(app2);
      await store.createMessage(makeMessage(app2.id, { createdAt: T0 + 2 * MINUTE + 1 }));

      const missing = (endpointId: string, range: Partial<Parameters<Store["listMessagesMissingDestination"]>[2]> = {}) =>
        store.listMessagesMissingDestination(app.id, endpointId, { since: T0, until: T0 + 6 * MINUTE, afterMsgId: null, limit: 10, ...range });

      const first = await missing(endpoint.id, { limit: 2 });
      assert.deepEqual(first, [messages[0], messages[2]], "whole messages, oldest first");
      const second = await missing(endpoint.id, { limit: 2, afterMsgId: messages[2].id });
      assert.deepEqual(second.map((m) => m.id), [messages[3].id, messages[5].id]);
      assert.deepEqual(await missing(endpoint.id, { limit: 2, afterMsgId: messages[5].id }), []);
      // [since, until): minute 1 up to (not including) minute 4.
      assert.deepEqual((await missing(endpoint.id, { since: T0 + MINUTE, until: T0 + 4 * MINUTE })).map((m) => m.id), [messages[2].id, messages[3].id]);
      assert.deepEqual((await missing(other.id)).map((m) => m.id), [0, 1, 3, 4, 5].map((i) => messages[i].id));
      assert.deepEqual(await missing(endpoint.id, { limit: 0 }), []);

      // Scoped to the application: the endpoint seen from another one finds nothing.
      assert.deepEqual(await store.listMessagesMissingDestination(app2.id, endpoint.id, { since: T0, until: T0 + 6 * MINUTE, afterMsgId: null, limit: 10 }), []);
      assert.deepEqual(await missing("ep_missing"), []);
    });

    test("listDestinationsByEndpoint with ascending pages oldest first, with its filters", async () => {
      const messages = Array.from({ length: 5 }, (_, i) =>
        makeMessage(app.id, {
          createdAt: T0 + i * MINUTE,
          eventType: i % 2 === 1 ? "order.paid" : "order.created",
          channels: i === 3 ? ["eu"] : null,
        }),
      );
      for (const message of messages) await store.createMessageForEndpoint(message, endpoint.id);
      // m2 delivered; the others pending.
      const job = await claim(messages[2], T0 + 2 * MINUTE);
      await store.completeDelivery(job, {
        attempt: makeAttempt(messages[2], endpoint.id),
        destinationStatus: MESSAGE_STATUS.success,
        retryAt: null,
        endpointHealth: "success",
        failureWindowMs: NO_WINDOW_MS,
      });
      const ids = (indexes: number[]) => indexes.map((i) => messages[i].id);
      const list = (filter: Omit<Parameters<Store["listDestinationsByEndpoint"]>[2], "page">, page = pageReq(10)) =>
        store.listDestinationsByEndpoint(app.id, endpoint.id, { ...filter, page });
      const listed = async (filter: Omit<Parameters<Store["listDestinationsByEndpoint"]>[2], "page">) =>
        (await list(filter)).items.map((x) => x.message.id);

      const pages = await walkPages((page) => list({ ascending: true }, page), 2);
      assert.deepEqual(pages.forward.map((p) => p.items.map((x) => x.message.id)), [ids([0, 1]), ids([2, 3]), ids([4])]);
      assert.deepEqual(pages.forward.map((p) => p.done), [false, false, true]);
      assert.deepEqual(pages.backward.map((p) => p.items.map((x) => x.message.id)), [ids([2, 3]), ids([0, 1])]);
      assert.deepEqual((await list({ ascending: true }, pageReq(10, messages[1].id))).items.map((x) => x.message.id), ids([2, 3, 4]));

      assert.deepEqual(await listed({ ascending: true, eventTypes: ["order.paid"] }), ids([1, 3]));
      assert.deepEqual(await listed({ ascending: true, channel: "eu" }), ids([3]));
      assert.deepEqual(await listed({ ascending: true, status: MESSAGE_STATUS.pending }), ids([0, 1, 3, 4]));
      assert.deepEqual(await listed({ ascending: true, after: T0 + MINUTE, before: T0 + 4 * MINUTE }), ids([1, 2, 3]));
      // Without it, newest first whatever the page's order (as Svix).
      assert.deepEqual(await listed({}), ids([4, 3, 2, 1, 0]));
      assert.deepEqual(await listed({ ascending: false }), ids([4, 3, 2, 1, 0]));
    });
  });
}
