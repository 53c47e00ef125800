import { TRIGGER } from "../../domain/types.ts";
import type { DbDestination, DbEndpointHealth, DbJob, DbNewJob } from "../shared-rows.ts";
import { attemptToRow, newLeaseToken, rowToEndpointHealth, rowToJob } from "../shared-rows.ts";
import type { DeliveryOutcome, DeliveryRequest, EndpointHealth, FanOutTarget, Job, Lease, QueueStore } from "../store.ts";
import type { SqliteContext } from "./sqlite-database.ts";
import { lazy } from "./sqlite-database.ts";
import type { QueueStatements } from "./sqlite-queue-statements.ts";
import { insertJob } from "./sqlite-queue-statements.ts";

/**
 * The queue (see the comment on Store in store.ts). Every write runs in a `BEGIN IMMEDIATE`
 * transaction: it takes the database write lock up front, so two processes claiming at once are
 * serialized (the second waits up to busy_timeout) instead of both reading the same due rows or
 * failing with SQLITE_BUSY when upgrading a read transaction. The writes of the delivery hot path
 * share their transaction with the others asked for in the same turn (group-commit.ts), which
 * makes each of them all or nothing: the functions below have no transaction of their own.
 */
export function makeQueueStore({ db, groupCommit, attemptStats }: SqliteContext, queue: () => QueueStatements): QueueStore {
  const st = lazy(() => ({
    insertAttempt: db.prepare(
      `INSERT INTO attempts (id, app_id, msg_id, endpoint_id, url, status, response_status_code, response,
         response_duration_ms, trigger_type, attempt_number, request_method, request_url, request_headers,
         request_body, batch_size, created_at)
       VALUES (@id, @app_id, @msg_id, @endpoint_id, @url, @status, @response_status_code, @response,
         @response_duration_ms, @trigger_type, @attempt_number, @request_method, @request_url, @request_headers,
         @request_body, @batch_size, @created_at)`,
    ),
    // Manual attempts (resend, recover) do not count towards the scheduled retry schedule, so they
    // leave attempt_count alone.
    finishDestination: db.prepare<DbDestination & { scheduled: number }>(
      `INSERT INTO message_destinations (msg_id, endpoint_id, app_id, status, next_attempt_at, attempt_count, updated_at)
       VALUES (@msg_id, @endpoint_id, @app_id, @status, @next_attempt_at, @attempt_count, @updated_at)
       ON CONFLICT (msg_id, endpoint_id) DO UPDATE SET
         status = excluded.status, next_attempt_at = excluded.next_attempt_at, updated_at = excluded.updated_at,
         attempt_count = CASE WHEN @scheduled = 1 THEN excluded.attempt_count ELSE attempt_count END`,
    ),
    failDestination: db.prepare<{ msg_id: string | null; endpoint_id: string | null; updated_at: number }>(
      `UPDATE message_destinations SET status = 2, next_attempt_at = NULL, updated_at = @updated_at
       WHERE msg_id = @msg_id AND endpoint_id = @endpoint_id`,
    ),
    // A success ends the run of failures; the window count is left to expire by itself (a quiet gap).
    endpointSucceeded: db.prepare<[string]>(
      `UPDATE endpoints SET first_failure_at = NULL, consecutive_failures = 0
       WHERE id = ? AND (first_failure_at IS NOT NULL OR consecutive_failures <> 0)`,
    ),
    // The window count goes on while each failure comes within `window` ms of the previous one and
    // restarts at 1 after a longer gap. last_failure_at only moves forward: attempts to one endpoint
    // may finish out of order.
    endpointFailed: db.prepare<{ id: string; at: number; window: number }>(
      `UPDATE endpoints SET
         first_failure_at = COALESCE(first_failure_at, @at),
         consecutive_failures = consecutive_failures + 1,
         window_failures = CASE WHEN last_failure_at IS NOT NULL AND @at - last_failure_at <= @window THEN window_failures + 1 ELSE 1 END,
         last_failure_at = CASE WHEN last_failure_at IS NULL OR @at > last_failure_at THEN @at ELSE last_failure_at END
       WHERE id = @id`,
    ),
    endpointHealth: db.prepare<[string], DbEndpointHealth>(
      "SELECT first_failure_at, consecutive_failures, window_failures FROM endpoints WHERE id = ?",
    ),
  }));

  /** Leases rows for `lease`: run_at moves to the end of the lease and each gets a fresh token. */
  function leaseRows(rows: DbJob[], lease: Lease): Job[] {
    if (rows.length === 0) return [];
    const runAt = lease.now + lease.leaseMs;
    const leased = rows.map((row) => ({ ...row, run_at: runAt, lease_token: newLeaseToken(lease.workerId) }));
    queue().lease.run({ leases: JSON.stringify(leased.map((row) => [row.id, row.lease_token])), run_at: runAt });
    return leased.map(rowToJob);
  }

  /** Due jobs, oldest first: the unlaned ones and the lane heads, merged. */
  function selectOldestDue(limit: number, now: number): DbJob[] {
    const q = queue();
    const unlaned = q.selectDueUnlaned.all({ now, limit });
    const heads = q.selectDueLaneHeads.all({ now });
    if (heads.length === 0) return unlaned;
    return [...unlaned, ...heads].sort((a, b) => a.run_at - b.run_at || a.id - b.id).slice(0, limit);
  }

  /**
   * What a claim takes (see claimJobs in store.ts): the oldest due jobs, unless they leave out due
   * fan-outs while holding fewer than half the limit of them; then the newest of the others make
   * way for the oldest of those.
   */
  function selectDue(limit: number, now: number): DbJob[] {
    const oldest = selectOldestDue(limit, now);
    const share = Math.floor(limit / 2);
    const fanOuts = oldest.filter((row) => row.kind === "fanout").length;
    // Fewer due than the claim takes: every due fan-out is in it already.
    if (oldest.length < limit || fanOuts >= share) return oldest;
    const last = oldest[oldest.length - 1]!;
    const more = queue().selectDueFanOutsAfter.all({ now, run_at: last.run_at, id: last.id, limit: share - fanOuts });
    if (more.length === 0) return oldest;
    const others = oldest.filter((row) => row.kind !== "fanout");
    const makingWay = new Set(others.slice(others.length - more.length));
    return [...oldest.filter((row) => !makingWay.has(row)), ...more];
  }

  const claimDue = (limit: number, lease: Lease): Job[] => leaseRows(selectDue(limit, lease.now), lease);

  const claimFollowers = (head: Job, limit: number, lease: Lease): Job[] => {
    const q = queue();
    if (head.lane === null || head.msgId === null || !q.isLeased.get(head.id, head.leaseToken)) return [];
    const rows = q.laneFollowers.all({ lane: head.lane, msg_id: head.msgId, id: head.id, limit });
    // A batch must be contiguous in the lane: stop at the first job someone else holds.
    const held = rows.findIndex((row) => row.lease_token !== null && row.run_at > lease.now);
    return leaseRows(held === -1 ? rows : rows.slice(0, held), lease);
  };

  const writeFanOut = (job: Job, targets: FanOutTarget[], lease: Lease, claimLimit: number, moreToCome: boolean): Job[] => {
    if (job.kind !== "fanout" || job.msgId === null) throw new Error(`fanOut needs a fanout job, got ${job.kind} job ${job.id}`);
    const msgId = job.msgId;
    const q = queue();
    // The fanout job's lease token is the ownership check: if another worker took the job over,
    // nothing is queued. The last part of a fan-out deletes the job under it.
    const owned = moreToCome ? q.isLeased.get(job.id, job.leaseToken) !== undefined : q.deleteLeased.run(job.id, job.leaseToken).changes === 1;
    if (!owned) return [];
    const claimed: Job[] = [];
    for (const target of targets) {
      const dueAt = lease.now + Math.max(0, target.delayMs);
      const destination = { msg_id: msgId, endpoint_id: target.endpointId, app_id: job.appId, next_attempt_at: dueAt, updated_at: lease.now };
      if (q.insertPendingDestination.run(destination).changes === 0) continue;
      // Sent at once by the caller while it has room, or queued: ordered ones wait for their turn
      // in the lane, delayed ones (a batch waiting for more messages) for their time.
      const sendNow = !target.ordered && target.delayMs <= 0 && claimed.length < claimLimit;
      const row: DbNewJob = {
        kind: "deliver",
        app_id: job.appId,
        msg_id: msgId,
        endpoint_id: target.endpointId,
        lane: target.ordered ? target.endpointId : null,
        task_id: null,
        attempt: 1,
        trigger_type: TRIGGER.scheduled,
        run_at: sendNow ? lease.now + lease.leaseMs : dueAt,
        lease_token: sendNow ? newLeaseToken(lease.workerId) : null,
      };
      const id = insertJob(q, row);
      if (sendNow) claimed.push(rowToJob({ id, ...row, rate_slot_at: null }));
    }
    return claimed;
  };

  const enqueue = (deliveries: DeliveryRequest[]) => {
    const q = queue();
    for (const delivery of deliveries) {
      // No "now" is passed in, so the destination's updated_at is the time the delivery is due.
      q.upsertPendingDestination.run({
        msg_id: delivery.msgId,
        endpoint_id: delivery.endpointId,
        app_id: delivery.appId,
        next_attempt_at: delivery.runAt,
        updated_at: delivery.runAt,
      });
      insertJob(q, {
        kind: "deliver",
        app_id: delivery.appId,
        msg_id: delivery.msgId,
        endpoint_id: delivery.endpointId,
        lane: delivery.ordered ? delivery.endpointId : null,
        task_id: null,
        attempt: 1,
        trigger_type: delivery.trigger,
        run_at: delivery.runAt,
        lease_token: null,
      });
    }
  };

  const complete = (job: Job, outcome: DeliveryOutcome): EndpointHealth | null => {
    const health = recordCompletion(job, outcome);
    attemptStats.count(outcome.attempt, outcome.canceled ?? false); // last: see GroupHooks
    return health;
  };

  const recordCompletion = (job: Job, outcome: DeliveryOutcome): EndpointHealth | null => {
    const q = queue();
    const { attempt } = outcome;
    st().insertAttempt.run(attemptToRow(attempt));

    // The job first: whether its lease still holds decides whether this worker may also move the
    // destination on. If the lease was lost the attempt is still recorded (it happened) and the
    // endpoint's health still learns from it, but the destination and the job belong to the new
    // owner, whose own completion will set them.
    const stillOwned =
      outcome.retryAt === null
        ? q.deleteLeased.run(job.id, job.leaseToken).changes === 1
        : q.reschedule.run({ id: job.id, lease_token: job.leaseToken, run_at: outcome.retryAt }).changes === 1;

    if (stillOwned) {
      const scheduled = attempt.triggerType === TRIGGER.scheduled;
      st().finishDestination.run({
        msg_id: attempt.msgId,
        endpoint_id: attempt.endpointId,
        app_id: attempt.appId,
        status: outcome.destinationStatus,
        next_attempt_at: outcome.retryAt,
        attempt_count: scheduled ? attempt.attemptNumber : 0,
        updated_at: attempt.createdAt,
        scheduled: scheduled ? 1 : 0,
      });
    }

    if (outcome.endpointHealth === "success") st().endpointSucceeded.run(attempt.endpointId);
    if (outcome.endpointHealth !== "failure") return null;
    st().endpointFailed.run({ id: attempt.endpointId, at: attempt.createdAt, window: outcome.failureWindowMs });
    return rowToEndpointHealth(st().endpointHealth.get(attempt.endpointId));
  };

  const abandon = (job: Job, at: number) => {
    if (queue().deleteLeased.run(job.id, job.leaseToken).changes === 0) return;
    st().failDestination.run({ msg_id: job.msgId, endpoint_id: job.endpointId, updated_at: at });
  };

  const extendTx = db.transaction((jobs: Job[], until: number) => {
    const q = queue();
    for (const job of jobs) q.extend.run({ id: job.id, lease_token: job.leaseToken, run_at: until });
  });

  const release = (jobs: Job[], runAt: number) => {
    const q = queue();
    for (const job of jobs) q.release.run({ id: job.id, lease_token: job.leaseToken, run_at: runAt });
  };

  return {
    async claimJobs(limit, lease) {
      if (limit <= 0) return [];
      return groupCommit(() => claimDue(Math.floor(limit), lease));
    },
    async fanOut(job, targets, lease, claimLimit = Infinity, options = {}) {
      return groupCommit(() => writeFanOut(job, targets, lease, claimLimit, options.moreToCome ?? false));
    },
    async claimLaneFollowers(head, limit, lease) {
      if (head.lane === null || limit <= 0) return [];
      return groupCommit(() => claimFollowers(head, Math.floor(limit), lease));
    },
    async enqueueDeliveries(deliveries) {
      if (deliveries.length > 0) await groupCommit(() => enqueue(deliveries));
    },
    async completeDelivery(job, outcome) {
      return groupCommit(() => complete(job, outcome));
    },
    async dropJob(job) {
      await groupCommit(() => queue().deleteLeased.run(job.id, job.leaseToken));
    },
    async abandonDelivery(job, at) {
      await groupCommit(() => abandon(job, at));
    },
    async extendLeases(jobs, until) {
      if (jobs.length > 0) extendTx.immediate(jobs, until);
    },
    async releaseJobs(jobs, runAt) {
      if (jobs.length > 0) await groupCommit(() => release(jobs, runAt));
    },
    async postponeJob(job, runAt) {
      return groupCommit(() => queue().postpone.run({ id: job.id, lease_token: job.leaseToken, run_at: runAt }).changes === 1);
    },
    async nextJobDueAt() {
      return queue().nextDue.get()?.run_at ?? null;
    },
    async queueStats(now) {
      const row = queue().stats.get({ now });
      return { depth: row?.depth ?? 0, due: row?.due ?? 0, oldestDueAt: row?.oldest ?? null };
    },
  };
}
