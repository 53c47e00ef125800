import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";

import pg from "pg";

import { makeSecretBox } from "../../src/crypto/secret-box.ts";
import { FIVE_MINUTES_MS, HOUR_MS, LATENCY_BIN_COUNT } from "../../src/domain/attempt-stats.ts";
import type { Application, Attempt, Endpoint, Message } from "../../src/domain/types.ts";
import { MESSAGE_STATUS } from "../../src/domain/types.ts";
import { makeAttemptStatsFolder } from "../../src/store/postgres/postgres-attempt-stats.ts";
import { applyMigrations as applyPostgresMigrations, loadMigrations as loadPostgresMigrations } from "../../src/store/postgres/postgres-migrate.ts";
import { openPostgresStore } from "../../src/store/postgres/postgres-store.ts";
import { openDatabase } from "../../src/store/sqlite/sqlite-database.ts";
import { applyMigrations as applySqliteMigrations, loadMigrations as loadSqliteMigrations } from "../../src/store/sqlite/sqlite-migrate.ts";
import { openSqliteStore } from "../../src/store/sqlite/sqlite-store.ts";
import type { AttemptStats, AttemptStatsQuery, Store } from "../../src/store/store.ts";
import { createTestDatabase } from "../helpers/postgres.ts";
import { makePostgresTestStore } from "../helpers/postgres-store.ts";
import { makeTestStore, TEST_MAIN_SECRET } from "../helpers/sqlite-store.ts";
import { makeApp, makeAttempt, makeEndpoint, makeMessage, NO_WINDOW_MS, STORES, T0, target } from "./fixtures.ts";

const DAY = 24 * HOUR_MS;
/** A UTC midnight after T0, so 5-minute buckets, hours and the day line up with it. */
const DAY0 = Math.ceil(T0 / DAY) * DAY;
const MINUTE = 60_000;

/** A latency histogram with `n` attempts in each bin given. */
function bins(entries: Record<number, number>): number[] {
  const latency = new Array<number>(LATENCY_BIN_COUNT).fill(0);
  for (const [bin, n] of Object.entries(entries)) latency[Number(bin)] = n;
  return latency;
}

function fiveMinutes(since: number, until: number, endpointId?: string): AttemptStatsQuery {
  return { since, until, spanMs: FIVE_MINUTES_MS, periodMs: FIVE_MINUTES_MS, endpointId };
}

/** Queues a message for an endpoint and returns its claimed delivery, as a worker would hold it. */
async function claimDelivery(store: Store, message: Message, endpoint: Endpoint) {
  await store.createMessage(message);
  const lease = { workerId: "w", now: message.createdAt, leaseMs: 60_000 };
  const fanouts = await store.claimJobs(10, lease);
  const fanout = fanouts.find((job) => job.msgId === message.id)!;
  const [delivery] = await store.fanOut(fanout, [target(endpoint.id)], lease);
  return delivery!;
}

/** Delivers a new message to `endpoint` with one attempt at `at` (ms after DAY0's epoch) and completes it. */
async function deliverOnce(store: Store, endpoint: Endpoint, at: number, attempt: Partial<Attempt>, canceled = false): Promise<void> {
  const message = makeMessage(endpoint.appId, { createdAt: at - 1000 });
  const delivery = await claimDelivery(store, message, endpoint);
  await store.completeDelivery(delivery, {
    attempt: makeAttempt(message, endpoint.id, { createdAt: at, ...attempt }),
    destinationStatus: attempt.status ?? MESSAGE_STATUS.success,
    retryAt: null,
    endpointHealth: null,
    failureWindowMs: NO_WINDOW_MS,
    canceled,
  });
}

for (const factory of STORES) {
  describe(`${factory.name} store: attempt statistics`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    let app: Application;
    let first: Endpoint;
    let second: Endpoint;

    beforeEach(async () => {
      ({ store, cleanup } = await factory.make());
      app = makeApp();
      await store.createApplication(app);
      first = makeEndpoint(app.id);
      second = makeEndpoint(app.id);
      await store.createEndpoint(first);
      await store.createEndpoint(second);
    });
    afterEach(async () => {
      await cleanup();
    });

    test("counts each recorded attempt by 5-minute bucket, hour, endpoint, outcome and latency", async () => {
      // One message fails (500 ms), is retried and succeeds (3 ms): both attempts count.
      const retried = makeMessage(app.id, { createdAt: DAY0 });
      const delivery = await claimDelivery(store, retried, first);
      await store.completeDelivery(delivery, {
        attempt: makeAttempt(retried, first.id, { createdAt: DAY0 + 2 * MINUTE, status: MESSAGE_STATUS.fail, responseStatusCode: 500, responseDurationMs: 500 }),
        destinationStatus: MESSAGE_STATUS.pending,
        retryAt: DAY0 + 7 * MINUTE,
        endpointHealth: "failure",
        failureWindowMs: NO_WINDOW_MS,
      });
      const [retry] = await store.claimJobs(1, { workerId: "w", now: DAY0 + 7 * MINUTE, leaseMs: 60_000 });
      await store.completeDelivery(retry!, {
        attempt: makeAttempt(retried, first.id, { createdAt: DAY0 + 7 * MINUTE, attemptNumber: 2, responseDurationMs: 3 }),
        destinationStatus: MESSAGE_STATUS.success,
        retryAt: null,
        endpointHealth: "success",
        failureWindowMs: NO_WINDOW_MS,
      });
      await deliverOnce(store, first, DAY0 + MINUTE, { responseDurationMs: 12 });
      // A transformation's cancel: recorded as a success, counted as canceled, with no latency.
      await deliverOnce(store, first, DAY0 + 8 * MINUTE, { responseStatusCode: 0, responseDurationMs: 0 }, true);
      await deliverOnce(store, second, DAY0 + 61 * MINUTE, { responseDurationMs: 40 });
      // Another application's attempt in the same bucket stays out.
      const other = makeApp();
      await store.createApplication(other);
      const elsewhere = makeEndpoint(other.id);
      await store.createEndpoint(elsewhere);
      await deliverOnce(store, elsewhere, DAY0 + MINUTE, { responseDurationMs: 12 });

      const byFive = await store.getAttemptStats(app.id, fiveMinutes(DAY0, DAY0 + 2 * HOUR_MS));
      assert.deepEqual(byFive.byPeriod, [
        // 12 ms is in bin 7 ([12, 16)), 500 ms in bin 17 ([363, 512)).
        { start: DAY0, success: 1, failure: 1, canceled: 0, latency: bins({ 7: 1, 17: 1 }) },
        { start: DAY0 + FIVE_MINUTES_MS, success: 1, failure: 0, canceled: 1, latency: bins({ 3: 1 }) },
        { start: DAY0 + HOUR_MS, success: 1, failure: 0, canceled: 0, latency: bins({ 10: 1 }) },
      ]);
      const byEndpoint = [
        { endpointId: first.id, success: 2, failure: 1, canceled: 1, latency: bins({ 3: 1, 7: 1, 17: 1 }) },
        { endpointId: second.id, success: 1, failure: 0, canceled: 0, latency: bins({ 10: 1 }) },
      ].sort((a, b) => (a.endpointId < b.endpointId ? -1 : 1));
      assert.deepEqual(byFive.byEndpoint, byEndpoint);

      const byHour = await store.getAttemptStats(app.id, { since: DAY0, until: DAY0 + 2 * HOUR_MS, spanMs: HOUR_MS, periodMs: HOUR_MS });
      assert.deepEqual(byHour.byPeriod, [
        { start: DAY0, success: 2, failure: 1, canceled: 1, latency: bins({ 3: 1, 7: 1, 17: 1 }) },
        { start: DAY0 + HOUR_MS, success: 1, failure: 0, canceled: 0, latency: bins({ 10: 1 }) },
      ]);
      assert.deepEqual(byHour.byEndpoint, byEndpoint);

      const byDay = await store.getAttemptStats(app.id, { since: DAY0, until: DAY0 + DAY, spanMs: HOUR_MS, periodMs: DAY });
      assert.deepEqual(byDay.byPeriod, [{ start: DAY0, success: 3, failure: 1, canceled: 1, latency: bins({ 3: 1, 7: 1, 10: 1, 17: 1 }) }]);

      const secondOnly = await store.getAttemptStats(app.id, fiveMinutes(DAY0, DAY0 + 2 * HOUR_MS, second.id));
      assert.deepEqual(secondOnly.byPeriod, [{ start: DAY0 + HOUR_MS, success: 1, failure: 0, canceled: 0, latency: bins({ 10: 1 }) }]);
      assert.deepEqual(secondOnly.byEndpoint.map((entry) => entry.endpointId), [second.id]);

      // The window is [since, until): the first bucket alone, then nothing before DAY0.
      const firstBucket = await store.getAttemptStats(app.id, fiveMinutes(DAY0, DAY0 + FIVE_MINUTES_MS));
      assert.deepEqual(firstBucket.byPeriod.map((entry) => [entry.start, entry.success, entry.failure]), [[DAY0, 1, 1]]);
      const empty: AttemptStats = { byPeriod: [], byEndpoint: [] };
      assert.deepEqual(await store.getAttemptStats(app.id, fiveMinutes(DAY0 - HOUR_MS, DAY0)), empty);
    });

    test("completions of one turn are each counted once, and one that fails counts nothing", async () => {
      const messages = Array.from({ length: 20 }, (_, i) => makeMessage(app.id, { createdAt: DAY0 + i }));
      const deliveries = [];
      for (const message of messages) deliveries.push(await claimDelivery(store, message, first));
      const attempts = messages.map((message, i) => makeAttempt(message, first.id, { createdAt: DAY0 + MINUTE + i, responseDurationMs: 5 }));
      // The last reuses an attempt id already taken: its insert fails, alone.
      attempts[19] = { ...attempts[19]!, id: attempts[0]!.id };
      const results = await Promise.allSettled(
        deliveries.map((delivery, i) =>
          store.completeDelivery(delivery, {
            attempt: attempts[i]!,
            destinationStatus: MESSAGE_STATUS.success,
            retryAt: null,
            endpointHealth: null,
            failureWindowMs: NO_WINDOW_MS,
          }),
        ),
      );
      assert.deepEqual(
        results.map((result) => result.status),
        [...new Array<string>(19).fill("fulfilled"), "rejected"],
      );
      const stats = await store.getAttemptStats(app.id, fiveMinutes(DAY0, DAY0 + HOUR_MS));
      assert.deepEqual(stats.byPeriod, [{ start: DAY0, success: 19, failure: 0, canceled: 0, latency: bins({ 4: 19 }) }]);
    });

    test("pruneAttemptStats deletes the rows of buckets before the cutoff, in batches", async () => {
      await deliverOnce(store, first, DAY0 + MINUTE, {});
      await deliverOnce(store, second, DAY0 + MINUTE, {});
      await deliverOnce(store, first, DAY0 + 2 * HOUR_MS, {});
      const window = { since: DAY0, until: DAY0 + DAY, spanMs: HOUR_MS, periodMs: HOUR_MS } as const;
      // Folded or not, the counts are there before pruning (PostgreSQL may still hold them pending).
      assert.equal((await store.getAttemptStats(app.id, window)).byPeriod.length, 2);

      // Two endpoints × two spans before DAY0 + 1 h.
      let pruned = 0;
      for (let batch = await store.pruneAttemptStats(DAY0 + HOUR_MS, 3); batch > 0; batch = await store.pruneAttemptStats(DAY0 + HOUR_MS, 3)) {
        assert.ok(batch <= 3);
        pruned += batch;
      }
      // On PostgreSQL the rows may not be folded yet, and pending rows are not pruned.
      if (factory.name === "sqlite") assert.equal(pruned, 4);
      else assert.ok(pruned <= 4);
      if (factory.name === "sqlite") {
        assert.deepEqual((await store.getAttemptStats(app.id, window)).byPeriod.map((entry) => entry.start), [DAY0 + 2 * HOUR_MS]);
      }
    });
  });
}

describe("postgres store: attempt statistics, folded", () => {
  test("folding moves pending counts into attempt_stats without changing what a read sees, and prunes then work", async () => {
    const { store, url, cleanup } = await makePostgresTestStore();
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    try {
      const app = makeApp();
      await store.createApplication(app);
      const endpoint = makeEndpoint(app.id);
      await store.createEndpoint(endpoint);
      for (const [i, duration] of [3, 12, 40, 500].entries()) {
        await deliverOnce(store, endpoint, DAY0 + i * FIVE_MINUTES_MS, { responseDurationMs: duration, status: i === 3 ? MESSAGE_STATUS.fail : MESSAGE_STATUS.success });
      }
      const window = fiveMinutes(DAY0, DAY0 + HOUR_MS);
      const before = await store.getAttemptStats(app.id, window);
      assert.equal(before.byPeriod.length, 4);

      await makeAttemptStatsFolder(pool, (error) => assert.fail(error)).foldAll();
      const { rows } = await pool.query<{ n: number }>("SELECT COUNT(*)::int AS n FROM attempt_stats_pending");
      assert.equal(rows[0]!.n, 0);
      assert.deepEqual(await store.getAttemptStats(app.id, window), before);
      const hours = await store.getAttemptStats(app.id, { since: DAY0, until: DAY0 + HOUR_MS, spanMs: HOUR_MS, periodMs: HOUR_MS });
      assert.deepEqual(hours.byPeriod, [{ start: DAY0, success: 3, failure: 1, canceled: 0, latency: bins({ 3: 1, 7: 1, 10: 1, 17: 1 }) }]);

      // 4 five-minute rows and 1 hour row, all before DAY0 + 1 h.
      assert.equal(await store.pruneAttemptStats(DAY0 + HOUR_MS, 100), 5);
      assert.deepEqual(await store.getAttemptStats(app.id, window), { byPeriod: [], byEndpoint: [] });
    } finally {
      await pool.end();
      await cleanup();
    }
  });
});

/** The attempts table's columns as the migrations before the statistics left them. */
const ATTEMPT_COLUMNS =
  "id, app_id, msg_id, endpoint_id, url, status, response_status_code, response, response_duration_ms, trigger_type, attempt_number, request_method, request_url, request_headers, request_body, created_at";
const OLD_ATTEMPTS: Array<[string, string, number, number, string, number, number]> = [
  // id, endpoint, status, response status, response, duration, created_at
  ["atmpt_1", "ep_a", 0, 200, "ok", 12, DAY0 + MINUTE],
  ["atmpt_2", "ep_a", 2, 500, "no", 500, DAY0 + 2 * MINUTE],
  ["atmpt_3", "ep_a", 0, 0, "Canceled by the endpoint's transformation", 0, DAY0 + 6 * MINUTE],
  ["atmpt_4", "ep_b", 0, 204, "", 70_000, DAY0 + HOUR_MS],
];
const BACKFILLED: AttemptStats = {
  byPeriod: [
    { start: DAY0, success: 2, failure: 1, canceled: 1, latency: bins({ 7: 1, 17: 1, 31: 1 }) },
  ],
  byEndpoint: [
    { endpointId: "ep_a", success: 1, failure: 1, canceled: 1, latency: bins({ 7: 1, 17: 1 }) },
    { endpointId: "ep_b", success: 1, failure: 0, canceled: 0, latency: bins({ 31: 1 }) },
  ],
};
const BACKFILL_WINDOW: AttemptStatsQuery = { since: DAY0, until: DAY0 + DAY, spanMs: HOUR_MS, periodMs: DAY };

describe("attempt statistics: the migration counts the attempts made before it", () => {
  test("sqlite", async () => {
    const { file, cleanup } = await makeTestStore();
    await cleanup(); // only for a fresh path: the folder is gone, openDatabase makes it again
    const db = openDatabase(file);
    try {
      await applySqliteMigrations(db, (await loadSqliteMigrations()).filter((migration) => migration.version < 7));
      const insert = db.prepare(`INSERT INTO attempts (${ATTEMPT_COLUMNS}) VALUES (?, 'app_1', 'msg_1', ?, 'u', ?, ?, ?, ?, 0, 1, 'POST', 'u', '{}', NULL, ?)`);
      for (const row of OLD_ATTEMPTS) insert.run(...row);
    } finally {
      db.close();
    }
    const store = await openSqliteStore({ file, secretBox: makeSecretBox(TEST_MAIN_SECRET) });
    try {
      await store.migrate();
      assert.deepEqual(await store.getAttemptStats("app_1", BACKFILL_WINDOW), BACKFILLED);
    } finally {
      await store.close();
    }
  });

  test("postgres", async () => {
    const database = await createTestDatabase();
    const pool = new pg.Pool({ connectionString: database.url, max: 1 });
    try {
      await applyPostgresMigrations(pool, (await loadPostgresMigrations()).filter((migration) => migration.version < 10));
      for (const row of OLD_ATTEMPTS) {
        await pool.query(
          `INSERT INTO attempts (${ATTEMPT_COLUMNS}, batch_size) VALUES ($1, 'app_1', 'msg_1', $2, 'u', $3, $4, $5, $6, 0, 1, 'POST', 'u', '{}', NULL, $7, 1)`,
          row,
        );
      }
      const store = await openPostgresStore({ url: database.url, secretBox: makeSecretBox(TEST_MAIN_SECRET), poolSize: 2 });
      try {
        await store.migrate();
        assert.deepEqual(await store.getAttemptStats("app_1", BACKFILL_WINDOW), BACKFILLED);
      } finally {
        await store.close();
      }
    } finally {
      await pool.end();
      await database.drop();
    }
  });
});
