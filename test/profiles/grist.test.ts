import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, test } from "node:test";

import { makeManualClock } from "../../src/domain/clock.ts";
import { isDisabled, SECOND } from "../delivery/support.ts";
import type { Receiver } from "../helpers/receiver.ts";
import { call, createApp, createEndpoint, endpointAttempts, header, postMessage, useHeraldWithReceiver, webhookHeaderNames } from "./support.ts";

/**
 * Profile `grist`: the receiver is what Grist users point their webhooks at, a handler that reads
 * a JSON array of rows. Batches of at most 100 rows in order; a failing batch blocks the queue and
 * is retried (1, 2, 4 … 64 s) until it succeeds or the queue is cleared (cancel-msgs); the
 * endpoint is never disabled; GET …/status is Grist's webhook `usage`.
 */

interface Row {
  id: number;
  A: number;
  B: boolean;
  C: string | null;
  manualSort: number;
  [field: string]: unknown;
}

interface Usage {
  status: string;
  numWaiting: number;
  updatedTime: number | null;
  lastSuccessTime: number | null;
  lastFailureTime: number | null;
  lastErrorMessage: string | null;
  lastHttpStatus: number | null;
  lastEventBatch: { status: string; httpStatus: number | null; errorMessage: string | null; size: number; attempts: number } | null;
}

const row = (id: number): Row => ({ id, A: id, B: id % 2 === 0, C: null, manualSort: id });

describe("profile grist", () => {
  const clock = makeManualClock(Date.now());
  const harness = useHeraldWithReceiver(clock);

  /** Each test posts to its own path, so a test that fails half-way cannot feed the next one. */
  let path = "";
  const received = () => harness.receiver.requests.filter((request) => request.path === path);

  async function gristEndpoint(extra: Record<string, unknown> = {}) {
    path = `/grist/${randomUUID()}`;
    const appId = await createApp(harness.h, "Grist doc");
    const endpoint = await createEndpoint(harness.h, appId, { url: harness.receiver.url + path, profile: "grist", ...extra });
    return { appId, endpointId: endpoint.id, endpoint };
  }

  async function usage(appId: string, endpointId: string): Promise<Usage> {
    return (await call(harness.h, "GET", `/api/v1/app/${appId}/endpoint/${endpointId}/status`, undefined, 200)).body as Usage;
  }

  async function advance(ms: number): Promise<void> {
    clock.advance(ms);
    await harness.h.herald.worker!.drain();
  }

  const rowsOf = (requests: Receiver["requests"]) => requests.flatMap((request) => JSON.parse(request.body) as Row[]);

  test("250 rows arrive as batches of at most 100, in order; a failing batch blocks the queue and is retried after 1, 2, 4 s", async () => {
    harness.receiver.respond = () => ({ status: 500, body: "upstream unavailable" });
    const { appId, endpointId, endpoint } = await gristEndpoint({ headers: { Authorization: "Bearer xyz" } });
    assert.deepEqual(endpoint.effectiveOptions.batch, { maxSize: 100, maxWaitMs: 0 });
    assert.deepEqual(endpoint.effectiveOptions.disablePolicy, { type: "never" });
    assert.equal(endpoint.effectiveOptions.timeoutMs, 30_000);

    await postMessage(harness.h, appId, { eventType: "Table1.add", payload: row(1) });
    await harness.h.herald.worker!.drain();
    assert.equal(received().length, 1);
    assert.deepEqual(JSON.parse(received()[0].body), [row(1)]);

    // The rest queue up behind the failing head: nothing is sent before it succeeds.
    for (let id = 2; id <= 250; id++) await postMessage(harness.h, appId, { eventType: "Table1.add", payload: row(id) });
    await harness.h.herald.worker!.drain();
    assert.equal(received().length, 1, "messages were sent past a failing head");

    let status = await usage(appId, endpointId);
    assert.equal(status.status, "retrying");
    assert.equal(status.numWaiting, 250);
    assert.deepEqual(status.lastEventBatch, { status: "failure", httpStatus: 500, errorMessage: "upstream unavailable", size: 1, attempts: 1 });
    assert.equal(status.lastHttpStatus, 500);
    assert.equal(status.lastErrorMessage, "upstream unavailable");
    assert.equal(status.lastSuccessTime, null);
    assert.equal(typeof status.lastFailureTime, "number");

    // Retried 1 s later (not before), then 2 s after that; the retry carries the rows queued behind it.
    await advance(SECOND - 1);
    assert.equal(received().length, 1, "retried before 1 s");
    await advance(1);
    assert.equal(received().length, 2);
    status = await usage(appId, endpointId);
    assert.equal(status.status, "retrying");
    assert.equal(status.lastEventBatch?.status, "failure");
    assert.equal(status.lastEventBatch?.size, JSON.parse(received()[1].body).length);
    assert.ok(status.lastEventBatch!.size <= 100);
    await advance(2 * SECOND - 1);
    assert.equal(received().length, 2, "retried before 2 s");
    await advance(1);
    assert.equal(received().length, 3);

    // The receiver recovers; the next retry comes 4 s later and everything flows, in order.
    harness.receiver.respond = () => ({ status: 200, body: "ok" });
    await advance(4 * SECOND - 1);
    assert.equal(received().length, 3, "retried before 4 s");
    await advance(1);
    const delivered = received().slice(3);
    assert.ok(delivered.length >= 3, `250 rows in ${delivered.length} requests`);
    for (const request of delivered) {
      const rows = JSON.parse(request.body) as Row[];
      assert.ok(Array.isArray(rows) && rows.length >= 1 && rows.length <= 100, `a batch of ${rows.length}`);
    }
    assert.deepEqual(
      rowsOf(delivered).map((delivered) => delivered.id),
      Array.from({ length: 250 }, (_, index) => index + 1),
    );
    assert.deepEqual(rowsOf(delivered)[41], row(42), "rows are the payloads as posted");
    for (const request of received()) {
      assert.equal(request.method, "POST");
      assert.equal(header(request, "authorization"), "Bearer xyz");
      assert.match(header(request, "content-type"), /^application\/json\b/);
      assert.deepEqual(webhookHeaderNames(request), []);
    }

    status = await usage(appId, endpointId);
    assert.equal(status.status, "idle");
    assert.equal(status.numWaiting, 0);
    assert.equal(status.lastEventBatch?.status, "success");
    assert.equal(status.lastEventBatch?.httpStatus, 200);
    assert.equal(status.lastEventBatch?.errorMessage, null);
    assert.equal(typeof status.lastSuccessTime, "number");
  });

  test("usage counts a batch's attempts, as Grist does (1, 2, then success on the 3rd), also when rows joined it on retry", async () => {
    harness.receiver.respond = () => ({ status: 404, body: "not found yet" });
    const { appId, endpointId } = await gristEndpoint();
    await postMessage(harness.h, appId, { eventType: "Table1.add", payload: row(1) });
    await harness.h.herald.worker!.drain();
    assert.deepEqual((await usage(appId, endpointId)).lastEventBatch, { status: "failure", httpStatus: 404, errorMessage: "not found yet", size: 1, attempts: 1 });

    // Two more rows queue behind the failing one and ride along with its retry.
    await postMessage(harness.h, appId, { eventType: "Table1.add", payload: row(2) });
    await postMessage(harness.h, appId, { eventType: "Table1.add", payload: row(3) });
    await harness.h.herald.worker!.drain();
    harness.receiver.respond = () => ({ status: 500, body: "still failing" });
    await advance(SECOND);
    assert.deepEqual(rowsOf(received()).map((delivered) => delivered.id), [1, 1, 2, 3]);
    assert.deepEqual((await usage(appId, endpointId)).lastEventBatch, { status: "failure", httpStatus: 500, errorMessage: "still failing", size: 3, attempts: 2 });

    harness.receiver.respond = () => ({ status: 200 });
    await advance(2 * SECOND);
    const status = await usage(appId, endpointId);
    assert.deepEqual(status.lastEventBatch, { status: "success", httpStatus: 200, errorMessage: null, size: 3, attempts: 3 });
    assert.equal(status.lastHttpStatus, 500, "lastHttpStatus is the last failure's");
    assert.equal(status.lastErrorMessage, "still failing");
  });

  test("200 rows queued before the worker sends are exactly two batches of 100", async () => {
    // A batch window (maxWaitMs) holds the first row until the clock moves, so all 200 are queued.
    const { appId } = await gristEndpoint({ batch: { maxSize: 100, maxWaitMs: 60_000 } });
    for (let id = 1; id <= 200; id++) await postMessage(harness.h, appId, { eventType: "Table1.add", payload: row(id) });
    await harness.h.herald.worker!.drain();
    assert.equal(received().length, 0);
    await advance(60 * SECOND);
    assert.deepEqual(
      received().map((request) => (JSON.parse(request.body) as Row[]).length),
      [100, 100],
    );
    assert.deepEqual(
      rowsOf(received()).map((delivered) => delivered.id),
      Array.from({ length: 200 }, (_, index) => index + 1),
    );
  });

  test("cancel-msgs clears a blocked queue: numWaiting 0, idle, destinations canceled, new rows flow again", async () => {
    harness.receiver.respond = () => ({ status: 500, body: "boom" });
    const { appId, endpointId } = await gristEndpoint();
    const stuck = [];
    for (let id = 1; id <= 3; id++) stuck.push(await postMessage(harness.h, appId, { eventType: "Table1.add", payload: row(id) }));
    await harness.h.herald.worker!.drain();
    await advance(SECOND);
    const sentBeforeCancel = received().length;
    assert.ok(sentBeforeCancel >= 2);

    let status = await usage(appId, endpointId);
    assert.equal(status.status, "retrying");
    assert.equal(status.numWaiting, 3);
    assert.equal(status.lastEventBatch?.status, "failure");
    assert.equal(status.lastEventBatch?.httpStatus, 500);
    assert.equal(status.lastEventBatch?.errorMessage, "boom");

    clock.advance(1);
    await call(harness.h, "POST", `/api/v1/app/${appId}/endpoint/${endpointId}/cancel-msgs`, { createdBefore: new Date(clock.now()).toISOString() }, 204);
    status = await usage(appId, endpointId);
    assert.equal(status.numWaiting, 0);
    assert.equal(status.status, "idle");
    for (const message of stuck) {
      const destinations = await harness.h.svix.messageAttempt.listAttemptedDestinations(appId, message.id);
      assert.equal(destinations.data[0].status, 4, "destination not canceled");
    }
    const stats = (await call(harness.h, "GET", `/api/v1/app/${appId}/endpoint/${endpointId}/stats`, undefined, 200)).body as Record<string, number>;
    assert.equal(stats.canceled, 3);
    assert.equal(stats.pending, 0);

    // Nothing of the canceled rows is retried.
    await advance(10 * SECOND);
    assert.equal(received().length, sentBeforeCancel);

    // New rows are sent at once.
    harness.receiver.respond = () => ({ status: 200 });
    await postMessage(harness.h, appId, { eventType: "Table1.add", payload: row(4) });
    await harness.h.herald.worker!.drain();
    assert.equal(received().length, sentBeforeCancel + 1);
    assert.deepEqual(JSON.parse(received().at(-1)!.body), [row(4)]);
    status = await usage(appId, endpointId);
    assert.equal(status.status, "idle");
    assert.equal(status.lastEventBatch?.status, "success");
  });

  test("never disabled, however long it fails (even 410); retries grow to 64 s and keep going", async () => {
    harness.receiver.respond = () => ({ status: 410, body: "gone" });
    const { appId, endpointId } = await gristEndpoint();
    await postMessage(harness.h, appId, { eventType: "Table1.add", payload: row(1) });
    await harness.h.herald.worker!.drain();
    for (const delay of [1, 2, 4, 8, 16, 32, 64, 64, 64, 64, 64]) await advance(delay * SECOND);
    assert.equal(received().length, 12);
    assert.equal(await isDisabled(harness.h, appId, endpointId), false);
    const status = await usage(appId, endpointId);
    assert.equal(status.status, "retrying");
    assert.equal(status.numWaiting, 1);
    harness.receiver.respond = () => ({ status: 200 });
    await advance(64 * SECOND);
    assert.equal(received().length, 13);
    assert.equal((await usage(appId, endpointId)).status, "idle");
  });

  test("watchFields: an update where only unwatched fields changed is not sent; a watched change is", async () => {
    const { appId } = await gristEndpoint({ watchFields: ["A"] });
    const base = row(1);
    // An add (no previous) is always sent.
    await postMessage(harness.h, appId, { eventType: "Table1.add", payload: base });
    // Only B (unwatched) changed: not sent.
    await postMessage(harness.h, appId, { eventType: "Table1.update", payload: { ...base, B: !base.B }, previous: base });
    // A (watched) changed: sent.
    const changed = await postMessage(harness.h, appId, { eventType: "Table1.update", payload: { ...base, A: 99 }, previous: base });
    assert.deepEqual(changed.previous, base, "previous is stored and returned");
    await harness.h.herald.worker!.drain();
    assert.deepEqual(
      rowsOf(received()).map((delivered) => delivered.A),
      [1, 99],
    );
  });

  test("readyField: only rows whose ready field is exactly true; false → true counts as an add", async () => {
    const { appId, endpointId } = await gristEndpoint({ watchFields: ["A"], readyField: "Ready" });
    const draft = { ...row(1), Ready: false };
    await postMessage(harness.h, appId, { eventType: "Table1.add", payload: draft }); // not ready
    await postMessage(harness.h, appId, { eventType: "Table1.add", payload: { ...row(2), Ready: "yes" } }); // truthy is not true
    await postMessage(harness.h, appId, { eventType: "Table1.add", payload: { ...row(3), Ready: true } }); // ready add
    // Became ready, watched A unchanged: still delivered (an add for the webhook).
    await postMessage(harness.h, appId, { eventType: "Table1.update", payload: { ...draft, Ready: true }, previous: draft });
    // Ready, only unwatched B changed: not sent.
    const ready = { ...row(3), Ready: true };
    await postMessage(harness.h, appId, { eventType: "Table1.update", payload: { ...ready, B: !ready.B }, previous: ready });
    await harness.h.herald.worker!.drain();
    assert.deepEqual(
      rowsOf(received()).map((delivered) => delivered.id),
      [3, 1],
    );
    const attempts = await endpointAttempts(harness.h, appId, endpointId);
    assert.equal(attempts.length, 2);
  });
});
