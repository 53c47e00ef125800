import { mkdirSync } from "node:fs";
import { dirname } from "node:path";

import Database from "better-sqlite3";

import type { SecretBox } from "../../crypto/secret-box.ts";
import { StoreConflictError } from "../store.ts";
import type { GroupCommit } from "./group-commit.ts";
import type { AttemptStatsCounter } from "./sqlite-attempt-stats.ts";

export type Db = Database.Database;
export type Stmt<Params extends unknown[] | object = unknown[], Row = unknown> = Database.Statement<Params, Row>;

/** What every part of the SQLite store shares: the connection, the secret box, the statement cache and the group commit. */
export interface SqliteContext {
  db: Db;
  secretBox: SecretBox;
  statements: StatementCache;
  /** For the hot-path writes (messages, the queue): see group-commit.ts. */
  groupCommit: GroupCommit;
  /** Counts the attempts each group-commit transaction records (sqlite-attempt-stats.ts). */
  attemptStats: AttemptStatsCounter;
}

/**
 * Opens (creating if needed) the database file and sets the connection pragmas.
 *
 * Durability: the API answers 202 once a message is committed, so a commit must survive the
 * process being killed. In WAL mode a commit is written to the WAL file with write(2) before
 * COMMIT returns; with `synchronous=NORMAL` SQLite only skips the fsync of each commit (it still
 * fsyncs at checkpoints). Data handed to the kernel survives a process crash or SIGKILL; only an
 * OS crash or power loss can drop the last few transactions. Our requirement is process-crash
 * safety, so WAL + NORMAL is enough and avoids one fsync per message (FULL would cost that on every
 * write on the hot path). Deployments that need power-loss durability can run on PostgreSQL.
 */
export function openDatabase(file: string): Db {
  if (file !== ":memory:" && !file.startsWith("file:")) {
    mkdirSync(dirname(file), { recursive: true });
  }
  const db = new Database(file, { timeout: 5000 });
  try {
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    // Wait up to 5 s for another connection's write lock instead of failing with SQLITE_BUSY.
    db.pragma("busy_timeout = 5000");
    // Off on purpose: applications and endpoints are soft-deleted and history rows (messages,
    // attempts, destinations) outlive them, so there is nothing for the engine to enforce.
    db.pragma("foreign_keys = OFF");
    // Negative = KiB: a 32 MiB page cache per connection keeps the hot pages (the queue and its
    // index, endpoints, the newest messages and attempts) in memory; it is a part of Herald's RSS.
    db.pragma("cache_size = -32768");
    db.pragma("temp_store = MEMORY");
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

/**
 * A LIMIT taken from a bound parameter. SQLite plans a bare `LIMIT ?` with the value bound to it,
 * so it prepares the statement again every time it is bound (20-30 µs a run with better-sqlite3's
 * SQLite 3.53, more than the query itself for a short list); an expression around the parameter
 * is planned once, like any other.
 */
export function boundLimit(parameter: string): string {
  return `CAST(${parameter} AS INTEGER)`;
}

/**
 * Statements built at run time (list queries, whose SQL depends on which filters are set) are
 * prepared on first use and kept, keyed by their SQL text: the number of distinct shapes is small
 * and bounded by the filter combinations, so the cache never needs evicting in practice. A hard cap
 * guards against a bug that would build unbounded SQL text.
 */
export interface StatementCache {
  get<Row = unknown>(sql: string): Stmt<unknown[], Row>;
}

const STATEMENT_CACHE_LIMIT = 1000;

export function makeStatementCache(db: Db): StatementCache {
  const cache = new Map<string, Stmt<unknown[], unknown>>();
  return {
    get<Row>(sql: string) {
      let statement = cache.get(sql);
      if (!statement) {
        if (cache.size >= STATEMENT_CACHE_LIMIT) cache.clear();
        statement = db.prepare<unknown[], unknown>(sql);
        cache.set(sql, statement);
      }
      return statement as Stmt<unknown[], Row>;
    },
  };
}

/**
 * Prepares a group of statements the first time they are needed, then reuses them. Lazy rather
 * than at open because the tables may not exist until `migrate()` has run; once prepared, a
 * statement is re-prepared by SQLite itself if a later migration changes the schema.
 */
export function lazy<T>(build: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= build());
}

/** True for a violation of a UNIQUE index or a PRIMARY KEY. */
export function isUniqueViolation(error: unknown): boolean {
  if (!(error instanceof Database.SqliteError)) return false;
  return error.code === "SQLITE_CONSTRAINT_UNIQUE" || error.code === "SQLITE_CONSTRAINT_PRIMARYKEY";
}

/** Runs `fn`, turning a unique-key violation into StoreConflictError(field, message). */
export function withConflict<T>(field: string, message: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (isUniqueViolation(error)) throw new StoreConflictError(field, message);
    throw error;
  }
}
