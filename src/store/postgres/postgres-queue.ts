import { MESSAGE_STATUS, TRIGGER } from "../../domain/types.ts";
import type { DbEndpointHealth, DbJob } from "../shared-rows.ts";
import { attemptToRow, rowToEndpointHealth, rowToJob } from "../shared-rows.ts";
import type { DeliveryOutcome, DeliveryRequest, FanOutTarget, Job, Lease, QueueStore } from "../store.ts";
import type { PostgresContext } from "./postgres-database.ts";
import { execute, queryOne, queryRows, statement, transaction } from "./postgres-database.ts";
import { leaseTokenSql, notifyWork, upsertPendingDestinations } from "./postgres-queue-statements.ts";
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
  // One statement: herald_claim_jobs (migrations/postgres/0003_consumers.sql) picks the due rows
  // nobody else holds, unlaned jobs and lane heads, and leases them; oldest first by their run_at
  // before the claim. Its result columns are the queue's (a new queue column needs a new version of
  // the function).
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
  // Duplicates in the list get one destination, with the values of their last occurrence (as
  // upserting them one by one would), and one job each.
  fanOutDestinations: statement(
    "fan_out_destinations",
    `INSERT INTO message_destinations (msg_id, endpoint_id, app_id, status, next_attempt_at, attempt_count, updated_at)
     SELECT DISTINCT ON (endpoint_id) $1::text, endpoint_id, $2::text, ${MESSAGE_STATUS.pending}, due_at, 0, $3::bigint
     FROM unnest($4::text[], $5::bigint[]) WITH ORDINALITY AS e(endpoint_id, due_at, position)
     ORDER BY endpoint_id, position DESC
     ON CONFLICT (msg_id, endpoint_id) DO UPDATE SET
       status = ${MESSAGE_STATUS.pending}, next_attempt_at = excluded.next_attempt_at, updated_at = excluded.updated_at`,
  ),
  // Only the jobs claimed for the caller ($7 = send now) come back.
  fanOutJobs: statement<DbJob>(
    "fan_out_jobs",
    `WITH inserted AS (
       INSERT INTO queue (kind, app_id, msg_id, endpoint_id, lane, task_id, attempt, trigger_type, run_at, lease_token)
       SELECT 'deliver', $1::text, $2::text, endpoint_id, lane, NULL, 1, ${TRIGGER.scheduled}, run_at,
         CASE WHEN send_now THEN ${leaseTokenSql("$3")} END
       FROM unnest($4::text[], $5::text[], $6::bigint[], $7::boolean[]) WITH ORDINALITY AS e(endpoint_id, lane, run_at, send_now, position)
       ORDER BY position
       RETURNING ${columnList(JOB_COLUMNS)}
     )
     SELECT ${columnList(JOB_COLUMNS)} FROM inserted WHERE lease_token IS NOT NULL`,
  ),
  enqueueJobs: statement(
    "enqueue_delivery_jobs",
    `INSERT INTO queue (kind, app_id, msg_id, endpoint_id, lane, task_id, attempt, trigger_type, run_at, lease_token)
     SELECT 'deliver', app_id, msg_id, endpoint_id, lane, NULL, 1, trigger_type, run_at, NULL
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::smallint[], $6::bigint[])
       AS d(app_id, msg_id, endpoint_id, lane, trigger_type, run_at)`,
  ),
  insertAttempt: statement(
    "insert_attempt",
    `INSERT INTO attempts (id, app_id, msg_id, endpoint_id, url, status, response_status_code, response,
       response_duration_ms, trigger_type, attempt_number, request_method, request_url, request_headers,
       request_body, created_at, batch_size)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
  ),
  // A retry needs a new rate slot: the one this attempt used is spent.
  reschedule: statement(
    "reschedule_job",
    `UPDATE queue SET run_at = $3, attempt = attempt + 1, lease_token = NULL, rate_slot_at = NULL
     WHERE id = $1 AND lease_token = $2`,
  ),
  // Manual attempts (resend, recover) do not count towards the scheduled retry schedule, so they
  // leave attempt_count alone ($8 = scheduled).
  finishDestination: statement(
    "finish_destination",
    `INSERT INTO message_destinations (msg_id, endpoint_id, app_id, status, next_attempt_at, attempt_count, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (msg_id, endpoint_id) DO UPDATE SET
       status = excluded.status, next_attempt_at = excluded.next_attempt_at, updated_at = excluded.updated_at,
       attempt_count = CASE WHEN $8::boolean THEN excluded.attempt_count ELSE message_destinations.attempt_count END`,
  ),
  failDestination: statement(
    "fail_destination",
    `UPDATE message_destinations SET status = ${MESSAGE_STATUS.fail}, next_attempt_at = NULL, updated_at = $3
     WHERE msg_id = $1 AND endpoint_id = $2`,
  ),
  // A success ends the run of failures (the window count is left to expire by itself, a quiet
  // gap). It only writes (and locks) the endpoint row when something changes, so successful
  // deliveries to one endpoint do not queue up behind each other's transactions.
  endpointSucceeded: statement(
    "endpoint_succeeded",
    `UPDATE endpoints SET first_failure_at = NULL, consecutive_failures = 0
     WHERE id = $1 AND (first_failure_at IS NOT NULL OR consecutive_failures <> 0)`,
  ),
  // Every failure counts, so it always writes. The window count goes on while each failure comes
  // within $3 ms of the previous one and restarts at 1 after a longer gap; last_failure_at only
  // moves forward, as attempts to one endpoint may finish out of order. RETURNING gives the row
  // as this update left it, after any concurrent update it waited for.
  endpointFailed: statement<DbEndpointHealth>(
    "endpoint_failed",
    `UPDATE endpoints SET
       first_failure_at = COALESCE(first_failure_at, $2::bigint),
       consecutive_failures = consecutive_failures + 1,
       window_failures = CASE WHEN last_failure_at IS NOT NULL AND $2::bigint - last_failure_at <= $3::bigint
                              THEN window_failures + 1 ELSE 1 END,
       last_failure_at = GREATEST(last_failure_at, $2::bigint)
     WHERE id = $1
     RETURNING first_failure_at, consecutive_failures, window_failures`,
  ),
  // A separate read after the update: under READ COMMITTED it sees a value another worker has
  // just committed, which the update's own snapshot might not.
  endpointHealth: statement<DbEndpointHealth>(
    "endpoint_health",
    "SELECT first_failure_at, consecutive_failures, window_failures FROM endpoints WHERE id = $1",
  ),
  // Only rows still held under the caller's token: a lease another worker took over stays theirs.
  extend: statement(
    "extend_leases",
    `UPDATE queue SET run_at = $1
     FROM unnest($2::bigint[], $3::text[]) AS held(id, lease_token)
     WHERE queue.id = held.id AND queue.lease_token = held.lease_token`,
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

/** Puts RETURNING rows back in the order of the endpoint ids they were inserted for (duplicates allowed). */
function inEndpointOrder(rows: DbJob[], endpointIds: string[]): DbJob[] {
  const byEndpoint = new Map<string, DbJob[]>();
  for (const row of rows) {
    const list = byEndpoint.get(row.endpoint_id ?? "");
    if (list) list.push(row);
    else byEndpoint.set(row.endpoint_id ?? "", [row]);
  }
  for (const list of byEndpoint.values()) list.sort((a, b) => a.id - b.id);
  return endpointIds.map((endpointId) => {
    const row = byEndpoint.get(endpointId)?.shift();
    if (!row) throw new Error(`fanOut: no job came back for endpoint ${endpointId}`);
    return row;
  });
}

export function makeQueueStore({ pool }: PostgresContext): QueueStore {
  return {
    async claimJobs(limit, lease: Lease) {
      if (limit <= 0) return [];
      const rows = await queryRows(pool, st.claim, [lease.now, lease.now + lease.leaseMs, lease.workerId, Math.floor(limit)]);
      return rows.map(rowToJob);
    },

    // A constant number of statements however many targets: each list is bound as one array.
    async fanOut(job: Job, targets: FanOutTarget[], lease: Lease) {
      if (job.kind !== "fanout" || job.msgId === null) throw new Error(`fanOut needs a fanout job, got ${job.kind} job ${job.id}`);
      const msgId = job.msgId;
      // Sent at once by the caller, or queued: ordered ones wait for their turn in the lane,
      // delayed ones (a batch waiting for more messages) for their time.
      const sendNow = targets.map((t) => !t.ordered && t.delayMs <= 0);
      const dueAt = targets.map((t) => lease.now + Math.max(0, t.delayMs));
      return transaction(pool, async (tx) => {
        // Deleting the fanout job under its lease token is the ownership check: if another worker
        // took the job over, nothing is deleted and nothing is queued.
        if ((await execute(tx, st.deleteLeased, [job.id, job.leaseToken])) === 0) return [];
        if (targets.length === 0) return [];
        const endpointIds = targets.map((t) => t.endpointId);
        await execute(tx, st.fanOutDestinations, [msgId, job.appId, lease.now, endpointIds, dueAt]);
        const rows = await queryRows(tx, st.fanOutJobs, [
          job.appId,
          msgId,
          lease.workerId,
          endpointIds,
          targets.map((t) => (t.ordered ? t.endpointId : null)),
          targets.map((t, i) => (sendNow[i] ? lease.now + lease.leaseMs : dueAt[i])),
          sendNow,
        ]);
        // Lane jobs due now are work for any worker (the lane may be idle elsewhere).
        if (targets.some((t, i) => !sendNow[i] && t.delayMs <= 0)) await notifyWork(tx);
        return inEndpointOrder(rows, endpointIds.filter((_, i) => sendNow[i])).map(rowToJob);
      });
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

    async completeDelivery(job: Job, outcome: DeliveryOutcome) {
      return transaction(pool, async (tx) => {
        const row = attemptToRow(outcome.attempt);
        await execute(tx, st.insertAttempt, [
          row.id,
          row.app_id,
          row.msg_id,
          row.endpoint_id,
          row.url,
          row.status,
          row.response_status_code,
          row.response,
          row.response_duration_ms,
          row.trigger_type,
          row.attempt_number,
          row.request_method,
          row.request_url,
          row.request_headers,
          row.request_body,
          row.created_at,
          row.batch_size,
        ]);

        // The job first: whether its lease still holds decides whether this worker may also move
        // the destination on. If the lease was lost the attempt is still recorded (it happened) and
        // the endpoint's health still learns from it, but the destination and the job belong to
        // the new owner, whose own completion will set them.
        const stillOwned =
          outcome.retryAt === null
            ? (await execute(tx, st.deleteLeased, [job.id, job.leaseToken])) === 1
            : (await execute(tx, st.reschedule, [job.id, job.leaseToken, outcome.retryAt])) === 1;

        if (stillOwned) {
          const scheduled = row.trigger_type === TRIGGER.scheduled;
          await execute(tx, st.finishDestination, [
            row.msg_id,
            row.endpoint_id,
            row.app_id,
            outcome.destinationStatus,
            outcome.retryAt,
            scheduled ? row.attempt_number : 0,
            row.created_at,
            scheduled,
          ]);
          // A retry is queued work too: a worker sleeping until the next due job must learn of it.
          if (outcome.retryAt !== null) await notifyWork(tx);
        }

        if (outcome.endpointHealth === "failure") {
          return rowToEndpointHealth(await queryOne(tx, st.endpointFailed, [row.endpoint_id, row.created_at, outcome.failureWindowMs]));
        }
        if (outcome.endpointHealth === "success") await execute(tx, st.endpointSucceeded, [row.endpoint_id]);
        return rowToEndpointHealth(await queryOne(tx, st.endpointHealth, [row.endpoint_id]));
      });
    },

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
