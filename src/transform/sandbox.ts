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
// The API is synchronous (the caller blocks for at most timeoutMs + 50 ms); the workers start
// asynchronously, once, in initTransformations().

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
   * this, which bounds the total. Each distinct value has its own pair of workers, started by
   * initTransformations(limits) or, blocking, on first use. @defaultValue 16 MiB
   */
  memoryBytes: number;
}

export const DEFAULT_TRANSFORM_LIMITS: TransformLimits = Object.freeze({ timeoutMs: 250, memoryBytes: 16 * 1024 * 1024 });

/** Largest accepted transformation source, in UTF-8 bytes (Svix's API caps `code` at 51,200 characters). */
export const MAX_TRANSFORMATION_CODE_BYTES = 64 * 1024;

/** Smallest memory cap that still fits an empty QuickJS context with room to work. */
const MIN_MEMORY_BYTES = 1024 * 1024;

let initialised = false;

/**
 * Starts the sandbox workers (each loads the QuickJS WebAssembly module). Call once at start-up,
 * before any transformation runs, with the limits runs will use; calling again is harmless.
 *
 * @example
 * await initTransformations();
 * const out = runTransformation(code, { method: "POST", url, payload, eventType });
 */
export async function initTransformations(limits: TransformLimits = DEFAULT_TRANSFORM_LIMITS): Promise<void> {
  assertLimits(limits);
  await startSandboxHost(limits.memoryBytes);
  initialised = true;
}

/**
 * Save-time check: the code is at most 64 KiB, compiles, and defines a function named `handler`.
 * This evaluates the code's top level (that is what defines `handler`) in the sandbox under
 * `limits`, but never calls `handler`. Returns null when the code is acceptable.
 *
 * @example
 * checkTransformation("function handler(webhook) {\n  return webhook.;\n}");
 * // → { message: "transformation has a syntax error: … (line 2)", line: 2 }
 */
export function checkTransformation(
  code: string,
  limits: TransformLimits = DEFAULT_TRANSFORM_LIMITS,
): { message: string; line: number | null } | null {
  try {
    runJob("check", code, "", limits);
    return null;
  } catch (error) {
    if (error instanceof TransformationError) return { message: error.message, line: error.line };
    throw error;
  }
}

/**
 * Runs `handler(webhook)` on a copy of `input` (passed as JSON) and returns the validated result.
 * Throws TransformationError with a readable message when the code fails in any way; throws a
 * plain Error if initTransformations() has not completed or a sandbox worker cannot start.
 *
 * @example
 * const out = runTransformation(
 *   "function handler(webhook) { webhook.method = 'PUT'; return webhook; }",
 *   { method: "POST", url: "https://example.com/hook", payload: { id: 1 }, eventType: "user.created" },
 * );
 * // → { method: "PUT", url: "https://example.com/hook", payload: { id: 1 }, cancel: false }
 */
export function runTransformation(
  code: string,
  input: WebhookInput,
  limits: TransformLimits = DEFAULT_TRANSFORM_LIMITS,
): WebhookOutput {
  const json = runJob("run", code, serializeWebhookInput(input), limits);
  if (json === null) throw new Error("sandbox returned no result for a run");
  return parseWebhookOutput(json);
}

function runJob(kind: SandboxJob["kind"], code: string, inputJson: string, limits: TransformLimits): string | null {
  assertLimits(limits);
  if (!initialised) throw new Error("transformations are not initialised: await initTransformations() at start-up");
  const bytes = Buffer.byteLength(code, "utf8");
  if (bytes > MAX_TRANSFORMATION_CODE_BYTES) {
    throw new TransformationError(`transformation code is ${bytes} bytes; the limit is ${MAX_TRANSFORMATION_CODE_BYTES} bytes (64 KiB)`);
  }
  const job: SandboxJob = { kind, code, inputJson, timeoutMs: limits.timeoutMs, memoryBytes: limits.memoryBytes };
  const result = callSandbox(job, limits.timeoutMs + HARD_TIMEOUT_GRACE_MS);
  if (result.ok) return result.json;
  if ("hardTimeout" in result) throw new TransformationError(`transformation timed out after ${limits.timeoutMs} ms`);
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
