import pg from "pg";

import type { SecretBox } from "../../crypto/secret-box.ts";
import { hasIdPrefix, type IdKind } from "../../domain/ids.ts";
import { StoreConflictError } from "../store.ts";
import type { AttemptStatsFolder } from "./postgres-attempt-stats.ts";
import type { Sql } from "./postgres-sql.ts";
import { compileSql } from "./postgres-sql.ts";
import type { WorkNotifier } from "./postgres-work-notifier.ts";

/** What every part of the PostgreSQL store shares: the connection pool, the secret box and the after-commit work. */
export interface PostgresContext {
  pool: pg.Pool;
  secretBox: SecretBox;
  workNotifier: WorkNotifier;
  /** Folds pending attempt counts after completions (postgres-attempt-stats.ts). */
  attemptStats: AttemptStatsFolder;
}

/** Where a statement runs: the pool (one statement, autocommit) or a client inside a transaction. */
export type Queryable = pg.Pool | pg.PoolClient;

/** SQLSTATEs the store acts on (https://www.postgresql.org/docs/current/errcodes-appendix.html). */
export const SQLSTATE = Object.freeze({
  /** 23505: a UNIQUE index or PRIMARY KEY would get a duplicate. */
  uniqueViolation: "23505",
} as const);

/** OIDs of the PostgreSQL types whose parsing we override (`SELECT oid FROM pg_type WHERE typname = …`). */
const PG_TYPE_OID = Object.freeze({ int8: 20 } as const);

export const DEFAULT_POOL_SIZE = 10;
export const DEFAULT_APPLICATION_NAME = "herald";
/** How long a query waits for a free pooled connection (or a new one) before failing. */
export const DEFAULT_CONNECTION_TIMEOUT_MS = 10_000;
/** TCP keepalive on every connection, so a peer that vanished (host down, network cut) is noticed. */
export const KEEPALIVE_INITIAL_DELAY_MS = 10_000;

/**
 * Type parsers for this store's connections only (the global `pg.types` is left alone, other
 * code in the process may rely on it). BIGINT becomes a JS number rather than a string: Herald's
 * BIGINTs are epoch milliseconds, queue ids and COUNT(*)s, all far below 2^53.
 */
function makeTypeParsers(): pg.CustomTypesConfig {
  const types = new pg.TypeOverrides();
  types.setTypeParser(PG_TYPE_OID.int8, Number);
  return types;
}

export interface ConnectionOptions {
  url: string;
  applicationName: string;
}

/** Client settings shared by the pool and the dedicated LISTEN connection. */
export function clientConfig(options: ConnectionOptions): pg.ClientConfig {
  return {
    connectionString: options.url,
    application_name: options.applicationName,
    types: makeTypeParsers(),
    keepAlive: true,
    keepAliveInitialDelayMillis: KEEPALIVE_INITIAL_DELAY_MS,
    connectionTimeoutMillis: DEFAULT_CONNECTION_TIMEOUT_MS,
  };
}

/**
 * The pool every store method draws from. An idle pooled connection that the server drops (restart,
 * admin shutdown) emits `error`; without a listener that would crash the process, so it goes to
 * `onError` and the pool replaces the connection on next use.
 */
export function openPool(options: ConnectionOptions & { poolSize: number; onError: (error: Error) => void }): pg.Pool {
  const pool = new pg.Pool({ ...clientConfig(options), max: options.poolSize });
  pool.on("error", options.onError);
  return pool;
}

/**
 * A statement with a stable name: pg prepares it once per pooled connection (Parse) and afterwards
 * only binds and executes it. The name must always stand for the same text on a connection, so
 * names are checked for uniqueness when statements are defined (at module load).
 *
 * Named statements list their columns rather than `SELECT *`: PostgreSQL refuses to run a prepared
 * statement whose result columns changed ("cached plan must not change result type"), so a
 * migration that adds a column would otherwise break every live connection of a running fleet.
 */
export interface Statement<Row = never> {
  readonly name: string;
  readonly text: string;
  /** Type-level only: the shape of a result row. */
  readonly row?: Row;
}

const STATEMENT_NAME_PREFIX = "herald_";
const definedStatements = new Map<string, string>();

export function statement<Row = never>(name: string, text: string): Statement<Row> {
  const fullName = STATEMENT_NAME_PREFIX + name;
  const existing = definedStatements.get(fullName);
  if (existing !== undefined && existing !== text) throw new Error(`Two PostgreSQL statements are named ${fullName}`);
  definedStatements.set(fullName, text);
  return { name: fullName, text };
}

/** Runs a named statement and returns its rows. */
export async function queryRows<Row>(db: Queryable, st: Statement<Row>, values: unknown[]): Promise<Row[]> {
  const result = await db.query<Row & pg.QueryResultRow>({ name: st.name, text: st.text, values });
  return result.rows;
}

/** Runs a named statement and returns its first row, or null. */
export async function queryOne<Row>(db: Queryable, st: Statement<Row>, values: unknown[]): Promise<Row | null> {
  return (await queryRows(db, st, values))[0] ?? null;
}

/**
 * A row looked up by id or by its other key (uid, eventId) within an application: by id first, when
 * the value has the kind's id prefix, then by the other key; an id match wins, as in Svix. Two
 * statements rather than one: see byId in postgres-messages.ts for why.
 */
export async function queryByIdOrKey<Row>(
  db: Queryable,
  kind: IdKind,
  statements: { byId: Statement<Row>; byKey: Statement<Row> },
  appId: string,
  idOrKey: string,
): Promise<Row | null> {
  const byId = hasIdPrefix(kind, idOrKey) ? await queryOne(db, statements.byId, [appId, idOrKey]) : null;
  return byId ?? (await queryOne(db, statements.byKey, [appId, idOrKey]));
}

/** Runs a named statement and returns how many rows it wrote. */
export async function execute(db: Queryable, st: Statement<unknown>, values: unknown[]): Promise<number> {
  const result = await db.query({ name: st.name, text: st.text, values });
  return result.rowCount ?? 0;
}

/**
 * Runs SQL built at run time (list queries, whose text depends on the filters set). Unnamed: the
 * shapes vary, and a one-off plan per call suits their varying selectivity anyway.
 */
export async function queryDynamic<Row>(db: Queryable, query: Sql): Promise<Row[]> {
  const { text, values } = compileSql(query);
  const result = await db.query<Row & pg.QueryResultRow>({ text, values });
  return result.rows;
}

/**
 * Runs `work` in one transaction on one pooled connection: BEGIN, the work, COMMIT, or ROLLBACK if
 * it throws. READ COMMITTED (the default) is enough: every read-then-write below either locks what
 * it reads (UPDATE … RETURNING, FOR UPDATE, ON CONFLICT) or re-reads after writing.
 *
 * While the connection is checked out, pg emits `error` on it if the server goes away between two
 * statements; the listener keeps that from crashing the process (the next statement fails with the
 * error instead), and a connection that is no longer usable is discarded on release.
 */
export async function transaction<T>(pool: pg.Pool, work: (tx: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let connectionError: Error | undefined;
  const onError = (error: Error) => {
    connectionError = error;
  };
  client.on("error", onError);
  try {
    await client.query("BEGIN");
    const result = await work(client);
    await client.query("COMMIT");
    return result;
  } catch (error) {
    try {
      await client.query("ROLLBACK");
    } catch (rollbackError) {
      connectionError ??= rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
    }
    throw error;
  } finally {
    client.off("error", onError);
    // Passing an error makes the pool destroy the connection instead of reusing it.
    client.release(connectionError);
  }
}

/** True for a violation of a UNIQUE index or a PRIMARY KEY. */
export function isUniqueViolation(error: unknown): boolean {
  return error instanceof pg.DatabaseError && error.code === SQLSTATE.uniqueViolation;
}

/** Runs `work`, turning a unique-key violation into StoreConflictError(field, message). */
export async function withConflict<T>(field: string, message: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isUniqueViolation(error)) throw new StoreConflictError(field, message);
    throw error;
  }
}
