import assert from "node:assert/strict";
import { before, describe, test } from "node:test";

import { makeManualClock } from "../../src/domain/clock.ts";
import { assertValidation, raw, useHerald } from "./api-helpers.ts";

interface MessageOut {
  id: string;
  eventType: string;
  channels: string[] | null;
  timestamp: string;
}
interface ListOut {
  data: MessageOut[];
  iterator: string | null;
  prevIterator: string | null;
  done: boolean;
}

const START = Date.parse("2026-03-01T12:00:00.000Z");
const SECOND = 1000;

/** Messages one second apart on a manual clock, so time filters have clean boundaries. */
const FIXTURE: { eventType: string; channels?: string[] }[] = [
  { eventType: "invoice.paid", channels: ["eu"] },
  { eventType: "invoice.voided" },
  { eventType: "user.created", channels: ["us", "eu"] },
  { eventType: "invoice.paid", channels: ["us"] },
  { eventType: "user.deleted" },
  { eventType: "invoice.paid" },
];

describe("message list: filters and pagination", () => {
  const clock = makeManualClock(START);
  const herald = useHerald({ clock });
  let appId: string;
  /** Fixture ids in creation order. */
  const ids: string[] = [];
  const at = (index: number) => new Date(START + index * SECOND).toISOString();
  const idsOf = (list: { data: { id: string }[] }) => list.data.map((message) => message.id);
  /** Fixture indexes → ids, newest first (the list order). */
  const newestFirst = (...indexes: number[]) => indexes.sort((a, b) => b - a).map((index) => ids[index]);

  before(async () => {
    const h = herald();
    appId = (await h.svix.application.create({ name: "Message list" })).id;
    for (const [index, message] of FIXTURE.entries()) {
      clock.set(START + index * SECOND);
      ids.push((await h.svix.message.create(appId, { ...message, payload: { index } })).id);
    }
    clock.set(START + FIXTURE.length * SECOND);
  });

  test("lists newest first, with timestamps from the clock", async () => {
    const h = herald();
    const list = await h.svix.message.list(appId, { limit: 250 });
    assert.deepEqual(idsOf(list), newestFirst(0, 1, 2, 3, 4, 5));
    assert.equal(list.data[5].timestamp.toISOString(), at(0));
    assert.equal(list.done, true);
  });

  test("pages forward with iterator and back with prevIterator", async () => {
    const h = herald();
    const first = await h.svix.message.list(appId, { limit: 2 });
    const second = await h.svix.message.list(appId, { limit: 2, iterator: first.iterator });
    const third = await h.svix.message.list(appId, { limit: 2, iterator: second.iterator });
    assert.deepEqual([first.done, second.done, third.done], [false, false, true]);
    assert.deepEqual([...idsOf(first), ...idsOf(second), ...idsOf(third)], newestFirst(0, 1, 2, 3, 4, 5));

    const back = await h.svix.message.list(appId, { limit: 2, iterator: third.prevIterator });
    assert.deepEqual(idsOf(back), idsOf(second));
    const backAgain = await h.svix.message.list(appId, { limit: 2, iterator: back.prevIterator });
    assert.deepEqual(idsOf(backAgain), idsOf(first));
    assert.equal(backAgain.done, true);
  });

  test("event_types filters by type, in every spelling", async () => {
    const h = herald();
    const expected = newestFirst(0, 1, 3, 5);
    assert.deepEqual(idsOf(await h.svix.message.list(appId, { eventTypes: ["invoice.paid", "invoice.voided"] })), expected);
    const comma = await raw(h)("GET", `/api/v1/app/${appId}/msg?event_types=invoice.paid,invoice.voided`);
    assert.deepEqual(idsOf(comma.body as ListOut), expected);
    const repeated = await raw(h)("GET", `/api/v1/app/${appId}/msg?event_types=invoice.paid&event_types=invoice.voided`);
    assert.deepEqual(idsOf(repeated.body as ListOut), expected);
    const brackets = await raw(h)("GET", `/api/v1/app/${appId}/msg?event_types[]=invoice.paid&event_types[]=invoice.voided`);
    assert.deepEqual(idsOf(brackets.body as ListOut), expected);
    assert.deepEqual(idsOf(await h.svix.message.list(appId, { eventTypes: ["user.deleted"] })), newestFirst(4));
    assert.deepEqual(idsOf(await h.svix.message.list(appId, { eventTypes: ["nothing.here"] })), []);
  });

  test("channel filters by channel", async () => {
    const h = herald();
    assert.deepEqual(idsOf(await h.svix.message.list(appId, { channel: "eu" })), newestFirst(0, 2));
    assert.deepEqual(idsOf(await h.svix.message.list(appId, { channel: "us" })), newestFirst(2, 3));
    assert.deepEqual(idsOf(await h.svix.message.list(appId, { channel: "apac" })), []);
    const combined = await h.svix.message.list(appId, { channel: "us", eventTypes: ["invoice.paid"] });
    assert.deepEqual(idsOf(combined), newestFirst(3));
  });

  test("before and after bound the creation time", async () => {
    const h = herald();
    // Between fixture times, so inclusive/exclusive bounds cannot matter.
    const half = (index: number) => new Date(START + index * SECOND + SECOND / 2);
    assert.deepEqual(idsOf(await h.svix.message.list(appId, { before: half(1) })), newestFirst(0, 1));
    assert.deepEqual(idsOf(await h.svix.message.list(appId, { after: half(3) })), newestFirst(4, 5));
    assert.deepEqual(idsOf(await h.svix.message.list(appId, { after: half(1), before: half(4) })), newestFirst(2, 3, 4));
    const filtered = await h.svix.message.list(appId, { after: half(0), before: half(4), eventTypes: ["invoice.paid"] });
    assert.deepEqual(idsOf(filtered), newestFirst(3));

    const paged = await h.svix.message.list(appId, { after: half(0), limit: 2 });
    const next = await h.svix.message.list(appId, { after: half(0), limit: 2, iterator: paged.iterator });
    assert.deepEqual([...idsOf(paged), ...idsOf(next)], newestFirst(2, 3, 4, 5));

    const rawBefore = await raw(h)("GET", `/api/v1/app/${appId}/msg?before=${encodeURIComponent(at(1))}`);
    assert.equal(rawBefore.status, 200);
    assertValidation(await raw(h)("GET", `/api/v1/app/${appId}/msg?before=yesterday`), ["querystring", "before"]);
  });
});
