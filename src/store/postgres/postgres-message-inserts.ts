import type pg from "pg";

import type { Message } from "../../domain/types.ts";
import { type DbNewJob, firstJobOf, insertedJob, leasedFanOutJobOf, messageToRow } from "../shared-rows.ts";
import type { Job, Lease } from "../store.ts";
import { queryRows, statement } from "./postgres-database.ts";
import { jobParams } from "./postgres-queue-statements.ts";
import { callTogetherEachTurn } from "./postgres-turn-calls.ts";

/**
 * createMessage's insert: the message and its fan-out job, in one statement, so one round trip and
 * one transaction. The messages the API accepts in one turn of the event loop (concurrent requests
 * parsed together) are inserted together, as one statement over arrays (postgres-turn-calls.ts):
 * at ingest rates the per-statement costs (a round trip, a commit, parse and bind on both sides)
 * were most of a message's cost to PostgreSQL and to Herald's side of the connection. A taken
 * eventId fails the whole statement; its messages are then inserted one by one, so only the
 * message whose eventId is taken fails, with its own unique violation.
 *
 * Lock order: the only rows two inserts can wait on are the unique (app_id, event_id) entries, so
 * a turn's messages are sorted by application and eventId; their fan-out jobs are queued in the
 * messages' creation order all the same (message ids ascend with creation), as one by one.
 *
 * A message accepted with a lease (createMessage) has its fan-out job inserted already claimed,
 * and gets the job back; the statement returns each job's id with its message's.
 */

// Parallel arrays, one element per message (one alone, several together): $1…$10 the messages'
// columns (messageParams), $11…$20 their fan-out jobs' (jobParams). Jobs join their message, so
// each is inserted only after it.
const insertMessages = statement<{ msg_id: string; id: number }>(
  "insert_messages_with_jobs",
  `WITH message AS (
     INSERT INTO messages (id, app_id, event_id, event_type, payload, channels, metadata, previous, created_at, expires_at)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
       $8::text[], $9::bigint[], $10::bigint[])
     RETURNING id
   ),
   job AS (
     INSERT INTO queue (kind, app_id, msg_id, endpoint_id, task_id, attempt, trigger_type, run_at, lease_token, lane)
     SELECT j.kind, j.app_id, j.msg_id, j.endpoint_id, j.task_id, j.attempt, j.trigger_type, j.run_at, j.lease_token, j.lane
     FROM unnest($11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::integer[], $17::smallint[],
       $18::bigint[], $19::text[], $20::text[])
       AS j(kind, app_id, msg_id, endpoint_id, task_id, attempt, trigger_type, run_at, lease_token, lane)
     JOIN message m ON m.id = j.msg_id
     ORDER BY j.msg_id
     RETURNING msg_id, id
   )
   SELECT msg_id, id FROM job`,
);

/** Enough for the requests of one turn at any concurrency the API sees; a larger turn is sent as several statements. */
const MAX_MESSAGES_PER_STATEMENT = 200;

/** A message's columns in the order of the insert's parameters. */
export function messageParams(message: Message): unknown[] {
  const row = messageToRow(message);
  return [row.id, row.app_id, row.event_id, row.event_type, row.payload, row.channels, row.metadata, row.previous, row.created_at, row.expires_at];
}

/** A message to insert and its fan-out job, claimed already if it was accepted with a lease. */
interface MessageWithJob {
  message: Message;
  job: DbNewJob;
}

/**
 * Inserts a message and its fan-out job, with the other messages of its turn, and returns the job
 * if it was leased; rejects with the insert's own error.
 */
export function makeMessageInsert(pool: pg.Pool): (message: Message, lease: Lease | undefined) => Promise<Job | null> {
  async function insert(entries: MessageWithJob[]): Promise<Array<Job | null>> {
    const rows = entries.map(({ message, job }) => [...messageParams(message), ...jobParams(job)]);
    const inserted = await queryRows(pool, insertMessages, rows[0]!.map((_, column) => rows.map((row) => row[column])));
    const idOf = new Map(inserted.map((row) => [row.msg_id, row.id]));
    return entries.map(({ message, job }) => (job.lease_token === null ? null : insertedJob(job, idOf.get(message.id)!)));
  }
  const insertTogether = callTogetherEachTurn<MessageWithJob, Job | null>({
    alone: async (entry) => (await insert([entry]))[0]!,
    together: insert,
    maxPerCall: MAX_MESSAGES_PER_STATEMENT,
    compare: ({ message: a }, { message: b }) => compareText(a.appId, b.appId) || compareText(a.eventId ?? "", b.eventId ?? "") || compareText(a.id, b.id),
  });
  return (message, lease) => insertTogether({ message, job: lease ? leasedFanOutJobOf(message, lease) : firstJobOf(message) });
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
