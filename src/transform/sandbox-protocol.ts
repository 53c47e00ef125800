// What the main thread and a sandbox worker exchange. Jobs and replies go through a MessagePort;
// the main thread blocks on a shared flag (Atomics.wait) until the reply is posted, then reads it
// with receiveMessageOnPort, which is what keeps the public API synchronous.

import type { MessagePort } from "node:worker_threads";

/** Index in the shared flags: 0 while a job is running, 1 once its reply has been posted. */
export const FLAG_REPLIED = 0;
/** Index in the shared flags: one of the BOOT_* states. */
export const FLAG_BOOT = 1;
export const BOOT_STARTING = 0;
export const BOOT_READY = 1;
export const BOOT_FAILED = 2;

export interface SandboxWorkerData {
  port: MessagePort;
  /** Int32Array over a SharedArrayBuffer, indexed by FLAG_*. */
  flags: Int32Array;
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
