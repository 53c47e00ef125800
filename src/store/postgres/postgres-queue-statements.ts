import type pg from "pg";

import { MESSAGE_STATUS } from "../../domain/types.ts";
import type { DbNewJob } from "../shared-rows.ts";
import type { Queryable } from "./postgres-database.ts";
import { execute, statement } from "./postgres-database.ts";

/**
 * The queue and destination statements shared by the queue itself and by the stores that enqueue
 * as part of their own transaction (messages, background tasks), and the work notification.
 */

/**
 * The LISTEN/NOTIFY channel that tells idle workers in any process that work was queued. The
 * payload is empty: a notification only means "claim now", the queue itself says what to do.
 */
export const WORK_CHANNEL = "herald_work";

const insertJobStatement = statement(
  "insert_job",
  `INSERT INTO queue (kind, app_id, msg_id, endpoint_id, task_id, attempt, trigger_type, run_at, lease_token, lane)
   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
);

/** A job's columns in the order of insert_job's parameters. */
export function jobParams(job: DbNewJob): unknown[] {
  return [job.kind, job.app_id, job.msg_id, job.endpoint_id, job.task_id, job.attempt, job.trigger_type, job.run_at, job.lease_token, job.lane];
}

export async function insertJob(db: Queryable, job: DbNewJob): Promise<void> {
  await execute(db, insertJobStatement, jobParams(job));
}

/**
 * Marks destinations pending, creating them if needed; their attempt counts are kept across
 * resends. One statement for any number of rows. A (message, endpoint) pair listed twice keeps
 * its last values, as upserting the rows one by one would (ON CONFLICT may not touch a row twice
 * in one statement, hence DISTINCT ON). Rows are written in key order so that concurrent batches
 * lock shared destinations in the same order and cannot deadlock.
 */
const upsertPendingDestinationsStatement = statement(
  "upsert_pending_destinations",
  `INSERT INTO message_destinations (msg_id, endpoint_id, app_id, status, next_attempt_at, attempt_count, updated_at)
   SELECT DISTINCT ON (msg_id, endpoint_id) msg_id, endpoint_id, app_id, ${MESSAGE_STATUS.pending}, run_at, 0, run_at
   FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) WITH ORDINALITY AS d(msg_id, endpoint_id, app_id, run_at, position)
   ORDER BY msg_id, endpoint_id, position DESC
   ON CONFLICT (msg_id, endpoint_id) DO UPDATE SET
     status = ${MESSAGE_STATUS.pending}, next_attempt_at = excluded.next_attempt_at, updated_at = excluded.updated_at`,
);

export interface PendingDestination {
  msgId: string;
  endpointId: string;
  appId: string;
  /** Both the next attempt time and the destination's updated_at. */
  at: number;
}

export async function upsertPendingDestinations(db: Queryable, destinations: PendingDestination[]): Promise<void> {
  await execute(db, upsertPendingDestinationsStatement, [
    destinations.map((d) => d.msgId),
    destinations.map((d) => d.endpointId),
    destinations.map((d) => d.appId),
    destinations.map((d) => d.at),
  ]);
}

const notifyWorkStatement = statement("notify_work", "SELECT pg_notify($1, '')");

/**
 * Tells listening workers that work was queued. Call it inside the transaction that queues the
 * work: PostgreSQL delivers the notification on commit (and drops it on rollback), so a woken
 * worker always finds the work committed. Notifications from one transaction are folded into one.
 * (Accepted messages are announced after their commits instead: postgres-work-notifier.ts.)
 */
export async function notifyWork(tx: pg.PoolClient): Promise<void> {
  await execute(tx, notifyWorkStatement, [WORK_CHANNEL]);
}

/**
 * Lease tokens are made by the database, one per claimed job: `<workerId>:<random uuid>`, the
 * worker id to see who holds a job when debugging, the uuid to make each claim unique (the same
 * format as SQLite's). `$n` is the worker id.
 */
export function leaseTokenSql(workerIdParam: string): string {
  return `${workerIdParam}::text || ':' || gen_random_uuid()::text`;
}
