// Svix-style transformations: user JavaScript that defines `function handler(webhook)` and may
// change the webhook's method (POST or PUT), url and payload, or set `cancel: true`.
//
// The code runs in QuickJS compiled to WebAssembly (quickjs-emscripten, sync build), inside a
// worker thread: a separate heap with only the ECMAScript built-ins, so no require, process,
// fetch, file system, network or host globalThis. Every run (and every save-time check) gets a
// fresh QuickJS runtime with a deadline, a memory cap and a stack cap, disposed afterwards; the
// main thread terminates the worker if it overruns the deadline anyway. See sandbox-session.ts for
// one run, sandbox-worker.ts for the worker, sandbox-host.ts for the workers' lifecycle.
//
// The API is asynchronous and never blocks the calling thread: a run waits (in a bounded queue)
// for one of a few workers per memory size, and the workers start on first use or, earlier, in
// initTransformations().

import { callSandbox, HARD_TIMEOUT_GRACE_MS, startSandboxHost } from "./sandbox-host.ts";
import type { SandboxJob } from "./sandbox-protocol.ts";
import { TransformationError } from "./transformation-error.ts";
import { parseWebhookOutput, serializeWebhookInput, type WebhookInput, type WebhookOutput } from "./webhook-shape.ts";

export { TransformationError } from "./transformation-error.ts";
export type { TransformationMethod, WebhookInput, WebhookOutput } from "./webhook-shape.ts";

export interface TransformLimits {
  /**
   * Deadline for one run: top-level code, handler, and passing the webhook in and out as JSON
   * (an identity handler on a 1 MiB payload takes ~75 ms in QuickJS). @defaultValue 250
   */
  timeoutMs: number;
  /**
   * Memory for one run, the parsed input included. QuickJS refuses any single allocation over it,
   * and the worker's WebAssembly memory is capped at 16 MiB (the module's initial memory) plus
   * this, which bounds the total. Each distinct value has its own pool of workers, started by
   * initTransformations(limits) or on first use. @defaultValue 16 MiB
   */
  memoryBytes: number;
}

export const DEFAULT_TRANSFORM_LIMITS: TransformLimits = Object.freeze({ timeoutMs: 250, memoryBytes: 16 * 1024 * 1024 });

/** Largest accepted transformation source, in UTF-8 bytes (Svix's API caps `code` at 51,200 characters). */
export const MAX_TRANSFORMATION_CODE_BYTES = 64 * 1024;

/** Smallest memory cap that still fits an empty QuickJS context with room to work. */
const MIN_MEMORY_BYTES = 1024 * 1024;

/** Each memory size's start-up, shared by concurrent callers and forgotten if it fails (a later call retries). */
const starting = new Map<number, Promise<void>>();

/**
 * Starts the sandbox workers for `limits.memoryBytes` (each loads the QuickJS WebAssembly module)
 * and resolves once they are ready. The run and check functions call it themselves; calling it at
 * start-up only saves the first run the workers' boot time (~0.3 s). Calling again is harmless.
 *
 * @example
 * await initTransformations();
 */
export async function initTransformations(limits: TransformLimits = DEFAULT_TRANSFORM_LIMITS): Promise<void> {
  assertLimits(limits);
  let start = starting.get(limits.memoryBytes);
  if (start === undefined) {
    start = startSandboxHost(limits.memoryBytes);
    starting.set(limits.memoryBytes, start);
  }
  try {
    await start;
  } catch (error) {
    if (starting.get(limits.memoryBytes) === start) starting.delete(limits.memoryBytes);
    throw error;
  }
}

/**
 * Save-time check: the code is at most 64 KiB, compiles, and defines a function named `handler`.
 * This evaluates the code's top level (that is what defines `handler`) in the sandbox under
 * `limits`, but never calls `handler`. Resolves to null when the code is acceptable.
 *
 * @example
 * await checkTransformationAsync("function handler(webhook) {\n  return webhook.;\n}");
 * // → { message: "transformation has a syntax error: … (line 2)", line: 2 }
 */
export async function checkTransformationAsync(
  code: string,
  limits: TransformLimits = DEFAULT_TRANSFORM_LIMITS,
): Promise<{ message: string; line: number | null } | null> {
  try {
    await runJob("check", code, "", limits);
    return null;
  } catch (error) {
    if (error instanceof TransformationError) return { message: error.message, line: error.line };
    throw error;
  }
}

/**
 * Runs `handler(webhook)` on a copy of `input` (passed as JSON) and resolves to the validated
 * result. Rejects with TransformationError with a readable message when the code fails in any
 * way; with a plain Error if a sandbox worker cannot start or the queue of waiting runs is full
 * (MAX_QUEUED_JOBS in sandbox-host.ts).
 *
 * @example
 * const out = await runTransformationAsync(
 *   "function handler(webhook) { webhook.method = 'PUT'; return webhook; }",
 *   { method: "POST", url: "https://example.com/hook", payload: { id: 1 }, eventType: "user.created" },
 * );
 * // → { method: "PUT", url: "https://example.com/hook", payload: { id: 1 }, cancel: false }
 */
export async function runTransformationAsync(
  code: string,
  input: WebhookInput,
  limits: TransformLimits = DEFAULT_TRANSFORM_LIMITS,
): Promise<WebhookOutput> {
  const json = await runJob("run", code, serializeWebhookInput(input), limits);
  if (json === null) throw new Error("sandbox returned no result for a run");
  return parseWebhookOutput(json);
}

async function runJob(kind: SandboxJob["kind"], code: string, inputJson: string, limits: TransformLimits): Promise<string | null> {
  assertLimits(limits);
  const bytes = Buffer.byteLength(code, "utf8");
  if (bytes > MAX_TRANSFORMATION_CODE_BYTES) {
    throw new TransformationError(`transformation code is ${bytes} bytes; the limit is ${MAX_TRANSFORMATION_CODE_BYTES} bytes (64 KiB)`);
  }
  await initTransformations(limits);
  const job: SandboxJob = { kind, code, inputJson, timeoutMs: limits.timeoutMs, memoryBytes: limits.memoryBytes };
  const result = await callSandbox(job, limits.timeoutMs + HARD_TIMEOUT_GRACE_MS);
  if (result.ok) return result.json;
  if ("hardTimeout" in result) throw new TransformationError(`transformation timed out after ${limits.timeoutMs} ms`);
  if ("exited" in result) throw new TransformationError("transformation crashed the sandbox (its worker thread exited)");
  throw new TransformationError(result.message, { line: result.line });
}

function assertLimits(limits: TransformLimits): void {
  if (!Number.isFinite(limits.timeoutMs) || limits.timeoutMs <= 0) {
    throw new Error(`transformation timeoutMs must be a positive number, got ${limits.timeoutMs}`);
  }
  if (!Number.isSafeInteger(limits.memoryBytes) || limits.memoryBytes < MIN_MEMORY_BYTES) {
    throw new Error(`transformation memoryBytes must be an integer of at least ${MIN_MEMORY_BYTES}, got ${limits.memoryBytes}`);
  }
}
