import type { SecretBox } from "../../crypto/secret-box.ts";
import { composeStore } from "../compose-store.ts";
import type { Store } from "../store.ts";
import { makeGroupCommit } from "./group-commit.ts";
import { makeApplicationStore, makeEventTypeStore } from "./sqlite-applications.ts";
import { makeAttemptStatsCounter, makeAttemptStatsStore } from "./sqlite-attempt-stats.ts";
import { makeAttemptStore } from "./sqlite-attempts.ts";
import type { SqliteContext } from "./sqlite-database.ts";
import { lazy, makeStatementCache, openDatabase } from "./sqlite-database.ts";
import { makeEndpointStore } from "./sqlite-endpoints.ts";
import { makeIdempotencyStore } from "./sqlite-idempotency.ts";
import { makeMessageStore } from "./sqlite-messages.ts";
import { migrateSqlite } from "./sqlite-migrate.ts";
import { makeQueueStore } from "./sqlite-queue.ts";
import { prepareQueueStatements } from "./sqlite-queue-statements.ts";
import { makeRetentionStore } from "./sqlite-retention.ts";
import { makeSessionStore } from "./sqlite-sessions.ts";
import { makeBackgroundTaskStore } from "./sqlite-tasks.ts";

export interface SqliteStoreOptions {
  /** Path of the database file (its folder is created if missing), or ":memory:". */
  file: string;
  /** Seals endpoint keys and headers at rest. */
  secretBox: SecretBox;
}

/**
 * Opens the SQLite store. It does not migrate: call `migrate()` before use (it is idempotent and
 * safe from several processes). Statements are prepared on first use, once per store, and reused.
 *
 * better-sqlite3 is synchronous, so every method does its work before its promise settles; the
 * async signatures are the Store contract, which PostgreSQL implements too. One connection per
 * store: SQLite has a single writer anyway, and concurrent writers in other processes are
 * serialized by the file lock (busy_timeout) and BEGIN IMMEDIATE.
 */
export async function openSqliteStore(options: SqliteStoreOptions): Promise<Store> {
  const db = openDatabase(options.file);
  const attemptStats = makeAttemptStatsCounter(db);
  const context: SqliteContext = {
    db,
    secretBox: options.secretBox,
    statements: makeStatementCache(db),
    groupCommit: makeGroupCommit(db, attemptStats.hooks),
    attemptStats,
  };
  const queue = prepareQueueStatements(db);
  const pingStatement = lazy(() => db.prepare("SELECT 1"));

  return composeStore(
    [
      makeApplicationStore(context),
      makeEventTypeStore(context),
      makeEndpointStore(context),
      makeMessageStore(context, queue),
      makeAttemptStore(context),
      makeQueueStore(context, queue),
      makeBackgroundTaskStore(context, queue),
      makeIdempotencyStore(context),
      makeRetentionStore(context),
      makeSessionStore(context),
      makeAttemptStatsStore(context),
    ],
    {
      async migrate() {
        await migrateSqlite(db);
      },
      // SQLite has no notification channel between processes; workers poll (and the API wakes a
      // worker in its own process directly).
      async onWork() {
        return async () => undefined;
      },
      async ping() {
        pingStatement().get();
      },
      async close() {
        if (db.open) db.close();
      },
    },
  );
}
