import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { startTestHerald, type TestHerald } from "../helpers/herald.ts";
import { type Receiver, startReceiver } from "../helpers/receiver.ts";
import { webhookIds } from "./support.ts";

/**
 * The fan-outs a worker claims together share one listing of their application's endpoints
 * (src/worker/endpoint-listings.ts), and the listing is kept for a moment. That must never make a
 * fan-out miss an endpoint created, or deliver to one deleted, before its message was posted:
 * here each change comes right after a burst of messages whose fan-outs left a listing behind.
 */
describe("delivery: fan-outs see the endpoints as they were when the message was posted", () => {
  let h: TestHerald;
  let first: Receiver;
  let second: Receiver;

  before(async () => {
    h = await startTestHerald();
    [first, second] = await Promise.all([startReceiver(), startReceiver()]);
  });
  after(async () => {
    await h.close();
    await Promise.all([first.close(), second.close()]);
  });

  async function post(appId: string, n: number): Promise<string[]> {
    const messages = await Promise.all(
      Array.from({ length: n }, (_, i) => h.svix.message.create(appId, { eventType: "fresh.test", payload: { i } })),
    );
    return messages.map((message) => message.id);
  }

  test("an endpoint created just before a message gets it; one deleted just before does not", async () => {
    const app = await h.svix.application.create({ name: "Freshness" });
    const kept = await h.svix.endpoint.create(app.id, { url: `${first.url}/kept` });

    const burst = await post(app.id, 30);
    await h.herald.worker!.drain();
    assert.deepEqual(webhookIds(first).sort(), [...burst].sort());

    const added = await h.svix.endpoint.create(app.id, { url: `${second.url}/added` });
    const [afterCreate] = await post(app.id, 1);
    await h.herald.worker!.drain();
    assert.deepEqual(webhookIds(second), [afterCreate], "the endpoint created before the message got it");
    assert.ok(webhookIds(first).includes(afterCreate));

    await h.svix.endpoint.delete(app.id, kept.id);
    const [afterDelete] = await post(app.id, 1);
    await h.herald.worker!.drain();
    assert.ok(!webhookIds(first).includes(afterDelete), "the endpoint deleted before the message did not get it");
    assert.deepEqual(webhookIds(second), [afterCreate, afterDelete]);
    assert.equal((await h.svix.endpoint.list(app.id)).data.map((endpoint) => endpoint.id).join(), added.id);
  });
});
