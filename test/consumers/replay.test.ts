import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, afterEach, before, describe, test } from "node:test";

import { makeManualClock } from "../../src/domain/clock.ts";
import { attemptsOf, DAY, SECOND } from "../delivery/support.ts";
import { startTestHerald, type TestHerald } from "../helpers/herald.ts";
import { type Receiver, startReceiver } from "../helpers/receiver.ts";
import { call, createApp, createEndpoint, messageAttempts, postMessage } from "../profiles/support.ts";
import { finishedTask } from "./support.ts";

/**
 * Hosted Svix's replay-missing and bulk-replay (background tasks) and per-event-type retry
 * schedules, against a real receiver. Manual clock; the default retry schedule is "1" (two
 * attempts, 1 s apart), so a failing message is final after advancing one second.
 */
describe("consumers: replay-missing, bulk-replay, event-type retry schedules", () => {
  const clock = makeManualClock(Date.now());
  let h: TestHerald;
  let receiver: Receiver;

  before(async () => {
    h = await startTestHerald({ clock, random: () => 0.5, env: { HERALD_RETRY_SCHEDULE: "1" } });
    receiver = await startReceiver();
    await h.svix.eventType.create({ name: "order.created", description: "An order was created" });
    // Any payload with `fail: true` is refused, every time.
    receiver.respond = (request) => ({ status: (JSON.parse(request.body) as { fail?: boolean }).fail ? 500 : 200 });
  });
  after(async () => {
    await h.close();
    await receiver.close();
  });
  afterEach(() => {
    receiver.requests.length = 0;
  });

  async function advance(ms: number): Promise<void> {
    clock.advance(ms);
    await h.herald.worker!.drain();
  }

  /** An endpoint on a path of its own; `received()` lists the webhook-ids that reached it, in order. */
  async function endpointOnOwnPath(appId: string, extra: Record<string, unknown> = {}) {
    const path = `/replay/${randomUUID()}`;
    const endpoint = await createEndpoint(h, appId, { url: receiver.url + path, ...extra });
    const received = () => receiver.requests.filter((request) => request.path === path).map((request) => String(request.headers["webhook-id"]));
    return { endpointId: endpoint.id, received };
  }

  const sorted = (ids: string[]) => [...ids].sort();

  test("replay-missing delivers exactly the subscribed messages posted while the endpoint was disabled, once", async () => {
    const appId = await createApp(h, "Disabled for a while");
    const { endpointId, received } = await endpointOnOwnPath(appId, { filterTypes: ["order.created"] });
    const since = new Date(clock.now() - SECOND);
    await h.svix.endpoint.patch(appId, endpointId, { disabled: true });

    const missed = [];
    for (let n = 1; n <= 3; n++) missed.push((await postMessage(h, appId, { eventType: "order.created", payload: { n } })).id);
    const unsubscribed = await postMessage(h, appId, { eventType: "order.deleted", payload: { n: 4 } });
    await h.herald.worker!.drain();
    assert.deepEqual(received(), [], "a disabled endpoint got messages");

    await h.svix.endpoint.patch(appId, endpointId, { disabled: false });
    clock.advance(SECOND);
    const task = await h.svix.endpoint.replayMissing(appId, endpointId, { since });
    assert.match(task.id, /^qtask_/);
    await h.herald.worker!.drain();
    assert.deepEqual(sorted(received()), sorted(missed));
    assert.ok(!received().includes(unsubscribed.id));

    const done = await h.svix.backgroundTask.get(task.id);
    assert.equal(done.status, "finished");
    assert.equal((done.data as { replayed: number }).replayed, 3);
    assert.equal((await finishedTask(h, task.id)).data.replayed, 3);

    // Nothing is missing any more: a second replay sends nothing.
    clock.advance(SECOND);
    const again = await h.svix.endpoint.replayMissing(appId, endpointId, { since });
    await h.herald.worker!.drain();
    assert.equal(received().length, 3);
    assert.equal((await finishedTask(h, again.id)).data.replayed, 0);
  });

  test("replay-missing delivers a message posted before the endpoint existed, not one it already got", async () => {
    const appId = await createApp(h, "Late endpoint");
    const since = new Date(clock.now() - SECOND);
    const early = await postMessage(h, appId, { eventType: "order.created", payload: { early: true } });
    await h.herald.worker!.drain();
    clock.advance(SECOND);
    const { endpointId, received } = await endpointOnOwnPath(appId);
    const onTime = await postMessage(h, appId, { eventType: "order.created", payload: { early: false } });
    await h.herald.worker!.drain();
    assert.deepEqual(received(), [onTime.id]);

    clock.advance(SECOND);
    const task = (await call(h, "POST", `/api/v1/app/${appId}/endpoint/${endpointId}/replay-missing`, { since: since.toISOString() }, 202)).body as { id: string };
    await h.herald.worker!.drain();
    assert.deepEqual(received(), [onTime.id, early.id]);
    assert.equal((await finishedTask(h, task.id)).data.replayed, 1);
  });

  test("replay-missing answers with a task type of hosted Svix's BackgroundTaskType enum", async () => {
    const appId = await createApp(h, "Task type");
    const { endpointId } = await endpointOnOwnPath(appId);
    const task = await h.svix.endpoint.replayMissing(appId, endpointId, { since: new Date(clock.now() - SECOND) });
    // svix-cloud-subset-openapi.json: ReplayOut.task is a BackgroundTaskType; replay-missing is "endpoint.replay".
    assert.equal(task.task, "endpoint.replay");
    await h.herald.worker!.drain();
  });

  test("bulk-replay re-sends exactly the delivered messages matching event types, status and channel", async () => {
    const appId = await createApp(h, "Bulk");
    const { endpointId, received } = await endpointOnOwnPath(appId);
    const since = new Date(clock.now() - SECOND);
    const a1 = (await postMessage(h, appId, { eventType: "order.a", payload: { name: "a1" } })).id;
    const a2 = (await postMessage(h, appId, { eventType: "order.a", payload: { name: "a2", fail: true } })).id;
    const b1 = (await postMessage(h, appId, { eventType: "order.b", payload: { name: "b1" }, channels: ["eu"] })).id;
    const b2 = (await postMessage(h, appId, { eventType: "order.b", payload: { name: "b2", fail: true } })).id;
    await h.herald.worker!.drain();
    await advance(SECOND); // the failing two use up their retry
    assert.deepEqual(sorted(received()), sorted([a1, a2, a2, b1, b2, b2]));
    assert.deepEqual((await h.svix.endpoint.getStats(appId, endpointId)), { success: 2, pending: 0, sending: 0, fail: 2, canceled: 0 });

    async function replayed(filters: Record<string, unknown>, viaSdk = false): Promise<string[]> {
      const before = received().length;
      clock.advance(SECOND);
      const task = viaSdk
        ? await h.svix.endpoint.bulkReplay(appId, endpointId, { since, ...filters })
        : ((await call(h, "POST", `/api/v1/app/${appId}/endpoint/${endpointId}/bulk-replay`, { since: since.toISOString(), ...filters }, 202)).body as { id: string; task: string });
      assert.equal(task.task, "endpoint.bulk-replay");
      await h.herald.worker!.drain();
      const sent = received().slice(before);
      assert.equal((await finishedTask(h, task.id)).data.replayed, sent.length);
      return sorted(sent);
    }

    assert.deepEqual(await replayed({ eventTypes: ["order.a"] }, true), sorted([a1, a2]));
    assert.deepEqual(await replayed({ status: 2 }), sorted([a2, b2]), "status 2 (failed) only");
    assert.deepEqual(await replayed({ status: 0 }), sorted([a1, b1]), "status 0 (succeeded) only");
    assert.deepEqual(await replayed({ channel: "eu" }), [b1]);
    assert.deepEqual(await replayed({ eventTypes: ["order.b"], status: 2 }), [b2]);
    assert.deepEqual(await replayed({}), sorted([a1, a2, b1, b2]));

    // Replays are manual attempts: none of them is retried.
    const before = received().length;
    await advance(DAY);
    assert.equal(received().length, before);
    // a2: its first attempt and retry, then the three replays that selected it.
    assert.deepEqual((await attemptsOf(h, appId, a2)).map((attempt) => [attempt.triggerType, attempt.status]), [[0, 2], [0, 2], [1, 2], [1, 2], [1, 2]]);
  });

  test("an event type's retry schedule [1, 1] gives an endpoint without its own schedule 3 attempts, 1 s apart", async () => {
    const name = `payment.failed.${randomUUID().slice(0, 8)}`;
    await h.svix.eventType.create({ name, description: "A payment failed" });
    const path = `/api/v1/event-type/${name}/retry-schedule`;
    assert.deepEqual((await call(h, "GET", path, undefined, 200)).body, { retrySchedule: null });
    const expected = { retrySchedule: [{ secs: 1, nanos: 0 }, { secs: 1, nanos: 0 }] };
    assert.deepEqual((await call(h, "PUT", path, { retrySchedule: [1, { secs: 1, nanos: 0 }] }, 200)).body, expected);
    assert.deepEqual((await call(h, "GET", path, undefined, 200)).body, expected);
    await call(h, "GET", "/api/v1/event-type/no.such.type/retry-schedule", undefined, 404);

    const appId = await createApp(h, "Retry schedule");
    const { endpointId, received } = await endpointOnOwnPath(appId);
    const message = await postMessage(h, appId, { eventType: name, payload: { fail: true } });
    // Control: another event type keeps the default schedule ("1": one retry).
    const control = await postMessage(h, appId, { eventType: "payment.other", payload: { fail: true } });
    await h.herald.worker!.drain();
    const count = (msgId: string) => received().filter((id) => id === msgId).length;
    assert.equal(count(message.id), 1);

    await advance(SECOND - 1);
    assert.equal(count(message.id), 1, "retried before 1 s");
    await advance(1);
    assert.equal(count(message.id), 2);
    await advance(SECOND - 1);
    assert.equal(count(message.id), 2, "retried before 1 s");
    await advance(1);
    assert.equal(count(message.id), 3);
    await advance(DAY);
    assert.equal(count(message.id), 3, "attempted after the schedule was exhausted");
    assert.equal(count(control.id), 2, "the control message did not use the default schedule");

    assert.deepEqual((await messageAttempts(h, appId, message.id)).map((attempt) => attempt.status), [2, 2, 2]);
    const [destination] = (await h.svix.messageAttempt.listAttemptedDestinations(appId, message.id)).data;
    assert.equal(destination.id, endpointId);
    assert.equal(destination.status, 2);
    assert.equal(destination.nextAttempt ?? null, null);
  });
});
