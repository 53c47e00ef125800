import { readdir, readFile } from "node:fs/promises";

import type { Db } from "./sqlite-database.ts";

/** The SQL migrations folder, found relative to this module so it works from any working directory. */
export const SQLITE_MIGRATIONS_DIR = new URL("../../../migrations/sqlite/", import.meta.url);

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const FILE_PATTERN = /^(\d+)_([A-Za-z0-9_-]+)\.sql$/;

/** Reads `NNNN_name.sql` files, sorted by version. Other files in the folder are ignored. */
export async function loadMigrations(dir: URL = SQLITE_MIGRATIONS_DIR): Promise<Migration[]> {
  const migrations: Migration[] = [];
  for (const file of await readdir(dir)) {
    const match = FILE_PATTERN.exec(file);
    if (!match) continue;
    const sql = await readFile(new URL(file, dir), "utf8");
    migrations.push({ version: Number(match[1]), name: match[2], sql });
  }
  migrations.sort((a, b) => a.version - b.version);
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i].version === migrations[i - 1].version) {
      throw new Error(`Two SQLite migrations have version ${migrations[i].version}`);
    }
  }
  return migrations;
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
