import { readFileSync } from "node:fs";
import path from "node:path";

import { startTestPostgres, type TestPostgres } from "../../scripts/test-postgres.js";
import { makeSecretBox } from "../../src/crypto/secret-box.ts";
import { openPostgresStore } from "../../src/store/postgres/postgres-store.ts";
import { openSqliteStore } from "../../src/store/sqlite/sqlite-store.ts";
import type { Store } from "../../src/store/store.ts";
import { MAIN_SECRET } from "../../test/process/postgres-process-helpers.ts";
import {
  freePort,
  type HeraldProcess,
  makeTempDir,
  queueDepth as sqliteQueueDepth,
  spawnHerald,
  waitForHealthy,
} from "../../test/process/process-helpers.ts";
import { withAdmin } from "./herald-api.ts";

/**
 * One Herald process (`herald serve`) on a fresh store: a temp data directory with SQLite, or a
 * fresh database on a PostgreSQL server (BENCH_DATABASE_URL, an admin URL on which a throwaway
 * database is created and dropped, or else an embedded server from scripts/test-postgres.js with
 * PostgreSQL's default durability: fsync, synchronous commits and full-page writes, as deployed,
 * not the tests' faster settings without them).
 */
export type EngineName = "sqlite" | "postgres";

export interface BenchHerald {
  engine: EngineName;
  process: HeraldProcess;
  url: string;
  /** Jobs in Herald's queue table (due, scheduled or claimed). */
  queueDepth(): Promise<number>;
  /** A store of this process's own on Herald's database, to write what Herald would (close it after). */
  openStore(): Promise<Store>;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 60_000;

/** Herald's settings for the benchmark: a request timeout long enough for the held backlog (see run.ts). */
const BENCH_ENV = { HERALD_LOG_LEVEL: "warn", HERALD_REQUEST_TIMEOUT_MS: "300000" };

/** Resident set size of a process, in bytes (VmRSS), and its peak (VmHWM); null when gone. */
export function processMemory(pid: number): { rssBytes: number; peakRssBytes: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN) * 1024;
    return { rssBytes: kib("VmRSS"), peakRssBytes: kib("VmHWM") };
  } catch {
    return null;
  }
}

let embedded: TestPostgres | null = null;

/** Stops the embedded PostgreSQL server, if one was started. */
export async function stopEmbeddedPostgres(): Promise<void> {
  const server = embedded;
  embedded = null;
  await server?.stop();
}

export async function startHerald(engine: EngineName, options: { cpuProfileDir: string | null }): Promise<BenchHerald> {
  const dataDir = makeTempDir("herald-bench-");
  const port = await freePort();
  const env: Record<string, string> = { ...BENCH_ENV };
  const nodeArgs = options.cpuProfileDir ? ["--cpu-prof", `--cpu-prof-dir=${options.cpuProfileDir}`] : [];
  if (engine === "sqlite") {
    const herald = spawnHerald(["serve"], { dataDir, port, env, nodeArgs });
    await waitForHealthy(herald, herald.url, START_TIMEOUT_MS);
    return {
      engine,
      process: herald,
      url: herald.url,
      queueDepth: async () => sqliteQueueDepth(dataDir),
      openStore: () =>
        openSqliteStore({
          file: path.join(dataDir, "herald.db"),
          secretBox: makeSecretBox(readFileSync(path.join(dataDir, "main-secret"), "utf8").trim()),
        }),
      stop: () => stopProcess(herald),
    };
  }

  let adminUrl = process.env.BENCH_DATABASE_URL;
  if (!adminUrl) {
    embedded ??= await startTestPostgres({ durable: true });
    adminUrl = embedded.url;
  }
  const name = `herald_bench_${Date.now()}`;
  await withAdmin(adminUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  const databaseUrl = new URL(adminUrl);
  databaseUrl.pathname = "/" + name;
  const herald = spawnHerald(["serve"], {
    dataDir,
    port,
    nodeArgs,
    env: { ...env, HERALD_DATABASE_URL: databaseUrl.toString(), HERALD_MAIN_SECRET: MAIN_SECRET },
  });
  await waitForHealthy(herald, herald.url, START_TIMEOUT_MS);
  return {
    engine,
    process: herald,
    url: herald.url,
    queueDepth: () =>
      withAdmin(databaseUrl.toString(), async (client) => Number((await client.query<{ n: string }>("SELECT COUNT(*) AS n FROM queue")).rows[0].n)),
    openStore: () => openPostgresStore({ url: databaseUrl.toString(), secretBox: makeSecretBox(MAIN_SECRET), applicationName: "herald-bench" }),
    async stop() {
      await stopProcess(herald);
      await withAdmin(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).catch(() => undefined);
    },
  };
}

async function stopProcess(herald: HeraldProcess): Promise<void> {
  herald.signal("SIGTERM");
  await herald.waitForExit(20_000).catch(() => herald.kill());
}
