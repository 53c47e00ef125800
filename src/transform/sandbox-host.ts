// The main-thread side of the sandbox: pools of worker threads that host QuickJS, and an
// asynchronous call. The main thread never blocks on a run; it awaits the worker's reply.
//
// Why worker threads: QuickJS's interrupt handler is only polled every ~10,000 bytecode branches,
// so a loop around a heavy built-in (`for (;;) bigArray.sort()`) can run for minutes between
// polls. The worker still interrupts ordinary loops at the deadline with a clean error, but the
// main thread only waits `timeoutMs + HARD_TIMEOUT_GRACE_MS` (a timer) for the reply and then
// terminates the worker, which V8 can do even inside WebAssembly. A worker also retires after a
// crash.
//
// Per heap size (`memoryBytes`, fixed when a worker starts) there is a pool of POOL_SIZE *active*
// workers, each running one job at a time, and a *spare* that is already booted, so a terminated
// worker is replaced at once; a new spare then boots in the background (~0.3 s, tsx compiles the
// worker's TypeScript). Jobs wait for a free active worker in a FIFO queue of at most
// MAX_QUEUED_JOBS. A job's deadline starts when it is posted to a worker, so neither its time in
// the queue nor a promoted spare's boot counts against it.
//
// States of a worker: starting → ready (idle ⇄ busy) → retired (terminated); or starting → gone
// (could not load QuickJS, or not within BOOT_TIMEOUT_MS) → retired.

import { MessageChannel, type MessagePort, Worker } from "node:worker_threads";

import { typescriptWorkerUrl } from "../runtime/typescript-worker.ts";
import type { SandboxJob, SandboxReply, SandboxWorkerData, WorkerMessage, WorkerStats } from "./sandbox-protocol.ts";

/** How long past the job's own deadline the main thread waits before terminating the worker. */
export const HARD_TIMEOUT_GRACE_MS = 50;
/** Active workers per heap size, each running one job at a time (the machines have 2 cores). */
export const POOL_SIZE = 2;
/** Jobs that may wait for a worker, per heap size; past this, a call fails at once. */
export const MAX_QUEUED_JOBS = 1_000;
/** Longest wait for a worker to load QuickJS. */
const BOOT_TIMEOUT_MS = 10_000;

/**
 * A call's result: the worker's reply; no reply before the hard deadline (the worker was
 * terminated); or the worker exited during the job.
 */
export type HostResult = SandboxReply | { ok: false; hardTimeout: true } | { ok: false; exited: true };

interface SandboxWorker {
  readonly worker: Worker;
  readonly port: MessagePort;
  /** Resolves to null once QuickJS has loaded, or to the reason this worker cannot be used. */
  readonly booted: Promise<Error | null>;
  /** Loaded QuickJS and has not exited. */
  ready: boolean;
  /** Exited, failed to boot or was retired: it gets no further job. */
  gone: boolean;
  retired: boolean;
  /** Has a job, or a job is waiting for it to boot. */
  busy: boolean;
  stats: WorkerStats | null;
  /** Settles the job in flight, if any. */
  settle: ((result: HostResult) => void) | null;
}

const counters = { workersStarted: 0, workersRetired: 0 };
let lastWorkerError: unknown = null;

function startWorker(memoryBytes: number): SandboxWorker {
  const { port1, port2 } = new MessageChannel();
  const data: SandboxWorkerData = { port: port2, memoryBytes };
  const worker = new Worker(typescriptWorkerUrl(new URL("./sandbox-worker.ts", import.meta.url)), {
    workerData: data,
    transferList: [port2],
    execArgv: [],
    resourceLimits: { stackSizeMb: 4 },
  });
  let settleBoot: (error: Error | null) => void = () => {};
  const booted = new Promise<Error | null>((resolve) => {
    settleBoot = resolve;
  });
  const entry: SandboxWorker = { worker, port: port1, booted, ready: false, gone: false, retired: false, busy: false, stats: null, settle: null };
  // Not unref'd: a caller awaiting this worker's boot must keep the process alive.
  const bootTimer = setTimeout(() => {
    entry.gone = true;
    settleBoot(new Error("a transformation sandbox worker did not start in time", { cause: lastWorkerError }));
    retire(entry);
  }, BOOT_TIMEOUT_MS);
  port1.on("message", (message: WorkerMessage) => {
    if (message.type === "ready") {
      clearTimeout(bootTimer);
      entry.ready = !entry.gone;
      settleBoot(null);
      return;
    }
    entry.stats = message.reply.stats;
    entry.settle?.(message.reply);
  });
  // Idle workers must not keep the process alive; a job in flight does, through its deadline timer.
  port1.unref();
  worker.unref();
  // Without an 'error' listener a worker's uncaught error would be rethrown in the main thread.
  worker.on("error", (error) => {
    lastWorkerError = error;
  });
  worker.on("exit", () => {
    clearTimeout(bootTimer);
    entry.ready = false;
    entry.gone = true;
    settleBoot(new Error("a transformation sandbox worker failed to start", { cause: lastWorkerError }));
    entry.settle?.({ ok: false, exited: true });
  });
  counters.workersStarted += 1;
  return entry;
}

function retire(entry: SandboxWorker): void {
  entry.ready = false;
  entry.gone = true;
  if (entry.retired) return;
  entry.retired = true;
  counters.workersRetired += 1;
  entry.worker.terminate().then(undefined, (error: unknown) => {
    lastWorkerError = error;
  });
}

/** Posts one job to a ready worker and waits at most `hardTimeoutMs` for its reply. */
function callWorker(entry: SandboxWorker, job: SandboxJob, hardTimeoutMs: number): Promise<HostResult> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => finish({ ok: false, hardTimeout: true }), hardTimeoutMs);
    const finish = (result: HostResult): void => {
      clearTimeout(timer);
      entry.settle = null;
      resolve(result);
    };
    entry.settle = finish;
    entry.port.postMessage(job);
  });
}

interface QueuedJob {
  job: SandboxJob;
  hardTimeoutMs: number;
  resolve: (result: HostResult) => void;
  reject: (error: unknown) => void;
}

/** The active workers, the spare and the queue for one heap size. */
class WorkerPool {
  readonly #memoryBytes: number;
  /** At most POOL_SIZE workers, each starting, idle or busy. */
  readonly #active: SandboxWorker[] = [];
  #spare: SandboxWorker | null = null;
  readonly #queue: QueuedJob[] = [];

  constructor(memoryBytes: number) {
    this.#memoryBytes = memoryBytes;
  }

  /** Starts the active workers and the spare (if needed) and resolves once they are ready. */
  async start(): Promise<void> {
    this.#fill();
    const workers = this.#spare === null ? this.#active : [...this.#active, this.#spare];
    const failure = (await Promise.all(workers.map((entry) => entry.booted))).find((error) => error !== null);
    if (failure) throw failure;
  }

  /** Queues a job for the next free active worker; the deadline starts when the worker takes it. */
  run(job: SandboxJob, hardTimeoutMs: number): Promise<HostResult> {
    if (this.#queue.length >= MAX_QUEUED_JOBS) {
      return Promise.reject(new Error(`transformation queue is full: ${MAX_QUEUED_JOBS} runs are already waiting for a sandbox worker`));
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ job, hardTimeoutMs, resolve, reject });
      this.#dispatch();
    });
  }

  get waiting(): number {
    return this.#queue.length;
  }

  /** The active workers' counts as of their last replies: runtimes summed, the largest memory. */
  get activeStats(): WorkerStats | null {
    const all = this.#active.flatMap((entry) => (entry.stats === null ? [] : [entry.stats]));
    if (all.length === 0) return null;
    return {
      runtimesCreated: all.reduce((sum, stats) => sum + stats.runtimesCreated, 0),
      runtimesDisposed: all.reduce((sum, stats) => sum + stats.runtimesDisposed, 0),
      wasmMemoryBytes: Math.max(...all.map((stats) => stats.wasmMemoryBytes)),
    };
  }

  /** Hands queued jobs to free active workers, replacing any that are gone. */
  #dispatch(): void {
    this.#fill();
    for (;;) {
      const free = this.#active.filter((entry) => !entry.busy);
      // A booted worker first; else one still booting (the job waits for it, as it would in the queue).
      const entry = free.find((candidate) => candidate.ready) ?? free[0];
      const queued = entry === undefined ? undefined : this.#queue.shift();
      if (entry === undefined || queued === undefined) return;
      entry.busy = true;
      void this.#runOn(entry, queued);
    }
  }

  async #runOn(entry: SandboxWorker, queued: QueuedJob): Promise<void> {
    try {
      const bootError = await entry.booted;
      if (bootError !== null) throw bootError;
      const result = await callWorker(entry, queued.job, queued.hardTimeoutMs);
      if (!result.ok && ("hardTimeout" in result || "exited" in result || result.retire)) this.#retire(entry);
      queued.resolve(result);
    } catch (error) {
      this.#retire(entry);
      queued.reject(error);
    } finally {
      entry.busy = false;
      this.#dispatch();
    }
  }

  /** Drops idle workers that are gone, then tops the pool up: the spare first, then the new spare. */
  #fill(): void {
    for (const entry of this.#active.filter((candidate) => candidate.gone && !candidate.busy)) this.#retire(entry);
    if (this.#spare?.gone) {
      retire(this.#spare);
      this.#spare = null;
    }
    while (this.#active.length < POOL_SIZE) {
      this.#active.push(this.#spare ?? startWorker(this.#memoryBytes));
      this.#spare = null;
    }
    this.#spare ??= startWorker(this.#memoryBytes);
  }

  #retire(entry: SandboxWorker): void {
    retire(entry);
    const index = this.#active.indexOf(entry);
    if (index !== -1) this.#active.splice(index, 1);
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

/** Boots the workers for `memoryBytes` (if needed) and resolves once they are all ready. */
export async function startSandboxHost(memoryBytes: number): Promise<void> {
  await poolFor(memoryBytes).start();
}

/**
 * Runs a job in a worker whose heap is capped at the job's `memoryBytes`, once one is free.
 * Rejects (plain Error) when the queue is full or the worker cannot start.
 */
export function callSandbox(job: SandboxJob, hardTimeoutMs: number): Promise<HostResult> {
  return poolFor(job.memoryBytes).run(job, hardTimeoutMs);
}

/**
 * Counters for tests and diagnostics: workers started and retired, jobs waiting for a worker, and
 * the active workers' own counts (runtimes created/disposed, WebAssembly memory) as of their last
 * replies.
 * @internal
 */
export function sandboxStats(memoryBytes: number): {
  workersStarted: number;
  workersRetired: number;
  waiting: number;
  active: WorkerStats | null;
} {
  const pool = pools.get(memoryBytes);
  return { ...counters, waiting: pool?.waiting ?? 0, active: pool?.activeStats ?? null };
}
