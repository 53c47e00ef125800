// Entry point of a sandbox worker thread (started by sandbox-host.ts). It loads one QuickJS
// module whose WebAssembly memory has a hard maximum, then runs jobs one at a time, each in a
// fresh SandboxSession, and answers through the shared port and flags (see sandbox-protocol.ts).
//
// The memory maximum is what bounds a run's total memory: QuickJS's own limit only refuses single
// allocations larger than the limit in this build (quickjs-emscripten issue #271: its allocator
// reports usable size 0 under Emscripten, so many small allocations never add up). With a capped
// memory, the allocator fails once the module's heap is full and QuickJS throws "out of memory".

import { workerData } from "node:worker_threads";

import { newQuickJSWASMModule, newVariant, type QuickJSWASMModule, RELEASE_SYNC } from "quickjs-emscripten";

import {
  BOOT_FAILED,
  BOOT_READY,
  FLAG_BOOT,
  FLAG_REPLIED,
  type SandboxJob,
  type SandboxReply,
  type SandboxWorkerData,
  type WorkerStats,
} from "./sandbox-protocol.ts";
import { SandboxSession, sessionCounts } from "./sandbox-session.ts";
import { TransformationError } from "./transformation-error.ts";

// Node has WebAssembly; this project's lib settings do not declare it.
declare const WebAssembly: { Memory: new (descriptor: { initial: number; maximum: number }) => object };

const WASM_PAGE_BYTES = 64 * 1024;
/** The module's declared initial memory (Emscripten's default INITIAL_MEMORY, 16 MiB). */
const INITIAL_PAGES = 256;

const { port, flags, memoryBytes } = workerData as SandboxWorkerData;

let module: QuickJSWASMModule;
try {
  const memory = new WebAssembly.Memory({
    initial: INITIAL_PAGES,
    maximum: INITIAL_PAGES + Math.ceil(memoryBytes / WASM_PAGE_BYTES),
  });
  module = await newQuickJSWASMModule(newVariant(RELEASE_SYNC, { wasmMemory: memory }));
} catch (error) {
  Atomics.store(flags, FLAG_BOOT, BOOT_FAILED);
  Atomics.notify(flags, FLAG_BOOT);
  throw error;
}

port.on("message", (job: SandboxJob) => {
  const reply = runJob(job);
  port.postMessage(reply);
  Atomics.store(flags, FLAG_REPLIED, 1);
  Atomics.notify(flags, FLAG_REPLIED);
});
Atomics.store(flags, FLAG_BOOT, BOOT_READY);
Atomics.notify(flags, FLAG_BOOT);

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
