import assert from "node:assert/strict";
import { after, test } from "node:test";

import type pg from "pg";

import { LEASE_MS } from "../../src/worker/worker-deps.ts";
import { createTestDatabase } from "../helpers/postgres.ts";
import {
  connectDatabase,
  failedAttemptReasons,
  failedAttempts,
  leasedJobs,
  leaseHolder,
  listeningWorkers,
  postgresEnv,
  queueDepth,
  type QueueRow,
  senderTagEnv,
} from "./postgres-process-helpers.ts";
import {
  callApi,
  type ChildHandle,
  createAppWithEndpoint,
  freePort,
  killAll,
  makeTempDir,
  removeTempDirs,
  spawnHerald,
  startHeraldProcess,
  waitUntil,
} from "./process-helpers.ts";
import { type DeliveryRecord, startReceiverProcess } from "./receiver-process.ts";

/**
 * One `herald api` and three `herald worker` processes on one PostgreSQL database. Messages are
 * posted to an application with two endpoints; once a third have reached both endpoints one
 * worker is SIGKILLed, and posting goes on. Every accepted message must reach both endpoints: the
 * jobs the dead worker held come back when their 15 s leases run out and the two survivors take
 * them over.
 *
 * Duplicates: a delivery can reach an endpoint twice only if the killed worker held its job when it
 * died (it may have sent without recording), or if an attempt was recorded as failed (a timeout on
 * a loaded machine) and retried. The dead worker's jobs are read from the queue right after the
 * kill: lease tokens are `<workerId>:<uuid>`, and the dead worker's id is the one prefix seen then
 * that never shows up on a lease taken after the kill.
 *
 * Who delivered what: each worker tags its requests with its pid (sender-tag.js, preloaded into the
 * worker processes only). The endpoints are two paths of one receiver running in a process of its
 * own (receiver-process-main.js), so that this busy test process does not slow it down.
 */
const TOTAL = 2_000;
const PARALLEL = 20;
const WORKERS = 3;
/** Posting pauses here until the kill, so the kill always falls mid-run with posts still to come. */
const PAUSE_POSTING_AT = TOTAL / 2;
const KILL_AFTER_DELIVERED = Math.round(TOTAL / 3);
/** A little latency at the receiver, so each worker has deliveries in flight when one is killed. */
const RECEIVER_DELAY_MS = 25;
/** A survivor must have made at least this share of the deliveries received after the kill. */
const MIN_SURVIVOR_SHARE = 0.1;
const ENV = {
  HERALD_RETRY_SCHEDULE: "1,1,1,1,1",
  HERALD_REQUEST_TIMEOUT_MS: "10000",
};

let db: pg.Client | undefined;
let database: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
after(async () => {
  await killAll();
  await db?.end().catch(() => undefined);
  await database?.drop();
  removeTempDirs();
});

/** How many times each message reached one endpoint. */
function countById(records: readonly DeliveryRecord[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const record of records) counts.set(record.id, (counts.get(record.id) ?? 0) + 1);
  return counts;
}

/**
 * Deliveries to one endpoint beyond what is explained: once, plus once more if the dead worker held
 * the job, plus once per recorded failed attempt.
 */
function unexplainedDuplicates(records: readonly DeliveryRecord[], heldByDead: ReadonlySet<string>, failed: ReadonlyMap<string, number>): string[] {
  const problems: string[] = [];
  for (const [id, count] of countById(records)) {
    const allowed = 1 + (heldByDead.has(id) ? 1 : 0) + (failed.get(id) ?? 0);
    if (count > allowed) problems.push(`${id}: delivered ${count} times, at most ${allowed} explained`);
  }
  return problems;
}

test("three workers on one PostgreSQL database, one SIGKILLed mid-run: every message reaches both endpoints", { timeout: 300_000 }, async (t) => {
  database = await createTestDatabase();
  db = await connectDatabase(database.url);
  const pgdb = db;
  const env = postgresEnv(database.url, ENV);
  const receiver = await startReceiverProcess({ delayMs: RECEIVER_DELAY_MS });

  // Migrate once, then the fleet.
  const migrate = spawnHerald(["migrate"], { dataDir: makeTempDir(), port: await freePort(), env });
  assert.deepEqual(await migrate.waitForExit(60_000), { code: 0, signal: null }, migrate.describe());
  const api = await startHeraldProcess(makeTempDir(), { command: "api", env });
  const workers: ChildHandle[] = [];
  const workerEnv = { ...env, ...senderTagEnv() };
  for (let i = 0; i < WORKERS; i++) workers.push(spawnHerald(["worker"], { dataDir: makeTempDir(), port: await freePort(), env: workerEnv }));
  const describeWorkers = () => workers.map((worker, i) => `worker ${i} (pid ${worker.pid}, exit ${JSON.stringify(worker.exitStatus())})\n${worker.describe()}`).join("\n");
  await waitUntil(
    async () => {
      if (workers.some((worker) => worker.exitStatus())) throw new Error(`a worker exited during start-up\n${describeWorkers()}`);
      return (await listeningWorkers(pgdb, database!.name)) === WORKERS;
    },
    60_000,
    () => `not every worker listens for work\n${describeWorkers()}`,
  );

  const [runA, runB] = ["/a", "/b"];
  const { appId, endpointId: endpointA } = await createAppWithEndpoint(api.url, receiver.url + runA);
  const second = await callApi(api.url, "POST", `/api/v1/app/${appId}/endpoint`, { url: receiver.url + runB });
  assert.equal(second.status, 201, JSON.stringify(second.body));
  const endpointB = (second.body as { id: string }).id;
  /** Messages that reached one endpoint and the other (at least once each). */
  const uniqueAtBoth = async () => Math.min((await receiver.stats(runA)).unique, (await receiver.stats(runB)).unique);

  // Post, pausing half-way until the kill.
  const accepted: string[] = [];
  const rejected: string[] = [];
  let next = 0;
  let resume!: () => void;
  const killed = new Promise<void>((resolve) => (resume = resolve));
  async function lane(): Promise<void> {
    while (next < TOTAL) {
      const n = next++;
      if (n >= PAUSE_POSTING_AT) await killed;
      try {
        const result = await callApi(api.url, "POST", `/api/v1/app/${appId}/msg`, { eventType: "test.event", payload: { n } });
        if (result.status === 202) accepted.push((result.body as { id: string }).id);
        else rejected.push(`${result.status} ${JSON.stringify(result.body)}`);
      } catch (error) {
        rejected.push(String(error));
      }
    }
  }
  // The lanes never throw; if the test fails before the kill, `finally` below lets them go on (their
  // posts fail once the after hook has killed the API).
  const posting = Promise.all(Array.from({ length: PARALLEL }, lane));

  let killedAt: number;
  let diedBy: number;
  let heldAtKill: QueueRow[];
  let acceptedAtKill: number;
  let deliveredAtKill: number;
  try {
    let reached = 0;
    await waitUntil(
      async () => (reached = await uniqueAtBoth()) >= KILL_AFTER_DELIVERED,
      60_000,
      () => `${reached} of ${accepted.length} accepted delivered to both before the kill\n${describeWorkers()}`,
      50,
    );
    killedAt = Date.now();
    workers[0].signal("SIGKILL");
    assert.equal((await workers[0].exited).signal, "SIGKILL");
    diedBy = Date.now();
    // What the dead worker held. A statement it had sent may still commit after this read (a claim,
    // a fan-out), but for jobs it never got to send: they cannot be duplicated.
    heldAtKill = await leasedJobs(pgdb);
    acceptedAtKill = accepted.length;
    deliveredAtKill = await uniqueAtBoth();
  } finally {
    resume();
  }

  // The survivors' ids: the holders of leases taken or renewed after the death. A lease ends LEASE_MS
  // after the `now` of the worker that took it; the dead worker's `now` was before `diedBy`, so a
  // lease ending later than diedBy + LEASE_MS was taken by a live worker (same machine, same clock).
  const survivors = new Set<string>();
  await waitUntil(
    async () => {
      for (const row of await leasedJobs(pgdb)) if (row.runAt > diedBy + LEASE_MS) survivors.add(leaseHolder(row.leaseToken!));
      return survivors.size >= WORKERS - 1;
    },
    60_000,
    () => `claims after the kill came from ${survivors.size} workers\n${describeWorkers()}`,
    20,
  );
  assert.equal(survivors.size, WORKERS - 1, "no claim after the kill from the dead worker");
  const deadHolders = new Set(heldAtKill.map((row) => leaseHolder(row.leaseToken!)).filter((holder) => !survivors.has(holder)));
  assert.ok(deadHolders.size <= 1, `jobs held at the kill by ${deadHolders.size} workers that claimed nothing since`);
  const deadId = [...deadHolders][0];
  const heldByDead = heldAtKill.filter((row) => leaseHolder(row.leaseToken!) === deadId);
  const deliveriesHeldByDead = heldByDead.filter((row) => row.kind === "deliver");

  await posting;
  assert.deepEqual(rejected, [], "every post was accepted: the API does not depend on the workers");
  assert.equal(accepted.length, TOTAL);

  // Every accepted message at both endpoints, and the queue empty.
  let missing = { a: TOTAL, b: TOTAL };
  let depth = -1;
  let recordsA: DeliveryRecord[] = [];
  let recordsB: DeliveryRecord[] = [];
  await waitUntil(
    async () => {
      if ((await uniqueAtBoth()) < TOTAL) return false;
      [recordsA, recordsB] = [await receiver.records(runA), await receiver.records(runB)];
      const [atA, atB] = [new Set(recordsA.map((r) => r.id)), new Set(recordsB.map((r) => r.id))];
      missing = { a: accepted.filter((id) => !atA.has(id)).length, b: accepted.filter((id) => !atB.has(id)).length };
      return missing.a === 0 && missing.b === 0 && (depth = await queueDepth(pgdb)) === 0;
    },
    90_000,
    () => `accepted messages missing at endpoint A ${missing.a}, at B ${missing.b}; ${depth} jobs left in the queue\n${describeWorkers()}`,
    200,
  );
  assert.equal(await queueDepth(pgdb), 0, "no job left in the queue");

  // Duplicates, per endpoint, each explained by a job the dead worker held or a recorded failure.
  const failed = await failedAttempts(pgdb);
  const failedFor = (endpointId: string) =>
    new Map([...failed].filter(([key]) => key.endsWith(" " + endpointId)).map(([key, n]) => [key.split(" ")[0], n]));
  const heldFor = (endpointId: string) => new Set(deliveriesHeldByDead.filter((row) => row.endpointId === endpointId).map((row) => row.msgId!));
  const duplicates = (records: DeliveryRecord[]) => records.length - countById(records).size;
  const totalDuplicates = duplicates(recordsA) + duplicates(recordsB);
  const failedTotal = [...failed.values()].reduce((a, b) => a + b, 0);

  // Deliveries per worker, from the tag each worker puts on its requests.
  const records = [...recordsA, ...recordsB];
  const sentBy = (worker: ChildHandle, since = 0) => records.filter((record) => record.at > since && record.sender === String(worker.pid)).length;
  const receivedAfterKill = records.filter((record) => record.at > killedAt).length;
  const perWorker = workers.map((worker) => sentBy(worker));
  const perWorkerAfterKill = workers.map((worker) => sentBy(worker, killedAt));

  t.diagnostic(
    `accepted ${accepted.length} (${acceptedAtKill} before the kill), delivered to both at the kill ${deliveredAtKill}; ` +
      `jobs held by the killed worker ${heldByDead.length} (${deliveriesHeldByDead.length} deliveries), by all at the kill ${heldAtKill.length}`,
  );
  t.diagnostic(
    `deliveries ${records.length} (A ${recordsA.length}, B ${recordsB.length}), duplicates ${totalDuplicates} ` +
      `(A ${duplicates(recordsA)}, B ${duplicates(recordsB)}), failed attempts ${failedTotal}`,
  );
  t.diagnostic(
    `deliveries per worker: killed ${perWorker[0]}, survivors ${perWorker.slice(1).join(" and ")} ` +
      `(received after the kill: ${perWorkerAfterKill.slice(1).join(" and ")} of ${receivedAfterKill})`,
  );
  if (failedTotal > 0) t.diagnostic(`failed attempts: ${(await failedAttemptReasons(pgdb)).join("; ")}`);

  assert.deepEqual(unexplainedDuplicates(recordsA, heldFor(endpointA), failedFor(endpointA)), [], "endpoint A");
  assert.deepEqual(unexplainedDuplicates(recordsB, heldFor(endpointB), failedFor(endpointB)), [], "endpoint B");
  assert.ok(totalDuplicates <= deliveriesHeldByDead.length + failedTotal, `${totalDuplicates} duplicates`);

  // Each survivor did a real share of the work after the kill (about two thirds of it was left).
  assert.equal(perWorker.reduce((a, b) => a + b, 0), records.length, "every delivery came from one of the workers");
  for (const [i, count] of perWorkerAfterKill.entries()) {
    if (i === 0) continue;
    assert.ok(count >= MIN_SURVIVOR_SHARE * receivedAfterKill, `surviving worker ${i} made ${count} of the ${receivedAfterKill} deliveries received after the kill`);
  }

  // The fleet is healthy to the end, and stops cleanly.
  for (const worker of workers.slice(1)) assert.equal(worker.exitStatus(), null, `a survivor exited\n${describeWorkers()}`);
  for (const handle of [api, ...workers.slice(1)]) {
    handle.signal("SIGTERM");
    assert.deepEqual(await handle.waitForExit(), { code: 0, signal: null }, handle.describe());
  }
  await receiver.stop();
});
