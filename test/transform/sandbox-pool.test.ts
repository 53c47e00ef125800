import assert from "node:assert/strict";
import { before, describe, test } from "node:test";

import {
  DEFAULT_TRANSFORM_LIMITS,
  initTransformations,
  runTransformationAsync,
  TransformationError,
  type TransformLimits,
  type WebhookInput,
  type WebhookOutput,
} from "../../src/transform/sandbox.ts";
import { MAX_QUEUED_JOBS, POOL_SIZE, sandboxStats } from "../../src/transform/sandbox-host.ts";

/** Runs never block the main thread; concurrent runs share a small pool of workers through a bounded queue. */
const INPUT: WebhookInput = { method: "POST", url: "https://receiver.example.com/", payload: { n: 1 }, eventType: "test.event" };
const IDENTITY = "function handler(webhook) { return webhook; }";
const INFINITE_LOOP = "function handler(webhook) { while (true) {} }";
/** Not interrupted by QuickJS in time: the main thread's hard deadline terminates the worker. */
const SORT_LOOP = "function handler(webhook) { const a = new Array(100000).fill(0); for (;;) a.sort(); }";
/** For runs whose outcome is not about time: a loaded machine must not turn them into time-outs. */
const RELAXED = { ...DEFAULT_TRANSFORM_LIMITS, timeoutMs: 5_000 };

function timedOut(timeoutMs: number): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof TransformationError, `expected a TransformationError, got ${String(error)}`);
    assert.equal(error.message, `transformation timed out after ${timeoutMs} ms`);
    return true;
  };
}

function tagged(i: number): string {
  return `function handler(webhook) { webhook.payload = { i: ${i} }; return webhook; }`;
}

before(async () => {
  await initTransformations();
});

describe("sandbox pool: the main thread is never blocked", () => {
  for (const [name, code] of [
    ["an infinite loop (interrupted by QuickJS)", INFINITE_LOOP],
    ["a loop of heavy built-ins (the worker is terminated)", SORT_LOOP],
  ] as const) {
    test(`while ${name} runs, immediates and timers on the main thread still fire`, async () => {
      const events: string[] = [];
      const settled = runTransformationAsync(code, INPUT, DEFAULT_TRANSFORM_LIMITS).then(
        () => events.push("run resolved"),
        (error: unknown) => {
          timedOut(DEFAULT_TRANSFORM_LIMITS.timeoutMs)(error);
          events.push("run rejected");
        },
      );
      setImmediate(() => events.push("immediate"));
      setTimeout(() => events.push("timer"), 10);
      await settled;
      assert.deepEqual(events, ["immediate", "timer", "run rejected"]);
    });
  }
});

describe("sandbox pool: concurrent runs", () => {
  test("10 runs at once, mixing good code and infinite loops, each settle with their own result", async () => {
    const loopLimits = { ...DEFAULT_TRANSFORM_LIMITS, timeoutMs: 100 };
    const outcomes = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => {
        if (i === 4) return runTransformationAsync(SORT_LOOP, INPUT, loopLimits);
        if (i % 3 === 0) return runTransformationAsync(INFINITE_LOOP, INPUT, loopLimits);
        return runTransformationAsync(tagged(i), INPUT, RELAXED);
      }),
    );
    outcomes.forEach((outcome, i) => {
      if (i === 4 || i % 3 === 0) {
        assert.equal(outcome.status, "rejected", `run ${i}`);
        timedOut(100)(outcome.reason);
      } else {
        assert.equal(outcome.status, "fulfilled", `run ${i}: ${outcome.status === "rejected" ? String(outcome.reason) : ""}`);
        assert.deepEqual(outcome.value.payload, { i });
      }
    });
    assert.equal(sandboxStats(DEFAULT_TRANSFORM_LIMITS.memoryBytes).waiting, 0);
  });

  test(`at most ${POOL_SIZE} run at once; the others wait in the queue, and waiting does not count against their deadline`, async () => {
    // The loops keep every active worker busy for 600 ms; the queued run's own deadline is 400 ms.
    const loops = Array.from({ length: POOL_SIZE }, () =>
      assert.rejects(runTransformationAsync(INFINITE_LOOP, INPUT, { ...DEFAULT_TRANSFORM_LIMITS, timeoutMs: 600 }), timedOut(600)),
    );
    const queued = runTransformationAsync(tagged(7), INPUT, { ...DEFAULT_TRANSFORM_LIMITS, timeoutMs: 400 });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(sandboxStats(DEFAULT_TRANSFORM_LIMITS.memoryBytes).waiting, 1);
    assert.deepEqual((await queued).payload, { i: 7 });
    await Promise.all(loops);
  });

  test(`the queue holds at most ${MAX_QUEUED_JOBS} runs; one more fails at once with a plain Error`, async () => {
    // A heap size of its own, so this pool starts empty.
    const limits: TransformLimits = { timeoutMs: 5_000, memoryBytes: 4 * 1024 * 1024 };
    await initTransformations(limits);
    const loops = Array.from({ length: POOL_SIZE }, () =>
      assert.rejects(runTransformationAsync(INFINITE_LOOP, INPUT, { ...limits, timeoutMs: 1_000 }), timedOut(1_000)),
    );
    const waiting: Promise<WebhookOutput>[] = Array.from({ length: MAX_QUEUED_JOBS }, () => runTransformationAsync(IDENTITY, INPUT, limits));
    await assert.rejects(runTransformationAsync(IDENTITY, INPUT, limits), (error: unknown) => {
      assert.ok(error instanceof Error && !(error instanceof TransformationError), `expected a plain Error, got ${String(error)}`);
      assert.match(error.message, /^transformation queue is full: 1000 runs are already waiting for a sandbox worker$/);
      return true;
    });
    assert.equal(sandboxStats(limits.memoryBytes).waiting, MAX_QUEUED_JOBS);
    await Promise.all(loops);
    const results = await Promise.all(waiting);
    assert.ok(results.every((result) => result.method === "POST" && result.cancel === false));
    assert.equal(sandboxStats(limits.memoryBytes).waiting, 0);
    assert.deepEqual((await runTransformationAsync(IDENTITY, INPUT, limits)).payload, { n: 1 });
  });
});
