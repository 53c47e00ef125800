import assert from "node:assert/strict";
import { after, test } from "node:test";

import { type Receiver, startReceiver } from "../helpers/receiver.ts";
import {
  createAppWithEndpoint,
  deliveryReport,
  failedAttemptReasons,
  failedAttemptsByMessage,
  type HeraldProcess,
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
 * SIGKILL in the middle of ingest, with deliveries in flight: every message that got a 202 must be
 * delivered after a restart on the same data directory. Deliveries the killed process had sent but
 * not recorded are sent again (at-least-once), so a few duplicates are expected: no more than one per
 * job the killed worker held (read from the queue table after the kill; at most
 * HERALD_WORKER_CONCURRENCY), plus one per recorded failed attempt (a timeout on a loaded machine).
 *
 * Jobs the killed worker had claimed come due again only when their lease ends, which is
 * HERALD_REQUEST_TIMEOUT_MS + 30 s: this test waits about 32 s for them.
 */
const TOTAL = 400;
const KILL_AFTER = 150;
const PARALLEL_POSTS = 8;
const WORKER_CONCURRENCY = 16;
const RECEIVER_DELAY_MS = 20;
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

test("SIGKILL during ingest: every accepted message is delivered after a restart", { timeout: 150_000 }, async (t) => {
  receiver = await startReceiver();
  const rx = receiver;
  rx.respond = () => ({ status: 200, body: "ok", delayMs: RECEIVER_DELAY_MS });
  const dataDir = makeTempDir();

  const first: HeraldProcess = await startHeraldProcess(dataDir, { env: ENV });
  const { appId } = await createAppWithEndpoint(first.url, rx.url + "/hook");

  let killedAt = 0;
  let receivedBeforeKill = 0;
  const { accepted, failed } = await postMessages({
    url: first.url,
    appId,
    total: TOTAL,
    parallel: PARALLEL_POSTS,
    onAccepted(ids) {
      if (ids.length < KILL_AFTER || killedAt) return;
      killedAt = Date.now();
      receivedBeforeKill = rx.requests.length;
      first.signal("SIGKILL");
      return "stop";
    },
  });
  // A 202 read after the kill still counts: Herald answers only once the message is committed.
  const exit = await first.exited;
  assert.equal(exit.signal, "SIGKILL", "the first process was killed, not exited on its own");
  assert.ok(accepted.length >= KILL_AFTER && accepted.length < TOTAL, `the kill came in the middle of ingest (${accepted.length} accepted)`);
  assert.ok(receivedBeforeKill > 0, "deliveries had started before the kill");
  // Requests that reached the receiver less than one receiver delay before the kill were unanswered then.
  const openAtKill = rx.requests.filter((r) => r.receivedAt > killedAt - RECEIVER_DELAY_MS && r.receivedAt <= killedAt).length;
  // The jobs (fan-outs and deliveries) the dead worker held: the only ones the crash can duplicate.
  const heldAtKill = new Set(leasedMessageIds(dataDir));
  assert.ok(heldAtKill.size <= WORKER_CONCURRENCY, `${heldAtKill.size} jobs held by the dead worker, more than its concurrency`);

  const second = await startHeraldProcess(dataDir, { env: ENV });
  await waitUntil(
    () => deliveryReport(rx, accepted).missing.length === 0 && queueDepth(dataDir) === 0,
    90_000,
    () => `${deliveryReport(rx, accepted).missing.length} of ${accepted.length} accepted messages not delivered, queue depth ${queueDepth(dataDir)}\n${second.describe()}`,
  );

  const report = deliveryReport(rx, accepted);
  const failedAttempts = failedAttemptsByMessage(dataDir);
  const crashDuplicates = report.duplicatedIds.filter((id) => heldAtKill.has(id)).length;
  t.diagnostic(
    `accepted ${accepted.length}, failed posts ${failed}, receiver requests ${rx.requests.length} (${receivedBeforeKill} before the kill, ~${openAtKill} unanswered at it), ` +
      `jobs held by the killed worker ${heldAtKill.size}, duplicates ${report.duplicates} (${crashDuplicates} of jobs the killed worker held), failed attempts ${[...failedAttempts.values()].reduce((a, b) => a + b, 0)}`,
  );
  if (failedAttempts.size > 0) t.diagnostic(`failed attempts: ${failedAttemptReasons(dataDir).join("; ")}`);
  assert.deepEqual(report.missing, []);
  assert.deepEqual(unexplainedDuplicates(rx, heldAtKill, failedAttempts), []);

  second.signal("SIGTERM");
  assert.deepEqual(await second.waitForExit(), { code: 0, signal: null });
});
