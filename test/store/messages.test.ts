import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";

import type { Application, Attempt, Endpoint, Message } from "../../src/domain/types.ts";
import { MESSAGE_STATUS } from "../../src/domain/types.ts";
import type { Store } from "../../src/store/store.ts";
import { StoreConflictError } from "../../src/store/store.ts";
import { makeApp, makeAttempt, makeEndpoint, makeMessage, NO_WINDOW_MS, pageReq, STORES, T0, target, walkPages } from "./fixtures.ts";

const MINUTE = 60_000;

for (const factory of STORES) {
  describe(`${factory.name} store: messages, attempts, destinations`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    let app: Application;
    let endpoints: Endpoint[];

    beforeEach(async () => {
      ({ store, cleanup } = await factory.make());
      app = makeApp();
      await store.createApplication(app);
      endpoints = [];
      for (let i = 0; i < 3; i++) {
        const endpoint = makeEndpoint(app.id, { createdAt: T0 + i, uid: `ep${i}` });
        endpoints.push(endpoint);
        await store.createEndpoint(endpoint);
      }
    });
    afterEach(async () => {
      await cleanup();
    });

    /** Stores a message, fans it out to `targets` and records one finished attempt per target. */
    async function deliverOnce(
      message: Message,
      targets: { endpoint: Endpoint; status: 0 | 2; code: number }[],
    ): Promise<Attempt[]> {
      await store.createMessage(message);
      const lease = { workerId: "test", now: message.createdAt, leaseMs: 30_000 };
      const [fanout] = await store.claimJobs(1, lease);
      assert.equal(fanout.msgId, message.id);
      const jobs = await store.fanOut(fanout, targets.map((t) => target(t.endpoint.id)), lease);
      const attempts: Attempt[] = [];
      for (const [i, job] of jobs.entries()) {
        const target = targets[i];
        const attempt = makeAttempt(message, target.endpoint.id, {
          createdAt: message.createdAt + 1 + i,
          status: target.status,
          responseStatusCode: target.code,
          response: target.code === 0 ? "connection refused" : `response ${target.code}`,
          request: { method: "POST", url: target.endpoint.url, headers: { "webhook-id": message.id }, body: null },
        });
        attempts.push(attempt);
        await store.completeDelivery(job, {
          attempt,
          destinationStatus: target.status,
          retryAt: null,
          endpointHealth: target.status === MESSAGE_STATUS.success ? "success" : "failure", failureWindowMs: NO_WINDOW_MS,
        });
      }
      return attempts;
    }

    test("create and get by id or eventId; eventId is unique per application", async () => {
      const message = makeMessage(app.id, { eventId: "evt-1", channels: ["eu", "vip"] });
      await store.createMessage(message);
      assert.deepEqual(await store.getMessage(app.id, message.id), message);
      assert.deepEqual(await store.getMessage(app.id, "evt-1"), message);
      assert.equal(await store.getMessage("app_other", message.id), null);

      await assert.rejects(
        store.createMessage(makeMessage(app.id, { eventId: "evt-1" })),
        (error: unknown) => error instanceof StoreConflictError && error.field === "eventId",
      );
      await assert.rejects(
        store.createMessageForEndpoint(makeMessage(app.id, { eventId: "evt-1" }), endpoints[0].id),
        (error: unknown) => error instanceof StoreConflictError && error.field === "eventId",
      );
      // The failed creations queued nothing: only the first message's fan-out is there.
      assert.equal((await store.queueStats(T0)).depth, 1);

      const app2 = makeApp({ createdAt: T0 + 5 });
      await store.createApplication(app2);
      await store.createMessage(makeMessage(app2.id, { eventId: "evt-1" }));
      // Messages without an eventId never conflict.
      await store.createMessage(makeMessage(app.id));
      await store.createMessage(makeMessage(app.id));
    });

    test("messages created together each get their fan-out job, claimed in creation order; a taken eventId fails only its own", async () => {
      const earlier = makeMessage(app.id, { eventId: "taken" });
      await store.createMessage(earlier);
      // Each batch in one turn, as concurrent API requests are: PostgreSQL inserts a turn's messages
      // in one statement, sorted by eventId, and one by one if that fails.
      const batch = (createdAt: number, clashAt: number) =>
        Array.from({ length: 12 }, (_, i) =>
          makeMessage(app.id, { createdAt, eventId: i === clashAt ? "taken" : i % 3 === 0 ? `evt-${createdAt}-${12 - i}` : null }),
        );
      const clean = batch(T0 + 1, -1);
      const clashing = batch(T0 + 2, 7);
      const clash = clashing[7];
      for (const messages of [clean, clashing]) {
        const results = await Promise.allSettled(messages.map((message) => store.createMessage(message)));
        results.forEach((result, i) => {
          if (messages[i] === clash) assert.ok(result.status === "rejected" && result.reason instanceof StoreConflictError && result.reason.field === "eventId");
          else assert.equal(result.status, "fulfilled", `message ${i}: ${result.status === "rejected" ? String(result.reason) : ""}`);
        });
      }

      const stored = [...clean, ...clashing.filter((message) => message !== clash)];
      for (const message of stored) assert.deepEqual(await store.getMessage(app.id, message.id), message);
      assert.equal(await store.getMessage(app.id, clash.id), null);
      const jobs = await store.claimJobs(100, { workerId: "test", now: T0 + 2, leaseMs: 30_000 });
      assert.deepEqual(jobs.map((job) => job.kind), Array(stored.length + 1).fill("fanout"));
      assert.deepEqual(jobs.map((job) => job.msgId), [earlier.id, ...stored.map((message) => message.id)]);
    });

    test("getMessagesByIds: each message or null, in the order asked, only within its application", async () => {
      const app2 = makeApp({ createdAt: T0 + 5 });
      await store.createApplication(app2);
      const first = makeMessage(app.id, { eventId: "evt-first" });
      const second = makeMessage(app2.id, { createdAt: T0 + 1 });
      await store.createMessage(first);
      await store.createMessage(second);

      const found = await store.getMessagesByIds([
        { appId: app2.id, msgId: second.id },
        { appId: app.id, msgId: "msg_missing" },
        { appId: app.id, msgId: first.id },
        { appId: app.id, msgId: second.id },
        { appId: app.id, msgId: "evt-first" },
        { appId: app2.id, msgId: second.id },
      ]);
      assert.deepEqual(found, [second, null, first, null, null, second], "by id only (not eventId), and not from another application");
      assert.deepEqual(await store.getMessagesByIds([]), []);
    });

    test("listMessages: newest first, filters and pagination", async () => {
      const messages: Message[] = [];
      for (let i = 0; i < 7; i++) {
        const message = makeMessage(app.id, {
          createdAt: T0 + i * MINUTE,
          eventType: i % 2 === 0 ? "user.created" : "user.deleted",
          channels: i % 3 === 0 ? ["eu"] : null,
        });
        messages.push(message);
        await store.createMessage(message);
      }
      const newest = [...messages].reverse().map((m) => m.id);
      const ids = async (filter: Parameters<Store["listMessages"]>[1]) => (await store.listMessages(app.id, filter)).items.map((m) => m.id);

      // "ascending" is ignored: messages are always newest first.
      assert.deepEqual(await ids({ page: pageReq(10, null, "ascending") }), newest);
      assert.deepEqual(await ids({ page: pageReq(10), channel: "eu" }), [messages[6].id, messages[3].id, messages[0].id]);
      assert.deepEqual(await ids({ page: pageReq(10), eventTypes: ["user.deleted"] }), [messages[5].id, messages[3].id, messages[1].id]);
      assert.deepEqual(await ids({ page: pageReq(10), eventTypes: ["user.deleted", "user.created"] }), newest);
      assert.deepEqual(await ids({ page: pageReq(10), channel: "eu", eventTypes: ["user.created"] }), [messages[6].id, messages[0].id]);
      // before is exclusive, after inclusive.
      assert.deepEqual(await ids({ page: pageReq(10), before: T0 + 3 * MINUTE }), [messages[2].id, messages[1].id, messages[0].id]);
      assert.deepEqual(await ids({ page: pageReq(10), after: T0 + 5 * MINUTE }), [messages[6].id, messages[5].id]);
      assert.deepEqual(await ids({ page: pageReq(10), after: T0 + 2 * MINUTE, before: T0 + 4 * MINUTE }), [messages[3].id, messages[2].id]);

      const pages = await walkPages((page) => store.listMessages(app.id, { page }), 3);
      assert.deepEqual(pages.forward.map((p) => p.items.map((m) => m.id)), [newest.slice(0, 3), newest.slice(3, 6), newest.slice(6)]);
      assert.deepEqual(pages.forward.map((p) => p.done), [false, false, true]);
      assert.deepEqual(pages.backward.map((p) => p.items.map((m) => m.id)), [newest.slice(3, 6), newest.slice(0, 3)]);
      assert.deepEqual(pages.backward.map((p) => p.done), [false, true]);
    });

    test("attempts: recorded with their request, listed newest first with filters", async () => {
      const m1 = makeMessage(app.id, { createdAt: T0, eventType: "user.created", channels: ["eu"] });
      const m2 = makeMessage(app.id, { createdAt: T0 + MINUTE, eventType: "user.deleted", channels: ["us"] });
      const a1 = await deliverOnce(m1, [
        { endpoint: endpoints[0], status: 0, code: 200 },
        { endpoint: endpoints[1], status: 2, code: 500 },
      ]);
      const a2 = await deliverOnce(m2, [
        { endpoint: endpoints[0], status: 2, code: 0 },
        { endpoint: endpoints[1], status: 0, code: 204 },
      ]);
      const all = [...a1, ...a2].map((a) => a.id).reverse();
      const ids = async (filter: Omit<Parameters<Store["listAttempts"]>[1], "page">) =>
        (await store.listAttempts(app.id, { page: pageReq(10), ...filter })).items.map((a) => a.id);

      assert.deepEqual((await store.listAttempts(app.id, { page: pageReq(10) })).items, [...a1, ...a2].reverse());
      assert.deepEqual(await ids({ msgId: m1.id }), [a1[1].id, a1[0].id]);
      assert.deepEqual(await ids({ endpointId: endpoints[0].id }), [a2[0].id, a1[0].id]);
      assert.deepEqual(await ids({ status: MESSAGE_STATUS.fail }), [a2[0].id, a1[1].id]);
      assert.deepEqual(await ids({ statusCodeClass: 0 }), [a2[0].id]);
      assert.deepEqual(await ids({ statusCodeClass: 200 }), [a2[1].id, a1[0].id]);
      assert.deepEqual(await ids({ statusCodeClass: 500 }), [a1[1].id]);
      assert.deepEqual(await ids({ statusCodeClass: 400 }), []);
      assert.deepEqual(await ids({ channel: "eu" }), [a1[1].id, a1[0].id]);
      assert.deepEqual(await ids({ eventTypes: ["user.deleted"] }), [a2[1].id, a2[0].id]);
      assert.deepEqual(await ids({ channel: "us", endpointId: endpoints[1].id }), [a2[1].id]);
      assert.deepEqual(await ids({ before: T0 + MINUTE }), [a1[1].id, a1[0].id]);
      assert.deepEqual(await ids({ after: T0 + MINUTE }), [a2[1].id, a2[0].id]);

      const pages = await walkPages((page) => store.listAttempts(app.id, { page }), 1);
      assert.deepEqual(pages.forward.map((p) => p.items[0]?.id), all);
      assert.deepEqual(pages.backward.map((p) => p.items[0]?.id), all.slice(0, 3).reverse());

      assert.deepEqual(await store.getAttempt(app.id, m1.id, a1[0].id), a1[0]);
      assert.equal(await store.getAttempt(app.id, m2.id, a1[0].id), null);
    });

    test("message metadata and previous state, and an attempt's batch size, round trip", async () => {
      const message = makeMessage(app.id, {
        eventId: "evt-meta",
        metadata: { source: "grist", "table-id": "Orders" },
        previous: { id: 7, status: "draft", nested: { tags: ["a", "é"], n: null } },
      });
      const plain = makeMessage(app.id, { createdAt: T0 + 1 });
      const [batched] = await deliverOnce(message, [{ endpoint: endpoints[0], status: 0, code: 200 }]);
      await store.createMessageForEndpoint(plain, endpoints[1].id);

      assert.deepEqual(await store.getMessage(app.id, message.id), message);
      assert.deepEqual(await store.getMessage(app.id, "evt-meta"), message);
      assert.deepEqual(await store.getMessage(app.id, plain.id), plain);
      assert.deepEqual([plain.metadata, plain.previous], [{}, null]);
      assert.deepEqual((await store.listMessages(app.id, { page: pageReq(10) })).items, [plain, message]);
      const [destination] = (await store.listDestinationsByEndpoint(app.id, endpoints[0].id, { page: pageReq(10) })).items;
      assert.deepEqual(destination.message, message);

      assert.equal(batched.batchSize, 1);
      const attempt = makeAttempt(plain, endpoints[1].id, { createdAt: T0 + 5, batchSize: 25 });
      const [job] = await store.claimJobs(1, { workerId: "w", now: T0 + 5, leaseMs: 30_000 });
      assert.equal(job.msgId, plain.id);
      await store.completeDelivery(job, {
        attempt,
        destinationStatus: MESSAGE_STATUS.success,
        retryAt: null,
        endpointHealth: "success",
        failureWindowMs: NO_WINDOW_MS,
      });
      assert.deepEqual(await store.getAttempt(app.id, plain.id, attempt.id), attempt);
      assert.deepEqual((await store.listAttempts(app.id, { page: pageReq(10) })).items, [attempt, batched]);
    });

    test("expunging message content and attempt content", async () => {
      const message = makeMessage(app.id);
      const [attempt] = await deliverOnce(message, [{ endpoint: endpoints[0], status: 0, code: 200 }]);
      await store.expungeAttemptContent(app.id, message.id, attempt.id);
      const expunged = await store.getAttempt(app.id, message.id, attempt.id);
      assert.equal(expunged?.response, "");
      assert.equal(expunged?.request.body, "");
      assert.equal(expunged?.responseStatusCode, 200);

      await store.expungeMessageContent(app.id, message.id);
      assert.equal((await store.getMessage(app.id, message.id))?.payload, null);
      assert.equal((await store.getAttempt(app.id, message.id, attempt.id))?.request.body, null);
    });

    test("destinations by message and by endpoint", async () => {
      const m1 = makeMessage(app.id, { createdAt: T0, channels: ["eu"] });
      const m2 = makeMessage(app.id, { createdAt: T0 + MINUTE });
      await deliverOnce(m1, [
        { endpoint: endpoints[2], status: 0, code: 200 },
        { endpoint: endpoints[0], status: 2, code: 500 },
        { endpoint: endpoints[1], status: 0, code: 200 },
      ]);
      await deliverOnce(m2, [{ endpoint: endpoints[0], status: 0, code: 200 }]);

      const byMessage = await walkPages((page) => store.listDestinationsByMessage(app.id, m1.id, page), 2);
      assert.deepEqual(byMessage.forward.map((p) => p.items.map((d) => d.endpointId)), [
        [endpoints[0].id, endpoints[1].id],
        [endpoints[2].id],
      ]);
      const first = byMessage.forward[0].items[0];
      assert.deepEqual(first, {
        msgId: m1.id,
        endpointId: endpoints[0].id,
        appId: app.id,
        status: MESSAGE_STATUS.fail,
        nextAttemptAt: null,
        attemptCount: 1,
        updatedAt: m1.createdAt + 2,
      });

      const byEndpoint = await store.listDestinationsByEndpoint(app.id, endpoints[0].id, { page: pageReq(10, null, "ascending") });
      assert.deepEqual(byEndpoint.items.map((x) => [x.message.id, x.destination.status]), [
        [m2.id, MESSAGE_STATUS.success],
        [m1.id, MESSAGE_STATUS.fail],
      ]);
      assert.deepEqual(byEndpoint.items[1].message, m1);
      const failed = await store.listDestinationsByEndpoint(app.id, endpoints[0].id, { page: pageReq(10), status: MESSAGE_STATUS.fail });
      assert.deepEqual(failed.items.map((x) => x.message.id), [m1.id]);
      const eu = await store.listDestinationsByEndpoint(app.id, endpoints[0].id, { page: pageReq(10), channel: "eu" });
      assert.deepEqual(eu.items.map((x) => x.message.id), [m1.id]);
      const recent = await store.listDestinationsByEndpoint(app.id, endpoints[0].id, { page: pageReq(10), after: T0 + 1 });
      assert.deepEqual(recent.items.map((x) => x.message.id), [m2.id]);
      const paged = await walkPages((page) => store.listDestinationsByEndpoint(app.id, endpoints[0].id, { page }), 1);
      assert.deepEqual(paged.forward.map((p) => p.items.map((x) => x.message.id)), [[m2.id], [m1.id]]);
      assert.deepEqual(paged.backward.map((p) => p.items.map((x) => x.message.id)), [[m2.id]]);
    });

    test("endpoint stats and failed message ids over a time range", async () => {
      const statuses: (0 | 2)[] = [2, 0, 2, 2, 0, 2];
      const messages: Message[] = [];
      for (const [i, status] of statuses.entries()) {
        const message = makeMessage(app.id, { createdAt: T0 + i * MINUTE });
        messages.push(message);
        await deliverOnce(message, [{ endpoint: endpoints[0], status, code: status === 0 ? 200 : 503 }]);
      }
      // A pending destination (queued, not attempted yet) at minute 6.
      const pending = makeMessage(app.id, { createdAt: T0 + 6 * MINUTE });
      await store.createMessageForEndpoint(pending, endpoints[0].id);

      assert.deepEqual(await store.getEndpointStats(app.id, endpoints[0].id, T0, T0 + 7 * MINUTE), {
        success: 2,
        pending: 1,
        sending: 0,
        fail: 4,
        canceled: 0,
      });
      // [since, until): minute 1 up to (not including) minute 3.
      assert.deepEqual(await store.getEndpointStats(app.id, endpoints[0].id, T0 + MINUTE, T0 + 3 * MINUTE), {
        success: 1,
        pending: 0,
        sending: 0,
        fail: 1,
        canceled: 0,
      });
      assert.deepEqual(await store.getEndpointStats(app.id, endpoints[1].id, T0, T0 + 7 * MINUTE), {
        success: 0,
        pending: 0,
        sending: 0,
        fail: 0,
        canceled: 0,
      });

      // Scoped to the application: another application's id sees nothing.
      const app2 = makeApp({ createdAt: T0 + 9 });
      await store.createApplication(app2);
      assert.equal((await store.getEndpointStats(app2.id, endpoints[0].id, T0, T0 + 7 * MINUTE)).fail, 0);
      assert.deepEqual(await store.listFailedMessageIds(app2.id, endpoints[0].id, { since: T0, until: T0 + 7 * MINUTE, afterMsgId: null, limit: 9 }), []);

      const range = { since: T0, until: T0 + 7 * MINUTE, afterMsgId: null, limit: 2 };
      const firstBatch = await store.listFailedMessageIds(app.id, endpoints[0].id, range);
      assert.deepEqual(firstBatch, [messages[0].id, messages[2].id]);
      const secondBatch = await store.listFailedMessageIds(app.id, endpoints[0].id, { ...range, afterMsgId: firstBatch[1] });
      assert.deepEqual(secondBatch, [messages[3].id, messages[5].id]);
      assert.deepEqual(await store.listFailedMessageIds(app.id, endpoints[0].id, { ...range, afterMsgId: secondBatch[1] }), []);
      assert.deepEqual(
        await store.listFailedMessageIds(app.id, endpoints[0].id, { since: T0 + MINUTE, until: T0 + 5 * MINUTE, afterMsgId: null, limit: 10 }),
        [messages[2].id, messages[3].id],
      );
    });
  });
}
