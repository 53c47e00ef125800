/**
 * Scale-out benchmark: does delivery throughput grow with the number of `herald worker` processes
 * sharing one PostgreSQL database?
 *
 *   node --import tsx bench/scale-out.ts [--messages N] [--workers 1,3] [--concurrency C] [--pool-size P]
 *
 * Starts a throwaway embedded PostgreSQL server and a receiver in a process of its own
 * (test/process/receiver-process-main.js, 200 at once, so answering does not share an event loop
 * with the measuring), both on 127.0.0.1. Then for each worker count: a fresh database, `herald migrate`, one
 * `herald api` and N `herald worker` processes, one application with one endpoint, a warm-up of a
 * few messages, then M messages (1 KiB payloads) posted C at a time. Measured:
 *
 * - ingest msg/s: M / (last 202 - first POST), at the client;
 * - delivered msg/s: M / (last delivery at the receiver - first POST);
 * - duplicates: deliveries beyond the first per message, over both phases (expected 0: nobody is
 *   killed here);
 * - backlog drain msg/s: the workers are paused (SIGSTOP) while M more messages are queued, then
 *   resumed: M / (last delivery - resume). Worker throughput alone, without ingest competing for CPU.
 *
 * Prints a table and writes the figures to bench/results/scale-out-<timestamp>.json. Bounded: at
 * most MAX_MESSAGES messages, MAX_WORKERS workers, and ABORT_AFTER_MS in all, after which every
 * process is killed and the script fails. Every process it starts is stopped on the way out.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";

import { startTestPostgres, type TestPostgres } from "../scripts/test-postgres.js";
import { listeningWorkers, postgresEnv } from "../test/process/postgres-process-helpers.ts";
import {
  type ChildHandle,
  freePort,
  killAll,
  makeTempDir,
  removeTempDirs,
  REPO_ROOT,
  sleep,
  spawnHerald,
  waitForHealthy,
} from "../test/process/process-helpers.ts";
import { type ReceiverProcess, type RunStats, startReceiverProcess } from "../test/process/receiver-process.ts";
import { api, createAppWithEndpoint, payload, PAYLOAD_BYTES, withAdmin } from "./lib/herald-api.ts";

const MAX_MESSAGES = 100_000;
const MAX_WORKERS = 16;
const ABORT_AFTER_MS = 5 * 60_000;
const WARM_UP_MESSAGES = 100;

interface RunResult {
  workers: number;
  messages: number;
  accepted: number;
  ingestSeconds: number;
  ingestPerSecond: number;
  deliverySeconds: number;
  deliveredPerSecond: number;
  receiverRequests: number;
  duplicates: number;
  /** Messages queued while the workers were paused, and how fast they were delivered once resumed. */
  backlog: number;
  drainSeconds: number;
  drainPerSecond: number;
}

function parseOptions() {
  const { values } = parseArgs({
    options: {
      messages: { type: "string", default: "5000" },
      workers: { type: "string", default: "1,3" },
      concurrency: { type: "string", default: "50" },
      "pool-size": { type: "string" },
    },
  });
  const messages = Number(values.messages);
  const workers = values.workers.split(",").map((item) => Number(item.trim()));
  const concurrency = Number(values.concurrency);
  if (!Number.isInteger(messages) || messages < 1 || messages > MAX_MESSAGES) throw new Error(`--messages must be 1…${MAX_MESSAGES}`);
  if (workers.some((n) => !Number.isInteger(n) || n < 1 || n > MAX_WORKERS)) throw new Error(`--workers must list counts 1…${MAX_WORKERS}`);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 500) throw new Error("--concurrency must be 1…500");
  const poolSize = values["pool-size"] === undefined ? null : Number(values["pool-size"]);
  if (poolSize !== null && (!Number.isInteger(poolSize) || poolSize < 1 || poolSize > 50)) throw new Error("--pool-size must be 1…50");
  return { messages, workers, concurrency, poolSize };
}

const deadline = Date.now() + ABORT_AFTER_MS;

function checkDeadline(what: string): void {
  if (Date.now() > deadline) throw new Error(`aborted after ${ABORT_AFTER_MS / 1000} s (${what})`);
}

/** Posts `total` messages, `concurrency` at a time; returns when the last answer arrived. */
async function postAll(url: string, appId: string, total: number, concurrency: number): Promise<{ accepted: number; failures: string[] }> {
  let next = 0;
  let accepted = 0;
  const failures: string[] = [];
  async function lane(): Promise<void> {
    while (next < total) {
      const n = next++;
      checkDeadline("posting");
      try {
        const result = await api(url, "POST", `/api/v1/app/${appId}/msg`, { eventType: "bench.event", payload: payload(n) });
        if (result.status === 202) accepted++;
        else failures.push(`${result.status} ${JSON.stringify(result.body)}`);
      } catch (error) {
        failures.push(String(error));
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, lane));
  return { accepted, failures };
}

async function waitForDeliveries(receiver: ReceiverProcess, run: string, expected: number, fleet: ChildHandle[]): Promise<RunStats> {
  for (;;) {
    const stats = await receiver.stats(run);
    if (stats.unique >= expected) return stats;
    const dead = fleet.find((handle) => handle.exitStatus());
    if (dead) throw new Error(`a Herald process exited: ${JSON.stringify(dead.exitStatus())}\n${dead.describe()}`);
    checkDeadline(`waiting for deliveries: ${stats.unique} of ${expected}`);
    await sleep(50);
  }
}

interface RunOptions {
  messages: number;
  concurrency: number;
  /** HERALD_DATABASE_POOL_SIZE for every process; null = Herald's default. */
  poolSize: number | null;
}

async function runOnce(server: TestPostgres, receiver: ReceiverProcess, workers: number, { messages, concurrency, poolSize }: RunOptions): Promise<RunResult> {
  const name = `bench_${workers}w_${Date.now()}`;
  await withAdmin(server.url, (client) => client.query(`CREATE DATABASE ${name}`));
  const databaseUrl = new URL(server.url);
  databaseUrl.pathname = "/" + name;
  const env = postgresEnv(databaseUrl.toString(), {
    HERALD_LOG_LEVEL: "warn",
    ...(poolSize === null ? {} : { HERALD_DATABASE_POOL_SIZE: String(poolSize) }),
  });
  const fleet: ChildHandle[] = [];
  try {
    const migrate = spawnHerald(["migrate"], { dataDir: makeTempDir("herald-bench-"), port: await freePort(), env });
    const migrated = await migrate.waitForExit(60_000);
    if (migrated.code !== 0) throw new Error(`herald migrate failed\n${migrate.describe()}`);

    const apiProcess = spawnHerald(["api"], { dataDir: makeTempDir("herald-bench-"), port: await freePort(), env });
    fleet.push(apiProcess);
    for (let i = 0; i < workers; i++) fleet.push(spawnHerald(["worker"], { dataDir: makeTempDir("herald-bench-"), port: await freePort(), env }));
    await waitForHealthy(apiProcess, apiProcess.url, 60_000);
    await withAdmin(databaseUrl.toString(), async (client) => {
      while ((await listeningWorkers(client, name)) < workers) {
        const dead = fleet.find((handle) => handle.exitStatus());
        if (dead) throw new Error(`a Herald process exited during start-up\n${dead.describe()}`);
        checkDeadline("starting workers");
        await sleep(100);
      }
    });

    // Warm-up (connections, prepared statements, JIT) on an application of its own, not counted.
    const run = `/hook/${name}`;
    const warmUpApp = await createAppWithEndpoint(apiProcess.url, `bench warm-up ${workers}`, `${receiver.url}${run}-warm-up`);
    for (let i = 0; i < WARM_UP_MESSAGES; i++) {
      await api(apiProcess.url, "POST", `/api/v1/app/${warmUpApp}/msg`, { eventType: "bench.warm-up", payload: payload(i) });
    }
    await waitForDeliveries(receiver, `${run}-warm-up`, WARM_UP_MESSAGES, fleet);
    const appId = await createAppWithEndpoint(apiProcess.url, `bench ${workers} workers`, receiver.url + run);

    const startedAt = Date.now();
    const { accepted, failures } = await postAll(apiProcess.url, appId, messages, concurrency);
    const ingestedAt = Date.now();
    if (failures.length > 0) process.stderr.write(`${failures.length} posts failed, e.g. ${failures[0]}\n`);
    const stats = await waitForDeliveries(receiver, run, accepted, fleet);
    // Late duplicates would show up just after the last first delivery: look once more.
    await sleep(500);
    const final = await receiver.stats(run);

    // Backlog drain: the workers are paused (SIGSTOP) while M more messages are queued, then resumed.
    const workerHandles = fleet.slice(1);
    const drainApp = await createAppWithEndpoint(apiProcess.url, `bench drain ${workers}`, `${receiver.url}${run}-drain`);
    // Nothing held when they stop (a held job's lease could run out while they are stopped).
    await withAdmin(databaseUrl.toString(), async (client) => {
      while (Number((await client.query<{ n: string }>("SELECT COUNT(*) AS n FROM queue")).rows[0].n) > 0) {
        checkDeadline("waiting for an empty queue");
        await sleep(50);
      }
    });
    for (const handle of workerHandles) handle.signal("SIGSTOP");
    const backlog = await postAll(apiProcess.url, drainApp, messages, concurrency);
    const resumedAt = Date.now();
    for (const handle of workerHandles) handle.signal("SIGCONT");
    const drained = await waitForDeliveries(receiver, `${run}-drain`, backlog.accepted, fleet);

    const ingestSeconds = (ingestedAt - startedAt) / 1000;
    const deliverySeconds = ((stats.lastAt ?? startedAt) - startedAt) / 1000;
    const drainSeconds = ((drained.lastAt ?? resumedAt) - resumedAt) / 1000;
    return {
      workers,
      messages,
      accepted,
      ingestSeconds,
      ingestPerSecond: accepted / ingestSeconds,
      deliverySeconds,
      deliveredPerSecond: accepted / deliverySeconds,
      receiverRequests: final.requests + drained.requests,
      duplicates: final.requests - final.unique + (drained.requests - drained.unique),
      backlog: backlog.accepted,
      drainSeconds,
      drainPerSecond: backlog.accepted / drainSeconds,
    };
  } finally {
    for (const handle of fleet) handle.signal("SIGCONT");
    for (const handle of fleet) handle.signal("SIGTERM");
    await Promise.all(fleet.map((handle) => handle.waitForExit(20_000).catch(() => handle.kill())));
    await withAdmin(server.url, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).catch(() => undefined);
  }
}

function table(results: RunResult[]): string {
  const rows = [
    ["workers", "messages", "ingest msg/s", "delivered msg/s", "duplicates", "backlog drain msg/s"],
    ...results.map((r) => [
      String(r.workers),
      String(r.accepted),
      r.ingestPerSecond.toFixed(0),
      r.deliveredPerSecond.toFixed(0),
      String(r.duplicates),
      r.drainPerSecond.toFixed(0),
    ]),
  ];
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) => row.map((cell, column) => cell.padStart(widths[column])).join("  ")).join("\n");
}

/** The PostgreSQL server, while it runs. */
let server: TestPostgres | null = null;

async function main(): Promise<void> {
  const options = parseOptions();
  // Last resort, should a step hang where no deadline check runs: stop everything and fail.
  const abort = setTimeout(() => {
    process.stderr.write(`scale-out: aborted after ${ABORT_AFTER_MS / 1000} s\n`);
    void cleanUp().finally(() => process.exit(1));
  }, ABORT_AFTER_MS + 30_000);
  abort.unref();

  try {
    const postgres = await startTestPostgres({ durable: true });
    server = postgres;
    const receiver = await startReceiverProcess();

    const results: RunResult[] = [];
    for (const workers of options.workers) {
      process.stdout.write(`running ${workers} worker(s), ${options.messages} messages…\n`);
      results.push(await runOnce(postgres, receiver, workers, options));
    }

    process.stdout.write("\n" + table(results) + "\n");
    const resultsDir = path.join(REPO_ROOT, "bench", "results");
    mkdirSync(resultsDir, { recursive: true });
    const file = path.join(resultsDir, `scale-out-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
    const machine = { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? null, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version };
    writeFileSync(
      file,
      JSON.stringify({ at: new Date().toISOString(), machine, payloadBytes: PAYLOAD_BYTES, ...options, results }, null, 2) + "\n",
    );
    process.stdout.write(`\nwritten to ${path.relative(REPO_ROOT, file)}\n`);
  } finally {
    clearTimeout(abort);
    await cleanUp();
  }
}

/** Kills every child process (Herald, receiver), stops PostgreSQL, removes temp directories. */
async function cleanUp(): Promise<void> {
  await killAll();
  const stopping = server;
  server = null;
  await stopping?.stop();
  removeTempDirs();
}

main().catch((error: unknown) => {
  process.stderr.write(`scale-out failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
