import assert from "node:assert/strict";
import { test } from "node:test";

import Database from "better-sqlite3";
import pg from "pg";

import { makePostgresTestStore } from "../helpers/postgres-store.ts";
import { makeTestStore } from "../helpers/sqlite-store.ts";

/**
 * Both engines' migrations must leave the same indexes, by name: a query one engine answers from
 * an index, the other must too. (SQLite once lacked the two retention indexes PostgreSQL had, and
 * every minute's retention run read its whole messages table.) Keys are left out: primary keys
 * and unique constraints are indexed implicitly, under names each engine picks itself.
 */
test("the SQLite and PostgreSQL schemas have the same indexes", async () => {
  const sqlite = await makeTestStore();
  let sqliteIndexes: string[];
  try {
    const db = new Database(sqlite.file, { readonly: true });
    try {
      sqliteIndexes = db
        .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_autoindex_%' ORDER BY name")
        .all()
        .map((row) => row.name);
    } finally {
      db.close();
    }
  } finally {
    await sqlite.cleanup();
  }

  const postgres = await makePostgresTestStore();
  let postgresIndexes: string[];
  try {
    const client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ name: string }>(
        `SELECT i.relname AS name
         FROM pg_index x
         JOIN pg_class i ON i.oid = x.indexrelid
         JOIN pg_namespace n ON n.oid = i.relnamespace
         WHERE n.nspname = current_schema() AND NOT x.indisprimary
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
         ORDER BY name`,
      );
      postgresIndexes = rows.map((row) => row.name);
    } finally {
      await client.end();
    }
  } finally {
    await postgres.cleanup();
  }

  assert.ok(sqliteIndexes.includes("messages_payload_expiry"), `retention's index is missing: ${sqliteIndexes.join(", ")}`);
  assert.deepEqual(sqliteIndexes, postgresIndexes);
});
