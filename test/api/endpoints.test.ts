import assert from "node:assert/strict";
import { before, describe, test } from "node:test";

import { Ordering } from "svix";

import { assertError, assertValidation, raw, sdkError, useHerald } from "./api-helpers.ts";

interface EndpointOut {
  id: string;
  uid: string | null;
  url: string;
  description: string;
  disabled: boolean;
  eventTypes: string[] | null;
  filterTypes: string[] | null;
  channels: string[] | null;
  throttleRate: number | null;
  rateLimit: number | null;
  version: number;
  metadata: Record<string, string>;
}

const URL = "https://example.com/hooks";

describe("endpoints", () => {
  const herald = useHerald();
  let appId: string;
  let base: string;

  before(async () => {
    const h = herald();
    appId = (await h.svix.application.create({ name: "Endpoints", uid: "endpoints-app" })).id;
    base = `/api/v1/app/${appId}/endpoint`;
    for (const name of ["invoice.paid", "invoice.voided", "user.created"]) await h.svix.eventType.create({ name, description: name });
  });

  test("POST creates (201); get by id and uid, also under the app uid", async () => {
    const h = herald();
    const created = await raw(h)("POST", base, { url: URL, uid: "ep-one", description: "first", metadata: { team: "billing" } });
    assert.equal(created.status, 201);
    const endpoint = created.body as EndpointOut;
    assert.match(endpoint.id, /^ep_[0-9A-Za-z]{27}$/);
    assert.deepEqual(
      { url: endpoint.url, uid: endpoint.uid, description: endpoint.description, disabled: endpoint.disabled, version: endpoint.version },
      { url: URL, uid: "ep-one", description: "first", disabled: false, version: 1 },
    );
    assert.equal(endpoint.eventTypes, null);
    assert.deepEqual(endpoint.metadata, { team: "billing" });

    assert.equal((await h.svix.endpoint.get(appId, endpoint.id)).url, URL);
    assert.equal((await h.svix.endpoint.get(appId, "ep-one")).id, endpoint.id);
    assert.equal((await h.svix.endpoint.get("endpoints-app", "ep-one")).id, endpoint.id);
    assertError(await raw(h)("GET", `${base}/ep-missing`), 404, "not_found");
    assertError(await raw(h)("GET", "/api/v1/app/no-such-app/endpoint/ep-one"), 404, "not_found");
    assertError(await raw(h)("POST", base, { url: URL, uid: "ep-one" }), 409, "conflict");
  });

  test("list pages through the app's endpoints", async () => {
    const h = herald();
    const app = await h.svix.application.create({ name: "List endpoints" });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await h.svix.endpoint.create(app.id, { url: `${URL}/${i}` })).id);
    const first = await h.svix.endpoint.list(app.id, { limit: 2 });
    const second = await h.svix.endpoint.list(app.id, { limit: 2, iterator: first.iterator });
    const third = await h.svix.endpoint.list(app.id, { limit: 2, iterator: second.iterator });
    assert.deepEqual([first.done, second.done, third.done], [false, false, true]);
    assert.deepEqual([...first.data, ...second.data, ...third.data].map((endpoint) => endpoint.id), [...ids].sort());
    const descending = await h.svix.endpoint.list(app.id, { limit: 250, order: Ordering.Descending });
    assert.deepEqual(descending.data.map((endpoint) => endpoint.id), [...ids].sort().reverse());
  });

  test("PUT upserts: 201 creates with the path as uid, 200 replaces", async () => {
    const h = herald();
    const created = await raw(h)("PUT", `${base}/ep-upsert`, { url: URL, description: "v1", filterTypes: ["invoice.paid"] });
    assert.equal(created.status, 201);
    const endpoint = created.body as EndpointOut;
    assert.equal(endpoint.uid, "ep-upsert");
    assert.deepEqual(endpoint.eventTypes, ["invoice.paid"]);

    const replaced = await raw(h)("PUT", `${base}/ep-upsert`, { url: `${URL}/v2` });
    assert.equal(replaced.status, 200);
    const updated = replaced.body as EndpointOut;
    assert.equal(updated.id, endpoint.id);
    assert.equal(updated.url, `${URL}/v2`);
    assert.equal(updated.description, "", "PUT replaces the description");
    assert.equal(updated.eventTypes, null, "PUT replaces the filter");
    assert.equal(updated.version, endpoint.version + 1);

    const viaSdk = await h.svix.endpoint.update(appId, "ep-upsert", { url: `${URL}/v3`, description: "v3" });
    assert.equal(viaSdk.url, `${URL}/v3`);
    assert.equal(viaSdk.description, "v3");
  });

  test("PATCH changes only the fields sent; null clears", async () => {
    const h = herald();
    const endpoint = await h.svix.endpoint.create(appId, {
      url: URL,
      uid: "ep-patch",
      description: "before",
      filterTypes: ["invoice.paid"],
      channels: ["eu"],
      throttleRate: 10,
    });
    const described = await raw(h)("PATCH", `${base}/${endpoint.id}`, { description: "after" });
    assert.equal(described.status, 200);
    const kept = described.body as EndpointOut;
    assert.equal(kept.description, "after");
    assert.equal(kept.uid, "ep-patch");
    assert.deepEqual(kept.eventTypes, ["invoice.paid"]);
    assert.deepEqual(kept.channels, ["eu"]);
    assert.equal(kept.throttleRate, 10);

    const cleared = await raw(h)("PATCH", `${base}/${endpoint.id}`, { uid: null, eventTypes: null, channels: null, throttleRate: null });
    assert.equal(cleared.status, 200);
    const body = cleared.body as EndpointOut;
    assert.deepEqual([body.uid, body.eventTypes, body.filterTypes, body.channels, body.throttleRate], [null, null, null, null, null]);
    assert.equal(body.description, "after");

    const disabled = await h.svix.endpoint.patch(appId, endpoint.id, { disabled: true });
    assert.equal(disabled.disabled, true);
    assert.equal(disabled.description, "after");
  });

  test("DELETE is 204, then 404", async () => {
    const h = herald();
    const endpoint = await h.svix.endpoint.create(appId, { url: URL, uid: "ep-delete" });
    const deleted = await raw(h)("DELETE", `${base}/ep-delete`);
    assert.equal(deleted.status, 204);
    assertError(await raw(h)("GET", `${base}/${endpoint.id}`), 404, "not_found");
    assert.equal((await sdkError(h.svix.endpoint.delete(appId, endpoint.id))).status, 404);
  });

  test("eventTypes and legacy filterTypes are both accepted and both emitted", async () => {
    const h = herald();
    const modern = await raw(h)("POST", base, { url: URL, eventTypes: ["invoice.paid", "user.created"] });
    assert.equal(modern.status, 201);
    assert.deepEqual((modern.body as EndpointOut).eventTypes, ["invoice.paid", "user.created"]);
    assert.deepEqual((modern.body as EndpointOut).filterTypes, ["invoice.paid", "user.created"]);

    const legacy = await raw(h)("POST", base, { url: URL, filterTypes: ["invoice.voided"] });
    assert.equal(legacy.status, 201);
    assert.deepEqual((legacy.body as EndpointOut).eventTypes, ["invoice.voided"]);
    assert.deepEqual((legacy.body as EndpointOut).filterTypes, ["invoice.voided"]);

    const patched = await raw(h)("PATCH", `${base}/${(legacy.body as EndpointOut).id}`, { eventTypes: ["user.created"] });
    assert.deepEqual((patched.body as EndpointOut).filterTypes, ["user.created"]);
    const viaSdk = await h.svix.endpoint.get(appId, (legacy.body as EndpointOut).id);
    assert.deepEqual(viaSdk.filterTypes, ["user.created"]);
  });

  test("an unknown event type is 422 naming the field", async () => {
    const h = herald();
    const modern = await raw(h)("POST", base, { url: URL, eventTypes: ["invoice.paid", "no.such.type"] });
    const item = assertValidation(modern, ["body", "eventTypes"]);
    assert.match(item.msg, /no\.such\.type/);
    assertValidation(await raw(h)("POST", base, { url: URL, filterTypes: ["nope"] }), ["body", "filterTypes"]);
    const endpoint = await h.svix.endpoint.create(appId, { url: URL });
    assertValidation(await raw(h)("PATCH", `${base}/${endpoint.id}`, { eventTypes: ["nope"] }), ["body", "eventTypes"]);
    assertValidation(await raw(h)("PUT", `${base}/${endpoint.id}`, { url: URL, eventTypes: ["nope"] }), ["body", "eventTypes"]);
    const viaSdk = await sdkError(h.svix.endpoint.create(appId, { url: URL, filterTypes: ["nope"] }));
    assert.equal(viaSdk.status, 422);
  });

  test("wildcard filters `*` and `invoice.*` are accepted without a matching event type", async () => {
    const h = herald();
    const all = await raw(h)("POST", base, { url: URL, eventTypes: ["*"] });
    assert.equal(all.status, 201);
    assert.deepEqual((all.body as EndpointOut).eventTypes, ["*"]);
    const group = await raw(h)("POST", base, { url: URL, eventTypes: ["invoice.*", "user.created"] });
    assert.equal(group.status, 201);
    assert.deepEqual((group.body as EndpointOut).eventTypes, ["invoice.*", "user.created"]);
    const newGroup = await raw(h)("POST", base, { url: URL, eventTypes: ["shipment.*"] });
    assert.equal(newGroup.status, 201);
    assert.equal((await raw(h)("POST", base, { url: URL, eventTypes: ["inv*"] })).status, 422);
  });

  test("channels are stored and validated", async () => {
    const h = herald();
    const endpoint = await h.svix.endpoint.create(appId, { url: URL, channels: ["project_1", "eu-west"] });
    assert.deepEqual(endpoint.channels, ["project_1", "eu-west"]);
    assert.deepEqual((await h.svix.endpoint.get(appId, endpoint.id)).channels, ["project_1", "eu-west"]);
    assertValidation(await raw(h)("POST", base, { url: URL, channels: [] }), ["body", "channels"]);
    const eleven = Array.from({ length: 11 }, (_, i) => `c${i}`);
    assertValidation(await raw(h)("POST", base, { url: URL, channels: eleven }), ["body", "channels"]);
    assertValidation(await raw(h)("POST", base, { url: URL, channels: ["bad channel"] }), ["body", "channels", 0]);
  });

  test("legacy rateLimit is accepted and both names are emitted", async () => {
    const h = herald();
    const legacy = await raw(h)("POST", base, { url: URL, rateLimit: 3 });
    assert.equal((legacy.body as EndpointOut).throttleRate, 3);
    assert.equal((legacy.body as EndpointOut).rateLimit, 3);
  });
});
