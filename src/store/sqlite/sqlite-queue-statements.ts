import { randomUUID } from "node:crypto";

import type { DbDestination, DbJob, DbNewJob } from "../shared-rows.ts";
import type { Db } from "./sqlite-database.ts";
import { lazy } from "./sqlite-database.ts";

/**
 * The queue and destination statements, shared by the queue itself and by the stores that enqueue
 * as part of their own transaction (messages, background tasks). Prepared once per store.
 */
export type QueueStatements = ReturnType<ReturnType<typeof prepareQueueStatements>>;

export function prepareQueueStatements(db: Db) {
  return lazy(() => ({
    insertJob: db.prepare<DbNewJob>(
      `INSERT INTO queue (kind, app_id, msg_id, endpoint_id, task_id, attempt, trigger_type, run_at, lease_token)
       VALUES (@kind, @app_id, @msg_id, @endpoint_id, @task_id, @attempt, @trigger_type, @run_at, @lease_token)`,
    ),
    // Marks a destination pending, creating it if needed; its attempt count is kept across resends.
    upsertPendingDestination: db.prepare<Omit<DbDestination, "status" | "attempt_count">>(
      `INSERT INTO message_destinations (msg_id, endpoint_id, app_id, status, next_attempt_at, attempt_count, updated_at)
       VALUES (@msg_id, @endpoint_id, @app_id, 1, @next_attempt_at, 0, @updated_at)
       ON CONFLICT (msg_id, endpoint_id) DO UPDATE SET
         status = 1, next_attempt_at = excluded.next_attempt_at, updated_at = excluded.updated_at`,
    ),
    selectDue: db.prepare<[number, number], DbJob>("SELECT * FROM queue WHERE run_at <= ? ORDER BY run_at, id LIMIT ?"),
    lease: db.prepare<{ id: number; run_at: number; lease_token: string }>(
      "UPDATE queue SET run_at = @run_at, lease_token = @lease_token WHERE id = @id",
    ),
    deleteLeased: db.prepare<[number, string]>("DELETE FROM queue WHERE id = ? AND lease_token = ?"),
    reschedule: db.prepare<{ id: number; lease_token: string; run_at: number }>(
      `UPDATE queue SET run_at = @run_at, attempt = attempt + 1, lease_token = NULL
       WHERE id = @id AND lease_token = @lease_token`,
    ),
    release: db.prepare<{ id: number; lease_token: string; run_at: number }>(
      "UPDATE queue SET run_at = @run_at, lease_token = NULL WHERE id = @id AND lease_token = @lease_token",
    ),
    extend: db.prepare<{ id: number; lease_token: string; run_at: number }>(
      "UPDATE queue SET run_at = @run_at WHERE id = @id AND lease_token = @lease_token",
    ),
    nextDue: db.prepare<[], { run_at: number | null }>("SELECT MIN(run_at) AS run_at FROM queue"),
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

/**
 * A fresh lease token: the worker id (to see who holds a job when debugging) plus a random UUID
 * (what makes it unique per claim).
 */
export function newLeaseToken(workerId: string): string {
  return `${workerId}:${randomUUID()}`;
}
