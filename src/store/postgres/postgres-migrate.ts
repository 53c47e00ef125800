import type pg from "pg";

import type { Migration } from "../migration-files.ts";
import { readMigrationFiles } from "../migration-files.ts";
import { transaction } from "./postgres-database.ts";

/** The SQL migrations folder, found relative to this module so it works from any working directory. */
export const POSTGRES_MIGRATIONS_DIR = new URL("../../../migrations/postgres/", import.meta.url);

/**
 * Key of the transaction-scoped advisory lock that serializes migrations across every process
 * sharing the database ("HERA" in ASCII). Advisory lock keys are per database, so it only has to
 * differ from other applications' keys in the same database.
 */
export const MIGRATION_ADVISORY_LOCK_KEY = 0x48_45_52_41;

/** PostgreSQL 13 is the first with gen_random_uuid() built in (lease tokens). */
export const MINIMUM_POSTGRES_VERSION_NUM = 130_000;

export async function loadMigrations(dir: URL = POSTGRES_MIGRATIONS_DIR): Promise<Migration[]> {
  return readMigrationFiles(dir, "PostgreSQL");
}

async function assertServerVersion(pool: pg.Pool): Promise<void> {
  const { rows } = await pool.query<{ server_version_num: string }>("SHOW server_version_num");
  const version = Number(rows[0]?.server_version_num);
  if (!(version >= MINIMUM_POSTGRES_VERSION_NUM)) {
    throw new Error(`Herald needs PostgreSQL 13 or later; the server reports version number ${rows[0]?.server_version_num}`);
  }
}

/** Versions already recorded, read without the lock: with nothing pending, migrate() only reads. */
async function appliedVersions(pool: pg.Pool): Promise<Set<number>> {
  const { rows: exists } = await pool.query<{ present: boolean }>("SELECT to_regclass('migrations') IS NOT NULL AS present");
  if (!exists[0]?.present) return new Set();
  const { rows } = await pool.query<{ version: number }>("SELECT version FROM migrations");
  return new Set(rows.map((row) => row.version));
}

/**
 * Applies the migrations not yet recorded in the `migrations` table, in order, each in its own
 * transaction that first takes the migration advisory lock, then inserts its `migrations` row,
 * then runs its SQL. The lock makes processes that start together take turns; the row insert
 * (ON CONFLICT DO NOTHING) tells a process that arrives second that the migration was applied
 * while it waited, so it skips it. A failing migration rolls back whole, row included. The
 * `migrations` table itself is created under the lock too: concurrent CREATE TABLE IF NOT EXISTS
 * can otherwise fail on a duplicate catalog entry.
 */
export async function applyMigrations(pool: pg.Pool, migrations: Migration[], now: () => number = Date.now): Promise<number[]> {
  await assertServerVersion(pool);
  const done = await appliedVersions(pool);
  const applied: number[] = [];
  for (const migration of migrations) {
    if (done.has(migration.version)) continue;
    const ran = await transaction(pool, async (tx) => {
      await tx.query("SELECT pg_advisory_xact_lock($1::bigint)", [MIGRATION_ADVISORY_LOCK_KEY]);
      await tx.query(
        "CREATE TABLE IF NOT EXISTS migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)",
      );
      const recorded = await tx.query(
        "INSERT INTO migrations (version, name, applied_at) VALUES ($1, $2, $3) ON CONFLICT (version) DO NOTHING",
        [migration.version, migration.name, now()],
      );
      if (recorded.rowCount === 0) return false;
      try {
        // No parameters: the simple query protocol, which runs a file of several statements.
        await tx.query(migration.sql);
      } catch (error) {
        throw new Error(`PostgreSQL migration ${migration.version}_${migration.name} failed`, { cause: error });
      }
      return true;
    });
    if (ran) applied.push(migration.version);
  }
  return applied;
}

export async function migratePostgres(pool: pg.Pool): Promise<number[]> {
  return applyMigrations(pool, await loadMigrations());
}
