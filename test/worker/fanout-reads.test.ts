import assert from "node:assert/strict";
import { test } from "node:test";

import { makeManualClock } from "../../src/domain/clock.ts";
import { TRIGGER } from "../../src/domain/types.ts";
import type { Job } from "../../src/store/store.ts";
import { makeFanOutReads, READS_TTL_MS } from "../../src/worker/fanout-reads.ts";
import { makeApp, makeEndpoint, makeMessage } from "../store/fixtures.ts";

const app = makeApp();
const message = makeMessage(app.id);
const [first, second] = [makeEndpoint(app.id), makeEndpoint(app.id)];

function deliverJob(endpointId: string, overrides: Partial<Job> = {}): Job {
  return {
    id: 1,
    kind: "deliver",
    appId: app.id,
    msgId: message.id,
    endpointId,
    lane: null,
    taskId: null,
    attempt: 1,
    trigger: TRIGGER.scheduled,
    runAt: 0,
    leaseToken: "token",
    rateSlotAt: null,
    ...overrides,
  };
}

test("a fan-out's reads serve each of its queued first attempts once", () => {
  const reads = makeFanOutReads(makeManualClock(1_000));
  reads.remember(message, [first, second]);
  const job = deliverJob(first.id);
  assert.deepEqual(reads.take(job), { job, message, endpoint: first });
  assert.equal(reads.take(job), undefined, "used once");
  assert.equal(reads.take(deliverJob(second.id))?.endpoint, second);
});

test("retries, manual attempts, other messages and late claims read for themselves", () => {
  const clock = makeManualClock(1_000);
  const reads = makeFanOutReads(clock);
  reads.remember(message, [first, second]);
  assert.equal(reads.take(deliverJob(first.id, { attempt: 2 })), undefined);
  assert.equal(reads.take(deliverJob(first.id, { trigger: TRIGGER.manual })), undefined);
  assert.equal(reads.take(deliverJob(first.id, { msgId: "msg_other" })), undefined);
  clock.advance(READS_TTL_MS);
  assert.equal(reads.take(deliverJob(second.id)), undefined, "expired");
});
