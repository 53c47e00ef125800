import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";

import { makeManualClock } from "../../src/domain/clock.ts";
import { startTestHerald, type TestHerald } from "../helpers/herald.ts";
import { type Receiver, startReceiver } from "../helpers/receiver.ts";
import { appWithEndpoint, attemptsOf, SECOND, verifyWithBoth } from "./support.ts";

interface AttemptEvent {
  type: string;
  timestamp: string;
  data: {
    appId: string;
    endpointId: string;
    msgId: string;
    msgEventId: string | null;
    lastAttempt: { id: string; responseStatusCode: number; timestamp: string };
  };
}

/**
 * Operational webhooks about failing deliveries: `message.attempt.failing` after the 4th failed
 * attempt, `message.attempt.exhausted` after the last, `message.attempt.recovered` on a success
 * after those. Schedule "1,1,1,1,1" = six attempts a second apart; the manual clock starts at the
 * real time so the signatures pass the verifiers' timestamp tolerance.
 */
describe("delivery: operational webhooks about failing messages", () => {
  const clock = makeManualClock(Date.now());
  let h: TestHerald;
  let receiver: Receiver;
  let ops: Receiver;
  let opsSecret: string;

  before(async () => {
    h = await startTestHerald({ clock, random: () => 0.5, env: { HERALD_RETRY_SCHEDULE: "1,1,1,1,1" } });
    receiver = await startReceiver();
    ops = await startReceiver();
    const endpoint = await h.svix.operationalWebhookEndpoint.create({
      url: ops.url,
      filterTypes: ["message.attempt.failing", "message.attempt.exhausted", "message.attempt.recovered"],
    });
    opsSecret = (await h.svix.operationalWebhookEndpoint.getSecret(endpoint.id)).key;
  });
  after(async () => {
    await h.close();
    await receiver.close();
    await ops.close();
  });
  beforeEach(() => {
    receiver.requests.length = 0;
    ops.requests.length = 0;
  });

  /** Advances a second and drains; `times` times. */
  async function tick(times: number): Promise<void> {
    for (let i = 0; i < times; i++) {
      clock.advance(SECOND);
      await h.herald.worker!.drain();
    }
  }

  function events(): AttemptEvent[] {
    return ops.requests.map((request) => verifyWithBoth(opsSecret, request) as AttemptEvent);
  }

  test("failing after the 4th failure, exhausted after the 6th, each with the documented data", async () => {
    receiver.respond = () => ({ status: 500 });
    const { appId, endpointId } = await appWithEndpoint(h, { url: receiver.url });
    const message = await h.svix.message.create(appId, { eventType: "invoice.paid", eventId: "evt-42", payload: {} });
    await h.herald.worker!.drain();

    await tick(2); // attempts 2 and 3
    assert.equal(receiver.requests.length, 3);
    assert.equal(ops.requests.length, 0, "failing sent before the 4th failure");

    await tick(1); // attempt 4
    assert.equal(receiver.requests.length, 4);
    assert.deepEqual(
      events().map((event) => event.type),
      ["message.attempt.failing"],
    );

    await tick(2); // attempts 5 and 6, the last
    await tick(5); // nothing more
    assert.equal(receiver.requests.length, 6);
    const [failing, exhausted] = events();
    assert.equal(events().length, 2);
    assert.equal(exhausted.type, "message.attempt.exhausted");

    const attempts = await attemptsOf(h, appId, message.id);
    for (const [event, attempt] of [
      [failing, attempts[3]],
      [exhausted, attempts[5]],
    ] as const) {
      assert.equal(event.data.appId, appId);
      assert.equal(event.data.endpointId, endpointId);
      assert.equal(event.data.msgId, message.id);
      assert.equal(event.data.msgEventId, "evt-42");
      assert.deepEqual(event.data.lastAttempt, { id: attempt.id, responseStatusCode: 500, timestamp: attempt.timestamp });
    }
  });

  test("a message that succeeds after 4 failures sends failing, then recovered, and never exhausted", async () => {
    receiver.respond = () => ({ status: receiver.requests.length <= 4 ? 502 : 200 });
    const { appId, endpointId } = await appWithEndpoint(h, { url: receiver.url });
    const message = await h.svix.message.create(appId, { eventType: "invoice.paid", payload: {} });
    await h.herald.worker!.drain();
    await tick(8);
    assert.equal(receiver.requests.length, 5);

    const received = events();
    assert.deepEqual(
      received.map((event) => event.type),
      ["message.attempt.failing", "message.attempt.recovered"],
    );
    const attempts = await attemptsOf(h, appId, message.id);
    const recovered = received[1];
    assert.equal(recovered.data.endpointId, endpointId);
    assert.equal(recovered.data.msgId, message.id);
    assert.deepEqual(recovered.data.lastAttempt, { id: attempts[4].id, responseStatusCode: 200, timestamp: attempts[4].timestamp });
  });

  test("a message that fails fewer than 4 times sends nothing", async () => {
    receiver.respond = () => ({ status: receiver.requests.length <= 3 ? 500 : 200 });
    await appWithEndpoint(h, { url: receiver.url }).then(({ appId }) => h.svix.message.create(appId, { eventType: "invoice.paid", payload: {} }));
    await h.herald.worker!.drain();
    await tick(8);
    assert.equal(receiver.requests.length, 4);
    assert.equal(ops.requests.length, 0);
  });

  test("manual attempts (resend) never trigger failing or exhausted events", async () => {
    receiver.respond = () => ({ status: 500 });
    const { appId, endpointId } = await appWithEndpoint(h, { url: receiver.url });
    const message = await h.svix.message.create(appId, { eventType: "invoice.paid", payload: {} });
    await h.herald.worker!.drain();
    await tick(6);
    ops.requests.length = 0;
    for (let i = 0; i < 5; i++) {
      await h.svix.messageAttempt.resend(appId, message.id, endpointId);
      await h.herald.worker!.drain();
    }
    assert.equal(receiver.requests.length, 11);
    assert.equal(ops.requests.length, 0);
  });
});
