import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { makeManualClock } from "../../src/domain/clock.ts";
import { isDisabled, MINUTE } from "../delivery/support.ts";
import type { ReceivedRequest, Receiver } from "../helpers/receiver.ts";
import {
  bodyHmacBase64,
  createApp,
  createEndpoint,
  endpointAttempts,
  header,
  patchEndpoint,
  postMessage,
  secretOf,
  signatureMatches,
  useHeraldWithReceiver,
  webhookHeaderNames,
} from "./support.ts";

/**
 * Profile `dastra`: the receiver is written from Dastra's PHP/C# samples. It recomputes
 * base64(HMAC-SHA256(key = UTF-8 bytes of the secret, message = raw body)), compares it with
 * `Dastra-Signature` in constant time, and reads the seven-key envelope. Only 200 succeeds, there
 * are no retries, and the 6th consecutive failure disables the endpoint.
 */

const DASTRA_KEYS = ["webhookId", "signatureUrl", "userId", "eventType", "eventName", "data", "date"];

interface DastraEnvelope {
  webhookId: string;
  signatureUrl: string;
  userId: string | null;
  eventType: string;
  eventName: string;
  data: unknown;
  date: string;
}

/** A Dastra consumer: 401 on a bad signature, else `status(envelope)`. */
function dastraConsumer(receiver: Receiver, secret: () => string, status: (envelope: DastraEnvelope) => number = () => 200): void {
  receiver.respond = (request: ReceivedRequest) => {
    const expected = bodyHmacBase64(secret(), Buffer.from(request.body, "utf8"));
    if (!signatureMatches(expected, header(request, "dastra-signature"))) return { status: 401, body: "invalid signature" };
    return { status: status(JSON.parse(request.body) as DastraEnvelope) };
  };
}

describe("profile dastra", () => {
  const clock = makeManualClock(Date.now());
  const harness = useHeraldWithReceiver(clock);

  async function dastraEndpoint(path: string) {
    const appId = await createApp(harness.h, "Dastra workspace");
    const endpoint = await createEndpoint(harness.h, appId, { url: harness.receiver.url + path, profile: "dastra" });
    const { key } = await secretOf(harness.h, appId, endpoint.id);
    return { appId, endpoint, secret: key };
  }

  test("the envelope has Dastra's seven keys, the payload byte for byte, and a Dastra-Signature the samples accept", async () => {
    await harness.h.svix.eventType.create({ name: "dsr.created", description: "New data subject request created" });
    const { appId, endpoint, secret } = await dastraEndpoint("/dastra/webhook");
    assert.match(secret, /^whsec_/);
    dastraConsumer(harness.receiver, () => secret);

    // Posted as raw text: the spacing and the non-ASCII name must reach the receiver unchanged.
    const payloadText = '{"requestId": 981, "subject": "Renée Müller", "kinds": ["access", "erasure"], "amount": 1.50}';
    const message = await postMessage(harness.h, appId, `{"eventType": "dsr.created", "payload": ${payloadText}, "metadata": {"userId": "u-42"}}`);
    assert.deepEqual(message.metadata, { userId: "u-42" });
    await harness.h.herald.worker!.drain();

    assert.equal(harness.receiver.requests.length, 1);
    const request = harness.receiver.requests[0];
    assert.equal(request.method, "POST");
    assert.match(header(request, "content-type"), /^application\/json\b/);
    assert.deepEqual(webhookHeaderNames(request), []);
    assert.equal(
      request.body,
      `{"webhookId":"${endpoint.id}","signatureUrl":"${endpoint.url}","userId":"u-42","eventType":"dsr.created",` +
        `"eventName":"New data subject request created","data":${payloadText},"date":"${message.timestamp}"}`,
    );
    const envelope = JSON.parse(request.body) as DastraEnvelope;
    assert.deepEqual(Object.keys(envelope), DASTRA_KEYS);
    assert.equal(envelope.webhookId, endpoint.id);
    assert.equal(envelope.signatureUrl, harness.receiver.url + "/dastra/webhook");
    assert.equal(new Date(envelope.date).toISOString(), envelope.date);
    assert.equal(Date.parse(envelope.date), Date.parse(message.timestamp));

    // The receiver checked the signature and answered 200: the attempt succeeded.
    const [attempt] = await endpointAttempts(harness.h, appId, endpoint.id);
    assert.deepEqual([attempt.status, attempt.responseStatusCode], [0, 200]);
    // Sanity: a wrong key would not have verified.
    assert.equal(signatureMatches(bodyHmacBase64(secret + "x", request.body), header(request, "dastra-signature")), false);
  });

  test("no metadata.userId → userId null; an event type without description → eventName is its name", async () => {
    const { appId, secret } = await dastraEndpoint("/dastra/other");
    dastraConsumer(harness.receiver, () => secret);
    await postMessage(harness.h, appId, { eventType: "processing.updated", payload: { id: 7 } });
    await harness.h.herald.worker!.drain();
    const envelope = JSON.parse(harness.receiver.requests[0].body) as DastraEnvelope;
    assert.equal(envelope.userId, null);
    assert.equal(envelope.eventName, "processing.updated");
    assert.deepEqual(envelope.data, { id: 7 });
  });

  test("after a secret rotation the signature uses the new secret (what GET …/secret returns now)", async () => {
    const { appId, endpoint, secret } = await dastraEndpoint("/dastra/rotated");
    await harness.h.svix.endpoint.rotateSecret(appId, endpoint.id, {});
    const { key: rotated } = await secretOf(harness.h, appId, endpoint.id);
    assert.notEqual(rotated, secret);
    dastraConsumer(harness.receiver, () => rotated);
    await postMessage(harness.h, appId, { eventType: "dsr.updated", payload: { id: 8 } });
    await harness.h.herald.worker!.drain();
    const [attempt] = await endpointAttempts(harness.h, appId, endpoint.id);
    assert.deepEqual([attempt.status, attempt.responseStatusCode], [0, 200], "the receiver refused the signature");
  });

  test("only 200 succeeds: 201 and 204 are failures, with no retry", async () => {
    const { appId, endpoint, secret } = await dastraEndpoint("/dastra/strict");
    dastraConsumer(harness.receiver, () => secret, (envelope) => (envelope.data as { answer: number }).answer);
    for (const answer of [201, 204, 200]) {
      await postMessage(harness.h, appId, { eventType: "dsr.created", payload: { answer } });
      await harness.h.herald.worker!.drain();
    }
    clock.advance(MINUTE);
    await harness.h.herald.worker!.drain();
    assert.equal(harness.receiver.requests.length, 3, "a failure was retried, Dastra does not retry");
    const attempts = await endpointAttempts(harness.h, appId, endpoint.id);
    assert.deepEqual(
      attempts.map((attempt) => [attempt.responseStatusCode, attempt.status]),
      [
        [201, 2],
        [204, 2],
        [200, 0],
      ],
    );
    const failed = await harness.h.svix.messageAttempt.listAttemptedDestinations(appId, attempts[0].msgId);
    assert.equal(failed.data[0].status, 2);
  });

  test("5 consecutive failures keep it enabled, a success resets the count, the 6th consecutive failure disables it", async () => {
    const { appId, endpoint, secret } = await dastraEndpoint("/dastra/flaky");
    let status = 500;
    dastraConsumer(harness.receiver, () => secret, () => status);
    const sendOne = async (n: number) => {
      await postMessage(harness.h, appId, { eventType: "dsr.created", payload: { n } });
      await harness.h.herald.worker!.drain();
      clock.advance(MINUTE);
    };
    for (let n = 1; n <= 5; n++) await sendOne(n);
    assert.equal(await isDisabled(harness.h, appId, endpoint.id), false, "disabled after 5 failures");
    status = 200;
    await sendOne(6);
    status = 500;
    for (let n = 7; n <= 11; n++) await sendOne(n);
    assert.equal(await isDisabled(harness.h, appId, endpoint.id), false, "the success in between did not reset the count");
    await sendOne(12);
    assert.equal(await isDisabled(harness.h, appId, endpoint.id), true, "the 6th consecutive failure did not disable it");
    assert.equal(harness.receiver.requests.length, 12);

    // Manual reactivation, as in Dastra's UI.
    status = 200;
    await patchEndpoint(harness.h, appId, endpoint.id, { disabled: false });
    await sendOne(13);
    assert.equal(harness.receiver.requests.length, 13);
    assert.equal((await endpointAttempts(harness.h, appId, endpoint.id)).at(-1)?.status, 0);
  });

  test("the defaults are Dastra's: 10 s timeout, exactly 200, no retries, 5 consecutive failures tolerated", async () => {
    const { endpoint } = await dastraEndpoint("/dastra/defaults");
    const options = endpoint.effectiveOptions;
    assert.equal(options.timeoutMs, 10_000);
    assert.equal(options.acceptStatus, "200");
    assert.deepEqual(options.retrySchedule, []);
    assert.deepEqual(options.disablePolicy, { type: "consecutive", allowedFailures: 5 });
    assert.deepEqual(options.signatures, [{ scheme: "hmac-sha256", header: "Dastra-Signature", encoding: "base64" }]);
    assert.equal(endpoint.timeoutMs, null, "the profile's value is not the endpoint's own");
  });
});
