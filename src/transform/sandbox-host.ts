// The main-thread side of the sandbox: worker threads that host QuickJS, and a synchronous call.
//
// Why worker threads: QuickJS's interrupt handler is only polled every ~10,000 bytecode branches,
// so a loop around a heavy built-in (`for (;;) bigArray.sort()`) can run for minutes between
// polls. The worker still interrupts ordinary loops at the deadline with a clean error, but the
// main thread only waits `timeoutMs + HARD_TIMEOUT_GRACE_MS` (Atomics.wait) and then terminates
// the worker, which V8 can do even inside WebAssembly. A worker also retires after a crash.
//
// Per heap size (`memoryBytes`, fixed when a worker starts) there is an *active* worker and a
// *spare* that is already booted, so a terminated worker is replaced at once; a new spare then
// boots in the background (~0.3 s, tsx compiles the worker's TypeScript). If the spare is not
// ready yet, the call blocks until it is (BOOT_TIMEOUT_MS at most).
//
// States of a worker: starting → ready → retired (terminated), or failed (could not load QuickJS).

import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from "node:worker_threads";

import {
  BOOT_FAILED,
  BOOT_READY,
  BOOT_STARTING,
  FLAG_BOOT,
  FLAG_REPLIED,
  type SandboxJob,
  type SandboxReply,
  type SandboxWorkerData,
  type WorkerStats,
} from "./sandbox-protocol.ts";

/** How long past the job's own deadline the main thread waits before terminating the worker. */
export const HARD_TIMEOUT_GRACE_MS = 50;
/** Longest wait for a worker to load QuickJS. */
const BOOT_TIMEOUT_MS = 10_000;
const BOOT_POLL_MS = 5;

/** A call's result: the worker's reply, or no reply before the hard deadline (worker terminated). */
export type HostResult = SandboxReply | { ok: false; hardTimeout: true };

interface SandboxWorker {
  worker: Worker;
  port: MessagePort;
  flags: Int32Array;
  exited: boolean;
  stats: WorkerStats | null;
}

const counters = { workersStarted: 0, workersRetired: 0 };
let lastWorkerError: unknown = null;

function startWorker(memoryBytes: number): SandboxWorker {
  const flags = new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT));
  const { port1, port2 } = new MessageChannel();
  const data: SandboxWorkerData = { port: port2, flags, memoryBytes };
  const worker = new Worker(bootstrapUrl(), {
    workerData: data,
    transferList: [port2],
    execArgv: [],
    resourceLimits: { stackSizeMb: 4 },
  });
  worker.unref();
  const entry: SandboxWorker = { worker, port: port1, flags, exited: false, stats: null };
  // Without an 'error' listener a worker's uncaught error would be rethrown in the main thread.
  worker.on("error", (error) => {
    lastWorkerError = error;
  });
  worker.on("exit", () => {
    entry.exited = true;
  });
  counters.workersStarted += 1;
  return entry;
}

/** The worker runs TypeScript: register tsx in it, then import the entry module. */
function bootstrapUrl(): URL {
  const tsx = import.meta.resolve("tsx/esm/api");
  const entry = new URL("./sandbox-worker.ts", import.meta.url).href;
  const source = `import { register } from ${JSON.stringify(tsx)};\nregister();\nawait import(${JSON.stringify(entry)});\n`;
  return new URL(`data:text/javascript,${encodeURIComponent(source)}`);
}

function retire(entry: SandboxWorker): void {
  counters.workersRetired += 1;
  entry.worker.terminate().then(undefined, (error: unknown) => {
    lastWorkerError = error;
  });
}

/** Blocks until the worker has loaded QuickJS; false if it failed or took too long. */
function waitBootedSync(entry: SandboxWorker): boolean {
  Atomics.wait(entry.flags, FLAG_BOOT, BOOT_STARTING, BOOT_TIMEOUT_MS);
  return Atomics.load(entry.flags, FLAG_BOOT) === BOOT_READY && !entry.exited;
}

async function waitBooted(entry: SandboxWorker): Promise<void> {
  const giveUpAt = Date.now() + BOOT_TIMEOUT_MS;
  while (Atomics.load(entry.flags, FLAG_BOOT) === BOOT_STARTING && !entry.exited && Date.now() < giveUpAt) {
    await new Promise((resolve) => setTimeout(resolve, BOOT_POLL_MS));
  }
  if (Atomics.load(entry.flags, FLAG_BOOT) !== BOOT_READY || entry.exited) {
    throw new Error("a transformation sandbox worker failed to start", { cause: lastWorkerError });
  }
}

/** The active and spare workers for one heap size. */
class WorkerPool {
  readonly #memoryBytes: number;
  #active: SandboxWorker | null = null;
  #spare: SandboxWorker | null = null;

  constructor(memoryBytes: number) {
    this.#memoryBytes = memoryBytes;
  }

  /** Starts both workers (if needed) and resolves once they are ready. */
  async start(): Promise<void> {
    this.#active ??= startWorker(this.#memoryBytes);
    this.#spare ??= startWorker(this.#memoryBytes);
    await Promise.all([waitBooted(this.#active), waitBooted(this.#spare)]);
  }

  /** Runs one job synchronously, waiting at most `hardTimeoutMs` for the reply. */
  call(job: SandboxJob, hardTimeoutMs: number): HostResult {
    const entry = this.#take();
    Atomics.store(entry.flags, FLAG_REPLIED, 0);
    entry.port.postMessage(job);
    Atomics.wait(entry.flags, FLAG_REPLIED, 0, hardTimeoutMs);
    const reply = receiveMessageOnPort(entry.port)?.message as SandboxReply | undefined;
    if (reply === undefined) {
      this.#retireActive(entry);
      return { ok: false, hardTimeout: true };
    }
    entry.stats = reply.stats;
    if (!reply.ok && reply.retire) this.#retireActive(entry);
    return reply;
  }

  get activeStats(): WorkerStats | null {
    return this.#active?.stats ?? null;
  }

  /** A ready worker: the active one, else the spare, else a new one; a new spare starts in the background. */
  #take(): SandboxWorker {
    if (this.#active?.exited) this.#retireActive(this.#active);
    if (this.#active === null) {
      this.#active = this.#spare ?? startWorker(this.#memoryBytes);
      this.#spare = null;
    }
    this.#spare ??= startWorker(this.#memoryBytes);
    if (Atomics.load(this.#active.flags, FLAG_BOOT) === BOOT_READY && !this.#active.exited) return this.#active;
    if (!waitBootedSync(this.#active)) {
      const failed = Atomics.load(this.#active.flags, FLAG_BOOT) === BOOT_FAILED;
      this.#retireActive(this.#active);
      throw new Error(`a transformation sandbox worker ${failed ? "failed to start" : "did not start in time"}`, {
        cause: lastWorkerError,
      });
    }
    return this.#active;
  }

  #retireActive(entry: SandboxWorker): void {
    retire(entry);
    if (this.#active === entry) this.#active = null;
  }
}

const pools = new Map<number, WorkerPool>();

function poolFor(memoryBytes: number): WorkerPool {
  let pool = pools.get(memoryBytes);
  if (pool === undefined) {
    pool = new WorkerPool(memoryBytes);
    pools.set(memoryBytes, pool);
  }
  return pool;
}

/** Boots the workers for `memoryBytes`. */
export async function startSandboxHost(memoryBytes: number): Promise<void> {
  await poolFor(memoryBytes).start();
}

/** Runs a job in a worker whose heap is capped at the job's `memoryBytes` (booting one if needed). */
export function callSandbox(job: SandboxJob, hardTimeoutMs: number): HostResult {
  return poolFor(job.memoryBytes).call(job, hardTimeoutMs);
}

/**
 * Counters for tests and diagnostics: workers started and retired, and the active worker's own
 * counts (runtimes created/disposed, WebAssembly memory) as of its last reply.
 * @internal
 */
export function sandboxStats(memoryBytes: number): {
  workersStarted: number;
  workersRetired: number;
  active: WorkerStats | null;
} {
  return { ...counters, active: pools.get(memoryBytes)?.activeStats ?? null };
}
