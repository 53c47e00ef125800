/**
 * Herald's benchmark: everything measured in one run, against the physical limit of this machine.
 *
 *   node --import tsx bench/run.ts [--quick] [--postgres] [--cpu-prof] [--only stats] [--out <dir>]
 *
 * Starts a receiver (bench/lib/receiver-main.ts, a process of its own that answers 204 and counts)
 * and one `herald serve` process (SQLite in a temp data directory, or with --postgres a fresh
 * database on BENCH_DATABASE_URL or on an embedded server), all on 127.0.0.1, then measures:
 *
 * 1. raw: undici POSTs of a 1 KiB body straight to the receiver, CONCURRENCY at a time: the
 *    physical limit of client + loopback + receiver on this machine;
 *    The relay ceiling beside it: the same POSTs through bench/lib/relay-main.ts, a process that
 *    only answers 202 and sends each body on (no storage, no signing), first POST to last arrival.
 *    A relay handles every message twice more (once as a server, once as a client), so on 2 cores
 *    it cannot reach more than about half of (1): what any relay, Herald included, can reach;
 * 2. ingest: messages/s accepted (202) by Herald's API, same body size and concurrency, one
 *    application with one endpoint (signed delivery, the default);
 * 3. end to end: deliveries/s of those messages, from the first POST to the last arrival at the
 *    receiver, and its ratio to (1) and to the relay ceiling;
 * 4. latency: messages posted at a fixed 500/s (open loop), each carrying its send time; the receiver
 *    subtracts it from the arrival time (same host clock): p50, p90, p99, max;
 * 5. fan-out: one message to many endpoints (10,000; created through the API first, each at its own
 *    URL on the receiver), time from the POST to the last arrival;
 * 6. backlog: the receiver holds (leaves unanswered) every request to the backlog endpoint, so
 *    Herald's worker has at most its concurrency in flight and everything else stays in its queue
 *    (checked by counting the queue table). N messages are posted (1,000,000; stopped after a time
 *    cap, reporting how far it got): ingest rate over the first and the last 10 %, Herald's RSS
 *    (VmRSS) with N pending. Then the receiver answers and the drain rate is measured, and a tenth
 *    more is posted (held, then drained) for the ingest rate with none pending again: the last
 *    tenth is compared with the mean of the two rates with none pending. Herald's request
 *    timeout is raised to 5 minutes and the ingest is capped below that, so nothing times out and
 *    goes to the retry schedule.
 * 7. attempt statistics: 1,000,000 attempts of one application with 10 endpoints, spread over the
 *    last 24 hours, are recorded through the store's write path (completeDelivery, from this
 *    process on Herald's database: bench/lib/attempt-stats.ts), then Herald's API is asked for
 *    that window in 5-minute buckets (GET /api/v1/stats/app/{app_id}/attempt): median and max of
 *    a few calls after a first one. `--only stats` runs this phase alone.
 * 8. portal: an app-portal-access link opened in headless Chromium, each time in a fresh context,
 *    until the endpoint list is painted (its first endpoint's URL visible): median and max; and the
 *    JavaScript the first screen loaded, gzipped (bench/lib/portal-paint.ts). `--only portal` runs it
 *    alone.
 *
 * With --cpu-prof, Herald runs under `node --cpu-prof` and leaves its profile in bench/profiles/.
 *
 * Prints a table with the targets of issue 6 and writes bench/results/<date>-<engine>[-quick].json.
 * Bounded: every phase has a count and a time cap, and an overall abort kills everything.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";

import { ADMIN_TOKEN, type ChildHandle, killAll, removeTempDirs, REPO_ROOT, sleep } from "../test/process/process-helpers.ts";
import { recordAttempts, timeStatsQuery } from "./lib/attempt-stats.ts";
import { type BenchHerald, type EngineName, processMemory, startHerald, stopEmbeddedPostgres } from "./lib/engine.ts";
import { api, createApp, createAppWithEndpoint, createEndpoint, payload, PAYLOAD_BYTES } from "./lib/herald-api.ts";
import { closedLoop, makePool, nowMs, openLoop, type PostTarget, rateBetween } from "./lib/load.ts";
import { measurePortalPaint } from "./lib/portal-paint.ts";
import { type BenchReceiver, type RunStats, startBenchReceiver } from "./lib/receiver.ts";
import { startBenchRelay } from "./lib/relay.ts";
import { fmt, formatTable, percentile, type Row } from "./lib/report.ts";

/** Requests in flight for raw and ingest (the same for both, so the ratio compares like with like). */
const CONCURRENCY = 50;
const LATENCY_RATE_PER_SECOND = 500;
const ENDPOINT_CREATION_CONCURRENCY = 20;
/** Held deliveries must not time out: Herald's request timeout is 300 s (engine.ts). */
const BACKLOG_INGEST_MAX_MS = 280_000;

interface Sizes {
  raw: number;
  rawMaxMs: number;
  ingest: number;
  ingestMaxMs: number;
  deliveryMaxMs: number;
  latencySeconds: number;
  fanOutEndpoints: number;
  fanOutMaxMs: number;
  backlog: number;
  backlogIngestMaxMs: number;
  drainMaxMs: number;
  statsAttempts: number;
  statsEndpoints: number;
  statsCalls: number;
  portalRounds: number;
  abortAfterMs: number;
}

const FULL: Sizes = {
  raw: 100_000,
  rawMaxMs: 30_000,
  ingest: 50_000,
  ingestMaxMs: 120_000,
  deliveryMaxMs: 180_000,
  latencySeconds: 30,
  fanOutEndpoints: 10_000,
  fanOutMaxMs: 120_000,
  backlog: 1_000_000,
  backlogIngestMaxMs: BACKLOG_INGEST_MAX_MS,
  drainMaxMs: 480_000,
  statsAttempts: 1_000_000,
  statsEndpoints: 10,
  statsCalls: 7,
  portalRounds: 7,
  abortAfterMs: 30 * 60_000,
};

const QUICK: Sizes = {
  raw: 20_000,
  rawMaxMs: 5_000,
  ingest: 2_000,
  ingestMaxMs: 10_000,
  deliveryMaxMs: 15_000,
  latencySeconds: 5,
  fanOutEndpoints: 1_000,
  fanOutMaxMs: 10_000,
  backlog: 4_000,
  backlogIngestMaxMs: 10_000,
  drainMaxMs: 20_000,
  statsAttempts: 20_000,
  statsEndpoints: 10,
  statsCalls: 3,
  portalRounds: 2,
  abortAfterMs: 3 * 60_000,
};

const WARM_UP = { raw: 1_000, messages: 200 };

const TARGETS = {
  endToEndRatio: 0.5,
  postgresRatio: 0.35,
  p99Ms: 25,
  fanOutEndpoints: 10_000,
  fanOutMs: 2_000,
  backlogMessages: 1_000_000,
  rssBytes: 300e6,
  /** "Ingest not slower with the backlog than with none": a 10 % allowance for run-to-run noise. */
  backlogIngestRatio: 0.9,
  /** Issue 22: a 24-hour window in 5-minute buckets over 1,000,000 attempts, on both engines. */
  statsQueryMs: 100,
  statsAttempts: 1_000_000,
  /** Issue 22: the endpoint list painted within a second, the first screen's JavaScript within 250 KB gzipped. */
  portalPaintMs: 1_000,
  portalJsGzipBytes: 250_000,
};

/** The phases `--only` can name. */
const ONLY_PHASES = ["stats", "portal"] as const;
type OnlyPhase = (typeof ONLY_PHASES)[number];

function parseOptions(): { quick: boolean; engine: EngineName; only: OnlyPhase | null; cpuProfileDir: string | null; resultsDir: string } {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      postgres: { type: "boolean", default: false },
      "cpu-prof": { type: "boolean", default: false },
      only: { type: "string" },
      out: { type: "string" },
    },
  });
  const only = values.only ?? null;
  if (only !== null && !(ONLY_PHASES as readonly string[]).includes(only)) {
    throw new Error(`--only takes one of: ${ONLY_PHASES.join(", ")} (got ${only})`);
  }
  return {
    quick: values.quick,
    engine: values.postgres ? "postgres" : "sqlite",
    only: only as OnlyPhase | null,
    // The test that keeps the benchmark working writes its results elsewhere.
    resultsDir: values.out ? path.resolve(values.out) : path.join(REPO_ROOT, "bench", "results"),
    // Herald's own CPU profile (node --cpu-prof), written when it stops, to look at in Chrome DevTools.
    cpuProfileDir: values["cpu-prof"] ? path.join(REPO_ROOT, "bench", "profiles") : null,
  };
}

/** The npm command that runs this benchmark with these options, for the results file. */
function benchCommand(quick: boolean, engine: EngineName, only: OnlyPhase | null): string {
  const flags = [...(quick ? ["--quick"] : []), ...(engine === "postgres" ? ["--postgres"] : []), ...(only ? ["--only", only] : [])];
  return flags.length > 0 ? `npm run bench -- ${flags.join(" ")}` : "npm run bench";
}

function log(line: string): void {
  process.stdout.write(line + "\n");
}

const BODY_PAD = "x".repeat(PAYLOAD_BYTES);

/** The 1 KiB raw body, the same bytes every time (Herald's message body is built per message). */
function rawBody(): string {
  const empty = JSON.stringify({ n: 0, data: "" }).length;
  return JSON.stringify({ n: 0, data: BODY_PAD.slice(0, PAYLOAD_BYTES - empty) });
}

function messageBody(n: number, sentAt?: number): string {
  return JSON.stringify({ eventType: "bench.event", payload: payload(n, sentAt) });
}

function heraldTarget(herald: BenchHerald, appId: string, connections: number): PostTarget {
  return {
    pool: makePool(herald.url, connections),
    path: `/api/v1/app/${appId}/msg`,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    expectStatus: 202,
  };
}

/** Polls the receiver until `expected` distinct deliveries from `sender` reached `run`, or `maxMs` passed. */
async function waitForDeliveries(receiver: BenchReceiver, sender: ChildHandle, run: string, expected: number, maxMs: number): Promise<RunStats & { complete: boolean }> {
  const deadline = Date.now() + maxMs;
  for (;;) {
    const stats = await receiver.stats(run);
    if (stats.unique >= expected) return { ...stats, complete: true };
    const exit = sender.exitStatus();
    if (exit) throw new Error(`the sender exited: ${JSON.stringify(exit)}\n${sender.describe()}`);
    if (Date.now() > deadline) return { ...stats, complete: false };
    await sleep(20);
  }
}

async function measureRaw(receiver: BenchReceiver, sizes: Sizes) {
  const target: PostTarget = { pool: makePool(receiver.url, CONCURRENCY), path: "/raw", headers: { "content-type": "application/json" }, expectStatus: 204 };
  const body = rawBody();
  await closedLoop({ target: { ...target, path: "/raw-warm-up" }, total: WARM_UP.raw, concurrency: CONCURRENCY, deadlineMs: Date.now() + 10_000, body: () => body });
  const result = await closedLoop({ target, total: sizes.raw, concurrency: CONCURRENCY, deadlineMs: Date.now() + sizes.rawMaxMs, body: () => body });
  await target.pool.close();
  const stats = await receiver.stats("/raw");
  const seconds = ((stats.lastAt ?? result.endedAt) - result.startedAt) / 1000;
  return { requests: result.accepted, failed: result.failed, cutShort: result.cutShort, seconds, perSecond: stats.requests / seconds };
}

/** The relay ceiling: the raw body through a relay that does nothing else (see the top of this file). */
async function measureRelay(receiver: BenchReceiver, sizes: Sizes) {
  const relay = await startBenchRelay(receiver.url, CONCURRENCY);
  const target: PostTarget = { pool: makePool(relay.url, CONCURRENCY), path: "/relay", headers: { "content-type": "application/json" }, expectStatus: 202 };
  try {
    const body = rawBody();
    const warmUp = await closedLoop({ target: { ...target, path: "/relay-warm-up" }, total: WARM_UP.raw, concurrency: CONCURRENCY, deadlineMs: Date.now() + 10_000, body: () => body });
    await waitForDeliveries(receiver, relay.handle, "/relay-warm-up", warmUp.accepted, 30_000);
    const result = await closedLoop({ target, total: sizes.ingest, concurrency: CONCURRENCY, deadlineMs: Date.now() + sizes.ingestMaxMs, body: () => body });
    const delivered = await waitForDeliveries(receiver, relay.handle, "/relay", result.accepted, sizes.deliveryMaxMs);
    const seconds = ((delivered.lastAt ?? nowMs()) - result.startedAt) / 1000;
    return { messages: result.accepted, failed: result.failed, delivered: delivered.unique, complete: delivered.complete, seconds, perSecond: delivered.unique / seconds };
  } finally {
    await target.pool.close();
    await relay.stop();
  }
}

async function measureIngest(herald: BenchHerald, receiver: BenchReceiver, sizes: Sizes) {
  const warmUpApp = await createAppWithEndpoint(herald.url, "bench warm-up", `${receiver.url}/warm-up`);
  const warmUp = heraldTarget(herald, warmUpApp, CONCURRENCY);
  await closedLoop({ target: warmUp, total: WARM_UP.messages, concurrency: CONCURRENCY, deadlineMs: Date.now() + 20_000, body: (n) => messageBody(n) });
  await warmUp.pool.close();
  await waitForDeliveries(receiver, herald.process, "/warm-up", WARM_UP.messages, 30_000);

  const appId = await createAppWithEndpoint(herald.url, "bench ingest", `${receiver.url}/ingest`);
  const target = heraldTarget(herald, appId, CONCURRENCY);
  const result = await closedLoop({ target, total: sizes.ingest, concurrency: CONCURRENCY, deadlineMs: Date.now() + sizes.ingestMaxMs, body: (n) => messageBody(n) });
  await target.pool.close();
  const delivered = await waitForDeliveries(receiver, herald.process, "/ingest", result.accepted, sizes.deliveryMaxMs);
  const ingestSeconds = (result.endedAt - result.startedAt) / 1000;
  const deliverySeconds = ((delivered.lastAt ?? nowMs()) - result.startedAt) / 1000;
  return {
    messages: result.accepted,
    failed: result.failed,
    cutShort: result.cutShort,
    ingestSeconds,
    ingestPerSecond: result.accepted / ingestSeconds,
    delivered: delivered.unique,
    deliveriesComplete: delivered.complete,
    duplicates: delivered.requests - delivered.unique,
    deliverySeconds,
    deliveredPerSecond: delivered.unique / deliverySeconds,
  };
}

async function measureLatency(herald: BenchHerald, receiver: BenchReceiver, sizes: Sizes) {
  const appId = await createAppWithEndpoint(herald.url, "bench latency", `${receiver.url}/latency`);
  const target = heraldTarget(herald, appId, CONCURRENCY);
  const result = await openLoop({ target, ratePerSecond: LATENCY_RATE_PER_SECOND, seconds: sizes.latencySeconds, body: (n, sentAt) => messageBody(n, sentAt) });
  await target.pool.close();
  const delivered = await waitForDeliveries(receiver, herald.process, "/latency", result.accepted, 30_000);
  const samples = (await receiver.latencies("/latency")).sort((a, b) => a - b);
  return {
    ratePerSecond: LATENCY_RATE_PER_SECOND,
    seconds: sizes.latencySeconds,
    sent: result.sent,
    accepted: result.accepted,
    delivered: delivered.unique,
    samples: samples.length,
    senderMaxLagMs: result.maxLagMs,
    p50Ms: percentile(samples, 50),
    p90Ms: percentile(samples, 90),
    p99Ms: percentile(samples, 99),
    maxMs: samples.at(-1) ?? NaN,
  };
}

async function measureFanOut(herald: BenchHerald, receiver: BenchReceiver, sizes: Sizes) {
  const appId = await createApp(herald.url, "bench fan-out");
  const createdAt = Date.now();
  let next = 0;
  const deadline = Date.now() + sizes.fanOutMaxMs;
  async function lane(): Promise<void> {
    while (next < sizes.fanOutEndpoints && Date.now() < deadline) {
      const i = next++;
      await createEndpoint(herald.url, appId, `${receiver.url}/fan-out?endpoint=${i}`);
    }
  }
  await Promise.all(Array.from({ length: ENDPOINT_CREATION_CONCURRENCY }, lane));
  const endpoints = Math.min(next, sizes.fanOutEndpoints);
  const creationSeconds = (Date.now() - createdAt) / 1000;
  const postedAt = nowMs();
  const posted = await api(herald.url, "POST", `/api/v1/app/${appId}/msg`, { eventType: "bench.fan-out", payload: payload(0) });
  if (posted.status !== 202) throw new Error(`posting the fan-out message answered ${posted.status}: ${JSON.stringify(posted.body)}`);
  const delivered = await waitForDeliveries(receiver, herald.process, "/fan-out", endpoints, sizes.fanOutMaxMs);
  return {
    endpoints,
    creationSeconds,
    delivered: delivered.unique,
    complete: delivered.complete,
    firstMs: (delivered.firstAt ?? NaN) - postedAt,
    allMs: (delivered.lastAt ?? NaN) - postedAt,
  };
}

/**
 * Posts `total` messages to the backlog endpoint while the receiver holds its requests, so they
 * stay pending; the progress it records gives the rate over any part of the run.
 */
async function ingestHeld(herald: BenchHerald, appId: string, total: number, maxMs: number) {
  const target = heraldTarget(herald, appId, CONCURRENCY);
  const result = await closedLoop({
    target,
    total,
    concurrency: CONCURRENCY,
    deadlineMs: Date.now() + maxMs,
    body: (n) => messageBody(n),
    sampleEvery: Math.max(1, Math.floor(total / 1000)),
  });
  await target.pool.close();
  return result;
}

/**
 * Phase 6. "Ingest not slower with the backlog than with none" compares the last tenth of the
 * backlog with ingest while nothing is pending, measured twice: over the first tenth, and again
 * after the drain (a tenth more, held, then drained too). The shared machine's speed drifts over
 * the minutes between them by more than the target's allowance; the two measurements with none
 * pending bracket the one with the backlog, and their mean is the reference.
 */
async function measureBacklog(herald: BenchHerald, receiver: BenchReceiver, sizes: Sizes) {
  const appId = await createAppWithEndpoint(herald.url, "bench backlog", `${receiver.url}/backlog`);
  await receiver.hold("/backlog");
  const pid = herald.process.pid;
  const idleRssBytes = processMemory(pid)?.rssBytes ?? NaN;
  let maxRssBytes = 0;
  const sampler = setInterval(() => (maxRssBytes = Math.max(maxRssBytes, processMemory(pid)?.rssBytes ?? 0)), 500);
  const result = await ingestHeld(herald, appId, sizes.backlog, sizes.backlogIngestMaxMs);
  clearInterval(sampler);
  const memory = processMemory(pid);
  maxRssBytes = Math.max(maxRssBytes, memory?.rssBytes ?? 0);
  const tenth = Math.floor(result.accepted / 10);
  const firstTenthPerSecond = rateBetween(result.progress, 0, tenth);
  const lastTenthPerSecond = rateBetween(result.progress, result.accepted - tenth, result.accepted);
  const queueDepth = await herald.queueDepth();
  const held = (await receiver.stats("/backlog")).held;

  const releasedAt = nowMs();
  await receiver.release("/backlog");
  const drained = await waitForDeliveries(receiver, herald.process, "/backlog", result.accepted, sizes.drainMaxMs);
  const drainSeconds = ((drained.lastAt ?? nowMs()) - releasedAt) / 1000;
  const afterDrain = processMemory(pid);

  await receiver.hold("/backlog");
  const again = await ingestHeld(herald, appId, tenth, sizes.backlogIngestMaxMs);
  await receiver.release("/backlog");
  const againDrained = await waitForDeliveries(receiver, herald.process, "/backlog", result.accepted + again.accepted, sizes.drainMaxMs);
  return {
    requested: sizes.backlog,
    accepted: result.accepted,
    failed: result.failed,
    cutShort: result.cutShort,
    ingestSeconds: (result.endedAt - result.startedAt) / 1000,
    ingestPerSecond: (result.accepted * 1000) / (result.endedAt - result.startedAt),
    firstTenthPerSecond,
    lastTenthPerSecond,
    queueDepthAtEnd: queueDepth,
    heldByReceiver: held,
    idleRssBytes,
    rssBytes: memory?.rssBytes ?? NaN,
    maxRssBytes,
    peakRssBytes: memory?.peakRssBytes ?? NaN,
    drained: drained.unique,
    drainComplete: drained.complete,
    drainSeconds,
    drainPerSecond: drained.unique / drainSeconds,
    rssAfterDrainBytes: afterDrain?.rssBytes ?? NaN,
    againAccepted: again.accepted,
    againPerSecond: (again.accepted * 1000) / (again.endedAt - again.startedAt),
    againDrained: againDrained.unique - drained.unique,
  };
}

/** Phase 7 (see the top of this file). */
async function measureStats(herald: BenchHerald, receiver: BenchReceiver, sizes: Sizes) {
  const appId = await createApp(herald.url, "bench stats");
  const endpointIds: string[] = [];
  for (let i = 0; i < sizes.statsEndpoints; i++) endpointIds.push(await createEndpoint(herald.url, appId, `${receiver.url}/stats?endpoint=${i}`));
  const now = Date.now();
  const store = await herald.openStore();
  let recorded: { seconds: number };
  try {
    recorded = await recordAttempts(store, appId, endpointIds, sizes.statsAttempts, now);
  } finally {
    await store.close();
  }
  const query = await timeStatsQuery(herald.url, appId, now, sizes.statsCalls).catch((error: unknown) => {
    throw new Error(`the stats query failed: ${String(error)}\n${herald.process.describe()}`, { cause: error });
  });
  return {
    attempts: sizes.statsAttempts,
    endpoints: sizes.statsEndpoints,
    recordSeconds: recorded.seconds,
    recordPerSecond: sizes.statsAttempts / recorded.seconds,
    ...query,
  };
}

type Results = {
  raw: Awaited<ReturnType<typeof measureRaw>>;
  relay: Awaited<ReturnType<typeof measureRelay>>;
  ingest: Awaited<ReturnType<typeof measureIngest>>;
  latency: Awaited<ReturnType<typeof measureLatency>>;
  fanOut: Awaited<ReturnType<typeof measureFanOut>>;
  backlog: Awaited<ReturnType<typeof measureBacklog>>;
  stats: Awaited<ReturnType<typeof measureStats>>;
  portal: Awaited<ReturnType<typeof measurePortal>>;
};

async function measurePortal(herald: BenchHerald, receiver: BenchReceiver, sizes: Sizes) {
  const { paintMs, firstScreenJsGzipBytes } = await measurePortalPaint(herald.url, receiver.url, sizes.portalRounds);
  const sorted = [...paintMs].sort((a, b) => a - b);
  return { rounds: paintMs.length, paintMs, medianMs: sorted[Math.floor(sorted.length / 2)], maxMs: sorted[sorted.length - 1], firstScreenJsGzipBytes };
}

function portalRows(portal: Results["portal"]): Row[] {
  return [
    {
      metric: `8. portal: link opened → endpoint list painted (${portal.rounds} fresh browsers): median`,
      value: `${fmt.ms(portal.medianMs)} (max ${fmt.ms(portal.maxMs)})`,
      target: `≤ ${TARGETS.portalPaintMs} ms`,
      met: portal.maxMs <= TARGETS.portalPaintMs,
    },
    {
      metric: "   first screen's JavaScript, gzipped",
      value: `${(portal.firstScreenJsGzipBytes / 1000).toFixed(1)} KB`,
      target: `≤ ${TARGETS.portalJsGzipBytes / 1000} KB`,
      met: portal.firstScreenJsGzipBytes <= TARGETS.portalJsGzipBytes,
    },
  ];
}

function statsRows(stats: Results["stats"]): Row[] {
  const counted = stats.attemptsCounted === stats.attempts ? "" : ` (COUNTED ${stats.attemptsCounted})`;
  return [
    {
      metric: `7. stats query, 24 h in 5-min buckets (${stats.attempts} attempts, ${stats.endpoints} endpoints): median${counted}`,
      value: `${fmt.ms(stats.medianMs)} (max ${fmt.ms(stats.maxMs)})`,
      target: `≤ ${TARGETS.statsQueryMs} ms at ${TARGETS.statsAttempts}`,
      met: stats.attempts >= TARGETS.statsAttempts ? stats.maxMs <= TARGETS.statsQueryMs && counted === "" : null,
    },
    { metric: "   recording those attempts (completeDelivery)", value: fmt.rate(stats.recordPerSecond) },
  ];
}

function rows(engine: EngineName, r: Omit<Results, "stats" | "portal">): Row[] {
  const e2eRatio = r.ingest.deliveredPerSecond / r.raw.perSecond;
  const fullFanOut = r.fanOut.endpoints >= TARGETS.fanOutEndpoints;
  const fullBacklog = r.backlog.accepted >= TARGETS.backlogMessages;
  const withNonePending = ((r.backlog.firstTenthPerSecond ?? NaN) + r.backlog.againPerSecond) / 2;
  const backlogRatio = (r.backlog.lastTenthPerSecond ?? NaN) / withNonePending;
  const incomplete = (complete: boolean) => (complete ? "" : " (INCOMPLETE)");
  // Issue 6 sets these targets for embedded SQLite; a PostgreSQL run shows them for comparison.
  const sqliteOnly = engine === "postgres" ? " (SQLite's)" : "";
  return [
    { metric: `1. raw limit (${CONCURRENCY} in flight, ${r.raw.requests} req)`, value: fmt.rate(r.raw.perSecond) },
    {
      metric: `   relay ceiling (answer and send on, nothing else)${incomplete(r.relay.complete)}`,
      value: `${fmt.rate(r.relay.perSecond)} (${fmt.ratio(r.relay.perSecond / r.raw.perSecond)} raw)`,
    },
    { metric: `2. ingest (${r.ingest.messages} msg, 202s)`, value: `${fmt.rate(r.ingest.ingestPerSecond)} (${fmt.ratio(r.ingest.ingestPerSecond / r.raw.perSecond)} raw)` },
    {
      metric: `3. end to end${incomplete(r.ingest.deliveriesComplete)}`,
      value: `${fmt.rate(r.ingest.deliveredPerSecond)} (${fmt.ratio(e2eRatio)} raw, ${fmt.ratio(r.ingest.deliveredPerSecond / r.relay.perSecond)} relay)`,
      target: engine === "postgres" ? `≥ ${TARGETS.postgresRatio}× raw (PostgreSQL)` : `≥ ${TARGETS.endToEndRatio}× raw`,
      met: e2eRatio >= (engine === "postgres" ? TARGETS.postgresRatio : TARGETS.endToEndRatio) && r.ingest.deliveriesComplete,
    },
    { metric: `4. latency at ${r.latency.ratePerSecond}/s, ${r.latency.seconds} s: p50`, value: fmt.ms(r.latency.p50Ms) },
    { metric: "   p90", value: fmt.ms(r.latency.p90Ms) },
    { metric: "   p99", value: fmt.ms(r.latency.p99Ms), target: `≤ ${TARGETS.p99Ms} ms${sqliteOnly}`, met: r.latency.p99Ms <= TARGETS.p99Ms && r.latency.samples === r.latency.sent },
    { metric: "   max", value: fmt.ms(r.latency.maxMs) },
    {
      metric: `5. fan-out to ${r.fanOut.endpoints} endpoints${incomplete(r.fanOut.complete)}`,
      value: fmt.ms(r.fanOut.allMs),
      target: `≤ ${TARGETS.fanOutMs} ms at ${TARGETS.fanOutEndpoints}${sqliteOnly}`,
      met: fullFanOut ? r.fanOut.allMs <= TARGETS.fanOutMs && r.fanOut.complete : null,
    },
    { metric: `6. backlog ingest, first 10 % (${r.backlog.accepted} of ${r.backlog.requested})`, value: fmt.rate(r.backlog.firstTenthPerSecond ?? NaN) },
    {
      metric: `   backlog ingest, last 10 % (${r.backlog.queueDepthAtEnd} in queue)`,
      value: `${fmt.rate(r.backlog.lastTenthPerSecond ?? NaN)} (${fmt.ratio(backlogRatio)})`,
      target: `≥ ${TARGETS.backlogIngestRatio}× with none (mean of first 10 % and after drain)${sqliteOnly}`,
      met: fullBacklog ? backlogRatio >= TARGETS.backlogIngestRatio : null,
    },
    {
      metric: `   RSS with ${r.backlog.accepted} pending`,
      value: `${fmt.mb(r.backlog.rssBytes)} (max ${fmt.mb(r.backlog.maxRssBytes)}, ${fmt.mb(r.backlog.idleRssBytes)} before)`,
      target: `≤ ${fmt.mb(TARGETS.rssBytes)} at 1M${sqliteOnly}`,
      met: fullBacklog ? r.backlog.maxRssBytes <= TARGETS.rssBytes : null,
    },
    { metric: `   drain${incomplete(r.backlog.drainComplete)}`, value: fmt.rate(r.backlog.drainPerSecond) },
    { metric: `   backlog ingest after the drain, none pending (${r.backlog.againAccepted} msg)`, value: fmt.rate(r.backlog.againPerSecond) },
  ];
}

let herald: BenchHerald | null = null;

async function cleanUp(): Promise<void> {
  await herald?.stop().catch(() => undefined);
  herald = null;
  await killAll();
  await stopEmbeddedPostgres().catch(() => undefined);
  removeTempDirs();
}

async function main(): Promise<void> {
  const { quick, engine, only, cpuProfileDir, resultsDir } = parseOptions();
  const sizes = quick ? QUICK : FULL;
  const abort = setTimeout(() => {
    process.stderr.write(`bench: aborted after ${sizes.abortAfterMs / 1000} s\n`);
    void cleanUp().finally(() => process.exit(1));
  }, sizes.abortAfterMs);
  abort.unref();
  const startedAt = new Date();
  try {
    const receiver = await startBenchReceiver();
    log(`bench (${engine}${quick ? ", quick" : ""}): starting Herald…`);
    herald = await startHerald(engine, { cpuProfileDir });
    let results: Partial<Results>;
    let table: Row[];
    if (only === "stats") {
      log("7. attempt statistics…");
      const stats = await measureStats(herald, receiver, sizes);
      results = { stats };
      table = statsRows(stats);
    } else if (only === "portal") {
      log("8. portal…");
      const portal = await measurePortal(herald, receiver, sizes);
      results = { portal };
      table = portalRows(portal);
    } else {
      log("1. raw limit…");
      const raw = await measureRaw(receiver, sizes);
      log("   relay ceiling…");
      const relay = await measureRelay(receiver, sizes);
      log("2-3. ingest and end to end…");
      const ingest = await measureIngest(herald, receiver, sizes);
      log("4. latency…");
      const latency = await measureLatency(herald, receiver, sizes);
      log("5. fan-out…");
      const fanOut = await measureFanOut(herald, receiver, sizes);
      log("6. backlog…");
      const backlog = await measureBacklog(herald, receiver, sizes);
      log("7. attempt statistics…");
      const stats = await measureStats(herald, receiver, sizes);
      log("8. portal…");
      const portal = await measurePortal(herald, receiver, sizes);
      results = { raw, relay, ingest, latency, fanOut, backlog, stats, portal };
      table = [...rows(engine, { raw, relay, ingest, latency, fanOut, backlog }), ...statsRows(stats), ...portalRows(portal)];
    }
    log("\n" + formatTable(table));
    mkdirSync(resultsDir, { recursive: true });
    const stamp = startedAt.toISOString().slice(0, 19).replace(/:/g, "-");
    const file = path.join(resultsDir, `${stamp}-${engine}${quick ? "-quick" : ""}${only ? `-${only}` : ""}.json`);
    const machine = { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? null, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version };
    const document = {
      at: startedAt.toISOString(),
      command: benchCommand(quick, engine, only),
      engine,
      quick,
      machine,
      payloadBytes: PAYLOAD_BYTES,
      concurrency: CONCURRENCY,
      sizes,
      targets: TARGETS,
      results,
      table,
    };
    writeFileSync(file, JSON.stringify(document, null, 2) + "\n");
    log(`\nwritten to ${path.relative(process.cwd(), file)} in ${((Date.now() - startedAt.getTime()) / 1000).toFixed(0)} s`);
  } finally {
    clearTimeout(abort);
    await cleanUp();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
