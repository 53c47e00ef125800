import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { generateEndpointSecret } from "../../src/crypto/endpoint-secret.ts";
import { newId } from "../../src/domain/ids.ts";
import type { Endpoint } from "../../src/domain/types.ts";
import { api, startTestHerald, type TestHerald } from "../helpers/herald.ts";
import { type Receiver, startReceiver } from "../helpers/receiver.ts";
import { attemptsOf } from "./support.ts";

/**
 * The address policy at send time. This Herald allows no private subnet, so the API refuses
 * loopback URLs when an endpoint is saved. To show the send-time check on its own, endpoints are
 * written straight into the store (as if saved under an older, looser policy, or as if a name that
 * was public when saved now resolves to loopback): the worker must refuse to connect, record a
 * readable error, and the receiver on 127.0.0.1 must get nothing.
 */
describe("delivery: blocked addresses are refused at send time", () => {
  let h: TestHerald;
  let receiver: Receiver;
  let port: string;
  let appId: string;

  before(async () => {
    h = await startTestHerald({ env: { HERALD_ALLOWED_SUBNETS: "", HERALD_ALLOWED_DOMAINS: "" } });
    receiver = await startReceiver();
    port = new URL(receiver.url).port;
    appId = (await h.svix.application.create({ name: "SSRF" })).id;
  });
  after(async () => {
    await h.close();
    await receiver.close();
  });

  /** An endpoint saved directly in the store, bypassing the API's save-time URL check. */
  async function storeEndpoint(url: string): Promise<string> {
    const now = Date.now();
    const endpoint: Endpoint = {
      id: newId("endpoint", now),
      appId,
      uid: null,
      url,
      description: "",
      eventTypes: null,
      channels: null,
      keys: [{ key: generateEndpointSecret(), expiresAt: null }],
      headers: {},
      throttleRate: null,
      disabled: false,
      firstFailureAt: null,
      consecutiveFailures: 0,
      windowFailures: 0,
      lastFailureAt: null,
      profile: "standard",
      transformation: { code: null, enabled: false, variables: null, updatedAt: null },
      mtlsIdentity: null,
      throttledSince: null,
      options: {},
      metadata: {},
      version: 1,
      createdAt: now,
      updatedAt: now,
    };
    await h.herald.store.createEndpoint(endpoint);
    return endpoint.id;
  }

  test("the API refuses loopback URLs when saving, by address and by name", async () => {
    for (const url of [`http://127.0.0.1:${port}/`, `http://localhost:${port}/`, `http://[::1]:${port}/`]) {
      const result = await api(h.url, h.adminToken, "POST", `/api/v1/app/${appId}/endpoint`, { url });
      assert.equal(result.status, 422, `${url} was accepted: ${result.text}`);
      assert.match(result.text, /loopback|HERALD_ALLOWED_SUBNETS/i);
    }
  });

  test("a name resolving to loopback is refused at connect time with a readable attempt error", async () => {
    const endpointId = await storeEndpoint(`http://localhost:${port}/hook`);
    const message = await h.svix.message.create(appId, { eventType: "invoice.paid", payload: { secret: "internal" } });
    await h.herald.worker!.drain();

    const attempts = await attemptsOf(h, appId, message.id, endpointId);
    assert.equal(attempts.length, 1);
    assert.equal(attempts[0].status, 2);
    assert.equal(attempts[0].responseStatusCode, 0);
    assert.match(attempts[0].response, /^Refusing to connect to localhost: it resolved to (127\.0\.0\.1|::1), which is .*loopback/i);
    assert.equal(receiver.requests.length, 0, "the receiver on loopback was reached");
  });

  test("IP-literal loopback URLs, however spelled, are refused at send time too", async () => {
    receiver.requests.length = 0;
    const urls = [`http://127.0.0.1:${port}/`, `http://127.1:${port}/`, `http://[::ffff:127.0.0.1]:${port}/`, `http://2130706433:${port}/`];
    const endpointIds = [];
    for (const url of urls) endpointIds.push(await storeEndpoint(url));
    const message = await h.svix.message.create(appId, { eventType: "invoice.paid", payload: {} });
    await h.herald.worker!.drain();

    for (const [index, endpointId] of endpointIds.entries()) {
      const attempts = await attemptsOf(h, appId, message.id, endpointId);
      assert.equal(attempts.length, 1, urls[index]);
      assert.equal(attempts[0].responseStatusCode, 0, urls[index]);
      assert.match(attempts[0].response, /^Refusing to connect to .*127\.0\.0\.1.*loopback/i, urls[index]);
    }
    assert.equal(receiver.requests.length, 0, "the receiver on loopback was reached");
  });
});
