import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { startTestHerald, type TestHerald } from "../helpers/herald.ts";
import { type Receiver, startReceiver } from "../helpers/receiver.ts";
import { attemptsOf, waitUntil } from "./support.ts";

/**
 * One slow or broken endpoint must not hold up the others: deliveries run concurrently, so a
 * receiver that hangs until the timeout is still being waited on while another endpoint's message
 * has been delivered and recorded. Assertions are about order, not durations.
 */
describe("delivery: a hanging endpoint does not block the others", () => {
  let h: TestHerald;
  let slow: Receiver;
  let fast: Receiver;

  before(async () => {
    // The slow receiver never answers in time. The timeout is long enough that, even on a loaded
    // machine, A's requests are all still hanging while the test checks B.
    h = await startTestHerald({ env: { HERALD_REQUEST_TIMEOUT_MS: "6000", HERALD_RETRY_SCHEDULE: "3600" } });
    [slow, fast] = await Promise.all([startReceiver(), startReceiver()]);
    slow.respond = () => ({ status: 200, delayMs: 60_000 });
  });
  after(async () => {
    await h.close();
    await Promise.all([slow.close(), fast.close()]);
  });

  test("B's message is delivered and recorded while A's request is still hanging", async () => {
    const app = await h.svix.application.create({ name: "Robust" });
    const a = await h.svix.endpoint.create(app.id, { url: slow.url, filterTypes: null, channels: ["a"] });
    const b = await h.svix.endpoint.create(app.id, { url: fast.url, channels: ["b"] });

    // A's message first, so it is in flight (hanging) before B's is even accepted.
    const toA = await h.svix.message.create(app.id, { eventType: "x.y", channels: ["a"], payload: { to: "a" } });
    // Polled rather than slow.waitFor(1): the receiver resolves waiters when it answers, which
    // for this receiver is never.
    await waitUntil("A's request to arrive", async () => slow.requests.length === 1);
    const toB = await h.svix.message.create(app.id, { eventType: "x.y", channels: ["b"], payload: { to: "b" } });
    await fast.waitFor(1);
    assert.equal(slow.requests.length, 1);

    // B's attempt is recorded as a success while A's has no attempt yet (A is still waiting).
    const [attemptB] = await waitUntil("B's attempt to be recorded", async () => {
      const attempts = await attemptsOf(h, app.id, toB.id, b.id);
      return attempts.length > 0 && attempts;
    });
    assert.equal(attemptB.status, 0);
    assert.deepEqual(await attemptsOf(h, app.id, toA.id, a.id), [], "A's attempt was recorded before B's delivery: the slow endpoint blocked B");

    // Then A times out, and that is recorded as a failure with no response.
    await h.herald.worker!.drain();
    const [attemptA] = await attemptsOf(h, app.id, toA.id, a.id);
    assert.equal(attemptA.status, 2);
    assert.equal(attemptA.responseStatusCode, 0);
    assert.match(attemptA.response, /timed out/i);
    // A's attempt started first (attempts are stamped when sent) yet was recorded last.
    assert.ok(Date.parse(attemptA.timestamp) <= Date.parse(attemptB.timestamp));
  });

  test("twenty hanging requests to one endpoint do not hold up another endpoint", async () => {
    slow.requests.length = 0;
    fast.requests.length = 0;
    const app = await h.svix.application.create({ name: "Mixed" });
    const a = await h.svix.endpoint.create(app.id, { url: slow.url, channels: ["slow"] });
    await h.svix.endpoint.create(app.id, { url: fast.url, channels: ["live"] });
    const toA = [];
    for (let i = 0; i < 20; i++) toA.push(await h.svix.message.create(app.id, { eventType: "x.y", channels: ["slow"], payload: { i } }));
    await waitUntil("A's requests to arrive", async () => slow.requests.length === 20);

    const live = await h.svix.message.create(app.id, { eventType: "x.y", channels: ["live"], payload: {} });
    const [request] = await fast.waitFor(1);
    assert.equal(request.headers["webhook-id"], live.id);
    const recordedForA = await h.svix.messageAttempt.listByEndpoint(app.id, a.id);
    assert.equal(recordedForA.data.length, 0, "A's attempts finished before B was served");

    await h.herald.worker!.drain();
    const afterDrain = await h.svix.messageAttempt.listByEndpoint(app.id, a.id, { limit: 100 });
    assert.equal(afterDrain.data.length, 20);
    assert.ok(afterDrain.data.every((attempt) => attempt.responseStatusCode === 0));
  });
});

describe("delivery: a fan-out wider than the worker's concurrency", () => {
  let h: TestHerald;
  let receiver: Receiver;

  before(async () => {
    h = await startTestHerald({ env: { HERALD_WORKER_CONCURRENCY: "2" } });
    receiver = await startReceiver();
    receiver.respond = () => ({ status: 200, delayMs: 20 });
  });
  after(async () => {
    await h.close();
    await receiver.close();
  });

  test("every endpoint still gets every message, once", async () => {
    const app = await h.svix.application.create({ name: "Wide" });
    for (let i = 0; i < 10; i++) await h.svix.endpoint.create(app.id, { url: `${receiver.url}/ep${i}` });
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await h.svix.message.create(app.id, { eventType: "x.y", payload: { i } })).id);
    await h.herald.worker!.drain();

    const pairs = receiver.requests.map((request) => `${request.path} ${String(request.headers["webhook-id"])}`).sort();
    const expected = ids.flatMap((id) => Array.from({ length: 10 }, (_, i) => `/ep${i} ${id}`)).sort();
    assert.deepEqual(pairs, expected);
  });
});
