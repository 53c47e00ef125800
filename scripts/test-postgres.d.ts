/** Types for test-postgres.js (a plain script, also used from TypeScript benchmarks and tests). */
export interface TestPostgres {
  /** Admin URL: `postgres://postgres:<password>@127.0.0.1:<port>/postgres`. */
  url: string;
  port: number;
  dataDir: string;
  /** Stops the server and removes its data directory. */
  stop(): Promise<void>;
}

/**
 * Starts a throwaway embedded PostgreSQL server on a free loopback port. By default without
 * fsync or full-page writes and with asynchronous commits (fast tests); `durable` keeps
 * PostgreSQL's defaults for them, as a deployment would (the benchmarks).
 */
export function startTestPostgres(options?: { durable?: boolean }): Promise<TestPostgres>;
