import assert from "node:assert/strict";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { describe, test } from "node:test";

import { ApiException } from "svix";

import { makeManualClock } from "../../src/domain/clock.ts";
import { verifyWithBoth } from "../delivery/support.ts";
import {
  call,
  createApp,
  createEndpoint,
  expect422,
  messageAttempts,
  postMessage,
  secretOf,
  useHeraldWithReceiver,
} from "../profiles/support.ts";
import { assertCodatHeaders, CODAT_HEADERS } from "./support.ts";

/**
 * Hosted Svix's endpoint transformations: `handler(webhook)` runs in the QuickJS sandbox before
 * each delivery and may change method, URL and payload, or cancel. Deliveries go to a real
 * receiver; the manual clock (starting now, so signatures verify) keeps retries out of the way.
 */
describe("consumers: transformations", () => {
  const clock = makeManualClock(Date.now());
  const harness = useHeraldWithReceiver(clock);
  const drain = () => harness.h.herald.worker!.drain();

  async function transformedEndpoint(code: string, extra: Record<string, unknown> = {}) {
    const appId = await createApp(harness.h, "Transformed");
    const endpoint = await createEndpoint(harness.h, appId, { url: `${harness.receiver.url}/hook`, ...extra });
    await call(harness.h, "PATCH", `/api/v1/app/${appId}/endpoint/${endpoint.id}/transformation`, { code, enabled: true }, 204);
    return { appId, endpointId: endpoint.id };
  }

  test("set through the svix SDK: method becomes PUT, URL another path, payload rewritten; signed as sent, custom headers kept", async () => {
    const appId = await createApp(harness.h, "Codat");
    const endpoint = await createEndpoint(harness.h, appId, { url: `${harness.receiver.url}/hook`, headers: CODAT_HEADERS });
    const code = `function handler(webhook) {
  webhook.method = "PUT";
  webhook.url = webhook.url.replace("/hook", "/other");
  webhook.payload = { kind: webhook.eventType, companyId: webhook.payload.company.id, transformed: true };
  return webhook;
}`;
    await harness.h.svix.endpoint.transformationPartialUpdate(appId, endpoint.id, { code, enabled: true });
    const saved = await harness.h.svix.endpoint.transformationGet(appId, endpoint.id);
    assert.equal(saved.code, code);
    assert.equal(saved.enabled, true);

    const message = await postMessage(harness.h, appId, { eventType: "company.updated", payload: { company: { id: "c-42", name: "Acme" } } });
    await drain();
    assert.equal(harness.receiver.requests.length, 1);
    const [request] = harness.receiver.requests;
    assert.equal(request.method, "PUT");
    assert.equal(request.path, "/other");
    const expected = { kind: "company.updated", companyId: "c-42", transformed: true };
    assert.deepEqual(JSON.parse(request.body), expected);
    assert.deepEqual(verifyWithBoth((await secretOf(harness.h, appId, endpoint.id)).key, request), expected, "the signature covers the transformed body");
    assertCodatHeaders(request.headers);

    const [attempt] = await messageAttempts(harness.h, appId, message.id);
    assert.equal(attempt.status, 0);
    assert.equal(attempt.request.method, "PUT");
    assert.equal(attempt.request.url, `${harness.receiver.url}/other`);

    // Disabled again: the message goes out untouched.
    await harness.h.svix.endpoint.transformationPartialUpdate(appId, endpoint.id, { enabled: false });
    assert.equal((await harness.h.svix.endpoint.transformationGet(appId, endpoint.id)).enabled, false);
    await postMessage(harness.h, appId, { eventType: "company.updated", payload: { company: { id: "c-43" } } });
    await drain();
    assert.equal(harness.receiver.requests.length, 2);
    assert.equal(harness.receiver.requests[1].method, "POST");
    assert.equal(harness.receiver.requests[1].path, "/hook");
    assert.deepEqual(JSON.parse(harness.receiver.requests[1].body), { company: { id: "c-43" } });
  });

  test("cancel: no request is made and the attempt is a success saying the transformation cancelled it", async () => {
    const { appId } = await transformedEndpoint(`function handler(webhook) {
  if (webhook.payload.internal) webhook.cancel = true;
  return webhook;
}`);
    const canceled = await postMessage(harness.h, appId, { eventType: "invoice.created", payload: { internal: true } });
    const sent = await postMessage(harness.h, appId, { eventType: "invoice.created", payload: { internal: false } });
    await drain();
    assert.equal(harness.receiver.requests.length, 1);
    assert.equal(harness.receiver.requests[0].headers["webhook-id"], sent.id);

    const attempts = await messageAttempts(harness.h, appId, canceled.id);
    assert.equal(attempts.length, 1);
    assert.equal(attempts[0].status, 0);
    assert.equal(attempts[0].response, "Canceled by the endpoint's transformation");
    const [destination] = (await harness.h.svix.messageAttempt.listAttemptedDestinations(appId, canceled.id)).data;
    assert.equal(destination.status, 0);
  });

  test("while(true){} fails that attempt as timed out without blocking other deliveries; a throw fails it readably", async () => {
    const appId = await createApp(harness.h, "Loops");
    const looping = await createEndpoint(harness.h, appId, { url: `${harness.receiver.url}/looping` });
    await call(harness.h, "PATCH", `/api/v1/app/${appId}/endpoint/${looping.id}/transformation`, { code: "function handler(webhook) { while (true) {} }", enabled: true }, 204);
    const throwing = await createEndpoint(harness.h, appId, { url: `${harness.receiver.url}/throwing` });
    await call(harness.h, "PATCH", `/api/v1/app/${appId}/endpoint/${throwing.id}/transformation`, { code: "function handler(webhook) { throw new Error('no company id in ' + webhook.eventType); }", enabled: true }, 204);
    const healthy = await createEndpoint(harness.h, appId, { url: `${harness.receiver.url}/healthy` });

    const first = await postMessage(harness.h, appId, { eventType: "invoice.created", payload: { n: 1 } });
    const second = await postMessage(harness.h, appId, { eventType: "invoice.created", payload: { n: 2 } });
    await drain();
    assert.deepEqual(harness.receiver.requests.map((request) => request.path), ["/healthy", "/healthy"]);

    for (const message of [first, second]) {
      const attempts = await messageAttempts(harness.h, appId, message.id);
      const byEndpoint = (id: string) => attempts.filter((attempt) => attempt.endpointId === id);
      assert.equal(byEndpoint(healthy.id)[0]?.status, 0);
      const [loop] = byEndpoint(looping.id);
      assert.equal(loop?.status, 2);
      assert.equal(loop.responseStatusCode, 0);
      assert.match(loop.response, /timed out/i);
      const [thrown] = byEndpoint(throwing.id);
      assert.equal(thrown?.status, 2);
      assert.match(thrown.response, /no company id in invoice\.created/);
    }

    // Another application's deliveries flow right after.
    const otherApp = await createApp(harness.h, "Unaffected");
    await createEndpoint(harness.h, otherApp, { url: `${harness.receiver.url}/unaffected` });
    await postMessage(harness.h, otherApp, { eventType: "invoice.created", payload: { n: 3 } });
    await drain();
    assert.equal(harness.receiver.requests.at(-1)?.path, "/unaffected");
  });

  test("a result larger than 2 MiB fails the attempt readably: a small message never becomes megabytes sent and logged", async () => {
    const { appId, endpointId } = await transformedEndpoint("function handler(webhook) { webhook.payload = { blob: 'x'.repeat(3 * 1024 * 1024) }; return webhook; }");
    const message = await postMessage(harness.h, appId, { eventType: "invoice.created", payload: { n: 1 } });
    await drain();
    assert.equal(harness.receiver.requests.filter((request) => request.path === "/hook").length, 0);
    const [attempt] = (await messageAttempts(harness.h, appId, message.id)).filter((item) => item.endpointId === endpointId);
    assert.equal(attempt?.status, 2);
    assert.match(attempt.response, /the limit is 2097152 bytes/);
    assert.ok(JSON.stringify(attempt).length < 10_000, "the attempt log keeps no copy of the result");
  });

  test("the endpoint's variables reach the handler as webhook.variables, and simulate uses them", async () => {
    const code = "function handler(webhook) { webhook.payload = { key: webhook.variables.apiKey, n: webhook.payload.n }; return webhook; }";
    const { appId, endpointId } = await transformedEndpoint(code);
    await call(harness.h, "PATCH", `/api/v1/app/${appId}/endpoint/${endpointId}/transformation`, { variables: { apiKey: "k-123" } }, 204);
    await postMessage(harness.h, appId, { eventType: "invoice.created", payload: { n: 7 } });
    await drain();
    assert.deepEqual(JSON.parse(harness.receiver.requests.at(-1)?.body ?? "null"), { key: "k-123", n: 7 });
    const simulated = await call(harness.h, "POST", `/api/v1/app/${appId}/endpoint/${endpointId}/transformation/simulate`, { code, eventType: "invoice.created", payload: { n: 8 } }, 200);
    assert.deepEqual(JSON.parse((simulated.body as { payload: string }).payload), { key: "k-123", n: 8 });
  });

  test("an infinite loop runs off the main thread: Herald's event loop never stalls for the length of the CPU limit", async () => {
    const { appId } = await transformedEndpoint("function handler(webhook) { while (true) {} }");
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    try {
      for (let n = 0; n < 3; n++) await postMessage(harness.h, appId, { eventType: "invoice.created", payload: { n } });
      await drain();
    } finally {
      delay.disable();
    }
    // Three runs of 250 ms each: a sandbox on the main thread would stall it for at least that long each time.
    const maxMs = delay.max / 1e6;
    assert.ok(maxMs < 200, `the event loop stalled for ${maxMs.toFixed(0)} ms`);
    assert.equal(harness.receiver.requests.length, 0);
  });

  test("a URL the transformation sets is checked like a saved one: a metadata address fails the attempt and is refused by simulate", async () => {
    const code = 'function handler(webhook) { webhook.url = "http://169.254.169.254/latest/meta-data"; return webhook; }';
    const { appId, endpointId } = await transformedEndpoint(code);
    const message = await postMessage(harness.h, appId, { eventType: "invoice.created", payload: {} });
    await drain();
    assert.equal(harness.receiver.requests.length, 0);
    const [attempt] = await messageAttempts(harness.h, appId, message.id);
    assert.equal(attempt.status, 2);
    assert.match(attempt.response, /may not call/);
    await expect422(harness.h, "POST", `/api/v1/app/${appId}/endpoint/${endpointId}/transformation/simulate`, { code, eventType: "invoice.created", payload: {} }, ["body", "code"]);
  });

  test("the sandbox has none of the host's require, process, fetch, Buffer or globals", async () => {
    await transformedEndpoint(`function handler(webhook) {
  webhook.payload = {
    require: typeof require,
    process: typeof process,
    fetch: typeof fetch,
    Buffer: typeof Buffer,
    setTimeout: typeof setTimeout,
    globalProcess: typeof globalThis.process,
    globalRequire: typeof globalThis.require,
    hostKeys: Object.getOwnPropertyNames(globalThis).filter(function (name) {
      return ["process", "require", "module", "fetch", "Buffer", "global", "XMLHttpRequest", "WebSocket"].indexOf(name) >= 0;
    }),
  };
  return webhook;
}`).then(({ appId }) => postMessage(harness.h, appId, { eventType: "probe.run", payload: {} }));
    await drain();
    assert.equal(harness.receiver.requests.length, 1);
    assert.deepEqual(JSON.parse(harness.receiver.requests[0].body), {
      require: "undefined",
      process: "undefined",
      fetch: "undefined",
      Buffer: "undefined",
      setTimeout: "undefined",
      globalProcess: "undefined",
      globalRequire: "undefined",
      hostKeys: [],
    });
  });

  test("code that does not compile, or defines no handler, is refused at save with a 422 on body.code", async () => {
    const appId = await createApp(harness.h, "Broken code");
    const endpoint = await createEndpoint(harness.h, appId, { url: `${harness.receiver.url}/hook` });
    const path = `/api/v1/app/${appId}/endpoint/${endpoint.id}/transformation`;
    const syntax = await expect422(harness.h, "PATCH", path, { code: "function handler(webhook) {\n  return webhook.;\n}", enabled: true }, ["body", "code"]);
    assert.match(syntax, /syntax/i);
    await expect422(harness.h, "PATCH", path, { code: "const notAHandler = 1;", enabled: true }, ["body", "code"]);

    // Through the SDK, the same refusal.
    await assert.rejects(
      harness.h.svix.endpoint.transformationPartialUpdate(appId, endpoint.id, { code: "function handler( {", enabled: true }),
      (error: unknown) => error instanceof ApiException && error.code === 422,
    );
    // Nothing was saved.
    const saved = await harness.h.svix.endpoint.transformationGet(appId, endpoint.id);
    assert.equal(saved.code ?? null, null);
    assert.equal(saved.enabled, false);
  });

  test("simulate returns the transformed url, method, payload and cancel, and sends nothing", async () => {
    const appId = await createApp(harness.h, "Simulated");
    const endpoint = await createEndpoint(harness.h, appId, { url: `${harness.receiver.url}/hook` });
    const path = `/api/v1/app/${appId}/endpoint/${endpoint.id}/transformation/simulate`;
    const code = `function handler(webhook) {
  webhook.method = "PUT";
  webhook.url = webhook.url + "?type=" + webhook.eventType;
  webhook.payload = { id: webhook.payload.id, doubled: webhook.payload.amount * 2 };
  webhook.cancel = webhook.payload.doubled === 0;
  return webhook;
}`;
    const simulated = (await call(harness.h, "POST", path, { code, eventType: "invoice.created", payload: { id: "inv_1", amount: 21 } }, 200)).body as {
      url: string;
      method: string;
      payload: string;
      cancel: boolean;
    };
    assert.deepEqual(
      { ...simulated, payload: JSON.parse(simulated.payload) },
      { url: `${harness.receiver.url}/hook?type=invoice.created`, method: "PUT", payload: { id: "inv_1", doubled: 42 }, cancel: false },
    );
    assert.equal(typeof simulated.payload, "string");
    const cancel = (await call(harness.h, "POST", path, { code, eventType: "invoice.created", payload: { id: "inv_0", amount: 0 } }, 200)).body as { cancel: boolean };
    assert.equal(cancel.cancel, true);
    await expect422(harness.h, "POST", path, { code: "function handler(webhook) { return webhook.; }", eventType: "invoice.created", payload: {} }, ["body", "code"]);

    await drain();
    assert.equal(harness.receiver.requests.length, 0, "simulate sent a request");
    const saved = await harness.h.svix.endpoint.transformationGet(appId, endpoint.id);
    assert.equal(saved.code ?? null, null, "simulate saved the code");
  });
});
