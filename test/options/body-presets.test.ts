import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { batchBody, BodyRenderError, renderBody } from "../../src/delivery/request-body.ts";
import { makeEndpoint, makeMessage } from "./fixtures.ts";

const endpoint = makeEndpoint();

describe("body preset: payload", () => {
  test("the payload text is sent byte for byte", () => {
    const payload = '{ "z": 1.50,\n  "big": 12345678901234567890, "e": "\\u00e9" }';
    assert.deepEqual(renderBody({ preset: "payload" }, makeMessage({ payload }), endpoint, null), { body: payload, contentType: "application/json" });
  });

  test("an expunged payload cannot be rendered, whatever the body kind", () => {
    const message = makeMessage({ payload: null });
    for (const option of [{ preset: "payload" }, { preset: "trackdechets" }, { preset: "dastra" }, { template: "{}" }] as const) {
      assert.throws(() => renderBody(option, message, endpoint, null), (error: unknown) => {
        assert.ok(error instanceof BodyRenderError);
        assert.equal(error.message, "The message's content has expired or was expunged");
        return true;
      });
    }
    assert.throws(() => renderBody({ fields: { id: "message.id" }, format: "json" }, message, endpoint, null), BodyRenderError);
  });
});

describe("body preset: trackdechets", () => {
  const render = (eventType: string, payload: string) => renderBody({ preset: "trackdechets" }, makeMessage({ eventType, payload }), endpoint, null);

  test("action from the event type's last segment, upper-cased", () => {
    assert.deepEqual(render("bsd.created", '{"id":"BSD-20230412-JYE9095HY","other":1}'), {
      body: '[{"action":"CREATED","id":"BSD-20230412-JYE9095HY"}]',
      contentType: "application/json",
    });
    assert.equal(render("deleted", '{"id":"X"}').body, '[{"action":"DELETED","id":"X"}]');
  });

  test("a string payload.action wins; a non-string one is ignored", () => {
    assert.equal(render("bsd.created", '{"action":"UPDATED","id":"BSD-1"}').body, '[{"action":"UPDATED","id":"BSD-1"}]');
    assert.equal(render("bsd.updated", '{"action":7,"id":"BSD-1"}').body, '[{"action":"UPDATED","id":"BSD-1"}]');
  });

  test("id keeps its JSON type, and is null when absent", () => {
    assert.equal(render("bsd.created", '{"id":42}').body, '[{"action":"CREATED","id":42}]');
    assert.equal(render("bsd.created", '{"name":"x"}').body, '[{"action":"CREATED","id":null}]');
    assert.equal(render("bsd.created", "[1,2]").body, '[{"action":"CREATED","id":null}]');
  });
});

describe("body preset: dastra", () => {
  test("seven keys in Dastra's order, data as the raw payload bytes", () => {
    const payload = '{"requestId": 12345678901234567890, "note": "a\\u0020b",\n "n": 1.0}';
    const message = makeMessage({ eventType: "dsr.created", payload, metadata: { userId: "user-7" } });
    const { body, contentType } = renderBody({ preset: "dastra" }, message, endpoint, "New data subject request");
    assert.equal(contentType, "application/json");
    assert.equal(
      body,
      '{"webhookId":"ep_2NnSbJ0x","signatureUrl":"https://receiver.example/hooks","userId":"user-7","eventType":"dsr.created",' +
        `"eventName":"New data subject request","data":${payload},"date":"2023-04-12T09:30:00.000Z"}`,
    );
    assert.deepEqual(Object.keys(JSON.parse(body)), ["webhookId", "signatureUrl", "userId", "eventType", "eventName", "data", "date"]);
    assert.ok(body.includes("12345678901234567890"));
  });

  test("userId is null without metadata; eventName falls back to the event type", () => {
    const message = makeMessage({ eventType: "dsr.closed", payload: "{}" });
    for (const description of [null, ""]) {
      const parsed = JSON.parse(renderBody({ preset: "dastra" }, message, endpoint, description).body);
      assert.equal(parsed.userId, null);
      assert.equal(parsed.eventName, "dsr.closed");
    }
  });
});

test("batchBody joins rendered elements into one JSON array", () => {
  assert.equal(batchBody(['{"a":1}', "[2]", '"x"']), '[{"a":1},[2],"x"]');
  assert.equal(batchBody([]), "[]");
});
