import assert from "node:assert/strict";
import { after, test } from "node:test";

import type pg from "pg";

import { createTestDatabase } from "../helpers/postgres.ts";
import { type Receiver, startReceiver } from "../helpers/receiver.ts";
import {
  connectDatabase,
  failedAttemptReasons,
  failedAttempts,
  leasedJobs,
  leaseHolder,
  listeningWorkers,
  makePortOwners,
  postgresEnv,
  queueDepth,
  type QueueRow,
} from "./postgres-process-helpers.ts";
import {
  callApi,
  type ChildHandle,
  createAppWithEndpoint,
  deliveriesById,
  freePort,
  killAll,
  makeTempDir,
  removeTempDirs,
  spawnHerald,
  startHeraldProcess,
  unexplainedDuplicates,
  waitUntil,
} from "./process-helpers.ts";

/**
 * One `herald api` and three `herald worker` processes on one PostgreSQL database. Messages are
 * posted to an application with two endpoints; once a third have reached both receivers one
 * worker is SIGKILLed, and posting goes on. Every accepted message must reach both endpoints: the
 * jobs the dead worker held come back when their 15 s leases run out and the two survivors take
 * them over.
 *
 * Duplicates: a delivery can reach a receiver twice only if the killed worker held its job when it
 * died (it may have sent without recording), or if an attempt was recorded as failed (a timeout on
 * a loaded machine) and retried. The dead worker's jobs are read from the queue right after the
 * kill: lease tokens are `<workerId>:<uuid>`, and the dead worker's id is the one prefix that
 * never shows up on a claim made after the kill.
 *
 * Who delivered what is read at the receivers: each request's source port belongs to one worker's
 * socket (/proc).
 */
const TOTAL = 2_000;
const PARALLEL = 20;
const WORKERS = 3;
/** Posting pauses here until the kill, so the kill always falls mid-run with posts still to come. */
const PAUSE_POSTING_AT = TOTAL / 2;
const KILL_AFTER_DELIVERED = Math.round(TOTAL / 3);
/** A little latency at the receivers, so each worker has deliveries in flight when one is killed. */
const RECEIVER_DELAY_MS = 25;
/** A survivor must have made at least this share of the deliveries made after the kill. */
const MIN_SURVIVOR_SHARE = 0.1;
const ENV = {
  HERALD_RETRY_SCHEDULE: "1,1,1,1,1",
  HERALD_REQUEST_TIMEOUT_MS: "10000",
};

const receivers: Receiver[] = [];
let db: pg.Client | undefined;
let database: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
after(async () => {
  await killAll();
  await Promise.all(receivers.map((receiver) => receiver.close()));
  await db?.end().catch(() => undefined);
  await database?.drop();
  removeTempDirs();
});

test("three workers on one PostgreSQL database, one SIGKILLed mid-run: every message reaches both endpoints", { timeout: 300_000 }, async (t) => {
  database = await createTestDatabase();
  db = await connectDatabase(database.url);
  const pgdb = db;
  const env = postgresEnv(database.url, ENV);

  // Migrate once, then the fleet.
  const migrate = spawnHerald(["migrate"], { dataDir: makeTempDir(), port: await freePort(), env });
  assert.deepEqual(await migrate.waitForExit(60_000), { code: 0, signal: null }, migrate.describe());
  const api = await startHeraldProcess(makeTempDir(), { command: "api", env });
  const workers: ChildHandle[] = [];
  for (let i = 0; i < WORKERS; i++) workers.push(spawnHerald(["worker"], { dataDir: makeTempDir(), port: await freePort(), env }));
  const describeWorkers = () => workers.map((worker, i) => `worker ${i} (pid ${worker.pid}, exit ${JSON.stringify(worker.exitStatus())})\n${worker.describe()}`).join("\n");
  await waitUntil(
    async () => {
      if (workers.some((worker) => worker.exitStatus())) throw new Error(`a worker exited during start-up\n${describeWorkers()}`);
      return (await listeningWorkers(pgdb, database!.name)) === WORKERS;
    },
    60_000,
    () => `not every worker listens for work\n${describeWorkers()}`,
  );

  // Which worker sent each delivery: by the source port of its connection.
  const owners = makePortOwners(workers.map((worker) => worker.pid));
  const senders: { pid: number | null; at: number }[] = [];
  for (let i = 0; i < 2; i++) {
    const receiver = await startReceiver();
    receiver.respond = (request) => {
      senders.push({ pid: owners.owner(request.remotePort), at: request.receivedAt });
      return { status: 200, body: "ok", delayMs: RECEIVER_DELAY_MS };
    };
    receivers.push(receiver);
  }
  const [rxA, rxB] = receivers;
  const { appId, endpointId: endpointA } = await createAppWithEndpoint(api.url, rxA.url + "/hook");
  const second = await callApi(api.url, "POST", `/api/v1/app/${appId}/endpoint`, { url: rxB.url + "/hook" });
  assert.equal(second.status, 201, JSON.stringify(second.body));
  const endpointB = (second.body as { id: string }).id;

  const deliveredToBoth = (ids: readonly string[]) => {
    const [a, b] = [deliveriesById(rxA), deliveriesById(rxB)];
    return ids.filter((id) => a.has(id) && b.has(id)).length;
  };

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
  let heldAtKill: QueueRow[];
  let acceptedAtKill: number;
  let deliveredAtKill: number;
  try {
    await waitUntil(
      () => deliveredToBoth(accepted) >= KILL_AFTER_DELIVERED,
      60_000,
      () => `${deliveredToBoth(accepted)} of ${accepted.length} accepted delivered to both before the kill\n${describeWorkers()}`,
      20,
    );
    killedAt = Date.now();
    workers[0].signal("SIGKILL");
    assert.equal((await workers[0].exited).signal, "SIGKILL");
    // Nothing the dead worker held can change any more: its connections are gone.
    heldAtKill = await leasedJobs(pgdb);
    acceptedAtKill = accepted.length;
    deliveredAtKill = deliveredToBoth(accepted);
  } finally {
    resume();
  }

  // The survivors' ids: the holders of claims made after the kill (tokens not seen at the kill).
  const tokensAtKill = new Set(heldAtKill.map((row) => row.leaseToken));
  const survivors = new Set<string>();
  await waitUntil(
    async () => {
      for (const row of await leasedJobs(pgdb)) if (!tokensAtKill.has(row.leaseToken)) survivors.add(leaseHolder(row.leaseToken!));
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

  await waitUntil(
    async () => deliveredToBoth(accepted) === TOTAL && (await queueDepth(pgdb)) === 0,
    90_000,
    () => `${deliveredToBoth(accepted)} of ${TOTAL} delivered to both endpoints\n${describeWorkers()}`,
    200,
  );
  assert.equal(await queueDepth(pgdb), 0, "no job left in the queue");

  // Duplicates, per endpoint, each explained by a job the dead worker held or a recorded failure.
  const failed = await failedAttempts(pgdb);
  const failedFor = (endpointId: string) =>
    new Map([...failed].filter(([key]) => key.endsWith(" " + endpointId)).map(([key, n]) => [key.split(" ")[0], n]));
  const heldFor = (endpointId: string) => new Set(deliveriesHeldByDead.filter((row) => row.endpointId === endpointId).map((row) => row.msgId!));
  const duplicates = (receiver: Receiver) => receiver.requests.length - deliveriesById(receiver).size;
  const totalDuplicates = duplicates(rxA) + duplicates(rxB);
  const failedTotal = [...failed.values()].reduce((a, b) => a + b, 0);

  // Deliveries per worker, from the source ports.
  const totalDeliveries = rxA.requests.length + rxB.requests.length;
  const sentAfterKill = senders.filter((sender) => sender.at > killedAt);
  const perWorker = workers.map((worker) => senders.filter((sender) => sender.pid === worker.pid).length);
  const perWorkerAfterKill = workers.map((worker) => sentAfterKill.filter((sender) => sender.pid === worker.pid).length);
  const unknownSender = senders.filter((sender) => sender.pid === null).length;

  t.diagnostic(
    `accepted ${accepted.length} (${acceptedAtKill} before the kill), delivered to both at the kill ${deliveredAtKill}; ` +
      `jobs held by the killed worker ${heldByDead.length} (${deliveriesHeldByDead.length} deliveries), by all at the kill ${heldAtKill.length}`,
  );
  t.diagnostic(
    `receiver requests ${totalDeliveries} (A ${rxA.requests.length}, B ${rxB.requests.length}), duplicates ${totalDuplicates} ` +
      `(A ${duplicates(rxA)}, B ${duplicates(rxB)}), failed attempts ${failedTotal}`,
  );
  t.diagnostic(
    `deliveries per worker: killed ${perWorker[0]}, survivors ${perWorker.slice(1).join(" and ")} ` +
      `(after the kill: ${perWorkerAfterKill.slice(1).join(" and ")} of ${sentAfterKill.length}), sender unknown (killed as it sent) ${unknownSender}`,
  );
  if (failedTotal > 0) t.diagnostic(`failed attempts: ${(await failedAttemptReasons(pgdb)).join("; ")}`);

  assert.deepEqual(unexplainedDuplicates(rxA, heldFor(endpointA), failedFor(endpointA)), [], "endpoint A");
  assert.deepEqual(unexplainedDuplicates(rxB, heldFor(endpointB), failedFor(endpointB)), [], "endpoint B");
  assert.ok(totalDuplicates <= deliveriesHeldByDead.length + failedTotal, `${totalDuplicates} duplicates`);

  // Each survivor did a real share of the work after the kill (about two thirds of it was left).
  // (A request that arrived as its sender was killed may find the sender's socket gone: "unknown".)
  assert.equal(senders.length, totalDeliveries);
  for (const [i, count] of perWorkerAfterKill.entries()) {
    if (i === 0) continue;
    assert.ok(count >= MIN_SURVIVOR_SHARE * sentAfterKill.length, `surviving worker ${i} made ${count} of the ${sentAfterKill.length} deliveries after the kill`);
  }

  // The fleet is healthy to the end, and stops cleanly.
  for (const worker of workers.slice(1)) assert.equal(worker.exitStatus(), null, `a survivor exited\n${describeWorkers()}`);
  for (const handle of [api, ...workers.slice(1)]) {
    handle.signal("SIGTERM");
    assert.deepEqual(await handle.waitForExit(), { code: 0, signal: null }, handle.describe());
  }
});
