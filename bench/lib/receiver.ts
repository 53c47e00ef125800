import path from "node:path";

import { announcedPort, type ChildHandle, REPO_ROOT, spawnChild } from "../../test/process/process-helpers.ts";

/** Client side of receiver-main.ts: starts it as a tracked child (killAll() stops it) and reads its counts. */
export interface RunStats {
  requests: number;
  unique: number;
  firstAt: number | null;
  lastAt: number | null;
  held: number;
}

export interface BenchReceiver {
  url: string;
  handle: ChildHandle;
  stats(run: string): Promise<RunStats>;
  latencies(run: string): Promise<number[]>;
  hold(run: string): Promise<void>;
  release(run: string): Promise<number>;
}

const MAIN = path.join(REPO_ROOT, "bench", "lib", "receiver-main.ts");
const START_TIMEOUT_MS = 15_000;

export async function startBenchReceiver(): Promise<BenchReceiver> {
  const handle = spawnChild(process.execPath, ["--import", "tsx", MAIN], { env: { ...process.env } });
  const port = await announcedPort(handle, "the receiver", START_TIMEOUT_MS);
  const url = `http://127.0.0.1:${port}`;
  const call = async <T>(method: string, pathname: string, run: string): Promise<T> => {
    const response = await fetch(`${url}${pathname}?run=${encodeURIComponent(run)}`, { method, signal: AbortSignal.timeout(30_000) });
    if (response.status !== 200) throw new Error(`receiver ${pathname} answered ${response.status}`);
    return (await response.json()) as T;
  };
  return {
    url,
    handle,
    stats: (run) => call<RunStats>("GET", "/stats", run),
    latencies: (run) => call<number[]>("GET", "/latencies", run),
    hold: async (run) => {
      await call("POST", "/hold", run);
    },
    release: async (run) => (await call<{ released: number }>("POST", "/release", run)).released,
  };
}
