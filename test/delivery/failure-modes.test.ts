import assert from "node:assert/strict";
import { after, afterEach, before, beforeEach, describe, test } from "node:test";

import { makeManualClock } from "../../src/domain/clock.ts";
import { startTestHerald, type TestHerald } from "../helpers/herald.ts";
import { type Receiver, startReceiver } from "../helpers/receiver.ts";
import { appWithEndpoint, attemptsOf, closedPort, HOUR, SECOND } from "./support.ts";

/**
 * How each kind of failure is recorded and retried. Schedule "1,1" (three attempts, 1 s apart) and
 * a 1500 ms request timeout (short, yet long enough for loopback on a loaded machine); manual clock with random = 0.5 so retry times are exact.
 */
describe("delivery: failure modes", () => {
  const clock = makeManualClock(Date.UTC(2030, 0, 1));
  let h: TestHerald;
  let receiver: Receiver;
  let other: Receiver;

  before(async () => {
    h = await startTestHerald({ clock, random: () => 0.5, env: { HERALD_RETRY_SCHEDULE: "1,1", HERALD_REQUEST_TIMEOUT_MS: "1500" } });
  });
  after(async () => {
    await h.close();
  });
  // Fresh receivers per test: retries still scheduled by an earlier test must not be counted.
  beforeEach(async () => {
    receiver = await startReceiver();
    other = await startReceiver();
  });
  afterEach(async () => {
    await receiver.close();
    await other.close();
  });

  async function advance(ms: number): Promise<void> {
    clock.advance(ms);
    await h.herald.worker!.drain();
  }

  async function sendOne(url: string) {
    const { appId, endpointId } = await appWithEndpoint(h, { url });
    const message = await h.svix.message.create(appId, { eventType: "invoice.paid", payload: { id: "inv_1" } });
    await h.herald.worker!.drain();
    return { appId, endpointId, msgId: message.id };
  }

  test("exhaustion: a failing endpoint gets exactly 1 + schedule length attempts, then the message is failed", async () => {
    receiver.respond = () => ({ status: 500 });
    const { appId, endpointId, msgId } = await sendOne(receiver.url);
    await advance(SECOND);
    await advance(SECOND);
    assert.equal(receiver.requests.length, 3);
    // Nothing more, however long we wait.
    await advance(HOUR);
    await advance(30 * 24 * HOUR);
    assert.equal(receiver.requests.length, 3);

    const attempts = await attemptsOf(h, appId, msgId);
    assert.deepEqual(
      attempts.map((attempt) => [attempt.attemptNumber, attempt.status, attempt.responseStatusCode]),
      [
        [1, 2, 500],
        [2, 2, 500],
        [3, 2, 500],
      ],
    );
    const [destination] = (await h.svix.messageAttempt.listAttemptedDestinations(appId, msgId)).data;
    assert.equal(destination.id, endpointId);
    assert.equal(destination.status, 2);
    assert.equal(destination.nextAttempt ?? null, null);
  });

  test("a 2xx whose body holds NUL is recorded as a success (NUL shown as U+FFFD) and not sent again", async () => {
    receiver.respond = () => ({ status: 200, body: "ok\u0000done" });
    const { appId, msgId } = await sendOne(receiver.url);
    const attempts = await attemptsOf(h, appId, msgId);
    assert.deepEqual(
      attempts.map((attempt) => [attempt.status, attempt.responseStatusCode, attempt.response]),
      [[0, 200, "ok\uFFFDdone"]],
    );
    await advance(HOUR);
    assert.equal(receiver.requests.length, 1);
  });

  test("Retry-After in seconds on a 503 postpones the retry to at least that long", async () => {
    receiver.respond = () => ({ status: 503, headers: { "retry-after": "120" } });
    const { appId, msgId } = await sendOne(receiver.url);
    const [destination] = (await h.svix.messageAttempt.listAttemptedDestinations(appId, msgId)).data;
    assert.ok(destination.nextAttempt, "a retry should be scheduled");
    assert.ok(destination.nextAttempt.getTime() >= clock.now() + 120 * SECOND, `next attempt ${destination.nextAttempt.toISOString()}`);

    await advance(119 * SECOND);
    assert.equal(receiver.requests.length, 1, "retried before Retry-After elapsed");
    await advance(SECOND);
    assert.equal(receiver.requests.length, 2);
  });

  test("Retry-After as an HTTP date is honoured too", async () => {
    receiver.respond = () => ({ status: 429, headers: { "retry-after": new Date(clock.now() + 600 * SECOND).toUTCString() } });
    const { appId, msgId } = await sendOne(receiver.url);
    const [destination] = (await h.svix.messageAttempt.listAttemptedDestinations(appId, msgId)).data;
    assert.equal(destination.nextAttempt?.getTime(), clock.now() + 600 * SECOND);
    await advance(599 * SECOND);
    assert.equal(receiver.requests.length, 1);
  });

  test("a receiver slower than the timeout: status code 0 and a readable timeout message", async () => {
    receiver.respond = () => ({ status: 200, delayMs: 4000 });
    const { appId, msgId } = await sendOne(receiver.url);
    const [attempt] = await attemptsOf(h, appId, msgId);
    assert.equal(attempt.status, 2);
    assert.equal(attempt.responseStatusCode, 0);
    assert.match(attempt.response, /timed out after 1500 ms/i);
    // A timeout is retried like any failure.
    const [destination] = (await h.svix.messageAttempt.listAttemptedDestinations(appId, msgId)).data;
    assert.equal(destination.status, 1);
  });

  test("redirects are not followed: a 302 is a failure and its Location is never requested", async () => {
    receiver.respond = () => ({ status: 302, headers: { location: `${other.url}/elsewhere` }, body: "moved" });
    const { appId, msgId } = await sendOne(receiver.url);
    await advance(SECOND);
    await advance(SECOND);
    assert.equal(receiver.requests.length, 3);
    assert.equal(other.requests.length, 0, "the redirect target was requested");
    const attempts = await attemptsOf(h, appId, msgId);
    assert.deepEqual(
      attempts.map((attempt) => [attempt.status, attempt.responseStatusCode, attempt.response]),
      Array(3).fill([2, 302, "moved"]),
    );
  });

  test("connection refused: status code 0 and a readable message", async () => {
    const port = await closedPort();
    const { appId, msgId } = await sendOne(`http://127.0.0.1:${port}/hook`);
    const [attempt] = await attemptsOf(h, appId, msgId);
    assert.equal(attempt.status, 2);
    assert.equal(attempt.responseStatusCode, 0);
    assert.match(attempt.response, /connection refused/i);
  });

  test("a response body is recorded, truncated to the configured limit", async () => {
    receiver.respond = () => ({ status: 400, body: "x".repeat(50_000) });
    const { appId, msgId } = await sendOne(receiver.url);
    const [attempt] = await attemptsOf(h, appId, msgId);
    assert.equal(attempt.responseStatusCode, 400);
    assert.equal(attempt.response, "x".repeat(20_000));
  });
});
