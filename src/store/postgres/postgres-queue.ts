import { MESSAGE_STATUS } from "../../domain/types.ts";
import type { DbJob } from "../shared-rows.ts";
import { rowToJob } from "../shared-rows.ts";
import type { DeliveryRequest, FanOutTarget, Job, Lease, QueueStore } from "../store.ts";
import { makeCompleteDelivery } from "./postgres-completions.ts";
import type { PostgresContext } from "./postgres-database.ts";
import { execute, queryOne, queryRows, statement, transaction } from "./postgres-database.ts";
import { makeFanOutCall } from "./postgres-fan-outs.ts";
import { leaseTokenSql, notifyWork, upsertPendingDestinations, WORK_CHANNEL } from "./postgres-queue-statements.ts";
import { columnList, JOB_COLUMNS } from "./postgres-rows.ts";

/**
 * The queue (see the comment on Store in store.ts), shared by any number of workers on any number
 * of hosts. Claims use FOR UPDATE SKIP LOCKED: concurrent claimers pass over each other's rows
 * instead of waiting for them, so no job is claimed twice and no worker blocks another.
 *
 * Lock order. A transaction that locks a queue row and an endpoint row always locks the queue row
 * first (completeDelivery: job, destination, endpoint; deleteEndpoint: queued deliveries, then the
 * endpoint), so two of them can never wait for each other in a cycle (deadlock, 40P01).
 *
 * Round trips. The worker's hot path (claim, fan out, complete) is one round trip per call: the
 * multi-statement parts run as PL/pgSQL functions (migrations/postgres/0004_delivery_functions.sql),
 * each call its own transaction, so a pooled connection and the rows it locks are never held
 * while the worker waits for the network between two statements.
 *
 * Lanes across processes. Only a lane's head is claimable (herald_claim_jobs and herald_lane_heads,
 * in migrations/postgres/0002_profiles.sql and 0003_consumers.sql), and a claimed head stays in the table (leased, so not
 * due) until its delivery completes: while it exists, no other job of its lane is a head, whatever
 * another worker's snapshot. Two workers that both see the same due head race for its row lock, and
 * SKIP LOCKED (or, if the winner has committed, the re-check of run_at on the updated row) leaves
 * it to one of them.
 */

/** A run_at no job reaches: asks herald_lane_heads for every head, due or not. */
const END_OF_TIME = "9223372036854775807";

const CLAIM_COLUMNS = columnList(JOB_COLUMNS, "queue");

const st = {
  // One statement: herald_claim_jobs (migrations/postgres/0008_fan_outs_first.sql) picks the due
  // rows nobody else holds, fan-outs first (up to half), then unlaned jobs and lane heads, and
  // leases them; returned oldest first by their run_at before the claim. Its result columns are the
  // queue's (a new queue column needs a new version of the function).
  claim: statement<DbJob>(
    "claim_jobs",
    `SELECT ${columnList(JOB_COLUMNS)} FROM herald_claim_jobs($1, $2, $3, $4) ORDER BY due_at, id`,
  ),
  // The jobs after a held lane head ($1 id, $2 its lease token, $3 lane, $4 its msg_id), in lane
  // order, due or not, up to $5. A batch must be contiguous in the lane, so the run stops at the
  // first job another worker holds (leased until after $6, or row-locked right now).
  claimFollowers: statement<DbJob>(
    "claim_lane_followers",
    `WITH next AS (
       SELECT id, row_number() OVER (ORDER BY msg_id, id) AS position
       FROM (
         SELECT id, msg_id FROM queue
         WHERE lane = $3 AND (msg_id, id) > ($4::text, $1::bigint)
           AND EXISTS (SELECT 1 FROM queue WHERE id = $1 AND lease_token = $2)
         ORDER BY msg_id, id LIMIT $5
       ) AS n
     ),
     free AS (
       SELECT id FROM queue WHERE id IN (SELECT id FROM next) AND (lease_token IS NULL OR run_at <= $6)
       FOR UPDATE SKIP LOCKED
     ),
     run AS (
       SELECT id FROM next
       WHERE position < COALESCE((SELECT MIN(position) FROM next WHERE id NOT IN (SELECT id FROM free)), $5 + 1)
     ),
     claimed AS (
       UPDATE queue SET run_at = $7, lease_token = ${leaseTokenSql("$8")}
       FROM run
       WHERE queue.id = run.id
       RETURNING ${CLAIM_COLUMNS}
     )
     SELECT ${columnList(JOB_COLUMNS)} FROM claimed ORDER BY msg_id, id`,
  ),
  deleteLeased: statement("delete_leased_job", "DELETE FROM queue WHERE id = $1 AND lease_token = $2"),
  enqueueJobs: statement(
    "enqueue_delivery_jobs",
    `INSERT INTO queue (kind, app_id, msg_id, endpoint_id, lane, task_id, attempt, trigger_type, run_at, lease_token)
     SELECT 'deliver', app_id, msg_id, endpoint_id, lane, NULL, 1, trigger_type, run_at, NULL
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::smallint[], $6::bigint[])
       AS d(app_id, msg_id, endpoint_id, lane, trigger_type, run_at)`,
  ),
  // One round trip: herald_complete_delivery (migrations/postgres/0004_delivery_functions.sql)
  // records the attempt, removes or reschedules the job under its lease token, moves the
  // destination on if that held, and updates and returns the endpoint's health counters.
  failDestination: statement(
    "fail_destination",
    `UPDATE message_destinations SET status = ${MESSAGE_STATUS.fail}, next_attempt_at = NULL, updated_at = $3
     WHERE msg_id = $1 AND endpoint_id = $2`,
  ),
  // Only rows still held under the caller's token: a lease another worker took over stays theirs.
  // A row another transaction has locked is skipped, not waited for: that is the worker's own
  // completion, fan-out or release of the job (or an endpoint's deletion), which ends the lease
  // anyway or leaves it to the next renewal. Waiting could deadlock: the renewal locks its rows in
  // no set order, a batch of completions in endpoint order, and PostgreSQL broke such a cycle only
  // after deadlock_timeout (1 s), with the worker's deliveries stalled meanwhile (issue 6: the
  // one-second maxima of the latency probe).
  extend: statement(
    "extend_leases",
    `UPDATE queue SET run_at = $1
     FROM (SELECT q.id FROM queue q
           JOIN unnest($2::bigint[], $3::text[]) AS held(id, lease_token)
             ON q.id = held.id AND q.lease_token = held.lease_token
           FOR UPDATE OF q SKIP LOCKED) AS free
     WHERE queue.id = free.id`,
  ),
  // Put-back jobs give up their rate slots, so jobs released together cannot burst when claimed again.
  release: statement(
    "release_jobs",
    `UPDATE queue SET run_at = $1, lease_token = NULL, rate_slot_at = NULL
     FROM unnest($2::bigint[], $3::text[]) AS released(id, lease_token)
     WHERE queue.id = released.id AND queue.lease_token = released.lease_token`,
  ),
  postpone: statement(
    "postpone_job",
    "UPDATE queue SET run_at = $3, rate_slot_at = $3, lease_token = NULL WHERE id = $1 AND lease_token = $2",
  ),
  // A lane's followers cannot run before their head, so only heads count. LEAST ignores NULLs.
  nextDue: statement<{ run_at: number | null }>(
    "next_job_due_at",
    `SELECT LEAST(
       (SELECT MIN(run_at) FROM queue WHERE lane IS NULL),
       (SELECT MIN(head_run_at) FROM herald_lane_heads(${END_OF_TIME}))
     ) AS run_at`,
  ),
  stats: statement<{ depth: number; due: number; oldest: number | null }>(
    "queue_stats",
    `SELECT (SELECT COUNT(*) FROM queue) AS depth,
            (SELECT COUNT(*) FROM queue WHERE run_at <= $1) AS due,
            (SELECT MIN(run_at) FROM queue WHERE run_at <= $1) AS oldest`,
  ),
};

export function makeQueueStore({ pool, attemptStats }: PostgresContext): QueueStore {
  const completeDelivery = makeCompleteDelivery(pool, attemptStats);
  const fanOut = makeFanOutCall(pool);
  return {
    async claimJobs(limit, lease: Lease) {
      if (limit <= 0) return [];
      const rows = await queryRows(pool, st.claim, [lease.now, lease.now + lease.leaseMs, lease.workerId, Math.floor(limit)]);
      return rows.map(rowToJob);
    },

    // One function call however many targets: each list is bound as one array.
    async fanOut(job: Job, targets: FanOutTarget[], lease: Lease, claimLimit = Infinity, options: { moreToCome?: boolean } = {}) {
      if (job.kind !== "fanout" || job.msgId === null) throw new Error(`fanOut needs a fanout job, got ${job.kind} job ${job.id}`);
      // Sent at once by the caller while it has room, or queued: ordered ones wait for their turn
      // in the lane, delayed ones (a batch waiting for more messages) for their time.
      let claiming = 0;
      const sendNow = targets.map((t) => !t.ordered && t.delayMs <= 0 && claiming++ < claimLimit);
      const dueAt = targets.map((t) => lease.now + Math.max(0, t.delayMs));
      // Jobs due now and left unclaimed (lane jobs, deliveries beyond the room) are work for any worker.
      const notify = targets.some((t, i) => !sendNow[i] && t.delayMs <= 0);
      // One round trip (with the other fan-outs of this turn): herald_fan_out checks (or, for the
      // last part, deletes) the fanout job under its lease token, creates the destinations, queues
      // one job per target that had none and returns those claimed for the caller; nothing if the
      // lease was lost. Called even without targets: deleting the fanout job is part of the fan-out.
      const rows = await fanOut({
        fanout_id: job.id,
        fanout_lease_token: job.leaseToken,
        fanout_app_id: job.appId,
        fanout_msg_id: job.msgId,
        now_at: lease.now,
        worker_id: lease.workerId,
        target_endpoint_ids: targets.map((t) => t.endpointId),
        target_lanes: targets.map((t) => (t.ordered ? t.endpointId : null)),
        target_due_ats: dueAt,
        target_run_ats: targets.map((t, i) => (sendNow[i] ? lease.now + lease.leaseMs : dueAt[i])),
        target_send_now: sendNow,
        notify_channel: notify ? WORK_CHANNEL : null,
        more_to_come: options.moreToCome ?? false,
      });
      // Inserted in target order, so ids ascend in that order.
      return rows.sort((a, b) => a.id - b.id).map(rowToJob);
    },

    async claimLaneFollowers(head: Job, limit: number, lease: Lease) {
      if (head.lane === null || head.msgId === null || limit <= 0) return [];
      const rows = await queryRows(pool, st.claimFollowers, [
        head.id,
        head.leaseToken,
        head.lane,
        head.msgId,
        Math.floor(limit),
        lease.now,
        lease.now + lease.leaseMs,
        lease.workerId,
      ]);
      return rows.map(rowToJob);
    },

    async enqueueDeliveries(deliveries: DeliveryRequest[]) {
      if (deliveries.length === 0) return;
      await transaction(pool, async (tx) => {
        // No "now" is passed in, so the destination's updated_at is the time the delivery is due.
        await upsertPendingDestinations(
          tx,
          deliveries.map((d) => ({ msgId: d.msgId, endpointId: d.endpointId, appId: d.appId, at: d.runAt })),
        );
        await execute(tx, st.enqueueJobs, [
          deliveries.map((d) => d.appId),
          deliveries.map((d) => d.msgId),
          deliveries.map((d) => d.endpointId),
          deliveries.map((d) => (d.ordered ? d.endpointId : null)),
          deliveries.map((d) => d.trigger),
          deliveries.map((d) => d.runAt),
        ]);
        await notifyWork(tx);
      });
    },

    // If the lease was lost the attempt is still recorded (it happened) and the endpoint's health
    // still learns from it, but the destination and the job belong to the new owner, whose own
    // completion will set them. A retry is queued work: a worker sleeping until the next due job
    // must learn of it, hence the channel. Completions of one turn go together: see postgres-completions.ts.
    completeDelivery,

    async dropJob(job) {
      await execute(pool, st.deleteLeased, [job.id, job.leaseToken]);
    },

    async abandonDelivery(job, at) {
      await transaction(pool, async (tx) => {
        if ((await execute(tx, st.deleteLeased, [job.id, job.leaseToken])) === 0) return;
        await execute(tx, st.failDestination, [job.msgId, job.endpointId, at]);
      });
    },

    async extendLeases(jobs, until) {
      if (jobs.length === 0) return;
      await execute(pool, st.extend, [until, jobs.map((j) => j.id), jobs.map((j) => j.leaseToken)]);
    },

    async releaseJobs(jobs, runAt) {
      if (jobs.length === 0) return;
      await transaction(pool, async (tx) => {
        await execute(tx, st.release, [runAt, jobs.map((j) => j.id), jobs.map((j) => j.leaseToken)]);
        await notifyWork(tx);
      });
    },

    // No work notification: the job is not due until its slot, and workers poll.
    async postponeJob(job, runAt) {
      return (await execute(pool, st.postpone, [job.id, job.leaseToken, runAt])) === 1;
    },

    async nextJobDueAt() {
      return (await queryOne(pool, st.nextDue, []))?.run_at ?? null;
    },

    async queueStats(now) {
      const row = await queryOne(pool, st.stats, [now]);
      return { depth: row?.depth ?? 0, due: row?.due ?? 0, oldestDueAt: row?.oldest ?? null };
    },
  };
}
