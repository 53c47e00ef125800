import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { makeSecretBox } from "../../src/crypto/secret-box.ts";
import { openSqliteStore } from "../../src/store/sqlite/sqlite-store.ts";
import type { Store } from "../../src/store/store.ts";

export const TEST_MAIN_SECRET = "test-main-secret";

/** A fresh, migrated SQLite store in its own temporary folder. `cleanup` closes it and removes the folder. */
export async function makeTestStore(): Promise<{ store: Store; file: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "herald-store-"));
  const file = join(dir, "herald.db");
  const store = await openSqliteStore({ file, secretBox: makeSecretBox(TEST_MAIN_SECRET) });
  try {
    await store.migrate();
  } catch (error) {
    await store.close();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    store,
    file,
    async cleanup() {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
