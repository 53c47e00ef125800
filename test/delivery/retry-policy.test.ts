import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { DEFAULT_RETRY_SCHEDULE_SECONDS } from "../../src/config/config.ts";
import { JITTER_RATIO, MAX_RETRY_AFTER_MS, maxAttempts, parseRetryAfter, retryDelayMs } from "../../src/delivery/retry-policy.ts";

/** Unit tests of the retry policy: no server, no clock, injected randomness. */
const SCHEDULE = DEFAULT_RETRY_SCHEDULE_SECONDS;
const exact = () => 0.5; // jitter factor exactly 1
const NOW = Date.UTC(2030, 0, 1, 12, 0, 0);

describe("retry policy: schedule", () => {
  test("the default schedule is Svix's: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h", () => {
    assert.deepEqual(SCHEDULE, [5, 300, 1800, 7200, 18000, 36000, 36000]);
    assert.equal(maxAttempts(SCHEDULE), 8);
  });

  test("attempt n waits schedule[n-1] seconds, with no jitter at random = 0.5", () => {
    const delays = SCHEDULE.map((_, index) => retryDelayMs(index + 1, SCHEDULE, null, exact));
    assert.deepEqual(delays, [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
  });

  test("after the last scheduled attempt there is no retry", () => {
    assert.equal(retryDelayMs(8, SCHEDULE, null, exact), null);
    assert.equal(retryDelayMs(9, SCHEDULE, null, exact), null);
    assert.equal(retryDelayMs(3, [1, 1], null, exact), null);
    assert.equal(retryDelayMs(1, [], null, exact), null);
    assert.equal(maxAttempts([1, 1]), 3);
  });

  test("a custom schedule is followed", () => {
    assert.deepEqual(
      [1, 2, 3].map((n) => retryDelayMs(n, [1, 60, 3600], null, exact)),
      [1_000, 60_000, 3_600_000],
    );
  });
});

describe("retry policy: jitter", () => {
  test("is ±20 %", () => {
    assert.equal(JITTER_RATIO, 0.2);
  });

  test("random = 0 gives the lower bound, 80 % of the delay", () => {
    assert.equal(retryDelayMs(1, SCHEDULE, null, () => 0), 4_000);
    assert.equal(retryDelayMs(2, SCHEDULE, null, () => 0), 240_000);
  });

  test("random = 0.999 stays just under the upper bound, 120 % of the delay", () => {
    const delay = retryDelayMs(2, SCHEDULE, null, () => 0.999)!;
    assert.ok(delay < 360_000 && delay >= 359_000, String(delay));
    assert.equal(retryDelayMs(1, SCHEDULE, null, () => 0.999), 5_998);
  });

  test("every delay of the schedule stays within [0.8, 1.2] × base whatever random returns", () => {
    for (const [index, base] of SCHEDULE.entries()) {
      for (const r of [0, 0.001, 0.25, 0.5, 0.75, 0.999]) {
        const delay = retryDelayMs(index + 1, SCHEDULE, null, () => r)!;
        assert.ok(delay >= base * 800 && delay <= base * 1200, `attempt ${index + 1}, random ${r}: ${delay}`);
        assert.ok(Number.isInteger(delay));
      }
    }
  });

  test("uses Math.random by default, within bounds", () => {
    for (let i = 0; i < 50; i++) {
      const delay = retryDelayMs(1, SCHEDULE, null)!;
      assert.ok(delay >= 4_000 && delay <= 6_000, String(delay));
    }
  });
});

describe("retry policy: Retry-After", () => {
  test("parses delta seconds", () => {
    assert.equal(parseRetryAfter("120", NOW), 120_000);
    assert.equal(parseRetryAfter(" 0 ", NOW), 0);
  });

  test("parses an HTTP date relative to now, never negative", () => {
    assert.equal(parseRetryAfter(new Date(NOW + 90_000).toUTCString(), NOW), 90_000);
    assert.equal(parseRetryAfter("Wed, 01 Jan 2030 12:10:00 GMT", NOW), 600_000);
    assert.equal(parseRetryAfter(new Date(NOW - 90_000).toUTCString(), NOW), 0);
  });

  test("absent or unreadable values are ignored", () => {
    assert.equal(parseRetryAfter(undefined, NOW), null);
    assert.equal(parseRetryAfter("", NOW), null);
    assert.equal(parseRetryAfter("soon", NOW), null);
    assert.equal(parseRetryAfter("-5", NOW), null);
    assert.equal(parseRetryAfter("1.5", NOW), null);
    // Not HTTP dates, though Date.parse reads them as such.
    assert.equal(parseRetryAfter("next year 2099", NOW), null);
    assert.equal(parseRetryAfter("2099-01-01", NOW), null);
  });

  test("the three HTTP-date forms are accepted", () => {
    for (const value of ["Wed, 01 Jan 2030 12:01:00 GMT", "Wednesday, 01-Jan-30 12:01:00 GMT", "Wed Jan  1 12:01:00 2030"]) {
      assert.equal(parseRetryAfter(value, NOW), 60_000, value);
    }
  });

  test("a longer Retry-After postpones the retry", () => {
    assert.equal(retryDelayMs(1, SCHEDULE, 120_000, exact), 120_000);
  });

  test("a shorter Retry-After never brings the retry forward", () => {
    assert.equal(retryDelayMs(2, SCHEDULE, 1_000, exact), 300_000);
    assert.equal(retryDelayMs(2, SCHEDULE, 0, () => 0), 240_000);
  });

  test("Retry-After is capped at a day", () => {
    assert.equal(MAX_RETRY_AFTER_MS, 86_400_000);
    assert.equal(retryDelayMs(1, SCHEDULE, 7 * 86_400_000, exact), 86_400_000);
  });

  test("Retry-After does not extend the schedule past its last attempt", () => {
    assert.equal(retryDelayMs(8, SCHEDULE, 60_000, exact), null);
  });
});
