import { randomUUID } from "node:crypto";

import type { Message } from "../domain/types.ts";
import type { Job, Lease } from "../store/store.ts";
import { type PreloadedDelivery, runDeliverJob } from "./deliver-job.ts";
import { makeEndpointListings } from "./endpoint-listings.ts";
import { type FanOutStarts, runFanoutJob } from "./fanout-job.ts";
import { makeFanOutReads } from "./fanout-reads.ts";
import { makeLookups } from "./lookups.ts";
import { makeMessageReads } from "./message-reads.ts";
import { runBackgroundTaskJob } from "./recover-task.ts";
import { RETENTION_INTERVAL_MS, runRetention } from "./retention-loop.ts";
import { LEASE_MS, LEASE_RENEW_MS, leaseFor, type WorkerDeps } from "./worker-deps.ts";

/**
 * The delivery worker. One loop claims due jobs in batches and runs them concurrently, up to
 * `workerConcurrency` at a time:
 *
 * - RUNNING: claim as many jobs as there is room for; a full batch means more may be due, so
 *   claim again at once.
 * - IDLE: nothing due; sleep until woken (`wake()`: the API accepted work in this process, or a
 *   job finished and freed room) or until the poll interval passes (work from other processes,
 *   and retries coming due).
 * - STOPPING: claim nothing more, wait for in-flight jobs, then resolve `stop()`.
 *
 * Beside the loop: the leases of running jobs are renewed every few seconds (worker-deps.ts),
 * retention runs once a minute (retention-loop.ts), and where the store can
 * notify (PostgreSQL LISTEN/NOTIFY) new work from any process wakes the loop at once.
 *
 * A message the API of this process accepts while there is room skips the queue's claim: the API
 * keeps a slot (`reserveFanOut`), stores the message with its fan-out job leased to this worker,
 * and hands both over, so the fan-out starts with the message in hand and nothing is read back.
 *
 * A job throwing never stops the loop: the error is logged and the job's lease runs out, so it
 * is retried later by this worker or another.
 */
export interface Worker {
  start(): void;
  wake(): void;
  /** A slot for the fan-out of a message being accepted in this process, or null if there is no room. */
  reserveFanOut(): FanOutSlot | null;
  stop(): Promise<void>;
  /** For tests: resolves once no job is due at the clock's current time and none is in flight. */
  drain(): Promise<void>;
}

/** Kept by the API while it stores a message (see Worker). */
export interface FanOutSlot {
  /** The lease to store the message's fan-out job under. */
  lease: Lease;
  /** Runs the fan-out of the message just stored, whose job is leased under `lease`. */
  start(job: Job, message: Message): void;
  /** Gives the slot back: the message was not stored. */
  release(): void;
}

export const POLL_INTERVAL_MS = 250;
const CLAIM_BATCH = 100;
const MAX_BACKOFF_MS = 5_000;

export function makeWorker(options: Omit<WorkerDeps, "workerId" | "holdJobs" | "lookups" | "fanOutReads" | "messageReads" | "endpointListings" | "wakeAt"> & { workerId?: string }): Worker {
  /** Jobs being run, by id: their leases are renewed until they finish. */
  const held = new Map<number, Job>();
  function holdJobs(jobs: Job[]): () => void {
    for (const job of jobs) held.set(job.id, job);
    return () => jobs.forEach((job) => held.delete(job.id));
  }
  const deps: WorkerDeps = {
    ...options,
    workerId: options.workerId ?? randomUUID(),
    holdJobs,
    wakeAt,
    lookups: makeLookups(options.store, options.clock),
    fanOutReads: makeFanOutReads(options.clock),
    messageReads: makeMessageReads(options.store),
    endpointListings: makeEndpointListings(options.store),
  };
  const { store, logger } = deps;
  const concurrency = deps.config.workerConcurrency;
  const inFlight = new Set<Promise<void>>();
  let running = false;
  let claimFailures = 0;
  let loopDone: Promise<void> = Promise.resolve();
  let wakeUp: (() => void) | null = null;
  let idleWaiters: (() => void)[] = [];
  let unsubscribe: (() => Promise<void>) | null = null;
  let retentionTimer: NodeJS.Timeout | null = null;
  let renewalTimer: NodeJS.Timeout | null = null;
  let retentionRun: Promise<unknown> | null = null;

  function scheduleLeaseRenewal(): NodeJS.Timeout {
    const timer = setInterval(() => {
      if (held.size === 0) return;
      store
        .extendLeases([...held.values()], deps.clock.now() + LEASE_MS)
        .catch((error: unknown) => logger.warn({ err: error }, "renewing leases failed; will retry"));
    }, LEASE_RENEW_MS);
    timer.unref();
    return timer;
  }

  function scheduleRetention(): void {
    retentionTimer = setInterval(() => {
      if (retentionRun) return;
      retentionRun = runRetention(deps, () => !running)
        .catch((error: unknown) => logger.error({ err: error }, "retention run failed; it will run again"))
        .finally(() => (retentionRun = null));
    }, RETENTION_INTERVAL_MS);
    retentionTimer.unref();
  }

  /** The one timer set by wakeAt, for the earliest time asked. */
  let wakeTimer: { at: number; timer: NodeJS.Timeout } | null = null;

  function wakeAt(time: number): void {
    if (wakeTimer && wakeTimer.at <= time) return;
    if (wakeTimer) clearTimeout(wakeTimer.timer);
    const timer = setTimeout(() => {
      wakeTimer = null;
      wake();
    }, Math.max(0, time - deps.clock.now()));
    timer.unref();
    wakeTimer = { at: time, timer };
  }

  /** Jobs finished so far: a job finishing while a claim runs may have queued work that claim missed. */
  let jobsFinished = 0;
  /** A wake-up that came while the loop was busy (not sleeping) is kept for its next sleep. */
  let wakePending = false;

  function wake(): void {
    if (wakeUp) wakeUp();
    else wakePending = true;
  }

  /** Slots the loop's claim under way may fill when it returns: not room for anyone else meanwhile. */
  let claiming = 0;
  /** Slots kept for messages the API is storing (reserveFanOut). */
  let reserved = 0;

  /** Jobs this worker can still start. */
  function roomLeft(): number {
    return Math.max(0, concurrency - inFlight.size - claiming - reserved);
  }

  /** Runs a job (`run`) and keeps its lease until it finishes. */
  function track(job: Job, run: () => Promise<void>): void {
    held.set(job.id, job);
    const promise = run()
      .catch((error: unknown) => logger.error({ err: error, jobId: job.id, kind: job.kind }, "job failed; its lease will expire and it will run again"))
      .finally(() => {
        jobsFinished += 1;
        held.delete(job.id);
        inFlight.delete(promise);
        wake();
      });
    inFlight.add(promise);
  }

  /**
   * A fan-out claims only what there is room for: the rest stay in the queue, due now, for any
   * worker. With its last part the fan-out's own slot counts as room (it frees as the deliveries
   * start), so a message with one endpoint always goes on to its delivery here, with no release
   * and second claim.
   */
  function fanOutStarts(): FanOutStarts {
    const room = (last: boolean) => roomLeft() + (last ? 1 : 0);
    return {
      room,
      async start(deliveries, last) {
        // Room taken meanwhile by other jobs or kept for a claim under way: hand the excess back.
        const startable = room(last);
        for (const delivery of deliveries.slice(0, startable)) track(delivery.job, () => runDeliverJob(deps, delivery.job, delivery));
        if (deliveries.length > startable) await store.releaseJobs(deliveries.slice(startable).map((delivery) => delivery.job), deps.clock.now());
      },
    };
  }

  async function runJob(job: Job, claimedAt: number, preloaded?: PreloadedDelivery): Promise<void> {
    switch (job.kind) {
      case "deliver":
        return runDeliverJob(deps, job, preloaded);
      case "fanout":
        return runFanoutJob(deps, job, claimedAt, fanOutStarts(), null);
      case "task":
        return runBackgroundTaskJob(deps, job);
      default: {
        const never: never = job.kind;
        throw new Error(`Unknown job kind ${String(never)}`);
      }
    }
  }

  async function sleep(ms: number): Promise<void> {
    if (wakePending) {
      wakePending = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wakeUp = null;
        resolve();
      }
      wakeUp = done;
    });
  }

  async function loop(): Promise<void> {
    while (running) {
      // Only drain() calls made before this claim started may be answered by its result: a claim
      // already under way when the clock moved cannot have seen the jobs that became due. Nor can
      // it have seen work queued by a job that finished while it ran (a fan-out's lane jobs), so
      // such a claim answers no one either.
      const armedWaiters = idleWaiters;
      idleWaiters = [];
      const finishedBeforeClaim = jobsFinished;
      const room = roomLeft();
      let claimed: Job[] = [];
      if (room > 0) {
        claiming = Math.min(room, CLAIM_BATCH);
        try {
          claimed = await store.claimJobs(claiming, leaseFor(deps));
          claimFailures = 0;
        } catch (error) {
          claiming = 0;
          // The database is down or busy: back off (up to MAX_BACKOFF_MS) and try again; nothing
          // is lost meanwhile, claimed work returns when its lease ends.
          claimFailures += 1;
          const backoffMs = Math.min(MAX_BACKOFF_MS, POLL_INTERVAL_MS * 2 ** claimFailures);
          logger.error({ err: error, retryInMs: backoffMs }, "claiming jobs failed");
          idleWaiters.unshift(...armedWaiters);
          await sleep(backoffMs);
          continue;
        }
      }
      // In the same synchronous run as the tracking below, so no fan-out sees these slots free.
      claiming = 0;
      const claimedAt = deps.endpointListings.stamp();
      for (const job of claimed) track(job, () => runJob(job, claimedAt, deps.fanOutReads.take(job)));
      const idle = claimed.length === 0 && inFlight.size === 0 && reserved === 0 && jobsFinished === finishedBeforeClaim;
      if (idle) armedWaiters.forEach((resolve) => resolve());
      else idleWaiters.unshift(...armedWaiters);
      if (claimed.length > 0 && claimed.length === Math.min(room, CLAIM_BATCH)) continue;
      if (claimed.length === 0 || room <= 0) await sleep(POLL_INTERVAL_MS);
    }
    // A fan-out finishing now may still start deliveries, so wait until nothing is left.
    while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
  }

  function reserveFanOut(): FanOutSlot | null {
    if (!running || roomLeft() === 0) return null;
    reserved += 1;
    // Taken as the message's request is handled: listings sent from now on are fresh enough for
    // it, as they are for a claim once it comes back (endpoint-listings.ts).
    const claimedAt = deps.endpointListings.stamp();
    let kept = true;
    const giveBack = () => {
      if (!kept) throw new Error("fan-out slot used twice");
      kept = false;
      reserved -= 1;
    };
    return {
      lease: leaseFor(deps),
      start(job, message) {
        giveBack();
        if (!running) {
          // Stopping: another worker claims it once it is released (or its lease ends).
          store.releaseJobs([job], deps.clock.now()).catch((error: unknown) => logger.warn({ err: error, jobId: job.id }, "releasing a fan-out failed; its lease will expire"));
          return;
        }
        track(job, () => runFanoutJob(deps, job, claimedAt, fanOutStarts(), message));
      },
      release() {
        giveBack();
        wake();
      },
    };
  }

  return {
    reserveFanOut,
    start() {
      if (running) return;
      running = true;
      loopDone = loop();
      renewalTimer = scheduleLeaseRenewal();
      scheduleRetention();
      // Other processes' new work wakes this worker at once where the store can tell (PostgreSQL).
      store.onWork(wake).then(
        (stop) => (unsubscribe = stop),
        (error: unknown) => logger.warn({ err: error }, "no work notifications; polling only"),
      );
    },
    wake,
    async stop() {
      running = false;
      if (retentionTimer) clearInterval(retentionTimer);
      wake();
      await loopDone;
      if (renewalTimer) clearInterval(renewalTimer);
      await retentionRun;
      await unsubscribe?.();
    },
    drain() {
      return new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        wake();
      });
    },
  };
}
