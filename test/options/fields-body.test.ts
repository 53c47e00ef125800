import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { checkBodyOption, renderBody } from "../../src/delivery/request-body.ts";
import { makeEndpoint, makeMessage } from "./fixtures.ts";

const message = makeMessage({
  eventType: "customer.updated",
  payload: '{"customer":{"name":"Zoé & Co","vip":true,"age":41,"tags":["a","b"]},"items":[{"sku":"A-1"}],"note":null}',
  metadata: { userId: "u1" },
});
const endpoint = makeEndpoint();

const fields = {
  id: "message.id",
  name: "payload.customer.name",
  vip: "payload.customer.vip",
  age: "payload.customer.age",
  firstSku: "payload.items.0.sku",
  tags: "payload.customer.tags",
  note: "payload.note",
  missing: "payload.customer.nope",
  user: "metadata.userId",
  at: "message.timestamp",
  proto: "payload.constructor",
};

describe("body: fields", () => {
  test("json: a compact object in map order; missing paths are null", () => {
    assert.deepEqual(renderBody({ fields, format: "json" }, message, endpoint, null), {
      body:
        '{"id":"msg_2NnSbD4QZ8lK0","name":"Zoé & Co","vip":true,"age":41,"firstSku":"A-1","tags":["a","b"],' +
        '"note":null,"missing":null,"user":"u1","at":"2023-04-12T09:30:00.000Z","proto":null}',
      contentType: "application/json",
    });
  });

  test("form: urlencoded, strings as-is, null as empty, numbers and booleans as text, objects as JSON", () => {
    const { body, contentType } = renderBody({ fields, format: "form" }, message, endpoint, null);
    assert.equal(contentType, "application/x-www-form-urlencoded");
    assert.equal(
      body,
      "id=msg_2NnSbD4QZ8lK0&name=Zo%C3%A9+%26+Co&vip=true&age=41&firstSku=A-1&tags=%5B%22a%22%2C%22b%22%5D" +
        "&note=&missing=&user=u1&at=2023-04-12T09%3A30%3A00.000Z&proto=",
    );
    assert.deepEqual(Object.fromEntries(new URLSearchParams(body)).tags, '["a","b"]');
  });

  test("a key named __proto__ is an ordinary key", () => {
    const withKey = JSON.parse('{"__proto__":"message.id"}') as Record<string, string>;
    assert.equal(renderBody({ fields: withKey, format: "json" }, message, endpoint, null).body, '{"__proto__":"msg_2NnSbD4QZ8lK0"}');
  });
});

describe("checkBodyOption", () => {
  test("presets and good options pass", () => {
    assert.equal(checkBodyOption({ preset: "dastra" }), null);
    assert.equal(checkBodyOption({ template: '{"a": {{ payload | json }}}' }), null);
    assert.equal(checkBodyOption({ fields, format: "form" }), null);
  });

  test("a template that does not compile is reported at template", () => {
    const problem = checkBodyOption({ template: "{{ payload | nope }}" });
    assert.deepEqual(problem?.path, ["template"]);
    assert.match(problem!.message, /undefined filter: nope/);
  });

  test("field paths must be dotted paths from a context root", () => {
    for (const path of ["", "payload..x", "payload.a b", "payload.x[0]", "customer.name", "$where", "payload."]) {
      const problem = checkBodyOption({ fields: { ok: "message.id", bad: path }, format: "json" });
      assert.deepEqual(problem?.path, ["fields", "bad"], path);
    }
  });

  test("the field map is non-empty and at most 100 keys", () => {
    assert.deepEqual(checkBodyOption({ fields: {}, format: "json" })?.path, ["fields"]);
    const many = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`k${i}`, "payload.x"]));
    assert.deepEqual(checkBodyOption({ fields: many, format: "json" })?.path, ["fields"]);
    delete many.k100;
    assert.equal(checkBodyOption({ fields: many, format: "json" }), null);
  });
});
