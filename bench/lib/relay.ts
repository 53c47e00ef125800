import path from "node:path";

import { announcedPort, type ChildHandle, REPO_ROOT, spawnChild } from "../../test/process/process-helpers.ts";

/** Client side of relay-main.ts: starts it as a tracked child (killAll() stops it too). */
export interface BenchRelay {
  url: string;
  handle: ChildHandle;
  stop(): Promise<void>;
}

const MAIN = path.join(REPO_ROOT, "bench", "lib", "relay-main.ts");
const START_TIMEOUT_MS = 15_000;

export async function startBenchRelay(receiverUrl: string, connections: number): Promise<BenchRelay> {
  const handle = spawnChild(process.execPath, ["--import", "tsx", MAIN, receiverUrl, String(connections)], { env: { ...process.env } });
  const port = await announcedPort(handle, "the relay", START_TIMEOUT_MS);
  return {
    url: `http://127.0.0.1:${port}`,
    handle,
    async stop() {
      handle.signal("SIGTERM");
      await handle.waitForExit(10_000).catch(() => handle.kill());
    },
  };
}
