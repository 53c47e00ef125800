import path from "node:path";

import { announcedPort, type ChildHandle, REPO_ROOT, spawnChild } from "./process-helpers.ts";

/**
 * A webhook receiver running in a child process of its own (receiver-process-main.js), for process
 * tests and benchmarks whose senders open hundreds of connections: see that file for why. It is
 * tracked like any child, so `killAll()` stops it too. Each path is a "run": endpoints point at
 * `${url}/<run>` and are read back by that path.
 */
export interface DeliveryRecord {
  /** webhook-id */
  id: string;
  /** The pid a worker preloaded with sender-tag.js put on the request, or null. */
  sender: string | null;
  /** Epoch ms when the request had fully arrived. */
  at: number;
}

export interface RunStats {
  requests: number;
  unique: number;
  firstAt: number | null;
  lastAt: number | null;
}

export interface ReceiverProcess {
  url: string;
  handle: ChildHandle;
  stats(run: string): Promise<RunStats>;
  records(run: string): Promise<DeliveryRecord[]>;
  stop(): Promise<void>;
}

const MAIN = path.join(REPO_ROOT, "test", "process", "receiver-process-main.js");

export async function startReceiverProcess(options: { delayMs?: number } = {}): Promise<ReceiverProcess> {
  const handle = spawnChild(process.execPath, [MAIN], { env: { ...process.env, RECEIVER_DELAY_MS: String(options.delayMs ?? 0) } });
  const port = await announcedPort(handle, "the receiver process", 10_000);
  const url = `http://127.0.0.1:${port}`;
  const get = async <T>(pathname: string, run: string): Promise<T> => {
    const response = await fetch(`${url}${pathname}?run=${encodeURIComponent(run)}`, { signal: AbortSignal.timeout(10_000) });
    if (response.status !== 200) throw new Error(`receiver ${pathname} answered ${response.status}`);
    return (await response.json()) as T;
  };
  return {
    url,
    handle,
    stats: (run) => get<RunStats>("/stats", run),
    records: (run) => get<DeliveryRecord[]>("/requests", run),
    async stop() {
      handle.signal("SIGTERM");
      await handle.waitForExit(10_000).catch(() => handle.kill());
    },
  };
}
