import assert from "node:assert/strict";
import { before, describe, test } from "node:test";

import { assertError, assertValidation, raw, sdkError, useHerald, useReceiver } from "./api-helpers.ts";

interface MessageOut {
  id: string;
  eventId: string | null;
  eventType: string;
  payload: Record<string, unknown>;
  channels: string[] | null;
  timestamp: string;
}

describe("messages", () => {
  const herald = useHerald();
  const receiver = useReceiver();
  let appId: string;
  let base: string;

  before(async () => {
    const h = herald();
    appId = (await h.svix.application.create({ name: "Messages", uid: "messages-app" })).id;
    base = `/api/v1/app/${appId}/msg`;
  });

  test("POST returns 202 with the message; get by id and by eventId", async () => {
    const h = herald();
    const created = await raw(h)("POST", base, { eventType: "order.created", eventId: "evt-1", payload: { order: 1 }, channels: ["eu"] });
    assert.equal(created.status, 202);
    const message = created.body as MessageOut;
    assert.match(message.id, /^msg_[0-9A-Za-z]{27}$/);
    assert.deepEqual(
      { eventId: message.eventId, eventType: message.eventType, payload: message.payload, channels: message.channels },
      { eventId: "evt-1", eventType: "order.created", payload: { order: 1 }, channels: ["eu"] },
    );
    assert.ok(Math.abs(Date.parse(message.timestamp) - Date.now()) < 60_000);

    const byId = await h.svix.message.get(appId, message.id);
    const byEventId = await h.svix.message.get("messages-app", "evt-1");
    assert.equal(byId.id, message.id);
    assert.equal(byEventId.id, message.id);
    assert.deepEqual(byEventId.payload, { order: 1 });
    assertError(await raw(h)("GET", `${base}/msg_missing`), 404, "not_found");
  });

  test("eventId is unique per application (409), but may repeat across applications", async () => {
    const h = herald();
    await h.svix.message.create(appId, { eventType: "order.created", eventId: "evt-dup", payload: {} });
    assertError(await raw(h)("POST", base, { eventType: "order.created", eventId: "evt-dup", payload: {} }), 409, "conflict");
    const other = await h.svix.application.create({ name: "Other" });
    const elsewhere = await raw(h)("POST", `/api/v1/app/${other.id}/msg`, { eventType: "order.created", eventId: "evt-dup", payload: {} });
    assert.equal(elsewhere.status, 202);
  });

  test("with_content=false gives an empty payload", async () => {
    const h = herald();
    const created = await raw(h)("POST", `${base}?with_content=false`, { eventType: "order.created", payload: { big: "data" } });
    assert.equal(created.status, 202);
    assert.deepEqual((created.body as MessageOut).payload, {});
    const id = (created.body as MessageOut).id;
    assert.deepEqual(((await raw(h)("GET", `${base}/${id}?with_content=false`)).body as MessageOut).payload, {});
    assert.deepEqual(((await raw(h)("GET", `${base}/${id}`)).body as MessageOut).payload, { big: "data" });
    const listed = (await raw(h)("GET", `${base}?with_content=false&limit=250`)).body as { data: MessageOut[] };
    assert.ok(listed.data.length > 0 && listed.data.every((message) => JSON.stringify(message.payload) === "{}"));
  });

  test("the payload must be a JSON object", async () => {
    const h = herald();
    for (const payload of [[1, 2], "text", 42, null]) {
      assertValidation(await raw(h)("POST", base, { eventType: "order.created", payload }), ["body", "payload"]);
    }
    assertValidation(await raw(h)("POST", base, { eventType: "order.created" }), ["body", "payload"]);
    assertValidation(await raw(h)("POST", base, { payload: {} }), ["body", "eventType"]);
    // Legacy alias `data`.
    const legacy = await raw(h)("POST", base, { eventType: "order.created", data: { legacy: true } });
    assert.equal(legacy.status, 202);
    assert.deepEqual((legacy.body as MessageOut).payload, { legacy: true });
  });

  test("posting to an unknown app uid with `application` creates the app inline", async () => {
    const h = herald();
    const created = await raw(h)("POST", "/api/v1/app/inline-app/msg", {
      eventType: "order.created",
      payload: { inline: true },
      application: { name: "Inline Inc", uid: "inline-app" },
    });
    assert.equal(created.status, 202);
    const app = await h.svix.application.get("inline-app");
    assert.equal(app.name, "Inline Inc");
    assert.equal((await h.svix.message.get("inline-app", (created.body as MessageOut).id)).id, (created.body as MessageOut).id);

    // Without `application` an unknown app is 404; a mismatched uid is 422.
    assertError(await raw(h)("POST", "/api/v1/app/nowhere/msg", { eventType: "a.b", payload: {} }), 404, "not_found");
    const mismatch = await raw(h)("POST", "/api/v1/app/inline-2/msg", { eventType: "a.b", payload: {}, application: { name: "X", uid: "other" } });
    assertValidation(mismatch, ["body", "application", "uid"]);
    assertError(await raw(h)("GET", "/api/v1/app/inline-2"), 404, "not_found");

    // The SDK spelling, and a second post that reuses the now-existing app.
    const viaSdk = await h.svix.message.create("inline-sdk", { eventType: "a.b", payload: { n: 1 }, application: { name: "Inline SDK", uid: "inline-sdk" } });
    const again = await h.svix.message.create("inline-sdk", { eventType: "a.b", payload: { n: 2 }, application: { name: "Renamed?", uid: "inline-sdk" } });
    assert.notEqual(viaSdk.id, again.id);
    assert.equal((await h.svix.application.get("inline-sdk")).name, "Inline SDK");
  });

  test("DELETE …/content expunges the payload; the message then reads {expired: true}", async () => {
    const h = herald();
    const message = await h.svix.message.create(appId, { eventType: "order.created", eventId: "evt-expunge", payload: { pii: "x" } });
    const deleted = await raw(h)("DELETE", `${base}/evt-expunge/content`);
    assert.equal(deleted.status, 204);
    const fetched = (await raw(h)("GET", `${base}/${message.id}`)).body as MessageOut;
    assert.deepEqual(fetched.payload, { expired: true });
    assert.equal(fetched.eventType, "order.created", "the rest of the message stays");
    assertError(await raw(h)("DELETE", `${base}/msg_missing/content`), 404, "not_found");
  });

  test("the delivered body is byte-identical to the posted payload text", async () => {
    const h = herald();
    const r = receiver();
    const app = await h.svix.application.create({ name: "Raw bytes" });
    await h.svix.endpoint.create(app.id, { url: `${r.url}/raw` });
    const posted = [
      ['{"eventType":"a.b","payload":{"x":  1,"y":[1, 2]}}', '{"x":  1,"y":[1, 2]}'],
      [
        '{ "payload" :\n {"s": "\\u00e9\\"}\\\\", "n": 1.50, "e": 1E3, "o": {"b": 2, "a": 1}} , "eventType": "a.b" }',
        '{"s": "\\u00e9\\"}\\\\", "n": 1.50, "e": 1E3, "o": {"b": 2, "a": 1}}',
      ],
    ];
    const ids = new Map<string, string>();
    for (const [text, payload] of posted) {
      const created = await raw(h)("POST", `/api/v1/app/${app.id}/msg`, text);
      assert.equal(created.status, 202);
      ids.set((created.body as MessageOut).id, payload);
    }
    const requests = await r.waitFor(2);
    assert.equal(requests.length, 2);
    for (const request of requests) {
      const id = request.headers["webhook-id"] as string;
      assert.ok(ids.has(id), `unexpected webhook-id ${id}`);
      assert.equal(request.body, ids.get(id));
    }
  });

  test("a bad with_content value is 422, a missing app is 404 (SDK)", async () => {
    const h = herald();
    assertValidation(await raw(h)("GET", `${base}?with_content=maybe`), ["querystring", "with_content"]);
    assert.equal((await sdkError(h.svix.message.list("no-such-app"))).status, 404);
  });
});
