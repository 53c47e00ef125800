import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { startTestHerald, type TestHerald } from "../helpers/herald.ts";
import { type Receiver, startReceiver } from "../helpers/receiver.ts";
import { webhookIds } from "./support.ts";

/**
 * A fan-out to more endpoints than the worker has room for claims only what fits; the rest wait in
 * the queue and are sent as room frees up, each exactly once (fanout-reads.ts keeps the fan-out's
 * reads for them).
 */
describe("delivery: fan-out beyond the worker's room", () => {
  const CONCURRENCY = 3;
  const ENDPOINTS = 14;
  let h: TestHerald;
  let receiver: Receiver;

  before(async () => {
    h = await startTestHerald({ env: { HERALD_WORKER_CONCURRENCY: String(CONCURRENCY) } });
    receiver = await startReceiver();
  });
  after(async () => {
    await h.close();
    await receiver.close();
  });

  test(`${ENDPOINTS} endpoints, ${CONCURRENCY} at a time: every endpoint gets every message once`, async () => {
    const app = await h.svix.application.create({ name: "Wide fan-out" });
    for (let index = 0; index < ENDPOINTS; index++) {
      await h.svix.endpoint.create(app.id, { url: `${receiver.url}/endpoint-${index}` });
    }
    const messages = [];
    for (let n = 0; n < 3; n++) messages.push(await h.svix.message.create(app.id, { eventType: "wide.fan-out", payload: { n } }));
    await h.herald.worker!.drain();

    const paths = receiver.requests.map((request) => request.path).sort();
    const expected = Array.from({ length: ENDPOINTS }, (_, index) => Array(messages.length).fill(`/endpoint-${index}`)).flat().sort();
    assert.deepEqual(paths, expected);
    assert.equal(new Set(webhookIds(receiver).map((id, index) => `${id} ${receiver.requests[index]!.path}`)).size, ENDPOINTS * messages.length);
    for (const message of messages) {
      const attempts = await h.svix.messageAttempt.listByMsg(app.id, message.id, { limit: 100 });
      assert.equal(attempts.data.length, ENDPOINTS);
      assert.ok(attempts.data.every((attempt) => attempt.responseStatusCode === 200), JSON.stringify(attempts.data[0]));
    }
  });
});
