import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";

import pg from "pg";

import { makeSecretBox } from "../../src/crypto/secret-box.ts";
import { newId } from "../../src/domain/ids.ts";
import type { Application, Endpoint } from "../../src/domain/types.ts";
import { MESSAGE_STATUS, TRIGGER } from "../../src/domain/types.ts";
import { openPostgresStore } from "../../src/store/postgres/postgres-store.ts";
import type { Store } from "../../src/store/store.ts";
import { makePostgresTestStore } from "../helpers/postgres-store.ts";
import { TEST_MAIN_SECRET } from "../helpers/sqlite-store.ts";
import { makeApp, makeAttempt, makeEndpoint, makeMessage, NO_WINDOW_MS, T0 } from "./fixtures.ts";

const LISTENER_APP_NAME = "herald-test-listener";

async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Work notifications between store instances (LISTEN/NOTIFY on one dedicated connection). */
describe("postgres store: work notifications", () => {
  let store: Store;
  let url: string;
  let cleanup: () => Promise<void>;
  let app: Application;
  let endpoint: Endpoint;
  let listener: Store;
  let listenerErrors: Error[];
  let admin: pg.Client;

  beforeEach(async () => {
    ({ store, url, cleanup } = await makePostgresTestStore());
    app = makeApp();
    await store.createApplication(app);
    endpoint = makeEndpoint(app.id);
    await store.createEndpoint(endpoint);
    listenerErrors = [];
    listener = await openPostgresStore({
      url,
      secretBox: makeSecretBox(TEST_MAIN_SECRET),
      poolSize: 2,
      applicationName: LISTENER_APP_NAME,
      onError: (error) => listenerErrors.push(error),
    });
    admin = new pg.Client({ connectionString: url });
    await admin.connect();
  });
  afterEach(async () => {
    await admin.end();
    await listener.close();
    await cleanup();
  });

  /** Backend pids of the listener store's LISTEN connections. */
  async function listenPids(): Promise<number[]> {
    const { rows } = await admin.query<{ pid: number }>(
      "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1 AND query LIKE 'LISTEN%'",
      [LISTENER_APP_NAME],
    );
    return rows.map((row) => row.pid);
  }

  test("store B is woken when store A queues work, by every kind of queued work", async () => {
    let wakes = 0;
    await listener.onWork(() => wakes++);
    const expectWake = async (what: string, work: () => Promise<unknown>) => {
      const before = wakes;
      await work();
      await waitFor(() => wakes > before, `a wake after ${what}`);
    };

    const message = makeMessage(app.id);
    await expectWake("createMessage", () => store.createMessage(message));
    await expectWake("createMessageForEndpoint", () => store.createMessageForEndpoint(makeMessage(app.id, { createdAt: T0 + 1 }), endpoint.id));
    await expectWake("enqueueDeliveries", () =>
      store.enqueueDeliveries([{ appId: app.id, msgId: message.id, endpointId: endpoint.id, trigger: TRIGGER.manual, runAt: T0, ordered: false }]),
    );
    await expectWake("createBackgroundTask", () =>
      store.createBackgroundTask(
        { id: newId("backgroundTask", T0), kind: "endpoint.recover", status: "running", data: {}, createdAt: T0, updatedAt: T0 },
        app.id,
      ),
    );
    const claimed = await store.claimJobs(10, { workerId: "w", now: T0 + 10, leaseMs: 30_000 });
    await expectWake("releaseJobs", () => store.releaseJobs(claimed, T0 + 10));

    const [delivery] = (await store.claimJobs(10, { workerId: "w", now: T0 + 10, leaseMs: 30_000 })).filter((j) => j.kind === "deliver");
    await expectWake("a completeDelivery that schedules a retry", () =>
      store.completeDelivery(delivery, {
        attempt: makeAttempt(message, endpoint.id, { status: MESSAGE_STATUS.fail }),
        destinationStatus: MESSAGE_STATUS.pending,
        retryAt: T0 + 60_000,
        endpointHealth: "failure", failureWindowMs: NO_WINDOW_MS,
      }),
    );
  });

  test("a rolled-back transaction sends nothing", async () => {
    let wakes = 0;
    await listener.onWork(() => wakes++);
    await store.createMessage(makeMessage(app.id, { eventId: "evt-1" }));
    await waitFor(() => wakes === 1, "the first wake");
    await assert.rejects(store.createMessage(makeMessage(app.id, { eventId: "evt-1", createdAt: T0 + 1 })));
    await store.createMessage(makeMessage(app.id, { createdAt: T0 + 2 }));
    // Notifications arrive in commit order on one connection: had the failed insert notified, it
    // would have arrived before this one.
    await waitFor(() => wakes >= 2, "the second wake");
    assert.equal(wakes, 2);
  });

  test("one LISTEN connection per store; unsubscribing the last callback closes it", async () => {
    const calls: string[] = [];
    const stopFirst = await listener.onWork(() => calls.push("first"));
    const stopSecond = await listener.onWork(() => calls.push("second"));
    assert.equal((await listenPids()).length, 1);

    await store.createMessage(makeMessage(app.id));
    await waitFor(() => calls.length === 2, "both callbacks");
    assert.deepEqual(calls.sort(), ["first", "second"]);

    await stopFirst();
    assert.equal((await listenPids()).length, 1, "still one subscriber");
    await stopSecond();
    await waitFor(async () => (await listenPids()).length === 0, "the LISTEN connection to close");
  });

  test("the LISTEN connection comes back after the server drops it", async () => {
    let wakes = 0;
    await listener.onWork(() => wakes++);
    const [pid] = await listenPids();
    await admin.query("SELECT pg_terminate_backend($1)", [pid]);

    await waitFor(async () => {
      const pids = await listenPids();
      return pids.length === 1 && pids[0] !== pid;
    }, "a new LISTEN connection");
    // The drop was reported (57P01: terminating connection due to administrator command), and the
    // subscribers were called once on reconnecting, for anything sent while disconnected.
    assert.ok(listenerErrors.some((error) => (error as { code?: string }).code === "57P01"), String(listenerErrors));
    await waitFor(() => wakes === 1, "the wake on reconnect");

    await store.createMessage(makeMessage(app.id));
    await waitFor(() => wakes === 2, "a wake over the new connection");
  });

  test("messages created together are announced after their commits, and close() sends what is still waiting", async () => {
    let wakes = 0;
    await listener.onWork(() => wakes++);
    const messages = Array.from({ length: 20 }, (_, i) => makeMessage(app.id, { createdAt: T0 + i }));
    await Promise.all(messages.map((message) => store.createMessage(message)));
    await waitFor(() => wakes >= 1, "a wake for the messages");
    // A woken worker finds every message that was committed before its notification.
    assert.equal((await listener.claimJobs(100, { workerId: "w", now: T0 + 100, leaseMs: 30_000 })).length, 20);

    // Created, then the store closed at once: the notification waiting for its turn goes out first.
    const before = wakes;
    const closing = await openPostgresStore({ url, secretBox: makeSecretBox(TEST_MAIN_SECRET), poolSize: 1 });
    await closing.createMessage(makeMessage(app.id, { createdAt: T0 + 100 }));
    await closing.close();
    await waitFor(() => wakes > before, "the wake sent by close()");
  });

  test("close() ends the LISTEN connection", async () => {
    await listener.onWork(() => undefined);
    assert.equal((await listenPids()).length, 1);
    await listener.close();
    await waitFor(async () => (await listenPids()).length === 0, "the LISTEN connection to close");
  });
});
