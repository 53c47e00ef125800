import type { DbDestination, DbJob, DbNewJob } from "../shared-rows.ts";
import type { Db } from "./sqlite-database.ts";
import { boundLimit, lazy } from "./sqlite-database.ts";

/**
 * The queue and destination statements, shared by the queue itself and by the stores that enqueue
 * as part of their own transaction (messages, background tasks). Prepared once per store.
 */
export type QueueStatements = ReturnType<ReturnType<typeof prepareQueueStatements>>;

/**
 * The heads of the queue's lanes that may run: `lane_heads` holds, for every lane, the job with the
 * lowest (msg_id, id), unless an older message of its application still waits for fan-out (its
 * deliveries, once queued, would go before). queue_lane is ordered (lane, msg_id, id), so the first
 * entry past a lane is the next lane's head: one seek per lane, whatever the number of jobs waiting
 * in the lanes (a loose index scan). Due or not: callers filter on run_at.
 */
const LANE_HEADS = `
  heads(id, lane) AS (
    SELECT id, lane FROM (SELECT id, lane FROM queue WHERE lane IS NOT NULL ORDER BY lane, msg_id, id LIMIT 1)
    UNION ALL
    SELECT q.id, q.lane FROM heads JOIN queue q ON q.id = (
      SELECT n.id FROM queue n WHERE n.lane IS NOT NULL AND n.lane > heads.lane ORDER BY n.lane, n.msg_id, n.id LIMIT 1
    )
  ),
  lane_heads AS (
    SELECT q.* FROM heads JOIN queue q ON q.id = heads.id
    WHERE NOT EXISTS (SELECT 1 FROM queue f WHERE f.kind = 'fanout' AND f.app_id = q.app_id AND f.msg_id < q.msg_id)
  )`;

/** A pending destination (MESSAGE_STATUS.pending = 1) with no attempts yet; the ON CONFLICT clause is the caller's. */
const INSERT_PENDING_DESTINATION = `INSERT INTO message_destinations (msg_id, endpoint_id, app_id, status, next_attempt_at, attempt_count, updated_at)
       VALUES (@msg_id, @endpoint_id, @app_id, 1, @next_attempt_at, 0, @updated_at)`;

type PendingDestination = Omit<DbDestination, "status" | "attempt_count">;

export function prepareQueueStatements(db: Db) {
  return lazy(() => ({
    insertJob: db.prepare<DbNewJob>(
      `INSERT INTO queue (kind, app_id, msg_id, endpoint_id, lane, task_id, attempt, trigger_type, run_at, lease_token)
       VALUES (@kind, @app_id, @msg_id, @endpoint_id, @lane, @task_id, @attempt, @trigger_type, @run_at, @lease_token)`,
    ),
    // Marks a destination pending, creating it if needed; its attempt count is kept across resends.
    upsertPendingDestination: db.prepare<PendingDestination>(
      `${INSERT_PENDING_DESTINATION} ON CONFLICT (msg_id, endpoint_id) DO UPDATE SET
         status = 1, next_attempt_at = excluded.next_attempt_at, updated_at = excluded.updated_at`,
    ),
    // A fan-out's destination, unless the message already has one there: an earlier run of the same
    // fan-out wrote it (and queued its delivery) before it was cut short, or a resend came first.
    insertPendingDestination: db.prepare<PendingDestination>(`${INSERT_PENDING_DESTINATION} ON CONFLICT (msg_id, endpoint_id) DO NOTHING`),
    // Claiming reads the due unlaned jobs (from queue_run_at_unlaned, which blocked lane followers
    // are not in) and the due lane heads apart, and merges them: one statement with a UNION and an
    // ORDER BY over it costs SQLite a temporary sort on every claim, even with no lanes at all.
    selectDueUnlaned: db.prepare<{ now: number; limit: number }, DbJob>(
      `SELECT * FROM queue WHERE lane IS NULL AND run_at <= @now ORDER BY run_at, id LIMIT ${boundLimit("@limit")}`,
    ),
    // The due fan-outs after a point in claim order (the last of the oldest due jobs).
    selectDueFanOutsAfter: db.prepare<{ now: number; run_at: number; id: number; limit: number }, DbJob>(
      `SELECT * FROM queue WHERE kind = 'fanout' AND run_at <= @now AND (run_at, id) > (@run_at, @id)
       ORDER BY run_at, id LIMIT ${boundLimit("@limit")}`,
    ),
    selectDueLaneHeads: db.prepare<{ now: number }, DbJob>(`WITH RECURSIVE ${LANE_HEADS} SELECT * FROM lane_heads WHERE run_at <= @now`),
    // The jobs after a lane's head, in lane order, due or not.
    laneFollowers: db.prepare<{ lane: string; msg_id: string; id: number; limit: number }, DbJob>(
      `SELECT * FROM queue WHERE lane = @lane AND (msg_id, id) > (@msg_id, @id) ORDER BY msg_id, id LIMIT ${boundLimit("@limit")}`,
    ),
    isLeased: db.prepare<[number, string], { one: number }>("SELECT 1 AS one FROM queue WHERE id = ? AND lease_token = ?"),
    // The jobs of one claim, as a JSON array of [id, token]: one statement rather than one per job.
    lease: db.prepare<{ leases: string; run_at: number }>(
      `UPDATE queue SET run_at = @run_at, lease_token = claimed.value ->> 1
       FROM json_each(@leases) AS claimed WHERE queue.id = claimed.value ->> 0`,
    ),
    deleteLeased: db.prepare<[number, string]>("DELETE FROM queue WHERE id = ? AND lease_token = ?"),
    // A retry, or a job put back, gives up its rate slot: it reserves a new one when claimed again.
    reschedule: db.prepare<{ id: number; lease_token: string; run_at: number }>(
      `UPDATE queue SET run_at = @run_at, attempt = attempt + 1, lease_token = NULL, rate_slot_at = NULL
       WHERE id = @id AND lease_token = @lease_token`,
    ),
    release: db.prepare<{ id: number; lease_token: string; run_at: number }>(
      "UPDATE queue SET run_at = @run_at, lease_token = NULL, rate_slot_at = NULL WHERE id = @id AND lease_token = @lease_token",
    ),
    postpone: db.prepare<{ id: number; lease_token: string; run_at: number }>(
      `UPDATE queue SET run_at = @run_at, rate_slot_at = @run_at, lease_token = NULL
       WHERE id = @id AND lease_token = @lease_token`,
    ),
    extend: db.prepare<{ id: number; lease_token: string; run_at: number }>(
      "UPDATE queue SET run_at = @run_at WHERE id = @id AND lease_token = @lease_token",
    ),
    // A lane's followers cannot run before their head, so only heads count.
    nextDue: db.prepare<[], { run_at: number | null }>(
      `WITH RECURSIVE ${LANE_HEADS}
       SELECT MIN(run_at) AS run_at FROM (
         SELECT MIN(run_at) AS run_at FROM queue WHERE lane IS NULL
         UNION ALL
         SELECT run_at FROM lane_heads
       )`,
    ),
    stats: db.prepare<{ now: number }, { depth: number; due: number; oldest: number | null }>(
      `SELECT (SELECT COUNT(*) FROM queue) AS depth,
              (SELECT COUNT(*) FROM queue WHERE run_at <= @now) AS due,
              (SELECT MIN(run_at) FROM queue WHERE run_at <= @now) AS oldest`,
    ),
  }));
}

/** Inserts a job and returns its id. */
export function insertJob(st: QueueStatements, job: DbNewJob): number {
  return Number(st.insertJob.run(job).lastInsertRowid);
}
