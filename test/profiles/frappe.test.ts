import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { makeManualClock } from "../../src/domain/clock.ts";
import { REDACTED } from "../../src/domain/endpoint-headers.ts";
import { isDisabled, SECOND } from "../delivery/support.ts";
import type { ReceivedRequest, Receiver } from "../helpers/receiver.ts";
import {
  bodyHmacBase64,
  createApp,
  createEndpoint,
  endpointAttempts,
  header,
  messageAttempts,
  postMessage,
  secretOf,
  signatureMatches,
  useHeraldWithReceiver,
} from "./support.ts";

/**
 * Profile `frappe` (Frappe / Dokos). The receiver verifies `X-Frappe-Webhook-Signature` as
 * Frappe's Python does: base64(hmac.new(secret.encode("utf-8"), raw_body, sha256).digest()).
 * Method, Jinja/Liquid template, condition (filter) and field map are the Webhook doctype's
 * request_method, webhook_json, condition and webhook_data; attempts are its Webhook Request Log.
 */

const API_AUTH = "token 5d3f0a1b2c4e6f7:9a8b7c6d5e4f3a2";

/** A Frappe-side consumer: 401 on a bad signature, else `status(request)`. */
function frappeConsumer(receiver: Receiver, secret: () => string, status: (request: ReceivedRequest) => number = () => 200): void {
  receiver.respond = (request) => {
    const expected = bodyHmacBase64(secret(), Buffer.from(request.body, "utf8"));
    if (!signatureMatches(expected, header(request, "x-frappe-webhook-signature"))) return { status: 401, body: "invalid signature" };
    const code = status(request);
    const headers: Record<string, string> = code >= 300 && code < 400 ? { location: "/elsewhere" } : {};
    return { status: code, headers, body: `answered ${code}` };
  };
}

describe("profile frappe", () => {
  const clock = makeManualClock(Date.now());
  const harness = useHeraldWithReceiver(clock);

  async function frappeEndpoint(appId: string, path: string, extra: Record<string, unknown> = {}) {
    const endpoint = await createEndpoint(harness.h, appId, { url: harness.receiver.url + path, profile: "frappe", ...extra });
    const { key } = await secretOf(harness.h, appId, endpoint.id);
    return { endpoint, secret: key };
  }

  test("PUT with a template: the receiver gets the rendered JSON, signed; a condition filter sends only matching documents", async () => {
    const appId = await createApp(harness.h, "ERPNext site");
    const { endpoint, secret } = await frappeEndpoint(appId, "/api/method/sync_invoice", {
      method: "PUT",
      body: { template: '{"name": {{ payload.name | json }}, "total": {{ payload.grand_total }}, "customer": {{ payload.customer | json }}}' },
      filter: { "payload.status": { $eq: "Paid" } },
    });
    frappeConsumer(harness.receiver, () => secret);
    await postMessage(harness.h, appId, { eventType: "sales_invoice.on_update", payload: { name: "SINV-0001", status: "Draft", grand_total: 10, customer: "A" } });
    await postMessage(harness.h, appId, { eventType: "sales_invoice.on_update", payload: { name: "SINV-0002", status: "Paid", grand_total: 120.5, customer: "Zoë \"Z\" Ltd" } });
    await harness.h.herald.worker!.drain();

    assert.equal(harness.receiver.requests.length, 1, "the Draft invoice passed the condition");
    const request = harness.receiver.requests[0];
    assert.equal(request.method, "PUT");
    assert.equal(request.path, "/api/method/sync_invoice");
    assert.equal(request.body, '{"name": "SINV-0002", "total": 120.5, "customer": "Zoë \\"Z\\" Ltd"}');
    assert.deepEqual(JSON.parse(request.body), { name: "SINV-0002", total: 120.5, customer: 'Zoë "Z" Ltd' });
    assert.match(header(request, "content-type"), /^application\/json\b/);
    const [attempt] = await endpointAttempts(harness.h, appId, endpoint.id);
    assert.deepEqual([attempt.status, attempt.responseStatusCode], [0, 200], "the receiver refused the signature");
  });

  test("a form field map is sent form-urlencoded and signed over those bytes", async () => {
    const appId = await createApp(harness.h, "Dokos site");
    const { endpoint, secret } = await frappeEndpoint(appId, "/hooks/form", {
      body: { fields: { customer: "payload.customer_name", total: "payload.total", doc: "payload.name", event: "eventType" }, format: "form" },
    });
    frappeConsumer(harness.receiver, () => secret);
    await postMessage(harness.h, appId, { eventType: "sales_order.after_insert", payload: { name: "SO-1", customer_name: "Café & Co", total: 42 } });
    await harness.h.herald.worker!.drain();

    const [request] = await harness.receiver.waitFor(1);
    assert.equal(request.method, "POST");
    assert.match(header(request, "content-type"), /^application\/x-www-form-urlencoded\b/);
    const form = new URLSearchParams(request.body);
    assert.deepEqual(Object.fromEntries(form), { customer: "Café & Co", total: "42", doc: "SO-1", event: "sales_order.after_insert" });
    assert.deepEqual([...form.keys()], ["customer", "total", "doc", "event"]);
    const [attempt] = await endpointAttempts(harness.h, appId, endpoint.id);
    assert.equal(attempt.status, 0, "the receiver refused the signature");
  });

  test("any status below 400 succeeds (302 is not followed), 400 fails and is retried 1 s later", async () => {
    const appId = await createApp(harness.h, "Statuses");
    const { endpoint, secret } = await frappeEndpoint(appId, "/status");
    frappeConsumer(harness.receiver, () => secret, (request) => (JSON.parse(request.body) as { answer: number }).answer);
    for (const answer of [302, 399, 400]) await postMessage(harness.h, appId, { eventType: "item.on_update", payload: { answer } });
    await harness.h.herald.worker!.drain();
    assert.equal(harness.receiver.requests.length, 3);
    assert.ok(harness.receiver.requests.every((request) => request.path === "/status"), "a redirect was followed");
    const attempts = await endpointAttempts(harness.h, appId, endpoint.id);
    const byAnswer = new Map(attempts.map((attempt) => [attempt.responseStatusCode, attempt.status]));
    assert.deepEqual(Object.fromEntries(byAnswer), { 302: 0, 399: 0, 400: 2 });

    clock.advance(SECOND);
    await harness.h.herald.worker!.drain();
    assert.equal(harness.receiver.requests.length, 4);
    assert.equal(await isDisabled(harness.h, appId, endpoint.id), false);
  });

  test("the request log keeps method, URL, headers (sensitive ones redacted) and the body as sent", async () => {
    const appId = await createApp(harness.h, "Request log");
    const { endpoint, secret } = await frappeEndpoint(appId, "/log", {
      method: "PUT",
      headers: { Authorization: API_AUTH, "X-Site": "erp.example.org" },
      body: { template: '{"doc": {{ payload.name | json }}}' },
    });
    frappeConsumer(harness.receiver, () => secret);
    const message = await postMessage(harness.h, appId, { eventType: "customer.on_update", payload: { name: "CUST-7", secret_note: "n/a" } });
    await harness.h.herald.worker!.drain();
    const [received] = await harness.receiver.waitFor(1);
    assert.equal(header(received, "authorization"), API_AUTH, "the receiver gets the real header");

    for (const attempts of [await endpointAttempts(harness.h, appId, endpoint.id), await messageAttempts(harness.h, appId, message.id)]) {
      assert.equal(attempts.length, 1);
      const { request } = attempts[0];
      assert.equal(request.method, "PUT");
      assert.equal(request.url, harness.receiver.url + "/log");
      assert.equal(request.body, '{"doc": "CUST-7"}');
      const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name.toLowerCase(), value]));
      assert.equal(headers.authorization, REDACTED);
      assert.ok(!JSON.stringify(attempts[0]).includes("5d3f0a1b2c4e6f7"), "the token leaked into the log");
      assert.equal(headers["x-site"], "erp.example.org");
      assert.equal(headers["x-frappe-webhook-signature"], header(received, "x-frappe-webhook-signature"));
      assert.match(headers["content-type"], /^application\/json\b/);
    }
  });

  test("a template that fails at send time fails that attempt with a readable message; the worker carries on", async () => {
    const appId = await createApp(harness.h, "Broken template");
    // Valid Liquid, but a document without grand_total renders `{"total": }`.
    const broken = await frappeEndpoint(appId, "/broken", { body: { template: '{"total": {{ payload.grand_total }}}' } });
    const plain = await frappeEndpoint(appId, "/plain");
    harness.receiver.respond = () => ({ status: 200 });

    const bad = await postMessage(harness.h, appId, { eventType: "invoice.on_submit", payload: { name: "SINV-9" } });
    await harness.h.herald.worker!.drain();
    const good = await postMessage(harness.h, appId, { eventType: "invoice.on_submit", payload: { name: "SINV-10", grand_total: 5 } });
    await harness.h.herald.worker!.drain();

    const toBroken = harness.receiver.requests.filter((request) => request.path === "/broken");
    const toPlain = harness.receiver.requests.filter((request) => request.path === "/plain");
    assert.deepEqual(toBroken.map((request) => request.body), ['{"total": 5}']);
    assert.deepEqual(toPlain.map((request) => JSON.parse(request.body).name), ["SINV-9", "SINV-10"]);

    const [failed] = (await messageAttempts(harness.h, appId, bad.id)).filter((attempt) => attempt.endpointId === broken.endpoint.id);
    assert.equal(failed.status, 2);
    assert.equal(failed.responseStatusCode, 0);
    assert.match(failed.response, /template/i);
    assert.match(failed.response, /JSON/);
    const [sent] = (await messageAttempts(harness.h, appId, good.id)).filter((attempt) => attempt.endpointId === broken.endpoint.id);
    assert.equal(sent.status, 0);

    // Its retry fails the same way, still without sending anything.
    clock.advance(SECOND);
    await harness.h.herald.worker!.drain();
    assert.equal(harness.receiver.requests.filter((request) => request.path === "/broken").length, 1);
    const retried = (await messageAttempts(harness.h, appId, bad.id)).filter((attempt) => attempt.endpointId === broken.endpoint.id);
    assert.deepEqual(retried.map((attempt) => attempt.status), [2, 2]);
    assert.equal((await endpointAttempts(harness.h, appId, plain.endpoint.id)).length, 2);
  });

  test("the defaults are Frappe's: 5 s, status below 400, never disabled", async () => {
    const appId = await createApp(harness.h, "Defaults");
    const { endpoint } = await frappeEndpoint(appId, "/defaults");
    assert.equal(endpoint.effectiveOptions.timeoutMs, 5000);
    assert.equal(endpoint.effectiveOptions.acceptStatus, "<400");
    assert.deepEqual(endpoint.effectiveOptions.disablePolicy, { type: "never" });
    assert.deepEqual(endpoint.effectiveOptions.signatures, [{ scheme: "hmac-sha256", header: "X-Frappe-Webhook-Signature", encoding: "base64" }]);
  });
});
