import assert from "node:assert/strict";
import { before, describe, test } from "node:test";

import { assertError, assertValidation, raw, useHerald, validationItems } from "./api-helpers.ts";

describe("error shapes", () => {
  const herald = useHerald();
  let appId: string;

  before(async () => {
    appId = (await herald().svix.application.create({ name: "Errors", uid: "errors-app" })).id;
  });

  test("a missing required field is 422 naming it", async () => {
    const h = herald();
    const item = assertValidation(await raw(h)("POST", "/api/v1/app", { uid: "no-name" }), ["body", "name"]);
    assert.equal(item.type, "value_error.missing");
    assertValidation(await raw(h)("POST", `/api/v1/app/${appId}/endpoint`, { description: "no url" }), ["body", "url"]);
    assertValidation(await raw(h)("POST", `/api/v1/app/${appId}/msg`, { payload: {} }), ["body", "eventType"]);
  });

  test("a write without a body is checked as {}: optional bodies pass, required fields are named", async () => {
    const h = herald();
    const endpoint = await h.svix.endpoint.create(appId, { url: "https://example.com/no-body" });
    const before = await h.svix.endpoint.getSecret(appId, endpoint.id);
    assert.equal((await raw(h)("POST", `/api/v1/app/${appId}/endpoint/${endpoint.id}/secret/rotate`)).status, 204);
    assert.notEqual((await h.svix.endpoint.getSecret(appId, endpoint.id)).key, before.key);
    assertValidation(await raw(h)("POST", `/api/v1/app/${appId}/endpoint`), ["body", "url"]);
  });

  test("a wrong type is 422 naming the field", async () => {
    const h = herald();
    assertValidation(await raw(h)("POST", "/api/v1/app", { name: 5 }), ["body", "name"]);
    assertValidation(await raw(h)("POST", "/api/v1/app", { name: "x", throttleRate: "fast" }), ["body", "throttleRate"]);
    assertValidation(await raw(h)("POST", "/api/v1/app", { name: "x", metadata: { a: 1 } }), ["body", "metadata", "a"]);
    assertValidation(await raw(h)("POST", `/api/v1/app/${appId}/endpoint`, { url: "https://example.com", channels: 5 }), ["body", "channels"]);
    assertValidation(await raw(h)("POST", "/api/v1/app", { name: "x", uid: "has space" }), ["body", "uid"]);
  });

  test("a body that is not an object is 422", async () => {
    const h = herald();
    for (const body of ["[]", '"text"', "42", "null"]) {
      const response = await raw(h)("POST", "/api/v1/app", body);
      assert.equal(response.status, 422, `body ${body}: ${response.text}`);
      assert.deepEqual(validationItems(response.body)[0].loc, ["body"]);
    }
  });

  test("limit over 250 is 422 at [querystring, limit]", async () => {
    const h = herald();
    for (const path of ["/api/v1/app", "/api/v1/event-type", `/api/v1/app/${appId}/endpoint`, `/api/v1/app/${appId}/msg`]) {
      assertValidation(await raw(h)("GET", `${path}?limit=251`), ["querystring", "limit"]);
      assert.equal((await raw(h)("GET", `${path}?limit=250`)).status, 200);
    }
    assertValidation(await raw(h)("GET", "/api/v1/app?limit=0"), ["querystring", "limit"]);
    assertValidation(await raw(h)("GET", "/api/v1/app?limit=ten"), ["querystring", "limit"]);
    assertValidation(await raw(h)("GET", "/api/v1/app?order=sideways"), ["querystring", "order"]);
  });

  test("a body over 1 MiB is 413 payload_too_large", async () => {
    const h = herald();
    const payload = { blob: "x".repeat(1024 * 1024) };
    const response = await raw(h)("POST", `/api/v1/app/${appId}/msg`, { eventType: "big.one", payload });
    assertError(response, 413, "payload_too_large");
    // Just under the limit is fine.
    const fits = await raw(h)("POST", `/api/v1/app/${appId}/msg`, { eventType: "big.one", payload: { blob: "x".repeat(1000 * 1000) } });
    assert.equal(fits.status, 202);
  });

  test("malformed JSON is 400, never 500", async () => {
    const h = herald();
    for (const body of ["{", '{"name": }', "{'name': 'single quotes'}", '{"name":"x",}', "nul", "\u0000"]) {
      const response = await raw(h)("POST", "/api/v1/app", body);
      assert.equal(response.status, 400, `body ${JSON.stringify(body)}: ${response.status} ${response.text}`);
      const error = response.body as { code: string; detail: string };
      assert.equal(typeof error.code, "string");
      assert.equal(typeof error.detail, "string");
    }
  });

  test("other odd requests are 4xx, never 500", async () => {
    const h = herald();
    const textBody = await raw(h)("POST", "/api/v1/app", "name=x", { "content-type": "text/plain" });
    assert.ok(textBody.status >= 400 && textBody.status < 500, `text/plain: ${textBody.status}`);
    const formBody = await raw(h)("POST", "/api/v1/app", "name=x", { "content-type": "application/x-www-form-urlencoded" });
    assert.ok(formBody.status >= 400 && formBody.status < 500, `form: ${formBody.status}`);
    const longId = await raw(h)("GET", `/api/v1/app/${"a".repeat(400)}`);
    assert.ok(longId.status >= 400 && longId.status < 500, `long id: ${longId.status}`);
    const badEncoding = await raw(h)("GET", "/api/v1/app/%E0%A4%A");
    assert.ok(badEncoding.status >= 400 && badEncoding.status < 500, `bad encoding: ${badEncoding.status}`);
  });

  test("an unknown route is 404 not_found, with or without a token", async () => {
    const h = herald();
    assertError(await raw(h)("GET", "/api/v1/nope"), 404, "not_found");
    assertError(await raw(h)("POST", "/api/v1/app/x/unknown", {}), 404, "not_found");
    const anonymous = await fetch(`${h.url}/api/v2/app`);
    assert.equal(anonymous.status, 404);
    assert.equal(((await anonymous.json()) as { code: string }).code, "not_found");
  });

  test("a missing object is 404 not_found", async () => {
    const h = herald();
    assertError(await raw(h)("GET", "/api/v1/app/app_doesnotexist"), 404, "not_found");
    assertError(await raw(h)("GET", `/api/v1/app/${appId}/endpoint/ep_nope`), 404, "not_found");
    assertError(await raw(h)("GET", `/api/v1/app/${appId}/msg/msg_nope`), 404, "not_found");
  });

  test("a trailing slash is tolerated", async () => {
    const h = herald();
    const list = await raw(h)("GET", "/api/v1/app/");
    assert.equal(list.status, 200);
    assert.ok(Array.isArray((list.body as { data: unknown[] }).data));
    assert.equal((await raw(h)("GET", `/api/v1/app/${appId}/`)).status, 200);
    assert.equal((await raw(h)("GET", "/api/v1/app/errors-app/endpoint/")).status, 200);
    const created = await raw(h)("POST", "/api/v1/app/", { name: "Slash" });
    assert.equal(created.status, 201);
    assert.equal((await raw(h)("GET", "/api/v1/health/")).status, 204);
  });
});
