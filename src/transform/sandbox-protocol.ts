// What the main thread and a sandbox worker exchange, all through one MessagePort: the worker
// posts `ready` once QuickJS has loaded (or exits if it cannot load it), then answers each job
// with one `reply`, in order. The main thread waits for messages asynchronously, never blocking.

import type { MessagePort } from "node:worker_threads";

export interface SandboxWorkerData {
  port: MessagePort;
  /** Heap cap for this worker's QuickJS module, on top of the module's initial memory. */
  memoryBytes: number;
}

export interface SandboxJob {
  /** `check` evaluates the code and looks for `handler`; `run` also calls it with `inputJson`. */
  kind: "check" | "run";
  code: string;
  inputJson: string;
  timeoutMs: number;
  memoryBytes: number;
}

export interface WorkerStats {
  runtimesCreated: number;
  runtimesDisposed: number;
  wasmMemoryBytes: number;
}

export type SandboxReply =
  | { ok: true; json: string | null; stats: WorkerStats }
  | {
      ok: false;
      message: string;
      line: number | null;
      /** The worker's module may be damaged (V8 threw out of the WebAssembly code): stop using it. */
      retire: boolean;
      stats: WorkerStats;
    };

/** A message from a worker to the main thread. */
export type WorkerMessage = { type: "ready" } | { type: "reply"; reply: SandboxReply };
