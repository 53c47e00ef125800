import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";

import { makeManualClock } from "../../src/domain/clock.ts";
import { api, startTestHerald, type TestHerald } from "../helpers/herald.ts";
import { type Receiver, startReceiver } from "../helpers/receiver.ts";
import { appWithEndpoint, attemptsOf, bodies, DAY, HOUR, MINUTE, SECOND, webhookIds } from "./support.ts";

/**
 * Resend, recover, send-example and stats. Schedule "1" (two attempts, 1 s apart), so "failed" is
 * reached by advancing the manual clock one second.
 */
describe("delivery: resend, recover, send-example, stats", () => {
  const clock = makeManualClock(Date.UTC(2030, 5, 1));
  let h: TestHerald;
  let receiver: Receiver;
  let other: Receiver;

  before(async () => {
    h = await startTestHerald({ clock, random: () => 0.5, env: { HERALD_RETRY_SCHEDULE: "1" } });
    receiver = await startReceiver();
    other = await startReceiver();
    await h.svix.eventType.create({
      name: "demo.hello",
      description: "A demo event",
      schemas: { "1": { type: "object", examples: [{ hello: "world" }] } },
    });
  });
  after(async () => {
    await h.close();
    await receiver.close();
    await other.close();
  });
  beforeEach(() => {
    for (const r of [receiver, other]) {
      r.requests.length = 0;
      r.respond = () => ({ status: 200 });
    }
  });

  async function advance(ms: number): Promise<void> {
    clock.advance(ms);
    await h.herald.worker!.drain();
  }

  /** Posts a message and lets it run to its final state (success, or failed after both attempts). */
  async function settle(appId: string, payload: Record<string, unknown>) {
    const message = await h.svix.message.create(appId, { eventType: "invoice.paid", payload });
    await h.herald.worker!.drain();
    await advance(SECOND);
    return message.id;
  }

  test("resend makes one manual attempt, not retried on failure", async () => {
    receiver.respond = () => ({ status: 500 });
    const { appId, endpointId } = await appWithEndpoint(h, { url: receiver.url });
    const msgId = await settle(appId, { n: 1 });
    assert.equal(receiver.requests.length, 2);

    // Ids order attempts only to the millisecond: move the clock so the resend sorts last.
    clock.advance(SECOND);
    await h.svix.messageAttempt.resend(appId, msgId, endpointId);
    await h.herald.worker!.drain();
    assert.equal(receiver.requests.length, 3);
    await advance(HOUR);
    await advance(DAY);
    assert.equal(receiver.requests.length, 3, "a manual attempt was retried");

    const attempts = await attemptsOf(h, appId, msgId);
    assert.deepEqual(
      attempts.map((attempt) => [attempt.triggerType, attempt.status]),
      [
        [0, 2],
        [0, 2],
        [1, 2],
      ],
    );
    assert.deepEqual(webhookIds(receiver), [msgId, msgId, msgId]);

    // A successful resend marks the destination successful.
    receiver.respond = () => ({ status: 200 });
    clock.advance(SECOND);
    await h.svix.messageAttempt.resend(appId, msgId, endpointId);
    await h.herald.worker!.drain();
    const [destination] = (await h.svix.messageAttempt.listAttemptedDestinations(appId, msgId)).data;
    assert.equal(destination.status, 0);
    assert.equal((await attemptsOf(h, appId, msgId)).at(-1)?.triggerType, 1);
  });

  test("recover re-sends exactly the failed, never-succeeded messages of the window", async () => {
    receiver.respond = (request) => ({ status: (JSON.parse(request.body) as { ok?: boolean }).ok ? 200 : 500 });
    const { appId, endpointId } = await appWithEndpoint(h, { url: receiver.url });
    // Failed, but before the window.
    const tooOld = await settle(appId, { name: "too old" });
    await advance(HOUR);
    const since = new Date(clock.now());
    const failed = [await settle(appId, { name: "f1" }), await settle(appId, { name: "f2" })];
    // Failed at first, then succeeded on its retry: not a failed message.
    let lateCalls = 0;
    receiver.respond = () => ({ status: ++lateCalls === 1 ? 500 : 200 });
    const late = await settle(appId, { name: "late" });
    assert.deepEqual((await attemptsOf(h, appId, late)).map((attempt) => attempt.status), [2, 0]);
    receiver.respond = (request) => ({ status: (JSON.parse(request.body) as { ok?: boolean }).ok ? 200 : 500 });
    failed.push(await settle(appId, { name: "f3" }));
    const succeeded = await settle(appId, { name: "ok", ok: true });
    await advance(MINUTE);

    const stats = await h.svix.endpoint.getStats(appId, endpointId);
    assert.deepEqual(stats, { success: 2, pending: 0, sending: 0, fail: 4, canceled: 0 });
    const before = receiver.requests.length;

    receiver.respond = () => ({ status: 200 });
    const task = await h.svix.endpoint.recover(appId, endpointId, { since });
    assert.match(task.id, /^qtask_/);
    await h.herald.worker!.drain();

    const resent = webhookIds(receiver).slice(before);
    assert.deepEqual([...resent].sort(), [...failed].sort(), "recover must re-send exactly the failed messages of the window");
    assert.ok(!resent.includes(tooOld) && !resent.includes(late) && !resent.includes(succeeded));
    for (const msgId of failed) {
      assert.equal((await attemptsOf(h, appId, msgId)).at(-1)?.triggerType, 1);
    }

    const fetched = await api(h.url, h.adminToken, "GET", `/api/v1/background-task/${task.id}`);
    assert.equal(fetched.status, 200, fetched.text);
    const body = fetched.body as { id: string; status: string; task: string };
    assert.deepEqual([body.id, body.status, body.task], [task.id, "finished", "endpoint.recover"]);
    assert.deepEqual(await h.svix.endpoint.getStats(appId, endpointId), { success: 5, pending: 0, sending: 0, fail: 1, canceled: 0 });

    // Recovering again finds nothing left in the window.
    await h.svix.endpoint.recover(appId, endpointId, { since });
    await h.herald.worker!.drain();
    assert.equal(receiver.requests.length, before + 3);
  });

  test("send-example delivers the event type's schema example to that endpoint only", async () => {
    const app = await h.svix.application.create({ name: "Examples" });
    const target = await h.svix.endpoint.create(app.id, { url: receiver.url });
    await h.svix.endpoint.create(app.id, { url: other.url });

    const message = await h.svix.endpoint.sendExample(app.id, target.id, { eventType: "demo.hello" });
    assert.equal(message.eventType, "demo.hello");
    await receiver.waitFor(1);
    await h.herald.worker!.drain();

    assert.deepEqual(bodies(receiver), [{ hello: "world" }]);
    assert.equal(receiver.requests[0].headers["webhook-id"], message.id);
    assert.equal(other.requests.length, 0, "send-example reached another endpoint");
  });

  test("stats count success, fail and pending per endpoint", async () => {
    const { appId, endpointId } = await appWithEndpoint(h, { url: receiver.url });
    receiver.respond = () => ({ status: 500 });
    await settle(appId, { n: 1 }); // failed
    receiver.respond = () => ({ status: 200 });
    await settle(appId, { n: 2 });
    await settle(appId, { n: 3 });
    receiver.respond = () => ({ status: 500, headers: { "retry-after": "3600" } });
    await settle(appId, { n: 4 }); // failed once, retry in an hour: pending
    await advance(MINUTE);

    assert.deepEqual(await h.svix.endpoint.getStats(appId, endpointId), { success: 2, pending: 1, sending: 0, fail: 1, canceled: 0 });
    // An endpoint of another application is counted apart.
    const otherApp = await appWithEndpoint(h, { url: other.url });
    assert.deepEqual(await h.svix.endpoint.getStats(otherApp.appId, otherApp.endpointId), { success: 0, pending: 0, sending: 0, fail: 0, canceled: 0 });
  });
});
