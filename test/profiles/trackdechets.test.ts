import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { makeManualClock } from "../../src/domain/clock.ts";
import { isDisabled, MINUTE, SECOND } from "../delivery/support.ts";
import type { ReceivedRequest, Receiver } from "../helpers/receiver.ts";
import { call, createApp, createEndpoint, endpointAttempts, expect422, getEndpoint, header, patchEndpoint, postMessage, useHeraldWithReceiver, webhookHeaderNames } from "./support.ts";

/**
 * Profile `trackdechets`: a receiver written the way Trackdéchets' users write theirs. It checks
 * `Authorization: Bearer: <token>` (colon included) and reads `[{"action", "id"}]`; there is no
 * signature. The disable rule is Trackdéchets' Redis counter: the 6th failure with no 10-minute
 * gap between failures disables the endpoint (WEBHOOK_FAIL_ACCEPTED = 5, reset delay 600 s).
 */

const TOKEN = "tdk-9f3b2c7d1e5a4b6c8d0e"; // 24 characters
const BSD_ID = "BSD-20230412-JYE9095HY";

/** A Trackdéchets consumer: 401 unless the token matches, else whatever `status` says. */
function trackdechetsConsumer(receiver: Receiver, status: () => number): void {
  receiver.respond = (request: ReceivedRequest) => {
    if (request.headers.authorization !== `Bearer: ${TOKEN}`) return { status: 401, body: "bad token" };
    const events = JSON.parse(request.body) as { action: string; id: string }[];
    if (!Array.isArray(events) || events.length !== 1) return { status: 400, body: "expected one event" };
    return { status: status() };
  };
}

describe("profile trackdechets", () => {
  const clock = makeManualClock(Date.now());
  const harness = useHeraldWithReceiver(clock);

  async function trackdechetsEndpoint(extra: Record<string, unknown> = {}) {
    const appId = await createApp(harness.h, "Trackdéchets org");
    const endpoint = await createEndpoint(harness.h, appId, {
      url: harness.receiver.url + "/webhooks/trackdechets",
      profile: "trackdechets",
      headers: { Authorization: `Bearer: ${TOKEN}` },
      ...extra,
    });
    return { appId, endpointId: endpoint.id, endpoint };
  }

  async function send(appId: string, eventType: string, payload: Record<string, unknown>) {
    const message = await postMessage(harness.h, appId, { eventType, payload });
    await harness.h.herald.worker!.drain();
    return message;
  }

  test("the request is [{action, id}] with the user's Authorization header, and nothing Svix-like", async () => {
    trackdechetsConsumer(harness.receiver, () => 200);
    const { appId, endpointId, endpoint } = await trackdechetsEndpoint();
    assert.equal(endpoint.profile, "trackdechets");
    assert.equal(endpoint.effectiveOptions.timeoutMs, 5000);
    assert.deepEqual(endpoint.effectiveOptions.disablePolicy, { type: "window", allowedFailures: 5, resetAfterSeconds: 600 });

    await send(appId, "bsd.created", { id: BSD_ID, status: "SEALED", emitter: { siret: "13001045700013" } });
    // payload.action wins over the event type.
    await send(appId, "bsd.updated", { id: "BSDA-20240101-XYZ", action: "DELETED" });

    assert.equal(harness.receiver.requests.length, 2);
    const [created, deleted] = harness.receiver.requests;
    assert.equal(created.body, `[{"action":"CREATED","id":"${BSD_ID}"}]`);
    assert.equal(deleted.body, '[{"action":"DELETED","id":"BSDA-20240101-XYZ"}]');
    for (const request of harness.receiver.requests) {
      assert.equal(request.method, "POST");
      assert.equal(request.path, "/webhooks/trackdechets");
      assert.equal(header(request, "authorization"), `Bearer: ${TOKEN}`);
      assert.match(header(request, "content-type"), /^application\/json\b/);
      assert.deepEqual(webhookHeaderNames(request), []);
      assert.equal(header(request, "dastra-signature"), "");
      assert.equal(header(request, "x-frappe-webhook-signature"), "");
    }
    const attempts = await endpointAttempts(harness.h, appId, endpointId);
    assert.deepEqual(attempts.map((attempt) => [attempt.status, attempt.responseStatusCode]), [[0, 200], [0, 200]]);
  });

  test("the token is required and checked like Trackdéchets' (20–100 characters): 422 naming headers.Authorization", async () => {
    const appId = await createApp(harness.h);
    const path = `/api/v1/app/${appId}/endpoint`;
    const base = { url: harness.receiver.url, profile: "trackdechets" };
    const loc = ["body", "headers", "Authorization"];
    await expect422(harness.h, "POST", path, base, loc);
    await expect422(harness.h, "POST", path, { ...base, headers: { Authorization: "Bearer: short-token-19chars" } }, loc);
    await expect422(harness.h, "POST", path, { ...base, headers: { Authorization: `Bearer ${TOKEN}` } }, loc); // colon missing
    await expect422(harness.h, "POST", path, { ...base, headers: { Authorization: `Bearer: ${"x".repeat(101)}` } }, loc);
    const created = await createEndpoint(harness.h, appId, { ...base, headers: { authorization: `Bearer: ${"t".repeat(20)}` } });
    assert.equal(created.profile, "trackdechets");

    // Switching an existing endpoint without the header to the profile is refused too.
    const plain = await createEndpoint(harness.h, appId, { url: harness.receiver.url });
    await expect422(harness.h, "PATCH", `${path}/${plain.id}`, { profile: "trackdechets" }, loc);
    assert.equal((await getEndpoint(harness.h, appId, plain.id)).profile, "standard");
  });

  test("removing the Authorization header of a trackdechets endpoint through …/headers is refused", async () => {
    const { appId, endpointId } = await trackdechetsEndpoint();
    const result = await call(harness.h, "PUT", `/api/v1/app/${appId}/endpoint/${endpointId}/headers`, { headers: {} });
    assert.equal(result.status, 422, `the endpoint would be left without its required token: ${result.status} ${result.text}`);
    const patched = await call(harness.h, "PATCH", `/api/v1/app/${appId}/endpoint/${endpointId}/headers`, { headers: { Authorization: "Bearer: short" } });
    assert.equal(patched.status, 422, `a short token through PATCH …/headers: ${patched.status} ${patched.text}`);
  });

  test("5 failures keep the endpoint enabled, the 6th disables it; PATCH disabled:false delivers again with a fresh count", async () => {
    trackdechetsConsumer(harness.receiver, () => 500);
    // No retries: one message is one failed request.
    const { appId, endpointId } = await trackdechetsEndpoint({ retrySchedule: [] });
    for (let n = 1; n <= 5; n++) {
      await send(appId, "bsd.updated", { id: `BSD-${n}` });
      clock.advance(MINUTE);
    }
    assert.equal(harness.receiver.requests.length, 5);
    assert.equal(await isDisabled(harness.h, appId, endpointId), false, "disabled after only 5 failures");

    await send(appId, "bsd.updated", { id: "BSD-6" });
    assert.equal(harness.receiver.requests.length, 6);
    assert.equal(await isDisabled(harness.h, appId, endpointId), true, "still enabled after the 6th failure");

    // Disabled: nothing more is sent.
    await send(appId, "bsd.updated", { id: "BSD-7" });
    assert.equal(harness.receiver.requests.length, 6);

    // The user reactivates it; it delivers again, and its old failures no longer count.
    trackdechetsConsumer(harness.receiver, () => 200);
    await patchEndpoint(harness.h, appId, endpointId, { disabled: false });
    await send(appId, "bsd.created", { id: "BSD-8" });
    assert.equal(harness.receiver.requests.length, 7);
    assert.equal(harness.receiver.requests[6].body, '[{"action":"CREATED","id":"BSD-8"}]');
    trackdechetsConsumer(harness.receiver, () => 503);
    await send(appId, "bsd.updated", { id: "BSD-9" });
    assert.equal(await isDisabled(harness.h, appId, endpointId), false, "one failure after re-enabling disabled it again");
  });

  test("failures 9 minutes apart keep counting (sliding window); a 10-minute quiet gap resets the count", async () => {
    trackdechetsConsumer(harness.receiver, () => 500);
    const { appId, endpointId } = await trackdechetsEndpoint({ retrySchedule: [] });
    for (let n = 1; n <= 5; n++) {
      await send(appId, "bsd.updated", { id: `BSD-A${n}` });
      clock.advance(9 * MINUTE);
    }
    assert.equal(await isDisabled(harness.h, appId, endpointId), false);

    // 9 min already passed since the 5th failure; one more minute and a second makes a quiet gap.
    clock.advance(MINUTE + SECOND);
    for (let n = 1; n <= 5; n++) {
      await send(appId, "bsd.updated", { id: `BSD-B${n}` });
      clock.advance(9 * MINUTE);
    }
    assert.equal(harness.receiver.requests.length, 10);
    assert.equal(await isDisabled(harness.h, appId, endpointId), false, "the quiet gap did not reset the count");

    // The 6th failure of the new run, 45 minutes after its first: disabled.
    await send(appId, "bsd.updated", { id: "BSD-B6" });
    assert.equal(await isDisabled(harness.h, appId, endpointId), true);
  });

  test("a success in between does not reset the count (only a quiet gap does)", async () => {
    let failing = true;
    trackdechetsConsumer(harness.receiver, () => (failing ? 500 : 200));
    const { appId, endpointId } = await trackdechetsEndpoint({ retrySchedule: [] });
    for (let n = 1; n <= 3; n++) await send(appId, "bsd.updated", { id: `BSD-C${n}` });
    failing = false;
    await send(appId, "bsd.updated", { id: "BSD-OK" });
    failing = true;
    for (let n = 4; n <= 5; n++) await send(appId, "bsd.updated", { id: `BSD-C${n}` });
    assert.equal(await isDisabled(harness.h, appId, endpointId), false);
    await send(appId, "bsd.updated", { id: "BSD-C6" });
    assert.equal(await isDisabled(harness.h, appId, endpointId), true);
  });

  test("with the default retries (3 attempts, 1 s apart) each failed attempt counts: the second dead message disables it", async () => {
    trackdechetsConsumer(harness.receiver, () => 500);
    const { appId, endpointId } = await trackdechetsEndpoint();
    await send(appId, "bsd.created", { id: "BSD-D1" });
    clock.advance(SECOND);
    await harness.h.herald.worker!.drain();
    clock.advance(SECOND);
    await harness.h.herald.worker!.drain();
    assert.equal(harness.receiver.requests.length, 3);
    clock.advance(SECOND); // no 4th attempt: the message is given up after 3
    await harness.h.herald.worker!.drain();
    assert.equal(harness.receiver.requests.length, 3);
    assert.equal(await isDisabled(harness.h, appId, endpointId), false);

    await send(appId, "bsd.created", { id: "BSD-D2" });
    clock.advance(SECOND);
    await harness.h.herald.worker!.drain();
    assert.equal(harness.receiver.requests.length, 5);
    assert.equal(await isDisabled(harness.h, appId, endpointId), false, "disabled after 5 failed requests");
    clock.advance(SECOND);
    await harness.h.herald.worker!.drain();
    assert.equal(harness.receiver.requests.length, 6);
    assert.equal(await isDisabled(harness.h, appId, endpointId), true, "not disabled by the 6th failed request");
    assert.deepEqual(
      harness.receiver.requests.map((request) => request.body),
      [1, 1, 1, 2, 2, 2].map((n) => `[{"action":"CREATED","id":"BSD-D${n}"}]`),
    );
  });
});
