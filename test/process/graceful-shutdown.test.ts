import assert from "node:assert/strict";
import { after, test } from "node:test";

import { type Receiver, startReceiver } from "../helpers/receiver.ts";
import {
  createAppWithEndpoint,
  deliveryReport,
  killAll,
  leasedJobs,
  makeTempDir,
  postMessages,
  queueDepth,
  removeTempDirs,
  startHeraldProcess,
  waitUntil,
} from "./process-helpers.ts";

/**
 * SIGTERM while messages are being posted and deliveries are in flight: Herald stops taking
 * requests, finishes the deliveries it started, records them and exits 0. Nothing it accepted is
 * lost (a restart delivers the rest) and, unlike after a crash, nothing is sent twice.
 */
const WORKER_CONCURRENCY = 8;
const RECEIVER_DELAY_MS = 300;
const ENV = { HERALD_WORKER_CONCURRENCY: String(WORKER_CONCURRENCY), HERALD_REQUEST_TIMEOUT_MS: "5000" };

let receiver: Receiver | undefined;
after(async () => {
  await killAll();
  await receiver?.close();
  removeTempDirs();
});

test("SIGTERM with deliveries in flight: exits 0, finishes them, loses nothing", { timeout: 90_000 }, async (t) => {
  receiver = await startReceiver();
  const rx = receiver;
  rx.respond = () => ({ status: 200, body: "ok", delayMs: RECEIVER_DELAY_MS });
  const dataDir = makeTempDir();

  const first = await startHeraldProcess(dataDir, { env: ENV });
  const { appId } = await createAppWithEndpoint(first.url, rx.url + "/hook");
  const before = await postMessages({ url: first.url, appId, total: 40, parallel: 4 });
  assert.equal(before.accepted.length, 40);
  await waitUntil(() => rx.requests.length >= WORKER_CONCURRENCY, 30_000, () => `only ${rx.requests.length} deliveries started`, 10);

  // Keep posting; SIGTERM once a few more were accepted (posts in flight then may get a 202 or not).
  let signalledAt = 0;
  const during = await postMessages({
    url: first.url,
    appId,
    total: 200,
    parallel: 4,
    onAccepted(ids) {
      if (ids.length < 10 || signalledAt) return;
      signalledAt = Date.now();
      first.signal("SIGTERM");
      return "stop";
    },
  });
  assert.ok(signalledAt > 0, "SIGTERM was sent");
  const inFlightAtSignal = rx.requests.filter((r) => r.receivedAt > signalledAt - RECEIVER_DELAY_MS).length;
  assert.deepEqual(await first.waitForExit(30_000), { code: 0, signal: null }, first.describe());
  assert.equal(first.stderr(), "", "nothing on stderr");

  const accepted = [...before.accepted, ...during.accepted];
  const deliveredBeforeRestart = new Set(rx.requests.map((r) => String(r.headers["webhook-id"]))).size;
  assert.ok(deliveredBeforeRestart < accepted.length, "some accepted messages were still queued at the shutdown");
  // Every delivery it had started was finished and recorded: no job is left claimed.
  assert.equal(leasedJobs(dataDir), 0, "jobs still leased by the stopped worker");

  const second = await startHeraldProcess(dataDir, { env: ENV });
  await waitUntil(
    () => deliveryReport(rx, accepted).missing.length === 0 && queueDepth(dataDir) === 0,
    60_000,
    () => `${deliveryReport(rx, accepted).missing.length} of ${accepted.length} accepted messages not delivered, queue depth ${queueDepth(dataDir)}`,
  );
  const report = deliveryReport(rx, accepted);
  t.diagnostic(
    `accepted ${accepted.length}, ~${inFlightAtSignal} deliveries in flight at SIGTERM, delivered before the restart ${deliveredBeforeRestart}, duplicates ${report.duplicates}`,
  );
  assert.deepEqual(report.missing, []);
  assert.equal(report.duplicates, 0, `messages sent twice: ${report.duplicatedIds.join(", ")}`);

  second.signal("SIGTERM");
  assert.deepEqual(await second.waitForExit(30_000), { code: 0, signal: null }, second.describe());
});
