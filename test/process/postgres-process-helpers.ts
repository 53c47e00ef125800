import pg from "pg";

import { ADMIN_TOKEN } from "./process-helpers.ts";

/**
 * Helpers for process tests that run Herald on PostgreSQL: the environment every process of one
 * fleet shares, a look into the shared database (the queue has no API), and telling which process
 * sent a request that reached a receiver.
 */

/** Every process of one fleet must share these: the admin token, and the key that seals endpoint secrets. */
export const MAIN_SECRET = "process-test-main-secret-0123456789";

export function postgresEnv(databaseUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    HERALD_DATABASE_URL: databaseUrl,
    HERALD_ADMIN_TOKEN: ADMIN_TOKEN,
    HERALD_MAIN_SECRET: MAIN_SECRET,
    HERALD_ALLOWED_SUBNETS: "127.0.0.0/8",
    ...extra,
  };
}

// --- a look into the shared database -------------------------------------------------------------
// Only the queue and attempts tables' documented columns (migrations/postgres) are read.

export interface QueueRow {
  id: number;
  kind: string;
  msgId: string | null;
  endpointId: string | null;
  /** Epoch ms; for a leased job, when its lease ends (claim or last renewal + the lease length). */
  runAt: number;
  leaseToken: string | null;
}

/** A single connection for the test's own queries; `end()` it in an `after` hook. */
export async function connectDatabase(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  // The server may go away under the test (restart tests): an idle client's error must not crash it.
  client.on("error", () => {});
  await client.connect();
  return client;
}

export async function queueDepth(db: pg.Client): Promise<number> {
  const { rows } = await db.query<{ n: string }>("SELECT COUNT(*) AS n FROM queue");
  return Number(rows[0].n);
}

/** Jobs some worker has claimed and not finished (lease_token set). */
export async function leasedJobs(db: pg.Client): Promise<QueueRow[]> {
  const { rows } = await db.query<{ id: string; kind: string; msg_id: string | null; endpoint_id: string | null; run_at: string; lease_token: string }>(
    "SELECT id, kind, msg_id, endpoint_id, run_at, lease_token FROM queue WHERE lease_token IS NOT NULL",
  );
  return rows.map((row) => ({
    id: Number(row.id),
    kind: row.kind,
    msgId: row.msg_id,
    endpointId: row.endpoint_id,
    runAt: Number(row.run_at),
    leaseToken: row.lease_token,
  }));
}

/** The worker id in a lease token (`<workerId>:<uuid>`, made by the store when it claims). */
export function leaseHolder(leaseToken: string): string {
  return leaseToken.slice(0, leaseToken.indexOf(":"));
}

/** Recorded attempts that did not succeed, counted by "<msgId> <endpointId>". */
export async function failedAttempts(db: pg.Client): Promise<Map<string, number>> {
  const { rows } = await db.query<{ msg_id: string; endpoint_id: string; n: string }>(
    "SELECT msg_id, endpoint_id, COUNT(*) AS n FROM attempts WHERE status <> 0 GROUP BY 1, 2",
  );
  return new Map(rows.map((row) => [`${row.msg_id} ${row.endpoint_id}`, Number(row.n)]));
}

/** Why attempts failed, as "<status code> <response>: <count>" lines, for diagnostics. */
export async function failedAttemptReasons(db: pg.Client): Promise<string[]> {
  const { rows } = await db.query<{ code: number; reason: string; n: string }>(
    "SELECT response_status_code AS code, substr(response, 1, 100) AS reason, COUNT(*) AS n FROM attempts WHERE status <> 0 GROUP BY 1, 2 ORDER BY 3 DESC",
  );
  return rows.map((row) => `${row.code} ${row.reason}: ${row.n}`);
}

/**
 * Herald connections LISTENing for work in one database: a worker subscribes once it runs, so this
 * counts the workers that are ready.
 */
export async function listeningWorkers(db: pg.Client, database: string): Promise<number> {
  const { rows } = await db.query<{ n: string }>(
    "SELECT COUNT(*) AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'herald-worker' AND query LIKE 'LISTEN %'",
    [database],
  );
  return Number(rows[0].n);
}

// --- which process sent a request ----------------------------------------------------------------

/**
 * Environment that preloads test/process/sender-tag.js, which tags each HTTP request the process
 * makes with its pid (header `x-herald-test-sender`, which receiver-process-main.js records), so a
 * receiver can tell which worker delivered what.
 */
export function senderTagEnv(): Record<string, string> {
  const preload = new URL("./sender-tag.js", import.meta.url).href;
  return { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --import ${preload}`.trim() };
}
