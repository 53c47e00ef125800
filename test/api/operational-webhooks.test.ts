import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, test } from "node:test";

import { Webhook as StandardWebhook } from "standardwebhooks";
import { Webhook as SvixWebhook } from "svix";

import { OPERATIONAL_APP_ID } from "../../src/store/operational-app.ts";
import { assertError, assertValidation, headerMap, raw, sdkError, useHerald, useReceiver } from "./api-helpers.ts";

const OPS = "/api/v1/operational-webhook/endpoint";

describe("operational webhook endpoints (SDK)", () => {
  const herald = useHerald();
  const receiver = useReceiver();

  test("create, get, list, update, delete", async () => {
    const h = herald();
    const ops = h.svix.operationalWebhookEndpoint;
    const created = await ops.create({
      url: "https://ops.example.com/a",
      uid: "ops-a",
      description: "ops",
      filterTypes: ["endpoint.created", "endpoint.deleted"],
      metadata: { team: "sre" },
    });
    assert.match(created.id, /^ep_/);
    assert.deepEqual(
      { url: created.url, uid: created.uid, description: created.description, disabled: created.disabled, filterTypes: created.filterTypes },
      { url: "https://ops.example.com/a", uid: "ops-a", description: "ops", disabled: false, filterTypes: ["endpoint.created", "endpoint.deleted"] },
    );
    assert.deepEqual(created.metadata, { team: "sre" });

    assert.equal((await ops.get(created.id)).uid, "ops-a");
    assert.equal((await ops.get("ops-a")).id, created.id);

    const second = await ops.create({ url: "https://ops.example.com/b" });
    const listed = await ops.list({ limit: 250 });
    assert.deepEqual(listed.data.map((endpoint) => endpoint.id), [created.id, second.id].sort());
    const firstPage = await ops.list({ limit: 1 });
    assert.equal(firstPage.done, false);
    const secondPage = await ops.list({ limit: 1, iterator: firstPage.iterator });
    assert.deepEqual([...firstPage.data, ...secondPage.data].map((endpoint) => endpoint.id), [created.id, second.id].sort());

    const updated = await ops.update(created.id, { url: "https://ops.example.com/a2", filterTypes: ["endpoint.updated"], disabled: true });
    assert.equal(updated.id, created.id);
    assert.equal(updated.url, "https://ops.example.com/a2");
    assert.deepEqual(updated.filterTypes, ["endpoint.updated"]);
    assert.equal(updated.disabled, true);

    await ops.delete(second.id);
    assert.equal((await sdkError(ops.get(second.id))).status, 404);
    await ops.delete(created.id);
    assert.deepEqual((await ops.list()).data, []);
  });

  test("unknown operational event types are 422", async () => {
    const h = herald();
    assertValidation(await raw(h)("POST", OPS, { url: "https://ops.example.com/x", filterTypes: ["invoice.paid"] }), ["body", "filterTypes"]);
    assert.equal((await sdkError(h.svix.operationalWebhookEndpoint.create({ url: "https://ops.example.com", filterTypes: ["nope"] }))).status, 422);
  });

  test("operational endpoints are not visible as an application", async () => {
    const h = herald();
    const endpoint = await h.svix.operationalWebhookEndpoint.create({ url: "https://ops.example.com/hidden" });
    const apps = await h.svix.application.list({ limit: 250 });
    for (const app of apps.data) {
      const endpoints = await h.svix.endpoint.list(app.id, { limit: 250 });
      assert.ok(!endpoints.data.some((item) => item.id === endpoint.id));
    }
    // The internal application that holds them is not reachable through the app routes either.
    for (const path of [`/api/v1/app/${OPERATIONAL_APP_ID}`, `/api/v1/app/${OPERATIONAL_APP_ID}/endpoint`, `/api/v1/app/${OPERATIONAL_APP_ID}/endpoint/${endpoint.id}`]) {
      assertError(await raw(h)("GET", path), 404, "not_found");
    }
    assertError(await raw(h)("POST", `/api/v1/app/${OPERATIONAL_APP_ID}/msg`, { eventType: "endpoint.created", payload: {} }), 404, "not_found");
    await h.svix.operationalWebhookEndpoint.delete(endpoint.id);
  });

  test("getSecret, rotateSecret, getHeaders, updateHeaders", async () => {
    const h = herald();
    const ops = h.svix.operationalWebhookEndpoint;
    const secret = "whsec_" + randomBytes(32).toString("base64");
    const endpoint = await ops.create({ url: "https://ops.example.com/s", secret });
    assert.equal((await ops.getSecret(endpoint.id)).key, secret);

    await ops.rotateSecret(endpoint.id, {});
    const rotated = (await ops.getSecret(endpoint.id)).key;
    assert.match(rotated, /^whsec_/);
    assert.notEqual(rotated, secret);
    const chosen = "whsec_" + randomBytes(24).toString("base64");
    await ops.rotateSecret(endpoint.id, { key: chosen });
    assert.equal((await ops.getSecret(endpoint.id)).key, chosen);

    assert.deepEqual(await ops.getHeaders(endpoint.id), { headers: {}, sensitive: [] });
    await ops.updateHeaders(endpoint.id, { headers: { "X-Ops": "1", Authorization: "Bearer ops-secret" } });
    const headers = await ops.getHeaders(endpoint.id);
    assert.deepEqual(headers.headers, { "X-Ops": "1" });
    assert.deepEqual(headers.sensitive, ["Authorization"]);
    assertValidation(await raw(h)("PUT", `${OPS}/${endpoint.id}/headers`, { headers: { "user-agent": "x" } }), ["body", "headers", "user-agent"]);
    await ops.delete(endpoint.id);
  });

  test("operational routes are admin only", async () => {
    const h = herald();
    const app = await h.svix.application.create({ name: "Ops tenant" });
    const { token } = await h.svix.authentication.appPortalAccess(app.id, {});
    assert.equal((await sdkError(h.client(token).operationalWebhookEndpoint.list())).status, 403);
    assert.equal((await sdkError(h.client(token).operationalWebhookEndpoint.create({ url: "https://ops.example.com" }))).status, 403);
  });

  test("creating an app endpoint sends a signed endpoint.created to the operational endpoint", async () => {
    const h = herald();
    const r = receiver();
    const opsEndpoint = await h.svix.operationalWebhookEndpoint.create({ url: `${r.url}/ops`, filterTypes: ["endpoint.created"] });
    const opsSecret = (await h.svix.operationalWebhookEndpoint.getSecret(opsEndpoint.id)).key;

    const app = await h.svix.application.create({ name: "Watched", uid: "watched-app" });
    const endpoint = await h.svix.endpoint.create(app.id, { url: "https://example.com/watched", uid: "watched-ep", disabled: true });

    const [request] = await r.waitFor(1);
    assert.equal(request.path, "/ops");
    assert.equal(request.method, "POST");
    const headers = headerMap(request.headers);
    const event = new StandardWebhook(opsSecret).verify(request.body, headers) as { type: string; timestamp: string; data: Record<string, unknown> };
    assert.deepEqual(new SvixWebhook(opsSecret).verify(request.body, headers), event);
    assert.equal(event.type, "endpoint.created");
    assert.deepEqual(event.data, { appId: app.id, appUid: "watched-app", endpointId: endpoint.id, endpointUid: "watched-ep" });
    assert.ok(!Number.isNaN(Date.parse(event.timestamp)));
    assert.throws(() => new StandardWebhook("whsec_" + randomBytes(24).toString("base64")).verify(request.body, headers));

    // Filtered out: updates are not sent to this endpoint; the next create is.
    await h.svix.endpoint.patch(app.id, endpoint.id, { description: "changed" });
    const next = await h.svix.endpoint.create(app.id, { url: "https://example.com/watched-2", disabled: true });
    const second = (await r.waitFor(2))[1];
    const nextEvent = JSON.parse(second.body) as { type: string; data: { endpointId: string } };
    assert.equal(nextEvent.type, "endpoint.created");
    assert.equal(nextEvent.data.endpointId, next.id);
  });
});
