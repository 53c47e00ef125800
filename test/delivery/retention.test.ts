import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { resolveConfig } from "../../src/config/config.ts";
import { makeManualClock } from "../../src/domain/clock.ts";
import { runRetention } from "../../src/worker/retention-loop.ts";
import { startTestHerald, type TestHerald } from "../helpers/herald.ts";
import { type Receiver, startReceiver } from "../helpers/receiver.ts";
import { appWithEndpoint, DAY } from "./support.ts";

describe("delivery: retention", () => {
  const clock = makeManualClock(Date.now());
  let h: TestHerald;
  let receiver: Receiver;

  before(async () => {
    h = await startTestHerald({ clock });
    receiver = await startReceiver();
  });
  after(async () => {
    await h.close();
    await receiver.close();
  });

  test("payloads expire after their retention period, messages and attempts after HERALD_RETENTION_DAYS", async () => {
    const { appId } = await appWithEndpoint(h, { url: receiver.url });
    const short = await h.svix.message.create(appId, { eventType: "invoice.paid", payload: { n: 1 }, payloadRetentionPeriod: 5 });
    const long = await h.svix.message.create(appId, { eventType: "invoice.paid", payload: { n: 2 } });
    await h.herald.worker!.drain();
    assert.equal(receiver.requests.length, 2);

    const deps = { store: h.herald.store, clock, config: resolveConfig({ HERALD_RETENTION_DAYS: "30" }) };
    clock.advance(5 * DAY + 1);
    assert.deepEqual(await runRetention(deps), { expired: 1, pruned: 0 });
    assert.deepEqual((await h.svix.message.get(appId, short.id, { withContent: true })).payload, { expired: true });
    assert.deepEqual((await h.svix.message.get(appId, long.id, { withContent: true })).payload, { n: 2 });

    clock.advance(25 * DAY);
    assert.deepEqual(await runRetention(deps), { expired: 0, pruned: 2 });
    const listed = await h.svix.message.list(appId);
    assert.equal(listed.data.length, 0);
  });
});
