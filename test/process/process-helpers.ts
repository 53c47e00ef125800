import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import Database from "better-sqlite3";

import type { Receiver } from "../helpers/receiver.ts";

/**
 * Helpers for tests that run Herald as real child processes (`node bin/herald.js …`): free ports,
 * temp data directories, the HERALD_* environment, spawning with stdout/stderr collected, waiting
 * for /api/v1/health/ping, and killing. Every child is started in its own process group and
 * tracked, so `killAll()` (call it from an `after` hook) and the exit and signal handlers below can
 * always clean up, even when a test fails half-way.
 */

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const HERALD_BIN = path.join(REPO_ROOT, "bin", "herald.js");
/** Node's flags for Herald, as its start script and bin/herald.js's first line give them (why: there). */
export const HERALD_NODE_FLAGS = ["--max-old-space-size=1024"];
export const ADMIN_TOKEN = "process-test-admin-token-0123456789";

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ChildHandle {
  child: ChildProcess;
  pid: number;
  /** Everything written so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves when the process has exited (never rejects). */
  exited: Promise<ExitStatus>;
  /** The exit status, or null while it runs. */
  exitStatus(): ExitStatus | null;
  /** Signals the whole process group (no-op once exited). */
  signal(signal: NodeJS.Signals): void;
  /** Waits for the exit, rejecting after `timeoutMs` (the process is left running: the caller decides). */
  waitForExit(timeoutMs?: number): Promise<ExitStatus>;
  /** SIGKILLs the process group and waits for the exit. */
  kill(): Promise<ExitStatus>;
  /** stdout and stderr tails, for assertion messages. */
  describe(): string;
}

export interface HeraldProcess extends ChildHandle {
  url: string;
  port: number;
  dataDir: string;
}

const running = new Set<ChildHandle>();

function killAllNow(): void {
  for (const handle of running) handle.signal("SIGKILL");
}

// Last resort if the test process ends without running its hooks (an uncaught error, Ctrl-C, the
// runner stopping it): children are in their own process groups, so nothing else would stop them.
process.on("exit", killAllNow);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.once(signal, () => {
    killAllNow();
    process.kill(process.pid, signal); // the default action now that our listener is gone
  });
}

/** SIGKILLs every child still running; for `after` hooks. */
export async function killAll(): Promise<void> {
  await Promise.all([...running].map((handle) => handle.kill()));
}

/** A port nobody listens on right now (listen on 0, read it, close). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const tempDirs: string[] = [];

/** A fresh empty temp directory; removed by `removeTempDirs()`. */
export function makeTempDir(prefix = "herald-proc-"): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/**
 * The environment for a child: this process's environment without any HERALD_* variable (the test
 * runner sets some), then the test defaults, then `overrides`. An override of `undefined` removes
 * the variable (e.g. `HERALD_ADMIN_TOKEN: undefined` to have Herald generate one).
 */
export function heraldEnv(dataDir: string, port: number, overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith("HERALD_")) env[key] = value;
  }
  const values: Record<string, string | undefined> = {
    HERALD_PORT: String(port),
    HERALD_HOST: "127.0.0.1",
    HERALD_DATA_DIR: dataDir,
    HERALD_ALLOWED_SUBNETS: "127.0.0.0/8",
    HERALD_LOG_LEVEL: "warn",
    HERALD_ADMIN_TOKEN: ADMIN_TOKEN,
    ...overrides,
  };
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

function tail(text: string, lines = 20): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

/** Spawns `command args` in its own process group with stdout/stderr collected. */
export function spawnChild(command: string, args: string[], options: { env: NodeJS.ProcessEnv; cwd?: string }): ChildHandle {
  const child = spawn(command, args, { cwd: options.cwd ?? REPO_ROOT, env: options.env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  if (child.pid === undefined) throw new Error(`could not spawn ${command}`);
  const pid = child.pid;
  let out = "";
  let err = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (err += chunk));
  let status: ExitStatus | null = null;
  // "close" rather than "exit": by then stdout and stderr are fully read.
  const exited = new Promise<ExitStatus>((resolve) => {
    child.on("close", (code, signal) => {
      status = { code, signal };
      running.delete(handle);
      resolve(status);
    });
  });

  const handle: ChildHandle = {
    child,
    pid,
    stdout: () => out,
    stderr: () => err,
    exited,
    exitStatus: () => status,
    signal(signal) {
      if (status) return;
      try {
        process.kill(-pid, signal);
      } catch {
        // the group is already gone
      }
    },
    waitForExit(timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`process ${pid} still running after ${timeoutMs} ms\n${handle.describe()}`)), timeoutMs);
        void exited.then((result) => {
          clearTimeout(timer);
          resolve(result);
        });
      });
    },
    async kill() {
      handle.signal("SIGKILL");
      return exited;
    },
    describe() {
      return `--- stdout (tail) ---\n${tail(out)}\n--- stderr (tail) ---\n${tail(err)}`;
    },
  };
  running.add(handle);
  return handle;
}

/**
 * The port a child process announces as its first stdout line (`{"port": N}`), as the receiver
 * processes do; rejects if it exits first or says nothing within `timeoutMs`.
 */
export function announcedPort(handle: ChildHandle, what: string, timeoutMs: number): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not start\n${handle.describe()}`)), timeoutMs);
    const check = () => {
      const newline = handle.stdout().indexOf("\n");
      if (newline < 0) return;
      clearTimeout(timer);
      handle.child.stdout!.off("data", check);
      resolve((JSON.parse(handle.stdout().slice(0, newline)) as { port: number }).port);
    };
    handle.child.stdout!.on("data", check);
    void handle.exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`${what} exited\n${handle.describe()}`));
    });
  });
}

/** `node bin/herald.js <args>` with the test environment. */
export function spawnHerald(
  args: string[],
  options: { dataDir: string; port: number; env?: Record<string, string | undefined>; nodeArgs?: string[] },
): HeraldProcess {
  const handle = spawnChild(process.execPath, [...HERALD_NODE_FLAGS, ...(options.nodeArgs ?? []), HERALD_BIN, ...args], { env: heraldEnv(options.dataDir, options.port, options.env) });
  return { ...handle, url: `http://127.0.0.1:${options.port}`, port: options.port, dataDir: options.dataDir };
}

/** Polls `<url>/api/v1/health/ping` until it answers 204; fails early if the process exits. */
export async function waitForHealthy(handle: ChildHandle, url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = handle.exitStatus();
    if (status) throw new Error(`process exited (${JSON.stringify(status)}) before answering health\n${handle.describe()}`);
    try {
      const response = await fetch(`${url}/api/v1/health/ping`, { signal: AbortSignal.timeout(2_000) });
      await response.arrayBuffer();
      if (response.status === 204) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`no 204 from ${url}/api/v1/health/ping after ${timeoutMs} ms\n${handle.describe()}`);
    await sleep(50);
  }
}

/** Spawns `herald <command>` (serve by default) on a fresh port and waits until it is healthy. */
export async function startHeraldProcess(
  dataDir: string,
  options: { command?: string; env?: Record<string, string | undefined> } = {},
): Promise<HeraldProcess> {
  const port = await freePort();
  const herald = spawnHerald([options.command ?? "serve"], { dataDir, port, env: options.env });
  try {
    await waitForHealthy(herald, herald.url);
  } catch (error) {
    await herald.kill();
    throw error;
  }
  return herald;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `condition` every `intervalMs` until it is true; rejects with `describe()` after `timeoutMs`. */
export async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number, describe: () => string, intervalMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${describe()}`);
    await sleep(intervalMs);
  }
}

// --- the API, over plain HTTP --------------------------------------------------------------------

export interface ApiResult {
  status: number;
  body: unknown;
}

export async function callApi(url: string, method: string, pathname: string, body?: unknown, token = ADMIN_TOKEN): Promise<ApiResult> {
  const response = await fetch(url + pathname, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body: parsed };
}

/** Creates an application and one endpoint pointing at `endpointUrl`. */
export async function createAppWithEndpoint(url: string, endpointUrl: string, token = ADMIN_TOKEN): Promise<{ appId: string; endpointId: string }> {
  const app = await callApi(url, "POST", "/api/v1/app", { name: "Process test" }, token);
  if (app.status !== 201) throw new Error(`creating the app answered ${app.status}: ${JSON.stringify(app.body)}`);
  const appId = (app.body as { id: string }).id;
  const endpoint = await callApi(url, "POST", `/api/v1/app/${appId}/endpoint`, { url: endpointUrl }, token);
  if (endpoint.status !== 201) throw new Error(`creating the endpoint answered ${endpoint.status}: ${JSON.stringify(endpoint.body)}`);
  return { appId, endpointId: (endpoint.body as { id: string }).id };
}

/** Posts one message; returns its id on 202, null otherwise (including a connection error). */
export async function postMessage(url: string, appId: string, n: number, token = ADMIN_TOKEN): Promise<string | null> {
  try {
    const result = await callApi(url, "POST", `/api/v1/app/${appId}/msg`, { eventType: "test.event", payload: { n } }, token);
    return result.status === 202 ? (result.body as { id: string }).id : null;
  } catch {
    return null;
  }
}

/**
 * Posts `total` messages, `parallel` at a time, recording every id that got a 202. `onAccepted`
 * runs after each 202 and may return "stop" to start no further posts (those already in flight
 * still finish and are recorded if they get a 202).
 */
export async function postMessages(options: {
  url: string;
  appId: string;
  total: number;
  parallel: number;
  onAccepted?: (accepted: string[]) => "stop" | void;
}): Promise<{ accepted: string[]; failed: number }> {
  const accepted: string[] = [];
  let failed = 0;
  let next = 0;
  let stopped = false;
  async function lane(): Promise<void> {
    while (!stopped && next < options.total) {
      const n = next++;
      const id = await postMessage(options.url, options.appId, n);
      if (id === null) {
        failed++;
        continue;
      }
      accepted.push(id);
      if (options.onAccepted?.(accepted) === "stop") stopped = true;
    }
  }
  await Promise.all(Array.from({ length: options.parallel }, lane));
  return { accepted, failed };
}

// --- what the receiver saw ------------------------------------------------------------------------

/** How many times the receiver got each webhook-id. */
export function deliveriesById(receiver: Receiver): Map<string, number> {
  const counts = new Map<string, number>();
  for (const request of receiver.requests) {
    const id = String(request.headers["webhook-id"]);
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

export interface DeliveryReport {
  accepted: number;
  missing: string[];
  /** Deliveries beyond the first, over every id the receiver saw. */
  duplicates: number;
  duplicatedIds: string[];
}

/**
 * Checks that every duplicate is accounted for: a message may reach the receiver once, plus once
 * more if a killed worker held its job (the send may have happened, its record did not), plus once
 * per recorded failed attempt (a timeout can fire after the receiver got the request). Returns the
 * unexplained extra deliveries, by message id; empty when all is well.
 */
export function unexplainedDuplicates(receiver: Receiver, heldByDeadWorker: ReadonlySet<string>, failedAttempts: ReadonlyMap<string, number>): string[] {
  const problems: string[] = [];
  for (const [id, count] of deliveriesById(receiver)) {
    const allowed = 1 + (heldByDeadWorker.has(id) ? 1 : 0) + (failedAttempts.get(id) ?? 0);
    if (count > allowed) problems.push(`${id}: delivered ${count} times, at most ${allowed} explained`);
  }
  return problems;
}

export function deliveryReport(receiver: Receiver, accepted: readonly string[]): DeliveryReport {
  const counts = deliveriesById(receiver);
  const duplicatedIds = [...counts].filter(([, count]) => count > 1).map(([id]) => id);
  return {
    accepted: accepted.length,
    missing: accepted.filter((id) => !counts.has(id)),
    duplicates: [...counts.values()].reduce((sum, count) => sum + count - 1, 0),
    duplicatedIds,
  };
}

// --- a look into the data directory's database ---------------------------------------------------
// The queue has no API, so these read the SQLite file directly (read-only; WAL lets them run while
// Herald writes). They only use the queue table's documented columns (migrations/sqlite).

function withDatabase<T>(dataDir: string, read: (db: Database.Database) => T): T {
  const db = new Database(path.join(dataDir, "herald.db"), { readonly: true, fileMustExist: true });
  try {
    db.pragma("busy_timeout = 5000");
    return read(db);
  } finally {
    db.close();
  }
}

/** Jobs still in the queue (due, scheduled or claimed). */
export function queueDepth(dataDir: string): number {
  return withDatabase(dataDir, (db) => db.prepare<[], { n: number }>("SELECT COUNT(*) AS n FROM queue").get()!.n);
}

/** Jobs some worker has claimed and not finished (lease_token set). */
export function leasedJobs(dataDir: string): number {
  return withDatabase(dataDir, (db) => db.prepare<[], { n: number }>("SELECT COUNT(*) AS n FROM queue WHERE lease_token IS NOT NULL").get()!.n);
}

/** Message ids of the jobs some worker holds (a fan-out or a delivery). */
export function leasedMessageIds(dataDir: string): string[] {
  return withDatabase(dataDir, (db) =>
    db.prepare<[], { msg_id: string }>("SELECT msg_id FROM queue WHERE lease_token IS NOT NULL AND msg_id IS NOT NULL").all().map((row) => row.msg_id),
  );
}

/** Recorded attempts that did not succeed (a timeout, an error, a non-2xx), counted by message id. */
export function failedAttemptsByMessage(dataDir: string): Map<string, number> {
  const rows = withDatabase(dataDir, (db) =>
    db.prepare<[], { msg_id: string; n: number }>("SELECT msg_id, COUNT(*) AS n FROM attempts WHERE status <> 0 GROUP BY msg_id").all(),
  );
  return new Map(rows.map((row) => [row.msg_id, row.n]));
}

/** Why attempts failed, as "<status code> <response>: <count>" lines, for diagnostics. */
export function failedAttemptReasons(dataDir: string): string[] {
  return withDatabase(dataDir, (db) =>
    db
      .prepare<[], { code: number; reason: string; n: number }>(
        "SELECT response_status_code AS code, substr(response, 1, 100) AS reason, COUNT(*) AS n FROM attempts WHERE status <> 0 GROUP BY 1, 2 ORDER BY 3 DESC",
      )
      .all()
      .map((row) => `${row.code} ${row.reason}: ${row.n}`),
  );
}

export function tableNames(dataDir: string): string[] {
  return withDatabase(dataDir, (db) =>
    db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all().map((row) => row.name),
  );
}
