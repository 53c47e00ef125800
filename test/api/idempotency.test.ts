import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { before, describe, test } from "node:test";

import { raw, useHerald } from "./api-helpers.ts";

describe("idempotency-key", () => {
  const herald = useHerald();
  let appId: string;
  let base: string;

  before(async () => {
    const h = herald();
    appId = (await h.svix.application.create({ name: "Idempotency" })).id;
    base = `/api/v1/app/${appId}/msg`;
  });

  const countMessages = async () => (await herald().svix.message.list(appId, { limit: 250 })).data.length;

  test("a repeated key replays the first response and creates one message", async () => {
    const h = herald();
    const before = await countMessages();
    const headers = { "idempotency-key": "key-same" };
    const first = await raw(h)("POST", base, { eventType: "a.b", payload: { n: 1 } }, headers);
    const second = await raw(h)("POST", base, { eventType: "a.b", payload: { n: 1 } }, headers);
    assert.equal(first.status, 202);
    assert.equal(second.status, 202);
    assert.equal(second.text, first.text, "the response body is replayed verbatim");
    assert.equal((second.body as { id: string }).id, (first.body as { id: string }).id);
    assert.equal(await countMessages(), before + 1);

    // Even a different body under the same key gets the first response.
    const third = await raw(h)("POST", base, { eventType: "a.b", payload: { n: 2 } }, headers);
    assert.equal(third.text, first.text);
    assert.equal(await countMessages(), before + 1);
  });

  test("a kept response holding a token is stored sealed, and still replayed verbatim", async () => {
    const h = herald();
    const headers = { "idempotency-key": "key-token" };
    const path = `/api/v1/auth/app-portal-access/${appId}`;
    const first = await raw(h)("POST", path, {}, headers);
    const second = await raw(h)("POST", path, {}, headers);
    assert.equal(first.status, 200);
    assert.equal(second.text, first.text);
    const token = (first.body as { token: string }).token;
    // The row as stored, looked up the way the API looks it up.
    const key = createHash("sha256").update(`Bearer ${h.adminToken}\nkey-token\n${path}`).digest("base64url");
    const state = await h.herald.store.beginIdempotent(key, Date.now(), 1000);
    assert.equal(state.state, "done");
    assert.ok(state.state === "done" && !state.response.body.includes(token) && !state.response.body.includes("happ_"), "no live token at rest");
  });

  test("concurrent duplicates also yield one message", async () => {
    const h = herald();
    const before = await countMessages();
    const headers = { "idempotency-key": "key-concurrent" };
    const responses = await Promise.all(
      Array.from({ length: 5 }, () => raw(h)("POST", base, { eventType: "a.b", payload: { concurrent: true } }, headers)),
    );
    assert.deepEqual(new Set(responses.map((response) => response.status)), new Set([202]));
    assert.equal(new Set(responses.map((response) => (response.body as { id: string }).id)).size, 1);
    assert.equal(await countMessages(), before + 1);
  });

  test("a different key makes a new message", async () => {
    const h = herald();
    const first = await raw(h)("POST", base, { eventType: "a.b", payload: {} }, { "idempotency-key": "key-a" });
    const second = await raw(h)("POST", base, { eventType: "a.b", payload: {} }, { "idempotency-key": "key-b" });
    assert.notEqual((first.body as { id: string }).id, (second.body as { id: string }).id);
  });

  test("the key is scoped to the URL", async () => {
    const h = herald();
    const other = await h.svix.application.create({ name: "Other app" });
    const headers = { "idempotency-key": "key-scoped" };
    const first = await raw(h)("POST", base, { eventType: "a.b", payload: {} }, headers);
    const second = await raw(h)("POST", `/api/v1/app/${other.id}/msg`, { eventType: "a.b", payload: {} }, headers);
    assert.equal(second.status, 202);
    assert.notEqual((second.body as { id: string }).id, (first.body as { id: string }).id);
  });

  test("a 4xx response is not cached: a corrected retry with the same key succeeds", async () => {
    const h = herald();
    const before = await countMessages();
    const headers = { "idempotency-key": "key-after-error" };
    const invalid = await raw(h)("POST", base, { eventType: "a.b", payload: "not an object" }, headers);
    assert.equal(invalid.status, 422);
    const valid = await raw(h)("POST", base, { eventType: "a.b", payload: { fixed: true } }, headers);
    assert.equal(valid.status, 202);
    assert.deepEqual((valid.body as { payload: unknown }).payload, { fixed: true });
    assert.equal(await countMessages(), before + 1);

    const conflictKey = { "idempotency-key": "key-after-conflict" };
    await h.svix.message.create(appId, { eventType: "a.b", eventId: "idem-evt", payload: {} });
    const conflict = await raw(h)("POST", base, { eventType: "a.b", eventId: "idem-evt", payload: {} }, conflictKey);
    assert.equal(conflict.status, 409);
    const retried = await raw(h)("POST", base, { eventType: "a.b", eventId: "idem-evt-2", payload: {} }, conflictKey);
    assert.equal(retried.status, 202);
  });

  test("works on other POST routes (application create)", async () => {
    const h = herald();
    const headers = { "idempotency-key": "key-app" };
    const first = await raw(h)("POST", "/api/v1/app", { name: "Once" }, headers);
    const second = await raw(h)("POST", "/api/v1/app", { name: "Once" }, headers);
    assert.equal(first.status, 201);
    assert.equal(second.status, 201);
    assert.equal((second.body as { id: string }).id, (first.body as { id: string }).id);
    const named = (await h.svix.application.list({ limit: 250 })).data.filter((app) => app.name === "Once");
    assert.equal(named.length, 1);
  });
});
