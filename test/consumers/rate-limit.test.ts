import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { waitUntil } from "../delivery/support.ts";
import { startTestHerald, type TestHerald } from "../helpers/herald.ts";
import { type Receiver, startReceiver } from "../helpers/receiver.ts";
import { call, createEndpoint, postMessage } from "../profiles/support.ts";
import { observeRate, rateLimitStatus } from "./support.ts";

/**
 * throttleRate (messages per second) is enforced, with a real receiver and the real clock: the
 * limiter hands out send slots 1/rate apart (the store's reserveDeliverySlot, watched here), no
 * request reaches the receiver before its slot, and nothing is dropped. The tests judge the
 * limiter by those slots, not by counting arrivals per second: on a loaded machine a send held up
 * past its slot arrives together with the next ones, which is no fault of the limiter. How fast the
 * worker catches up is not asserted.
 */
describe("consumers: rate limits", () => {
  const RATE = 5;
  let h: TestHerald;
  let receiver: Receiver;

  /** The send slots the store handed out, by endpoint. */
  const slots = new Map<string, number[]>();

  before(async () => {
    h = await startTestHerald();
    receiver = await startReceiver();
    const store = h.herald.store;
    const { reserveDeliverySlot } = store;
    store.reserveDeliverySlot = async (appId, endpointId, now, intervalMs) => {
      const slot = await reserveDeliverySlot(appId, endpointId, now, intervalMs);
      slots.set(endpointId, [...(slots.get(endpointId) ?? []), slot]);
      return slot;
    };
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

  /**
   * The endpoint's slots are at least 1/RATE s apart, and no request arrived before its slot: the
   * n-th arrival comes no sooner than the n-th slot (a put-back job reserves again, and an unused
   * slot only moves the n-th slot earlier).
   */
  function assertSentInSlots(endpointId: string, arrivals: number[]): void {
    const handedOut = [...(slots.get(endpointId) ?? [])].sort((a, b) => a - b);
    assert.ok(handedOut.length >= arrivals.length, `${handedOut.length} slots for ${arrivals.length} requests`);
    const gaps = handedOut.slice(1).map((slot, i) => slot - handedOut[i]!);
    assert.ok(gaps.every((gap) => gap >= 1000 / RATE), `slots closer than 1/${RATE} s: ${JSON.stringify(gaps)}`);
    const early = [...arrivals].sort((a, b) => a - b).filter((arrival, i) => arrival < handedOut[i]!);
    assert.deepEqual(early, [], "requests that arrived before their slot");
  }

  test(`endpoint throttleRate ${RATE}/s: 20 messages posted at once all arrive, none before its slot, slots 1/${RATE} s apart; rate-limit-status says RateLimited while queued`, async () => {
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

    const arrivals = await arrivalsOf("/endpoint-limit", msgIds);
    console.log(`# endpoint throttleRate ${RATE}/s, as the receiver saw it: ${JSON.stringify(observeRate(arrivals))}`);
    assertSentInSlots(endpoint.id, arrivals);

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
    const arrivals = await arrivalsOf("/app-limit", messages.map((message) => message.id));
    console.log(`# application throttleRate ${RATE}/s, as the receiver saw it: ${JSON.stringify(observeRate(arrivals))}`);
    assertSentInSlots(endpoint.id, arrivals);
  });
});
