import assert from "node:assert/strict";
import { test } from "node:test";

import { passesWatchAndReady } from "../../src/filter/message-filter.ts";

type Row = Record<string, unknown>;

/** [case, payload, previous, watchFields, readyField, delivered] */
const cases: [string, unknown, Row | null, string[] | null, string | null, boolean][] = [
  ["add without options", { id: 1, a: 1 }, null, null, null, true],
  ["update without options", { id: 1, a: 2 }, { id: 1, a: 1 }, null, null, true],
  ["unchanged update, nothing watched", { id: 1, a: 1 }, { id: 1, a: 1 }, null, null, true],
  ["empty watch list watches nothing", { id: 1, a: 1 }, { id: 1, a: 1 }, [], null, true],
  ["update of a watched field", { id: 1, a: 2, b: 1 }, { id: 1, a: 1, b: 1 }, ["a"], null, true],
  ["update of an unwatched field is suppressed", { id: 1, a: 1, b: 2 }, { id: 1, a: 1, b: 1 }, ["a"], null, false],
  ["any watched field may change", { a: 1, b: 2 }, { a: 1, b: 1 }, ["a", "b"], null, true],
  ["watched lists compare deeply (equal)", { a: ["L", 1, 2] }, { a: ["L", 1, 2] }, ["a"], null, false],
  ["watched lists compare deeply (differ)", { a: ["L", 1, 3] }, { a: ["L", 1, 2] }, ["a"], null, true],
  ["1 and '1' differ", { a: 1 }, { a: "1" }, ["a"], null, true],
  ["a watched field that appears", { a: 1 }, {}, ["a"], null, true],
  ["an add is delivered even with watched fields", { a: 1 }, null, ["a"], null, true],
  ["ready add", { ready: true, a: 1 }, null, null, "ready", true],
  ["not ready: false", { ready: false }, null, null, "ready", false],
  ["not ready: truthy is not true", { ready: 1 }, null, null, "ready", false],
  ["not ready: missing", { a: 1 }, null, null, "ready", false],
  ["false → true is an add, even with watched fields unchanged", { ready: true, a: 1 }, { ready: false, a: 1 }, ["a"], "ready", true],
  ["missing → true is an add", { ready: true, a: 1 }, { a: 1 }, ["a"], "ready", true],
  ["true → false is not delivered", { ready: false, a: 2 }, { ready: true, a: 1 }, ["a"], "ready", false],
  ["ready update with a watched change", { ready: true, a: 2 }, { ready: true, a: 1 }, ["a"], "ready", true],
  ["ready update with watched fields unchanged is suppressed", { ready: true, a: 1, b: 9 }, { ready: true, a: 1, b: 1 }, ["a"], "ready", false],
  ["ready update, nothing watched", { ready: true, a: 1 }, { ready: true, a: 1 }, null, "ready", true],
  ["a non-object payload is never ready", [true], null, null, "0", false],
  ["inherited properties do not count", { a: 1 }, { a: 1 }, ["constructor"], "toString", false],
];

for (const [name, payload, previous, watchFields, readyField, expected] of cases) {
  test(`watch/ready: ${name}`, () => {
    assert.equal(passesWatchAndReady(() => payload, previous, watchFields, readyField), expected);
  });
}

test("watch/ready: the payload is not read when no rule needs it", () => {
  const unread = () => assert.fail("the payload was read");
  assert.equal(passesWatchAndReady(unread, null, null, null), true);
  assert.equal(passesWatchAndReady(unread, null, ["a"], null), true, "an add passes whatever is watched");
  assert.equal(passesWatchAndReady(unread, { a: 1 }, null, null), true, "an update with nothing watched");
});
