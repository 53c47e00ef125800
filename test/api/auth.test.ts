import assert from "node:assert/strict";
import { before, describe, test } from "node:test";

import type { Svix } from "svix";

import { assertError, raw, type RawResponse, sdkError, useHerald } from "./api-helpers.ts";

describe("authentication and app-scoped tokens", () => {
  const herald = useHerald();
  let ownAppId: string;
  let otherAppId: string;
  let token: string;
  let scoped: Svix;

  before(async () => {
    const h = herald();
    ownAppId = (await h.svix.application.create({ name: "Own", uid: "own-app" })).id;
    otherAppId = (await h.svix.application.create({ name: "Other", uid: "other-app" })).id;
    await h.svix.eventType.create({ name: "portal.test", description: "visible to portal users" });
    const access = await h.svix.authentication.appPortalAccess(ownAppId, {});
    assert.equal(typeof access.url, "string");
    assert.ok(access.url.length > 0);
    assert.ok(access.token.length > 20);
    token = access.token;
    scoped = h.client(token);
  });

  test("no token is 401", async () => {
    const h = herald();
    const response = await fetch(`${h.url}/api/v1/app`);
    assert.equal(response.status, 401);
    assert.equal(((await response.json()) as { code: string }).code, "authentication_failed");
    const malformed = await fetch(`${h.url}/api/v1/app`, { headers: { authorization: h.adminToken } });
    assert.equal(malformed.status, 401);
  });

  test("a wrong token is 401 authentication_failed", async () => {
    const h = herald();
    assertError(await raw(h, "wrong-token")("GET", "/api/v1/app"), 401, "authentication_failed");
    assertError(await raw(h, h.adminToken + "x")("GET", "/api/v1/app"), 401, "authentication_failed");
    // A forged app token (valid shape, bad signature) is refused too.
    const forged = token.slice(0, -4) + (token.endsWith("AAAA") ? "BBBB" : "AAAA");
    assertError(await raw(h, forged)("GET", `/api/v1/app/${ownAppId}/endpoint`), 401, "authentication_failed");
    assert.equal((await sdkError(h.client("nope").application.list())).status, 401);
  });

  test("appPortalAccess returns a portal url whose fragment holds a single-use key, not the token", async () => {
    const h = herald();
    const access = await h.svix.authentication.appPortalAccess("own-app", {});
    const url = new URL(access.url);
    assert.equal(url.pathname, "/portal/");
    assert.ok(!access.url.includes(access.token));
    const key = JSON.parse(Buffer.from(new URLSearchParams(url.hash.slice(1)).get("key") ?? "", "base64url").toString("utf8")) as { appId: string; oneTimeToken: string };
    assert.equal(key.appId, ownAppId);
    const exchanged: RawResponse = await raw(h, "none")("POST", "/api/v1/auth/one-time-token", { oneTimeToken: key.oneTimeToken });
    assert.equal(exchanged.status, 200);
    assert.equal((await h.client((exchanged.body as { token: string }).token).application.get(ownAppId)).id, ownAppId);
    assertError(await raw(h)("POST", "/api/v1/auth/app-portal-access/no-such-app", {}), 404, "not_found");
  });

  test("an app token can manage its own app's endpoints and messages", async () => {
    const h = herald();
    const endpoint = await scoped.endpoint.create(ownAppId, { url: "https://example.com/portal", filterTypes: ["portal.test"] });
    const endpoints = await scoped.endpoint.list(ownAppId);
    assert.deepEqual(endpoints.data.map((item) => item.id), [endpoint.id]);
    assert.equal((await scoped.endpoint.get("own-app", endpoint.id)).url, "https://example.com/portal");
    await scoped.endpoint.patch(ownAppId, endpoint.id, { disabled: true });

    const message = await scoped.message.create(ownAppId, { eventType: "portal.test", payload: { from: "portal" } });
    const messages = await scoped.message.list(ownAppId);
    assert.ok(messages.data.some((item) => item.id === message.id));
    assert.equal((await scoped.application.get(ownAppId)).name, "Own");
    assert.equal((await h.svix.endpoint.get(ownAppId, endpoint.id)).disabled, true, "changes are real");
  });

  test("an app token gets 403 on another app's routes", async () => {
    const h = herald();
    const asApp = raw(h, token);
    const otherEndpoint = await h.svix.endpoint.create(otherAppId, { url: "https://example.com/other" });
    for (const [method, path, body] of [
      ["GET", `/api/v1/app/${otherAppId}`],
      ["GET", "/api/v1/app/other-app/endpoint"],
      ["POST", `/api/v1/app/${otherAppId}/endpoint`, { url: "https://example.com/x" }],
      ["GET", `/api/v1/app/${otherAppId}/endpoint/${otherEndpoint.id}/secret`],
      ["GET", `/api/v1/app/${otherAppId}/msg`],
      ["POST", `/api/v1/app/${otherAppId}/msg`, { eventType: "portal.test", payload: {} }],
      ["POST", `/api/v1/auth/app-portal-access/${otherAppId}`, {}],
      ["GET", `/api/v1/app/${otherAppId}/attempt/endpoint/${otherEndpoint.id}`],
    ] as const) {
      const response = await asApp(method, path, body);
      assertError(response, 403, "forbidden");
    }
    // Another app's endpoint addressed under the token's own app does not exist there.
    assertError(await asApp("GET", `/api/v1/app/${ownAppId}/endpoint/${otherEndpoint.id}`), 404, "not_found");
    assertError(await asApp("GET", `/api/v1/app/${ownAppId}/endpoint/${otherEndpoint.id}/secret`), 404, "not_found");
    assert.equal((await sdkError(scoped.endpoint.list(otherAppId))).status, 403);
    assert.deepEqual((await h.svix.endpoint.list(otherAppId)).data.map((item) => item.id), [otherEndpoint.id], "nothing was created");
  });

  test("an app token gets 403 on admin routes", async () => {
    const h = herald();
    const asApp = raw(h, token);
    for (const [method, path, body] of [
      ["GET", "/api/v1/app"],
      ["POST", "/api/v1/app", { name: "Sneaky" }],
      ["POST", "/api/v1/event-type", { name: "sneaky.type", description: "x" }],
      ["DELETE", "/api/v1/event-type/portal.test"],
      ["PATCH", `/api/v1/app/${ownAppId}`, { name: "Renamed" }],
      ["DELETE", `/api/v1/app/${ownAppId}`],
      ["GET", "/api/v1/operational-webhook/endpoint"],
    ] as const) {
      assertError(await asApp(method, path, body), 403, "forbidden");
    }
    // Inline application creation on message POST is app creation too: admin only.
    const inline = await asApp("POST", "/api/v1/app/portal-made-app/msg", { eventType: "portal.test", payload: {}, application: { name: "Made" } });
    assertError(inline, 403, "forbidden");
    assertError(await raw(h)("GET", "/api/v1/app/portal-made-app"), 404, "not_found");
    assert.equal((await sdkError(scoped.application.list())).status, 403);
    assert.equal((await sdkError(scoped.eventType.create({ name: "sdk.sneaky", description: "x" }))).status, 403);
    assert.equal((await h.svix.application.get(ownAppId)).name, "Own");
  });

  test("an app token can read event types", async () => {
    const list = await scoped.eventType.list({ limit: 250 });
    assert.ok(list.data.some((eventType) => eventType.name === "portal.test"));
    assert.equal((await scoped.eventType.get("portal.test")).description, "visible to portal users");
  });

  test("the admin token still reaches everything", async () => {
    const h = herald();
    const apps = await h.svix.application.list({ limit: 250 });
    assert.deepEqual(new Set(apps.data.map((app) => app.id)), new Set([ownAppId, otherAppId]));
  });
});
