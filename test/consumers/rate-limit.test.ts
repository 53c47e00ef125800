import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { waitUntil } from "../delivery/support.ts";
import { startTestHerald, type TestHerald } from "../helpers/herald.ts";
import { type Receiver, startReceiver } from "../helpers/receiver.ts";
import { call, createEndpoint, postMessage } from "../profiles/support.ts";
import { observeRate, rateLimitStatus } from "./support.ts";

/**
 * throttleRate (messages per second) is enforced, measured at a real receiver with the real clock:
 * the limiter hands out send slots 1/rate apart, so the receiver never sees more than the rate in
 * any one-second window (plus one, for a window that opens on a slot and closes on the next
 * second's), and nothing is dropped. Only upper bounds on the rate are asserted: how fast the
 * worker catches up is not.
 */
describe("consumers: rate limits", () => {
  const RATE = 5;
  let h: TestHerald;
  let receiver: Receiver;

  before(async () => {
    h = await startTestHerald();
    receiver = await startReceiver();
  });
  after(async () => {
    await h.close();
    await receiver.close();
  });

  /** Arrival times (ms) of the requests to `path`, after checking each message arrived exactly once. */
  async function arrivalsOf(path: string, msgIds: string[]): Promise<number[]> {
    await waitUntil(
      `${msgIds.length} deliveries to ${path}`,
      async () => {
        const got = receiver.requests.filter((request) => request.path === path);
        return got.length >= msgIds.length ? got : undefined;
      },
      20_000,
    );
    // Let anything extra (a duplicate) show up before counting.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const received = receiver.requests.filter((request) => request.path === path);
    const ids = received.map((request) => String(request.headers["webhook-id"]));
    assert.deepEqual([...ids].sort(), [...msgIds].sort(), "every message must arrive exactly once");
    return received.map((request) => request.receivedAt);
  }

  test(`endpoint throttleRate ${RATE}/s: 20 messages posted at once all arrive, at most ${RATE} (+1) in any second; rate-limit-status says RateLimited while queued`, async () => {
    const appId = (await h.svix.application.create({ name: "Throttled endpoint" })).id;
    const endpoint = await createEndpoint(h, appId, { url: `${receiver.url}/endpoint-limit`, throttleRate: RATE });
    assert.equal(endpoint.throttleRate, RATE);
    assert.deepEqual(await rateLimitStatus(h, appId, endpoint.id), { status: "Ok", throttledSince: null });

    const messages = await Promise.all(
      Array.from({ length: 20 }, (_, n) => postMessage(h, appId, { eventType: "invoice.created", payload: { n } })),
    );
    const msgIds = messages.map((message) => message.id);

    const limited = await waitUntil("rate-limit-status RateLimited", async () => {
      const status = await rateLimitStatus(h, appId, endpoint.id);
      return status.status === "RateLimited" ? status : undefined;
    });
    assert.ok(limited.throttledSince !== null && !Number.isNaN(Date.parse(limited.throttledSince)), `throttledSince ${limited.throttledSince}`);
    assert.ok(Date.parse(limited.throttledSince) <= Date.now());

    const observed = observeRate(await arrivalsOf("/endpoint-limit", msgIds));
    console.log(`# endpoint throttleRate ${RATE}/s: ${JSON.stringify(observed)}`);
    assert.ok(observed.maxInWindow <= RATE + 1, `${observed.maxInWindow} requests within one second (limit ${RATE})`);
    // 20 requests 1/RATE s apart cannot span less than 19/RATE s.
    assert.ok(observed.overallPerSecond <= RATE + 1, `overall ${observed.overallPerSecond.toFixed(2)}/s`);

    const drained = await waitUntil("rate-limit-status Ok after the queue drained", async () => {
      const status = await rateLimitStatus(h, appId, endpoint.id);
      return status.status === "Ok" ? status : undefined;
    });
    assert.equal(drained.throttledSince, null);
  });

  test(`application throttleRate ${RATE}/s applies to an endpoint that sets none`, async () => {
    const app = (await call(h, "POST", "/api/v1/app", { name: "Throttled app", throttleRate: RATE }, 201)).body as { id: string; throttleRate: number };
    assert.equal(app.throttleRate, RATE);
    const endpoint = await createEndpoint(h, app.id, { url: `${receiver.url}/app-limit` });
    assert.equal(endpoint.throttleRate, null);

    const messages = await Promise.all(
      Array.from({ length: 12 }, (_, n) => postMessage(h, app.id, { eventType: "invoice.created", payload: { n } })),
    );
    const observed = observeRate(await arrivalsOf("/app-limit", messages.map((message) => message.id)));
    console.log(`# application throttleRate ${RATE}/s: ${JSON.stringify(observed)}`);
    assert.ok(observed.maxInWindow <= RATE + 1, `${observed.maxInWindow} requests within one second (limit ${RATE})`);
    assert.ok(observed.overallPerSecond <= RATE + 1, `overall ${observed.overallPerSecond.toFixed(2)}/s`);
  });
});
