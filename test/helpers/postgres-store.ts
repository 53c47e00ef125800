import { makeSecretBox } from "../../src/crypto/secret-box.ts";
import type { PostgresStoreOptions } from "../../src/store/postgres/postgres-store.ts";
import { openPostgresStore } from "../../src/store/postgres/postgres-store.ts";
import type { Store } from "../../src/store/store.ts";
import { createTestDatabase } from "./postgres.ts";
import { TEST_MAIN_SECRET } from "./sqlite-store.ts";

/**
 * A fresh, migrated PostgreSQL store on its own database of the run's server (see postgres.ts).
 * `cleanup` closes the store and drops the database. `url` lets a test open more stores on the
 * same database (more "processes"); `options` overrides the store options of the first one.
 */
export async function makePostgresTestStore(
  options: Partial<PostgresStoreOptions> = {},
): Promise<{ store: Store; url: string; cleanup(): Promise<void> }> {
  const database = await createTestDatabase();
  const store = await openPostgresStore({
    url: database.url,
    secretBox: makeSecretBox(TEST_MAIN_SECRET),
    poolSize: 4,
    applicationName: "herald-test",
    ...options,
  });
  try {
    await store.migrate();
  } catch (error) {
    await store.close();
    await database.drop();
    throw error;
  }
  return {
    store,
    url: database.url,
    async cleanup() {
      await store.close();
      await database.drop();
    },
  };
}
