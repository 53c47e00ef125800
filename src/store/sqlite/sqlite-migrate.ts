import type { Migration } from "../migration-files.ts";
import { readMigrationFiles } from "../migration-files.ts";
import type { Db } from "./sqlite-database.ts";

export type { Migration } from "../migration-files.ts";

/** The SQL migrations folder, found relative to this module so it works from any working directory. */
export const SQLITE_MIGRATIONS_DIR = new URL("../../../migrations/sqlite/", import.meta.url);

/** Reads `NNNN_name.sql` files, sorted by version. Other files in the folder are ignored. */
export async function loadMigrations(dir: URL = SQLITE_MIGRATIONS_DIR): Promise<Migration[]> {
  return readMigrationFiles(dir, "SQLite");
}

/**
 * Applies the migrations not yet recorded in the `migrations` table, in order, each in its own
 * `BEGIN IMMEDIATE` transaction that first inserts its `migrations` row and then runs its SQL.
 * IMMEDIATE takes the write lock before the "already applied?" check, so when two processes start
 * together the second waits (busy_timeout), then sees the row and skips: a migration runs once.
 * Idempotent: with nothing pending it only reads.
 */
export async function applyMigrations(db: Db, migrations: Migration[], now: () => number = Date.now): Promise<number[]> {
  db.exec(
    "CREATE TABLE IF NOT EXISTS migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
  );
  const isApplied = db.prepare<[number], { version: number }>("SELECT version FROM migrations WHERE version = ?");
  const record = db.prepare<[number, string, number]>("INSERT INTO migrations (version, name, applied_at) VALUES (?, ?, ?)");
  const applyOne = db.transaction((migration: Migration): boolean => {
    if (isApplied.get(migration.version)) return false;
    record.run(migration.version, migration.name, now());
    db.exec(migration.sql);
    return true;
  });
  const applied: number[] = [];
  for (const migration of migrations) {
    if (isApplied.get(migration.version)) continue; // cheap check without the write lock
    if (applyOne.immediate(migration)) applied.push(migration.version);
  }
  return applied;
}

export async function migrateSqlite(db: Db): Promise<number[]> {
  return applyMigrations(db, await loadMigrations());
}
