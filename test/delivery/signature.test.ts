import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { Webhook as StandardWebhook } from "standardwebhooks";
import { Webhook as SvixWebhook } from "svix";

import { makeManualClock } from "../../src/domain/clock.ts";
import { api, startTestHerald, type TestHerald } from "../helpers/herald.ts";
import { type Receiver, startReceiver } from "../helpers/receiver.ts";
import { appWithEndpoint, headersOf, SECOND, verifyWithBoth } from "./support.ts";

/** Every delivered request is a Standard Webhooks request any verifier accepts. */
describe("delivery: Standard Webhooks signature", () => {
  // The clock starts at real time so the verifiers' ±5 min timestamp tolerance holds.
  const clock = makeManualClock(Date.now());
  let h: TestHerald;
  let receiver: Receiver;

  before(async () => {
    h = await startTestHerald({ clock, random: () => 0.5 });
    receiver = await startReceiver();
  });
  after(async () => {
    await h.close();
    await receiver.close();
  });

  test("headers, content-type and a signature both svix and standardwebhooks verify", async () => {
    const { appId, endpointId } = await appWithEndpoint(h, { url: receiver.url + "/sig" });
    const payload = { id: "inv_1", amount: 42, nested: { list: [1, 2, 3] }, text: "héllo ✓" };
    const message = await h.svix.message.create(appId, { eventType: "invoice.paid", payload });
    const [request] = await receiver.waitFor(1);

    assert.equal(request.method, "POST");
    assert.equal(request.path, "/sig");
    assert.equal(request.headers["content-type"], "application/json");
    assert.equal(request.headers["webhook-id"], message.id);
    assert.equal(request.headers["webhook-timestamp"], String(Math.floor(clock.now() / 1000)));
    assert.match(String(request.headers["webhook-signature"]), /^v1,[A-Za-z0-9+/]+=*$/);

    const { key } = await h.svix.endpoint.getSecret(appId, endpointId);
    assert.deepEqual(verifyWithBoth(key, request), payload);
  });

  test("the payload is delivered byte for byte as posted, and that is what is signed", async () => {
    receiver.requests.length = 0;
    const { appId, endpointId } = await appWithEndpoint(h, { url: receiver.url });
    const payload = '{ "z": 1.50,\n  "a": [1e3, "\\u00e9"], "emoji": "\ud83d\ude00" }';
    const posted = await api(h.url, h.adminToken, "POST", `/api/v1/app/${appId}/msg`, `{"eventType":"raw.bytes","payload":${payload}}`, {
      "content-type": "application/json",
    });
    assert.equal(posted.status, 202, posted.text);
    const [request] = await receiver.waitFor(1);
    assert.equal(request.body, payload);
    const { key } = await h.svix.endpoint.getSecret(appId, endpointId);
    assert.deepEqual(verifyWithBoth(key, request), JSON.parse(payload));
  });

  test("custom endpoint headers are sent alongside the signature headers", async () => {
    receiver.requests.length = 0;
    const { appId, endpointId } = await appWithEndpoint(h, { url: receiver.url, headers: { "x-tenant": "acme", authorization: "Bearer s3cr3t-token" } });
    const message = await h.svix.message.create(appId, { eventType: "invoice.paid", payload: {} });
    const [request] = await receiver.waitFor(1);
    assert.equal(request.headers["x-tenant"], "acme");
    assert.equal(request.headers.authorization, "Bearer s3cr3t-token");
    assert.equal(request.headers["webhook-id"], message.id);
    const { key } = await h.svix.endpoint.getSecret(appId, endpointId);
    verifyWithBoth(key, request);
  });

  test("a tampered body, another secret or a shifted timestamp does not verify", async () => {
    receiver.requests.length = 0;
    const { appId, endpointId } = await appWithEndpoint(h, { url: receiver.url });
    await h.svix.message.create(appId, { eventType: "invoice.paid", payload: { amount: 1 } });
    const [request] = await receiver.waitFor(1);
    const { key } = await h.svix.endpoint.getSecret(appId, endpointId);
    const headers = headersOf(request);

    for (const Verifier of [SvixWebhook, StandardWebhook]) {
      assert.throws(() => new Verifier(key).verify(request.body.replace("1", "2"), headers));
      assert.throws(() => new Verifier("whsec_" + Buffer.alloc(24, 7).toString("base64")).verify(request.body, headers));
      const shifted = { ...headers, "webhook-timestamp": String(Number(headers["webhook-timestamp"]) + 1) };
      assert.throws(() => new Verifier(key).verify(request.body, shifted));
    }
  });

  test("webhook-id stays the message id across retries; each attempt is signed with its own timestamp", async () => {
    receiver.requests.length = 0;
    receiver.respond = () => ({ status: 500, body: "not yet" });
    const { appId, endpointId } = await appWithEndpoint(h, { url: receiver.url });
    const message = await h.svix.message.create(appId, { eventType: "invoice.paid", payload: { n: 3 } });
    await receiver.waitFor(1);
    await h.herald.worker!.drain();

    receiver.respond = () => ({ status: 200 });
    clock.advance(5 * SECOND);
    h.herald.worker!.wake();
    const [first, second] = await receiver.waitFor(2);

    assert.equal(first.headers["webhook-id"], message.id);
    assert.equal(second.headers["webhook-id"], message.id);
    assert.equal(Number(second.headers["webhook-timestamp"]) - Number(first.headers["webhook-timestamp"]), 5);
    const { key } = await h.svix.endpoint.getSecret(appId, endpointId);
    assert.deepEqual(verifyWithBoth(key, first), { n: 3 });
    assert.deepEqual(verifyWithBoth(key, second), { n: 3 });
  });

  test("after a rotation both the old and the new secret verify during the grace period", async () => {
    receiver.requests.length = 0;
    receiver.respond = () => ({ status: 200 });
    const { appId, endpointId } = await appWithEndpoint(h, { url: receiver.url });
    const { key: oldKey } = await h.svix.endpoint.getSecret(appId, endpointId);
    await h.svix.endpoint.rotateSecret(appId, endpointId, {});
    const { key: newKey } = await h.svix.endpoint.getSecret(appId, endpointId);
    assert.notEqual(newKey, oldKey);

    await h.svix.message.create(appId, { eventType: "invoice.paid", payload: { rotated: true } });
    const [request] = await receiver.waitFor(1);
    assert.equal(String(request.headers["webhook-signature"]).split(" ").length, 2);
    assert.deepEqual(verifyWithBoth(oldKey, request), { rotated: true });
    assert.deepEqual(verifyWithBoth(newKey, request), { rotated: true });
  });
});
