import assert from "node:assert/strict";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { after, describe, test } from "node:test";

import { Webhook } from "svix";

import { type Receiver, startReceiver } from "../helpers/receiver.ts";
import {
  callApi,
  createAppWithEndpoint,
  deliveriesById,
  freePort,
  type HeraldProcess,
  killAll,
  makeTempDir,
  postMessages,
  queueDepth,
  removeTempDirs,
  sleep,
  spawnHerald,
  tableNames,
  waitForHealthy,
  waitUntil,
} from "./process-helpers.ts";

const receivers: Receiver[] = [];
after(async () => {
  await killAll();
  await Promise.all(receivers.map((receiver) => receiver.close()));
  removeTempDirs();
});

async function newReceiver(): Promise<Receiver> {
  const receiver = await startReceiver();
  receivers.push(receiver);
  return receiver;
}

async function stop(herald: HeraldProcess): Promise<void> {
  herald.signal("SIGTERM");
  assert.deepEqual(await herald.waitForExit(), { code: 0, signal: null }, herald.describe());
}

// Independent short-lived processes: run them side by side.
describe("the command line", { concurrency: true }, () => {
  test("herald --help prints the usage and exits 0", async () => {
    const herald = spawnHerald(["--help"], { dataDir: makeTempDir(), port: await freePort() });
    assert.deepEqual(await herald.waitForExit(), { code: 0, signal: null });
    assert.match(herald.stdout(), /^Usage: herald <command>/);
    for (const command of ["serve", "api", "worker", "migrate"]) assert.match(herald.stdout(), new RegExp(`^  ${command} `, "m"));
    assert.equal(herald.stderr(), "");
  });

  for (const [args, problem] of [
    [["bogus"], /unknown command "bogus"/],
    [["constructor"], /unknown command "constructor"/],
    [["--nope"], /'--nope'/],
    [["serve", "extra"], /unexpected argument "extra"/],
  ] as const) {
    test(`herald ${args.join(" ")} is a usage error (exit 2, on stderr)`, async () => {
      const dataDir = path.join(makeTempDir(), "data");
      const herald = spawnHerald([...args], { dataDir, port: await freePort() });
      assert.deepEqual(await herald.waitForExit(), { code: 2, signal: null }, herald.describe());
      assert.match(herald.stderr(), problem);
      assert.match(herald.stderr(), /Usage: herald <command>/);
      assert.doesNotMatch(herald.stderr(), /\n\s+at /, "no stack trace");
      assert.equal(herald.stdout(), "");
      assert.equal(existsSync(dataDir), false, "nothing was started");
    });
  }
});

describe("roles", () => {
  test("herald migrate creates the database and exits 0, and is idempotent", async () => {
    const dataDir = makeTempDir();
    for (let run = 1; run <= 2; run++) {
      const herald = spawnHerald(["migrate"], { dataDir, port: await freePort() });
      assert.deepEqual(await herald.waitForExit(), { code: 0, signal: null }, `run ${run}\n${herald.describe()}`);
      assert.equal(herald.stderr(), "");
    }
    assert.ok(existsSync(path.join(dataDir, "herald.db")));
    const tables = tableNames(dataDir);
    for (const table of ["applications", "endpoints", "messages", "attempts", "queue", "migrations"]) assert.ok(tables.includes(table), `table ${table} in ${tables.join(", ")}`);
    assert.equal(queueDepth(dataDir), 0);
  });

  test("what Herald creates in its data directory is its user's alone (700, 600), whatever the umask", async () => {
    const dataDir = path.join(makeTempDir(), "data");
    const herald = spawnHerald(["migrate"], { dataDir, port: await freePort(), env: { HERALD_ADMIN_TOKEN: undefined, HERALD_MAIN_SECRET: undefined } });
    assert.deepEqual(await herald.waitForExit(), { code: 0, signal: null }, herald.describe());
    assert.equal(statSync(dataDir).mode & 0o777, 0o700);
    const files = readdirSync(dataDir);
    for (const name of ["herald.db", "main-secret"]) assert.ok(files.includes(name), `${name} in ${files.join(", ")}`);
    for (const name of files) assert.equal(statSync(path.join(dataDir, name)).mode & 0o777, 0o600, name);
  });

  test("herald api and herald worker, started together on a fresh data directory, deliver end to end", async () => {
    const receiver = await newReceiver();
    const dataDir = makeTempDir();
    // The same environment for both, HERALD_PORT included: the worker must not try to listen.
    const port = await freePort();
    const api = spawnHerald(["api"], { dataDir, port });
    const worker = spawnHerald(["worker"], { dataDir, port });
    await waitForHealthy(api, api.url);

    const { appId, endpointId } = await createAppWithEndpoint(api.url, receiver.url + "/hook");
    const { accepted } = await postMessages({ url: api.url, appId, total: 10, parallel: 5 });
    assert.equal(accepted.length, 10);
    await waitUntil(
      () => accepted.every((id) => deliveriesById(receiver).has(id)),
      20_000,
      () => `${receiver.requests.length} of 10 delivered\n${worker.describe()}`,
    );

    // Signed with the endpoint's secret: the worker decrypts it with the main secret the api used.
    const secret = await callApi(api.url, "GET", `/api/v1/app/${appId}/endpoint/${endpointId}/secret`);
    const webhook = new Webhook((secret.body as { key: string }).key);
    for (const request of receiver.requests) webhook.verify(request.body, request.headers as Record<string, string>);
    assert.ok([...deliveriesById(receiver).values()].every((count) => count === 1), "each message delivered once");
    await waitUntil(() => queueDepth(dataDir) === 0, 10_000, () => `queue depth ${queueDepth(dataDir)}`);

    assert.equal(worker.exitStatus(), null, `the worker is still running\n${worker.describe()}`);
    await stop(api);
    await stop(worker);
  });

  test("the api role queues but does not deliver; a worker started later does", async () => {
    const receiver = await newReceiver();
    const dataDir = makeTempDir();
    const port = await freePort();
    const api = spawnHerald(["api"], { dataDir, port });
    await waitForHealthy(api, api.url);
    const { appId } = await createAppWithEndpoint(api.url, receiver.url + "/hook");
    const { accepted } = await postMessages({ url: api.url, appId, total: 3, parallel: 3 });
    assert.equal(accepted.length, 3);

    await sleep(1_000); // several worker poll intervals
    assert.equal(receiver.requests.length, 0, "nothing delivered without a worker");
    assert.equal(queueDepth(dataDir), 3, "one fan-out job per message waits in the queue");

    const worker = spawnHerald(["worker"], { dataDir, port });
    await receiver.waitFor(3, 20_000);
    assert.deepEqual([...deliveriesById(receiver).keys()].sort(), [...accepted].sort());
    await stop(worker);
    await stop(api);
  });
});
