import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { afterEach, describe, test } from "node:test";

import pg from "pg";

import { makeSecretBox } from "../../src/crypto/secret-box.ts";
import { openPostgresStore } from "../../src/store/postgres/postgres-store.ts";
import type { Store } from "../../src/store/store.ts";
import { createTestDatabase } from "../helpers/postgres.ts";
import { TEST_MAIN_SECRET } from "../helpers/sqlite-store.ts";
import { makeApp } from "./fixtures.ts";

/** PostgreSQL migrations: numbered files, applied once, safe when several processes start together. */
describe("postgres store: migrations", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function freshDatabase() {
    const database = await createTestDatabase();
    cleanups.push(() => database.drop());
    return database;
  }

  async function open(url: string): Promise<Store> {
    const store = await openPostgresStore({ url, secretBox: makeSecretBox(TEST_MAIN_SECRET), poolSize: 2 });
    cleanups.push(() => store.close());
    return store;
  }

  async function appliedMigrations(url: string): Promise<string[]> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query<{ version: number; name: string }>("SELECT version, name FROM migrations ORDER BY version");
      return rows.map((row) => `${String(row.version).padStart(4, "0")}_${row.name}.sql`);
    } finally {
      await client.end();
    }
  }

  const migrationFiles = () =>
    readdirSync(new URL("../../migrations/postgres/", import.meta.url))
      .filter((file) => /^\d+_.+\.sql$/.test(file))
      .sort();

  test("three instances migrating a fresh database at once apply each migration exactly once", async () => {
    const { url } = await freshDatabase();
    const stores = await Promise.all([open(url), open(url), open(url)]);
    await Promise.all(stores.map((store) => store.migrate()));

    assert.deepEqual(await appliedMigrations(url), migrationFiles());
    // Every instance sees the schema.
    const app = makeApp({ uid: "shared" });
    await stores[0].createApplication(app);
    for (const store of stores) assert.deepEqual(await store.getApplication("shared"), app);
  });

  test("migrate() is idempotent and keeps the data", async () => {
    const { url } = await freshDatabase();
    const store = await open(url);
    await store.migrate();
    const app = makeApp({ uid: "kept" });
    await store.createApplication(app);
    await store.migrate();
    const second = await open(url);
    await Promise.all([second.migrate(), store.migrate()]);
    assert.deepEqual(await appliedMigrations(url), migrationFiles());
    assert.deepEqual(await second.getApplication("kept"), app);
  });
});
