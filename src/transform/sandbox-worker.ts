// Entry point of a sandbox worker thread (started by sandbox-host.ts). It loads one QuickJS
// module whose WebAssembly memory has a hard maximum, then runs jobs one at a time, each in a
// fresh SandboxSession, and answers through its port (see sandbox-protocol.ts).
//
// The memory maximum is what bounds a run's total memory: QuickJS's own limit only refuses single
// allocations larger than the limit in this build (quickjs-emscripten issue #271: its allocator
// reports usable size 0 under Emscripten, so many small allocations never add up). With a capped
// memory, the allocator fails once the module's heap is full and QuickJS throws "out of memory".

import { workerData } from "node:worker_threads";

import { newQuickJSWASMModule, newVariant, type QuickJSWASMModule, RELEASE_SYNC } from "quickjs-emscripten";

import type { SandboxJob, SandboxReply, SandboxWorkerData, WorkerMessage, WorkerStats } from "./sandbox-protocol.ts";
import { SandboxSession, sessionCounts } from "./sandbox-session.ts";
import { TransformationError } from "./transformation-error.ts";

// Node has WebAssembly; this project's lib settings do not declare it.
declare const WebAssembly: { Memory: new (descriptor: { initial: number; maximum: number }) => object };

const WASM_PAGE_BYTES = 64 * 1024;
/** The module's declared initial memory (Emscripten's default INITIAL_MEMORY, 16 MiB). */
const INITIAL_PAGES = 256;

const { port, memoryBytes } = workerData as SandboxWorkerData;

// If this throws, the worker exits without posting `ready`, which the main thread reports.
const module: QuickJSWASMModule = await newQuickJSWASMModule(
  newVariant(RELEASE_SYNC, {
    wasmMemory: new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: INITIAL_PAGES + Math.ceil(memoryBytes / WASM_PAGE_BYTES) }),
  }),
);

port.on("message", (job: SandboxJob) => {
  post({ type: "reply", reply: runJob(job) });
});
post({ type: "ready" });

function post(message: WorkerMessage): void {
  port.postMessage(message);
}

function runJob(job: SandboxJob): SandboxReply {
  let outcome: { ok: true; json: string | null } | { ok: false; error: TransformationError };
  try {
    const session = new SandboxSession(module, job);
    try {
      const handler = session.defineHandler(job.code);
      outcome = { ok: true, json: job.kind === "run" ? session.callHandler(handler, job.inputJson) : null };
    } catch (error) {
      if (!(error instanceof TransformationError)) throw error;
      outcome = { ok: false, error };
    }
    session.dispose();
  } catch (error) {
    // V8 threw out of the middle of the WebAssembly code (typically its native stack ran out on
    // deeply nested code or data): the module's heap may be inconsistent, so this worker retires.
    const reason = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      message: `transformation crashed the sandbox (${reason}); its code or data is probably nested too deeply`,
      line: null,
      retire: true,
      stats: stats(),
    };
  }
  if (outcome.ok) return { ok: true, json: outcome.json, stats: stats() };
  return { ok: false, message: outcome.error.message, line: outcome.error.line, retire: false, stats: stats() };
}

function stats(): WorkerStats {
  return { ...sessionCounts, wasmMemoryBytes: module.getWasmMemory().buffer.byteLength };
}
