import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { makeManualClock } from "../../src/domain/clock.ts";
import { startTestHerald, type TestHerald } from "../helpers/herald.ts";
import { type Receiver, startReceiver } from "../helpers/receiver.ts";
import { appWithEndpoint, attemptsOf, bodies, DAY, HOUR, isDisabled, SECOND, verifyWithBoth, webhookIds } from "./support.ts";

interface DisabledEvent {
  type: string;
  data: { appId: string; endpointId: string; endpointUid: string | null; failSince: string };
}

/** An operational-webhook receiver subscribed to `endpoint.disabled`; returns its secret. */
async function subscribeToDisabled(h: TestHerald, receiver: Receiver): Promise<string> {
  const endpoint = await h.svix.operationalWebhookEndpoint.create({ url: receiver.url + "/ops", filterTypes: ["endpoint.disabled"] });
  return (await h.svix.operationalWebhookEndpoint.getSecret(endpoint.id)).key;
}

describe("delivery: 410 Gone disables the endpoint", () => {
  // Starts at real time (signatures stay within the verifiers' tolerance); moved only by seconds.
  const clock = makeManualClock(Date.now());
  let h: TestHerald;
  let receiver: Receiver;
  let ops: Receiver;
  let opsSecret: string;

  before(async () => {
    h = await startTestHerald({ clock, random: () => 0.5 });
    receiver = await startReceiver();
    ops = await startReceiver();
    opsSecret = await subscribeToDisabled(h, ops);
  });
  after(async () => {
    await h.close();
    await receiver.close();
    await ops.close();
  });

  test("one 410 disables it, emits a signed endpoint.disabled, and PATCH disabled:false brings deliveries back", async () => {
    receiver.respond = () => ({ status: 410, body: "gone" });
    const { appId, endpointId } = await appWithEndpoint(h, { url: receiver.url, uid: "gone-ep" });
    const first = await h.svix.message.create(appId, { eventType: "invoice.paid", payload: { n: 1 } });
    await h.herald.worker!.drain();

    assert.equal(await isDisabled(h, appId, endpointId), true);
    const [attempt] = await attemptsOf(h, appId, first.id);
    assert.deepEqual([attempt.status, attempt.responseStatusCode, attempt.response], [2, 410, "gone"]);
    // Not retried: the destination is failed with nothing scheduled.
    const [destination] = (await h.svix.messageAttempt.listAttemptedDestinations(appId, first.id)).data;
    assert.deepEqual([destination.status, destination.nextAttempt ?? null], [2, null]);

    await ops.waitFor(1);
    await h.herald.worker!.drain();
    assert.equal(ops.requests.length, 1, "endpoint.disabled must be sent once");
    const event = verifyWithBoth(opsSecret, ops.requests[0]) as DisabledEvent;
    assert.equal(event.type, "endpoint.disabled");
    assert.equal(event.data.appId, appId);
    assert.equal(event.data.endpointId, endpointId);
    assert.equal(event.data.endpointUid, "gone-ep");
    assert.ok(!Number.isNaN(Date.parse(event.data.failSince)));

    // Disabled: a new message does not reach it.
    await h.svix.message.create(appId, { eventType: "invoice.paid", payload: { n: 2 } });
    await h.herald.worker!.drain();
    assert.equal(receiver.requests.length, 1);

    // Re-enabled: deliveries resume.
    receiver.respond = () => ({ status: 200 });
    const patched = await h.svix.endpoint.patch(appId, endpointId, { disabled: false });
    assert.equal(patched.disabled, false);
    assert.equal(await isDisabled(h, appId, endpointId), false);
    const third = await h.svix.message.create(appId, { eventType: "invoice.paid", payload: { n: 3 } });
    await receiver.waitFor(2);
    await h.herald.worker!.drain();
    assert.deepEqual(webhookIds(receiver), [first.id, third.id]);
  });

  // BUG (store contract, not fixed here): when the endpoint is disabled, its pending retries are
  // dropped by the worker (dropJob) but their destinations stay `pending`, with a next attempt in
  // the past, for ever. Stats count them as pending, and recover, which selects destinations in
  // status `fail` (listFailedMessageIds), never brings them back.
  test("a retry pending when the endpoint gets disabled is not left pending, and recover brings it back", async () => {
    receiver.requests.length = 0;
    receiver.respond = (request) => ({ status: (JSON.parse(request.body) as { n: number }).n === 1 ? 500 : 410 });
    const { appId, endpointId } = await appWithEndpoint(h, { url: receiver.url });
    const since = new Date(clock.now());
    const retrying = await h.svix.message.create(appId, { eventType: "invoice.paid", payload: { n: 1 } });
    await h.herald.worker!.drain();
    const gone = await h.svix.message.create(appId, { eventType: "invoice.paid", payload: { n: 2 } });
    await h.herald.worker!.drain();
    assert.equal(await isDisabled(h, appId, endpointId), true);

    clock.advance(5 * SECOND); // the first message's retry comes due and is dropped
    await h.herald.worker!.drain();
    assert.equal(receiver.requests.length, 2);
    const [destination] = (await h.svix.messageAttempt.listAttemptedDestinations(appId, retrying.id)).data;
    assert.notEqual(destination.status, 1, "destination still pending although nothing will be sent");

    receiver.respond = () => ({ status: 200 });
    await h.svix.endpoint.patch(appId, endpointId, { disabled: false });
    clock.advance(SECOND);
    await h.svix.endpoint.recover(appId, endpointId, { since });
    await h.herald.worker!.drain();
    assert.deepEqual(webhookIds(receiver).slice(2).sort(), [retrying.id, gone.id].sort());
  });
});

/**
 * Auto-disable after 5 days of continuous failure. One message is kept failing across days with a
 * daily retry schedule (the 5th delay is a day and an hour, so the check is not on the boundary).
 * The manual clock starts 5 days and 1 hour in the past, so the endpoint.disabled webhook is sent
 * at about the real time and passes the verifiers' timestamp tolerance.
 */
describe("delivery: auto-disable after 5 days of continuous failure", () => {
  const start = Date.now() - 5 * DAY - HOUR;
  const clock = makeManualClock(start);
  let h: TestHerald;
  let failing: Receiver;
  let flaky: Receiver;
  let ops: Receiver;
  let opsSecret: string;

  before(async () => {
    h = await startTestHerald({ clock, random: () => 0.5, env: { HERALD_RETRY_SCHEDULE: "86400,86400,86400,86400,90000,86400" } });
    [failing, flaky, ops] = await Promise.all([startReceiver(), startReceiver(), startReceiver()]);
    opsSecret = await subscribeToDisabled(h, ops);
  });
  after(async () => {
    await h.close();
    await Promise.all([failing, flaky, ops].map((receiver) => receiver.close()));
  });

  async function advance(ms: number): Promise<void> {
    clock.advance(ms);
    await h.herald.worker!.drain();
  }

  test("always failing → disabled; failing with a success in between → still enabled; re-enable resumes", async () => {
    failing.respond = () => ({ status: 500 });
    // The flaky receiver fails everything but messages marked ok.
    flaky.respond = (request) => ({ status: (JSON.parse(request.body) as { ok?: boolean }).ok ? 200 : 500 });
    const a = await appWithEndpoint(h, { url: failing.url }, "Always failing");
    const b = await appWithEndpoint(h, { url: flaky.url }, "Flaky");
    await h.svix.message.create(a.appId, { eventType: "invoice.paid", payload: { ok: false } });
    await h.svix.message.create(b.appId, { eventType: "invoice.paid", payload: { ok: false } });
    await h.herald.worker!.drain();

    // Days 1–3: both keep failing. On day 3 the flaky endpoint gets one success.
    for (let day = 1; day <= 3; day++) await advance(DAY);
    await h.svix.message.create(b.appId, { eventType: "invoice.paid", payload: { ok: true } });
    await h.herald.worker!.drain();
    // Day 4: four days of failure is not enough.
    await advance(DAY);
    assert.equal(failing.requests.length, 5);
    assert.equal(await isDisabled(h, a.appId, a.endpointId), false, "disabled after only 4 days");
    assert.equal(ops.requests.length, 0);

    // Day 5 + 1 h: the always-failing endpoint is disabled, the flaky one (failing for 1 day) is not.
    await advance(DAY + HOUR);
    assert.equal(failing.requests.length, 6);
    assert.equal(flaky.requests.length, 7);
    assert.equal(await isDisabled(h, a.appId, a.endpointId), true, "not disabled after 5 days of failure");
    assert.equal(await isDisabled(h, b.appId, b.endpointId), false, "disabled although it succeeded 2 days ago");

    await ops.waitFor(1);
    await h.herald.worker!.drain();
    assert.equal(ops.requests.length, 1);
    const event = verifyWithBoth(opsSecret, ops.requests[0]) as DisabledEvent;
    assert.equal(event.type, "endpoint.disabled");
    assert.equal(event.data.appId, a.appId);
    assert.equal(event.data.endpointId, a.endpointId);
    assert.equal(Date.parse(event.data.failSince), start);

    // Its last scheduled retry is dropped while disabled; the flaky one keeps going.
    await advance(DAY);
    assert.equal(failing.requests.length, 6);
    assert.equal(flaky.requests.length, 8);
    assert.equal(await isDisabled(h, b.appId, b.endpointId), false);

    // Re-enable: new messages are delivered again, and one failure does not disable it at once.
    await h.svix.endpoint.patch(a.appId, a.endpointId, { disabled: false });
    const resumed = await h.svix.message.create(a.appId, { eventType: "invoice.paid", payload: { ok: false, resumed: true } });
    await h.herald.worker!.drain();
    assert.equal(failing.requests.length, 7);
    assert.deepEqual(bodies(failing).at(-1), { ok: false, resumed: true });
    assert.equal(failing.requests[6].headers["webhook-id"], resumed.id);
    assert.equal(await isDisabled(h, a.appId, a.endpointId), false, "re-enabled endpoint disabled again by its old failures");
  });
});
