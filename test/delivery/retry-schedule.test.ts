import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";

import { makeManualClock } from "../../src/domain/clock.ts";
import { api, startTestHerald, type TestHerald } from "../helpers/herald.ts";
import { type Receiver, startReceiver } from "../helpers/receiver.ts";
import { appWithEndpoint, attemptsOf, MINUTE, SECOND } from "./support.ts";

/**
 * Retry timing against the default schedule (5 s, 5 min, 30 min, …) with a manual clock and
 * random = 0.5, which makes the ±20 % jitter exactly zero. Nothing sleeps: the clock is advanced,
 * then the worker is drained.
 */
describe("delivery: failure, then retries on the default schedule", () => {
  const clock = makeManualClock(Date.UTC(2030, 0, 1));
  let h: TestHerald;
  let receiver: Receiver;

  before(async () => {
    h = await startTestHerald({ clock, random: () => 0.5 });
    receiver = await startReceiver();
  });
  after(async () => {
    await h.close();
    await receiver.close();
  });
  afterEach(() => {
    receiver.requests.length = 0;
    receiver.respond = () => ({ status: 200 });
  });

  async function advance(ms: number): Promise<void> {
    clock.advance(ms);
    await h.herald.worker!.drain();
  }

  test("500, then 5 s later 500 again, then 5 min later success", async () => {
    receiver.respond = () => ({ status: 500, body: "database on fire" });
    const { appId, endpointId } = await appWithEndpoint(h, { url: receiver.url });
    const t0 = clock.now();
    const message = await h.svix.message.create(appId, { eventType: "invoice.paid", payload: { id: "inv_9" } });
    await h.herald.worker!.drain();

    // Attempt 1: a recorded failure with the receiver's status and body.
    assert.equal(receiver.requests.length, 1);
    let attempts = await h.svix.messageAttempt.listByMsg(appId, message.id);
    assert.equal(attempts.data.length, 1);
    assert.equal(attempts.data[0].status, 2);
    assert.equal(attempts.data[0].responseStatusCode, 500);
    assert.equal(attempts.data[0].response, "database on fire");
    assert.equal(attempts.data[0].triggerType, 0);
    assert.equal(attempts.data[0].endpointId, endpointId);

    // While waiting, the destination is pending with the next attempt 5 s after the first.
    const destinations = await h.svix.messageAttempt.listAttemptedDestinations(appId, message.id);
    assert.equal(destinations.data.length, 1);
    assert.equal(destinations.data[0].id, endpointId);
    assert.equal(destinations.data[0].status, 1);
    assert.equal(destinations.data[0].nextAttempt?.getTime(), t0 + 5 * SECOND);
    const attempted = await h.svix.messageAttempt.listAttemptedMessages(appId, endpointId);
    assert.deepEqual(
      attempted.data.map((row) => [row.id, row.status, row.nextAttempt?.getTime()]),
      [[message.id, 1, t0 + 5 * SECOND]],
    );

    // Not before 5 s…
    await advance(5 * SECOND - 1);
    assert.equal(receiver.requests.length, 1, "retried before 5 s of clock time");
    // …but right at 5 s.
    await advance(1);
    assert.equal(receiver.requests.length, 2, "not retried after 5 s");
    const second = await attemptsOf(h, appId, message.id);
    assert.deepEqual(
      second.map((attempt) => [attempt.attemptNumber, attempt.status, attempt.responseStatusCode]),
      [
        [1, 2, 500],
        [2, 2, 500],
      ],
    );
    const pending = await h.svix.messageAttempt.listAttemptedDestinations(appId, message.id);
    assert.equal(pending.data[0].nextAttempt?.getTime(), t0 + 5 * SECOND + 5 * MINUTE);

    // Then 5 minutes, and this time the receiver is healthy.
    receiver.respond = () => ({ status: 204 });
    await advance(5 * MINUTE - 1);
    assert.equal(receiver.requests.length, 2, "retried before 5 min");
    await advance(1);
    assert.equal(receiver.requests.length, 3, "not retried after 5 min");

    attempts = await h.svix.messageAttempt.listByMsg(appId, message.id);
    assert.deepEqual(
      attempts.data.map((attempt) => [attempt.status, attempt.responseStatusCode]),
      [
        [0, 204],
        [2, 500],
        [2, 500],
      ],
    );
    const done = await h.svix.messageAttempt.listAttemptedDestinations(appId, message.id);
    assert.equal(done.data[0].status, 0);
    assert.equal(done.data[0].nextAttempt ?? null, null);
    const attemptedAfter = await h.svix.messageAttempt.listAttemptedMessages(appId, endpointId);
    assert.deepEqual(
      attemptedAfter.data.map((row) => [row.id, row.status, row.nextAttempt ?? null]),
      [[message.id, 0, null]],
    );
    const raw = await api(h.url, h.adminToken, "GET", `/api/v1/app/${appId}/msg/${message.id}/endpoint`);
    assert.equal((raw.body as { data: { attemptCount: number }[] }).data[0].attemptCount, 3);

    // Nothing more is scheduled once it succeeded.
    await advance(24 * 60 * MINUTE);
    assert.equal(receiver.requests.length, 3);
  });

  test("each failed attempt moves the next one along the schedule: 5 s, 5 min, 30 min, 2 h", async () => {
    receiver.respond = () => ({ status: 503 });
    const { appId } = await appWithEndpoint(h, { url: receiver.url });
    await h.svix.message.create(appId, { eventType: "invoice.paid", payload: {} });
    await h.herald.worker!.drain();
    for (const [index, delay] of [5 * SECOND, 5 * MINUTE, 30 * MINUTE, 120 * MINUTE].entries()) {
      await advance(delay - 1);
      assert.equal(receiver.requests.length, index + 1, `attempt ${index + 2} came early`);
      await advance(1);
      assert.equal(receiver.requests.length, index + 2, `attempt ${index + 2} did not come after ${delay} ms`);
    }
  });

  test("any 2xx is a success; 3xx, 4xx and 5xx are failures", async () => {
    for (const [status, expected] of [
      [200, 0],
      [201, 0],
      [299, 0],
      [304, 2],
      [400, 2],
      [404, 2],
      [429, 2],
      [502, 2],
    ] as const) {
      receiver.respond = () => ({ status });
      const { appId } = await appWithEndpoint(h, { url: receiver.url });
      const message = await h.svix.message.create(appId, { eventType: "x.y", payload: { status } });
      await h.herald.worker!.drain();
      const [attempt] = await attemptsOf(h, appId, message.id);
      assert.deepEqual([attempt.responseStatusCode, attempt.status], [status, expected], `HTTP ${status}`);
    }
  });
});
