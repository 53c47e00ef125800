import assert from "node:assert/strict";
import { after, test } from "node:test";

import { type Receiver, startReceiver } from "../helpers/receiver.ts";
import {
  createAppWithEndpoint,
  deliveryReport,
  failedAttemptReasons,
  failedAttemptsByMessage,
  killAll,
  leasedMessageIds,
  makeTempDir,
  postMessages,
  queueDepth,
  removeTempDirs,
  startHeraldProcess,
  unexplainedDuplicates,
  waitUntil,
} from "./process-helpers.ts";

/**
 * SIGKILL while deliveries are in flight and ingest is over: after a restart on the same data
 * directory every accepted message is delivered. The only duplicates are deliveries the killed
 * process had sent but not recorded (one per job it held, at most HERALD_WORKER_CONCURRENCY) and
 * retries after a recorded failed attempt (a timeout on a loaded machine).
 *
 * The receiver is slow (100 ms a request, 8 deliveries at a time: ~80 a second), so ingest ends long
 * before delivery does. The killed worker's claims expire after HERALD_REQUEST_TIMEOUT_MS + 30 s.
 */
const TOTAL = 300;
const WORKER_CONCURRENCY = 8;
const RECEIVER_DELAY_MS = 100;
const ENV = {
  HERALD_REQUEST_TIMEOUT_MS: "2000",
  HERALD_WORKER_CONCURRENCY: String(WORKER_CONCURRENCY),
  HERALD_RETRY_SCHEDULE: "1,1,1,1,1",
};

let receiver: Receiver | undefined;
after(async () => {
  await killAll();
  await receiver?.close();
  removeTempDirs();
});

test("SIGKILL during delivery: every accepted message is delivered after a restart", { timeout: 150_000 }, async (t) => {
  receiver = await startReceiver();
  const rx = receiver;
  rx.respond = () => ({ status: 200, body: "ok", delayMs: RECEIVER_DELAY_MS });
  const dataDir = makeTempDir();

  const first = await startHeraldProcess(dataDir, { env: ENV });
  const { appId } = await createAppWithEndpoint(first.url, rx.url + "/hook");
  const { accepted, failed } = await postMessages({ url: first.url, appId, total: TOTAL, parallel: 8 });
  assert.equal(accepted.length, TOTAL, `every post was accepted (${failed} failed)`);

  // Wait for deliveries to be under way, then kill.
  await waitUntil(() => rx.requests.length >= WORKER_CONCURRENCY, 30_000, () => `only ${rx.requests.length} deliveries started`, 10);
  const killedAt = Date.now();
  first.signal("SIGKILL");
  assert.equal((await first.exited).signal, "SIGKILL");
  const deliveredAtKill = new Set(rx.requests.filter((r) => r.receivedAt <= killedAt).map((r) => String(r.headers["webhook-id"]))).size;
  assert.ok(deliveredAtKill < TOTAL, "the kill came before every message was delivered");
  const heldAtKill = new Set(leasedMessageIds(dataDir));
  assert.ok(heldAtKill.size > 0, "the killed worker held jobs");
  assert.ok(heldAtKill.size <= WORKER_CONCURRENCY, `${heldAtKill.size} jobs held by the dead worker, more than its concurrency`);

  const second = await startHeraldProcess(dataDir, { env: ENV });
  await waitUntil(
    () => deliveryReport(rx, accepted).missing.length === 0 && queueDepth(dataDir) === 0,
    90_000,
    () => `${deliveryReport(rx, accepted).missing.length} of ${TOTAL} accepted messages not delivered, queue depth ${queueDepth(dataDir)}\n${second.describe()}`,
  );

  const report = deliveryReport(rx, accepted);
  const failedAttempts = failedAttemptsByMessage(dataDir);
  const crashDuplicates = report.duplicatedIds.filter((id) => heldAtKill.has(id)).length;
  t.diagnostic(
    `accepted ${TOTAL}, delivered before the kill ${deliveredAtKill}, jobs held by the killed worker ${heldAtKill.size}, receiver requests ${rx.requests.length}, ` +
      `duplicates ${report.duplicates} (${crashDuplicates} of jobs the killed worker held), failed attempts ${[...failedAttempts.values()].reduce((a, b) => a + b, 0)}`,
  );
  if (failedAttempts.size > 0) t.diagnostic(`failed attempts: ${failedAttemptReasons(dataDir).join("; ")}`);
  assert.deepEqual(report.missing, []);
  assert.deepEqual(unexplainedDuplicates(rx, heldAtKill, failedAttempts), []);

  second.signal("SIGTERM");
  assert.deepEqual(await second.waitForExit(), { code: 0, signal: null });
});
