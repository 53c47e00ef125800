import type { SecretBox } from "../../crypto/secret-box.ts";
import { composeStore } from "../compose-store.ts";
import type { Store } from "../store.ts";
import { makeApplicationStore, makeEventTypeStore } from "./postgres-applications.ts";
import { makeAttemptStatsFolder, makeAttemptStatsStore } from "./postgres-attempt-stats.ts";
import { makeAttemptStore } from "./postgres-attempts.ts";
import type { PostgresContext } from "./postgres-database.ts";
import { clientConfig, DEFAULT_APPLICATION_NAME, DEFAULT_POOL_SIZE, execute, openPool, statement } from "./postgres-database.ts";
import { makeEndpointStore } from "./postgres-endpoints.ts";
import { makeIdempotencyStore } from "./postgres-idempotency.ts";
import { makeWorkListener } from "./postgres-listener.ts";
import { makeMessageStore } from "./postgres-messages.ts";
import { migratePostgres } from "./postgres-migrate.ts";
import { makeQueueStore } from "./postgres-queue.ts";
import { makeRetentionStore } from "./postgres-retention.ts";
import { makeSessionStore } from "./postgres-sessions.ts";
import { makeBackgroundTaskStore } from "./postgres-tasks.ts";
import { makeWorkNotifier } from "./postgres-work-notifier.ts";

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database`; libpq-style query options (sslmode…) apply. */
  url: string;
  /** Seals endpoint keys and headers at rest. */
  secretBox: SecretBox;
  /**
   * Connections in this process's pool. Every API and worker process has its own pool, so the
   * server needs max_connections ≥ the sum over processes (+1 each for the LISTEN connection).
   * @defaultValue 10
   */
  poolSize?: number;
  /** Shown in pg_stat_activity, to tell Herald's connections (and its roles) apart. @defaultValue "herald" */
  applicationName?: string;
  /**
   * Errors no caller is waiting for: an idle pooled connection or the LISTEN connection dropping
   * (database restart), a failed LISTEN reconnect. The store recovers from them by itself; this is
   * for logging. @defaultValue `process.emitWarning`
   */
  onError?: (error: Error) => void;
}

const pingStatement = statement("ping", "SELECT 1");

/**
 * Opens the PostgreSQL store, for any number of API and worker processes on any number of hosts
 * sharing one database. It does not migrate: call `migrate()` before use (it is idempotent and
 * safe from several processes at once). Nothing connects until the first query.
 *
 * Each method is one statement on a pooled connection, or one transaction on one pooled
 * connection; hot statements are named, so each connection prepares them once.
 */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  const onError = options.onError ?? ((error: Error) => process.emitWarning(error));
  const connection = { url: options.url, applicationName: options.applicationName ?? DEFAULT_APPLICATION_NAME };
  const pool = openPool({ ...connection, poolSize: options.poolSize ?? DEFAULT_POOL_SIZE, onError });
  const listener = makeWorkListener(clientConfig(connection), onError);
  const context: PostgresContext = {
    pool,
    secretBox: options.secretBox,
    workNotifier: makeWorkNotifier(pool, onError),
    attemptStats: makeAttemptStatsFolder(pool, onError),
  };
  let closed = false;

  return composeStore(
    [
      makeApplicationStore(context),
      makeEventTypeStore(context),
      makeEndpointStore(context),
      makeMessageStore(context),
      makeAttemptStore(context),
      makeQueueStore(context),
      makeBackgroundTaskStore(context),
      makeIdempotencyStore(context),
      makeRetentionStore(context),
      makeSessionStore(context),
      makeAttemptStatsStore(context),
    ],
    {
      async migrate() {
        await migratePostgres(pool);
      },
      async onWork(callback) {
        return listener.subscribe(callback);
      },
      async ping() {
        await execute(pool, pingStatement, []);
      },
      async close() {
        if (closed) return;
        closed = true;
        try {
          await context.workNotifier.flush();
          await context.attemptStats.settle();
          await listener.close();
        } finally {
          await pool.end();
        }
      },
    },
  );
}
