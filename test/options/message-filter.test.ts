import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { checkFilter, compileFilter, type FilterDocument } from "../../src/filter/message-filter.ts";

const doc: FilterDocument = {
  eventType: "invoice.paid",
  payload: { amount: 250, currency: "EUR", customer: { name: "Zoé", country: "FR" }, lines: [{ sku: "A-1", qty: 2 }, { sku: "B-2", qty: 5 }], tags: ["vip", "eu"] },
  channels: ["org-1", "billing"],
  metadata: { userId: "u1", tenant: "acme" },
  previous: { status: "open" },
};

function matches(query: Record<string, unknown>, target: FilterDocument = doc): boolean {
  assert.equal(checkFilter(query), null, JSON.stringify(query));
  return compileFilter(query)(target);
}

describe("filter: matching", () => {
  const cases: [Record<string, unknown>, boolean][] = [
    [{ eventType: "invoice.paid" }, true],
    [{ eventType: { $in: ["invoice.created", "invoice.voided"] } }, false],
    [{ eventType: { $regex: "^invoice\\." } }, true],
    [{ "payload.amount": { $gte: 100, $lt: 1000 } }, true],
    [{ "payload.amount": { $gt: 250 } }, false],
    [{ "payload.customer.name": { $regex: "^zo", $options: "i" } }, true],
    [{ "payload.customer.country": { $ne: "FR" } }, false],
    [{ "payload.customer.vat": { $exists: false } }, true],
    [{ "payload.lines": { $elemMatch: { sku: "B-2", qty: { $gte: 5 } } } }, true],
    [{ "payload.lines": { $size: 3 } }, false],
    [{ "payload.lines.sku": "A-1" }, true],
    [{ "payload.tags": { $all: ["eu", "vip"] } }, true],
    [{ "payload.tags": { $nin: ["blocked"] } }, true],
    [{ "payload.amount": { $type: "number" } }, true],
    [{ "payload.amount": { $not: { $type: "string" } } }, true],
    [{ channels: "billing" }, true],
    [{ channels: { $in: ["marketing"] } }, false],
    [{ "metadata.tenant": "acme", "metadata.userId": { $in: ["u1", "u2"] } }, true],
    [{ "previous.status": "open" }, true],
    [{ $or: [{ "payload.currency": "USD" }, { "metadata.tenant": "acme" }] }, true],
    [{ $and: [{ "payload.currency": "EUR" }, { "payload.amount": { $lte: 10 } }] }, false],
    [{ $nor: [{ "payload.currency": "USD" }] }, true],
    [{ payload: { $eq: { amount: 250 } } }, false],
  ];
  for (const [query, expected] of cases) {
    test(`${JSON.stringify(query)} → ${expected}`, () => assert.equal(matches(query), expected));
  }

  test("previous: null and a missing previous field", () => {
    assert.equal(matches({ previous: null }, { ...doc, previous: null }), true);
    assert.equal(matches({ "previous.status": { $exists: true } }, { ...doc, previous: null }), false);
  });

  test("compiled filters are cached by JSON text", () => {
    assert.equal(compileFilter({ eventType: "a" }), compileFilter({ eventType: "a" }));
  });

  test("compileFilter refuses what checkFilter refuses", () => {
    assert.throws(() => compileFilter({ $where: "true" }), /invalid filter at \$where/);
  });
});

describe("filter: save-time check", () => {
  const refused: [unknown, string[], RegExp][] = [
    [{ $where: "this.payload.amount > 1" }, ["$where"], /\$where is not allowed/],
    [{ $expr: { $gt: ["$payload.a", 1] } }, ["$expr"], /not allowed/],
    [{ "payload.a": { $function: { body: "x", args: [], lang: "js" } } }, ["payload.a", "$function"], /not allowed/],
    [{ $jsonSchema: {} }, ["$jsonSchema"], /not allowed/],
    [{ $text: { $search: "x" } }, ["$text"], /not allowed/],
    [{ "payload.n": { $mod: [2, 0] } }, ["payload.n", "$mod"], /not allowed/],
    [{ $or: [{ eventType: "a" }, { "payload.x": { $where: "1" } }] }, ["$or", "1", "payload.x", "$where"], /not allowed/],
    [{ "payload.lines": { $elemMatch: { $expr: 1 } } }, ["payload.lines", "$elemMatch", "$expr"], /not allowed/],
    [{ "payload.a": { $in: [{ $where: "1" }] } }, ["payload.a", "$in", "0", "$where"], /not allowed/],
    [{ type: "invoice.paid" }, ["type"], /must start with one of eventType, payload/],
    [{ "payload.constructor": { $exists: true } }, ["payload.constructor"], /not allowed/],
    [{ "payload.__proto__.x": 1 }, ["payload.__proto__.x"], /not allowed/],
    [{ $or: [] }, ["$or"], /non-empty array/],
    [{ "payload.a": { $in: "x" } }, ["payload.a", "$in"], /must be an array/],
    [{ "payload.a": { $type: "object" } }, ["payload.a", "$type"], /\$type must be one of/],
    [{ "payload.a": { $size: -1 } }, ["payload.a", "$size"], /non-negative/],
    [{ "payload.a": { $exists: "yes" } }, ["payload.a", "$exists"], /true or false/],
    [{ "payload.a": { $options: "i" } }, ["payload.a", "$options"], /needs a \$regex/],
    [{ "payload.a": { $regex: "a", $options: "g" } }, ["payload.a", "$options"], /flags i, m, s and u/],
    [{ "payload.a": { $regex: "(" } }, ["payload.a", "$regex"], /not a regular expression RE2 accepts/],
    [{ "payload.a": { $regex: 42 } }, ["payload.a", "$regex"], /must be a string/],
    [{ "payload.a": { $regex: "a".repeat(257) } }, ["payload.a", "$regex"], /at most 256/],
    // What RE2 cannot match in linear time: backreferences and lookarounds.
    [{ "payload.a": { $regex: "^(a)\\1$" } }, ["payload.a", "$regex"], /no backreferences or lookarounds/],
    [{ "payload.a": { $not: { $regex: "a(?=b)" } } }, ["payload.a", "$not", "$regex"], /no backreferences or lookarounds/],
    [{ "payload.a": { $gt: 1, b: 2 } }, [], /not a valid query/],
    [[{ eventType: "a" }], [], /must be a JSON object/],
    ["eventType", [], /must be a JSON object/],
    [null, [], /must be a JSON object/],
  ];
  for (const [query, path, message] of refused) {
    test(`refuses ${JSON.stringify(query).slice(0, 80)}`, () => {
      const problem = checkFilter(query);
      assert.ok(problem, "expected a problem");
      assert.deepEqual(problem.path, path);
      assert.match(problem.message, message);
    });
  }

  test("depth and size limits", () => {
    let deep: Record<string, unknown> = { eventType: "a" };
    for (let i = 0; i < 16; i++) deep = { $and: [deep] };
    assert.match(checkFilter(deep)?.message ?? "", /nest at most 16/);
    const big = { "payload.a": { $in: Array.from({ length: 2000 }, (_, i) => `value-${i}`) } };
    assert.match(checkFilter(big)?.message ?? "", /at most 10000 characters/);
  });

  test("patterns that backtrack exponentially in JavaScript match in linear time", () => {
    // In a backtracking engine each of these takes seconds at 27 characters and doubles with each
    // one more: at 20,000 the test would never end.
    const subject = "a".repeat(20_000) + "!";
    for (const pattern of ["^(a|a)*$", "^(a+)+$", "(x+x+)+y", "^(\\w*)*@"]) {
      assert.equal(matches({ "payload.s": { $regex: pattern } }, { ...doc, payload: { s: subject } }), false, pattern);
    }
    assert.equal(matches({ "payload.s": { $regex: "^(a|a)*!$" } }, { ...doc, payload: { s: subject } }), true);
  });

  test("safe regexes and all allowed operators pass", () => {
    assert.equal(checkFilter({ "payload.email": { $regex: "^[a-z0-9._%+-]+@example\\.(com|org)$", $options: "i" } }), null);
    assert.equal(
      checkFilter({
        $and: [{ eventType: { $eq: "a", $ne: "b" } }, { "payload.n": { $gt: 1, $gte: 1, $lt: 9, $lte: 9 } }],
        $or: [{ channels: { $in: ["x"] } }, { channels: { $nin: ["y"] } }],
        $nor: [{ "payload.t": { $all: ["a"] } }],
        "payload.l": { $size: 2, $elemMatch: { k: { $exists: true } } },
        "payload.s": { $not: { $type: "null" }, $regex: "x", $options: "ms" },
      }),
      null,
    );
  });
});
