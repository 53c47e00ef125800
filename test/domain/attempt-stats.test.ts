import assert from "node:assert/strict";
import { test } from "node:test";

import { bucketStart, LATENCY_BIN_COUNT, LATENCY_BIN_LOWER_MS, latencyBin, latencyPercentile } from "../../src/domain/attempt-stats.ts";

function histogram(durations: number[]): number[] {
  const latency = new Array<number>(LATENCY_BIN_COUNT).fill(0);
  for (const duration of durations) latency[latencyBin(duration)]!++;
  return latency;
}

test("latency bins: one per millisecond below 4 ms, then ⌈2^(k/2)⌉ ms, the last open-ended", () => {
  assert.equal(LATENCY_BIN_COUNT, 32);
  for (let k = 4; k < LATENCY_BIN_COUNT; k++) assert.equal(LATENCY_BIN_LOWER_MS[k], Math.ceil(2 ** (k / 2)), `bin ${k}`);
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 11, 12].map(latencyBin), [0, 1, 2, 3, 4, 4, 5, 6, 7]);
  assert.equal(latencyBin(46_340), 30);
  assert.equal(latencyBin(46_341), 31);
  assert.equal(latencyBin(3_600_000), 31);
});

test("percentiles are exact below 4 ms and lie in the true value's bin above", () => {
  assert.equal(latencyPercentile(histogram([]), 0.5), null);
  assert.equal(latencyPercentile(histogram([2, 2, 3]), 0.5), 2);
  assert.equal(latencyPercentile(histogram([2, 2, 3]), 0.99), 3);
  const durations = Array.from({ length: 1000 }, (_, i) => 10 + (i % 200));
  const latency = histogram(durations);
  const sorted = [...durations].sort((a, b) => a - b);
  for (const q of [0.5, 0.9, 0.99]) {
    const exact = sorted[Math.ceil(q * sorted.length) - 1]!;
    const estimate = latencyPercentile(latency, q)!;
    const bin = latencyBin(exact);
    assert.ok(estimate >= LATENCY_BIN_LOWER_MS[bin]! && estimate < LATENCY_BIN_LOWER_MS[bin + 1]!, `p${q * 100}: ${estimate} vs ${exact}`);
  }
  assert.equal(latencyPercentile(histogram([60_000]), 0.5), 46_341, "the open-ended bin reports its lower bound");
});

test("buckets are aligned to the epoch, so hours and days are UTC", () => {
  const at = Date.UTC(2026, 11, 7, 13, 47, 12, 5);
  assert.equal(bucketStart(at, 5 * 60_000), Date.UTC(2026, 11, 7, 13, 45));
  assert.equal(bucketStart(at, 3_600_000), Date.UTC(2026, 11, 7, 13));
  assert.equal(bucketStart(at, 86_400_000), Date.UTC(2026, 11, 7));
});
