import path from "node:path";

import pino, { type Logger } from "pino";

import { buildApi } from "./api/app.ts";
import type { Api } from "./api/context.ts";
import type { ResolvedConfig } from "./config/config.ts";
import { loadOrCreateSecretFile } from "./config/data-dir.ts";
import { makeSecretBox } from "./crypto/secret-box.ts";
import { type HttpSender, makeHttpSender } from "./delivery/http-sender.ts";
import { makeThreadedHttpSender } from "./delivery/threaded-sender.ts";
import { type Clock, systemClock } from "./domain/clock.ts";
import type { AddressPolicy } from "./net/address-policy.ts";
import { ensureOperationalApp, makeOperationalEvents } from "./operational/operational-events.ts";
import { openPostgresStore } from "./store/postgres/postgres-store.ts";
import { openSqliteStore } from "./store/sqlite/sqlite-store.ts";
import type { Store } from "./store/store.ts";
import { makeWorker, type Worker } from "./worker/worker.ts";

/**
 * Assembles a Herald process from its parts: store, API, worker. `herald serve` runs both roles
 * in one process; `herald api` and `herald worker` run one each against a shared database.
 */
export interface HeraldOptions {
  api: boolean;
  worker: boolean;
  clock?: Clock;
  logger?: Logger;
  random?: () => number;
}

export interface Herald {
  /** Base URL of the API when the api role runs (with the real port when HERALD_PORT=0). */
  url: string | null;
  adminToken: string;
  store: Store;
  api: Api | null;
  worker: Worker | null;
  close(): Promise<void>;
}

export function makeLogger(config: ResolvedConfig): Logger {
  return pino({
    level: config.logLevel,
    redact: { paths: ["req.headers.authorization", "headers.authorization", "*.secret", "*.key"], censor: "[redacted]" },
  });
}

/** The PostgreSQL URL, or null when the store is SQLite (no URL, or a `sqlite:` one). */
function postgresUrl(config: ResolvedConfig): string | null {
  return config.databaseUrl !== null && !config.databaseUrl.startsWith("sqlite:") ? config.databaseUrl : null;
}

async function openStore(config: ResolvedConfig, mainSecret: string, logger: Logger, role: string): Promise<Store> {
  const secretBox = makeSecretBox(mainSecret);
  const url = postgresUrl(config);
  if (url) {
    return openPostgresStore({
      url,
      secretBox,
      poolSize: config.databasePoolSize,
      applicationName: `herald-${role}`,
      onError: (error) => logger.warn({ err: error }, "database connection error; reconnecting"),
    });
  }
  const file = config.databaseUrl ? config.databaseUrl.replace(/^sqlite:(\/\/)?/, "") : path.join(config.dataDir, "herald.db");
  return openSqliteStore({ file, secretBox });
}

/**
 * Only a process that delivers has a sender; its sending thread, if any, starts here. The thread
 * (on by default) takes the outbound requests' work off the main thread, which runs the API, the
 * queue and the store: on SQLite that is the saturated core, and on PostgreSQL the thread also
 * gave more throughput and a faster fan-out in the benchmark (README, Performance).
 */
function makeSender(config: ResolvedConfig, addressPolicy: AddressPolicy, logger: Logger): HttpSender {
  const options = { addressPolicy, proxyUrl: config.proxyUrl, responseBodyLimit: config.responseBodyLimit, trustedCa: config.trustedCa };
  if (!config.senderThread) return makeHttpSender(options);
  return makeThreadedHttpSender(options, (error) =>
    logger.error({ err: error }, "the sending thread stopped; its requests in flight are recorded as failed attempts and retried, and the next request starts a new thread"),
  );
}

export async function startHerald(config: ResolvedConfig, options: HeraldOptions): Promise<Herald> {
  const logger = options.logger ?? makeLogger(config);
  const clock = options.clock ?? systemClock;
  const admin = config.adminToken ? { value: config.adminToken, created: false } : loadOrCreateSecretFile(config.dataDir, "admin-token", "hrld_admin_");
  const mainSecret = config.mainSecret ?? loadOrCreateSecretFile(config.dataDir, "main-secret", "").value;
  if (admin.created) {
    // Printed once, on the start that generated it; it stays in the data directory.
    process.stdout.write(`\nHerald admin token (saved in ${path.join(config.dataDir, "admin-token")}):\n  ${admin.value}\n\n`);
  }

  const role = options.api && options.worker ? "serve" : options.api ? "api" : options.worker ? "worker" : "migrate";
  const store = await openStore(config, mainSecret, logger, role);
  await store.migrate();
  await ensureOperationalApp(store, clock);
  const operationalEvents = makeOperationalEvents(store, clock);
  const addressPolicy: AddressPolicy = { allowedSubnets: config.allowedSubnets, allowedDomains: config.allowedDomains };

  let worker: Worker | null = null;
  let sender: HttpSender | null = null;
  if (options.worker) {
    sender = makeSender(config, addressPolicy, logger);
    worker = makeWorker({
      store,
      clock,
      config,
      sender,
      operationalEvents,
      addressPolicy,
      logger: logger.child({ role: "worker" }),
      random: options.random ?? Math.random,
    });
    worker.start();
  }

  let api: Api | null = null;
  let url: string | null = null;
  if (options.api) {
    api = await buildApi(
      {
        config,
        store,
        clock,
        addressPolicy,
        operationalEvents,
        adminToken: admin.value,
        mainSecret,
        notifyWork: () => worker?.wake(),
        reserveFanOut: () => worker?.reserveFanOut() ?? null,
      },
      { logger: logger.child({ role: "api" }) },
    );
    const address = await api.listen({ port: config.port, host: config.host });
    url = address.replace("0.0.0.0", "127.0.0.1");
    logger.info({ url }, "Herald API listening");
  }

  return {
    url,
    adminToken: admin.value,
    store,
    api,
    worker,
    async close() {
      // Stop taking requests first, then let in-flight deliveries finish, then close storage.
      await api?.close();
      await worker?.stop();
      await sender?.close();
      await store.close();
    },
  };
}
