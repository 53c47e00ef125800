import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

import pino from "pino";
import { Svix } from "svix";

import { resolveConfig } from "../../src/config/config.ts";
import type { Clock } from "../../src/domain/clock.ts";
import { type Herald, startHerald } from "../../src/server.ts";
import { createTestDatabase } from "./postgres.ts";

/**
 * A real Herald (API + worker; a SQLite file in a fresh temp directory, or a fresh PostgreSQL
 * database when the engine is postgres) listening on a random
 * loopback port, plus an official `svix` SDK client pointed at it. Loopback is allow-listed so
 * tests can deliver to receivers on 127.0.0.1.
 */
export interface TestHerald {
  herald: Herald;
  url: string;
  adminToken: string;
  svix: Svix;
  dataDir: string;
  /** A `svix` client using another token (e.g. an app-scoped one). */
  client(token: string): Svix;
  close(): Promise<void>;
}

export interface TestHeraldOptions {
  clock?: Clock;
  random?: () => number;
  env?: Record<string, string>;
  /** Storage engine; defaults to HERALD_TEST_ENGINE (the runner sets it), else SQLite. */
  engine?: "sqlite" | "postgres";
}

/** The engine this test process runs on: `npm test` runs the engine-sensitive suites on both. */
export const TEST_ENGINE: "sqlite" | "postgres" = process.env.HERALD_TEST_ENGINE === "postgres" ? "postgres" : "sqlite";

export async function startTestHerald(options: TestHeraldOptions = {}): Promise<TestHerald> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "herald-test-"));
  const database = (options.engine ?? TEST_ENGINE) === "postgres" ? await createTestDatabase() : null;
  const config = resolveConfig({
    ...(database ? { HERALD_DATABASE_URL: database.url } : {}),
    HERALD_DATA_DIR: dataDir,
    HERALD_PORT: "0",
    HERALD_HOST: "127.0.0.1",
    HERALD_ALLOWED_SUBNETS: "127.0.0.0/8,::1/128",
    HERALD_ADMIN_TOKEN: "test-admin-token-0123456789",
    HERALD_LOG_LEVEL: "silent",
    ...options.env,
  });
  let herald: Herald;
  try {
    herald = await startHerald(config, {
      api: true,
      worker: true,
      clock: options.clock,
      random: options.random,
      logger: pino({ level: process.env.HERALD_TEST_LOG_LEVEL ?? "silent" }),
    });
  } catch (error) {
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const url = herald.url!;
  const client = (token: string) => new Svix(token, { serverUrl: url });
  return {
    herald,
    url,
    adminToken: herald.adminToken,
    svix: client(herald.adminToken),
    dataDir,
    client,
    async close() {
      await herald.close();
      await database?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Plain HTTP against the API, for what the SDK hides (status codes, raw error bodies). */
export async function api(
  base: string,
  token: string,
  method: string,
  pathname: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: unknown; text: string }> {
  const response = await fetch(base + pathname, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = text;
  }
  return { status: response.status, body: parsed, text };
}
