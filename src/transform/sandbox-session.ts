// One sandboxed run (inside a sandbox worker): a fresh QuickJS runtime and context, used once and
// disposed, so nothing a transformation does (globals, prototype changes) outlives it.
//
// The context has only the ECMAScript built-ins: quickjs-emscripten adds no std/os modules, no
// console, no timers and no host functions, and nothing from the host is ever passed in; data
// crosses as JSON text only. Limits are per runtime: a memory limit (in this build it refuses
// single allocations over the limit; the worker's capped WebAssembly memory bounds the total), a
// stack cap, and a deadline checked by QuickJS's interrupt handler (QuickJS interrupts are
// uncatchable, so `try {} catch {}` cannot swallow them; the host's hard deadline covers the rest).

import type { DisposableResult, QuickJSContext, QuickJSHandle, QuickJSRuntime, QuickJSWASMModule } from "quickjs-emscripten";

import { describeThrown, TRANSFORMATION_FILENAME, TransformationError } from "./transformation-error.ts";

/**
 * QuickJS's own stack limit. Its frames also use the thread's native (V8) stack, which runs out
 * first when this is larger: measured in a worker with a 4 MiB stack, 256 KiB already lets deeply
 * nested source (50,000 parentheses) overflow V8 (handled, but it costs the worker). 64 KiB
 * allows ~340 nested calls of a plain recursive function and JSON nesting of ~4,000.
 */
export const MAX_STACK_BYTES = 64 * 1024;

/** Resolves `handler` like user code would, so `function handler`, `var` and `const` all work. */
const FIND_HANDLER = 'typeof handler === "function" ? handler : undefined';

/** Runtimes created and disposed in this thread; a difference that grows is a leak. */
export const sessionCounts = { runtimesCreated: 0, runtimesDisposed: 0 };

export interface SessionLimits {
  timeoutMs: number;
  memoryBytes: number;
}

export class SandboxSession {
  readonly #limits: SessionLimits;
  readonly #runtime: QuickJSRuntime;
  readonly #context: QuickJSContext;
  readonly #handles: QuickJSHandle[] = [];
  readonly #json: QuickJSHandle;
  readonly #jsonParse: QuickJSHandle;
  readonly #jsonStringify: QuickJSHandle;
  #timedOut = false;

  constructor(module: QuickJSWASMModule, limits: SessionLimits) {
    this.#limits = limits;
    this.#runtime = module.newRuntime();
    sessionCounts.runtimesCreated += 1;
    this.#runtime.setMemoryLimit(limits.memoryBytes);
    this.#runtime.setMaxStackSize(MAX_STACK_BYTES);
    const deadline = performance.now() + limits.timeoutMs;
    this.#runtime.setInterruptHandler(() => {
      if (performance.now() < deadline) return false;
      this.#timedOut = true;
      return true;
    });
    this.#context = this.#runtime.newContext();
    // Taken before user code runs, so a transformation that replaces JSON.parse/stringify only
    // affects its own code.
    this.#json = this.#track(this.#context.getProp(this.#context.global, "JSON"));
    this.#jsonParse = this.#track(this.#context.getProp(this.#json, "parse"));
    this.#jsonStringify = this.#track(this.#context.getProp(this.#json, "stringify"));
  }

  /** Runs the user's code (top level) and returns its `handler` function. */
  defineHandler(code: string): QuickJSHandle {
    this.#unwrap(this.#context.evalCode(code, TRANSFORMATION_FILENAME, { type: "global" }));
    const handler = this.#unwrap(this.#context.evalCode(FIND_HANDLER, "<herald>", { type: "global" }));
    if (this.#context.typeof(handler) !== "function") {
      throw new TransformationError(
        "transformation must define a function named handler, e.g. function handler(webhook) { return webhook; }",
      );
    }
    return handler;
  }

  /** Calls `handler` with the parsed `inputJson`; returns the JSON text of what it returned. */
  callHandler(handler: QuickJSHandle, inputJson: string): string {
    const context = this.#context;
    const text = this.#track(context.newString(inputJson));
    const webhook = this.#unwrap(context.callFunction(this.#jsonParse, this.#json, text));
    const result = this.#unwrap(context.callFunction(handler, context.undefined, webhook));
    const type = context.typeof(result);
    if (type === "undefined") throw new TransformationError("handler returned nothing; it must return the webhook object");
    if (type === "object" && this.#isPromise(result)) {
      throw new TransformationError("handler returned a Promise; transformations must be synchronous (no async/await)");
    }
    const stringified = context.callFunction(this.#jsonStringify, this.#json, result);
    if (stringified.error && !this.#timedOut) {
      const reason = this.#describe(this.#track(stringified.error));
      throw new TransformationError(`the webhook returned by handler is not JSON-serialisable: ${reason.message}`, { line: reason.line });
    }
    const json = this.#unwrap(stringified);
    if (context.typeof(json) !== "string") throw new TransformationError(`handler must return the webhook object, got ${type}`);
    return context.getString(json);
  }

  /** Frees every handle, the context and the runtime. Only call while the module is healthy. */
  dispose(): void {
    for (const handle of this.#handles.reverse()) if (handle.alive) handle.dispose();
    this.#context.dispose();
    this.#runtime.dispose();
    sessionCounts.runtimesDisposed += 1;
  }

  #isPromise(handle: QuickJSHandle): boolean {
    const state = this.#context.getPromiseState(handle);
    if (state.type === "fulfilled" && state.notAPromise) return false;
    // A settled promise's state carries a new handle to its value or reason.
    if (state.type === "fulfilled") this.#track(state.value);
    if (state.type === "rejected") this.#track(state.error);
    return true;
  }

  #track(handle: QuickJSHandle): QuickJSHandle {
    this.#handles.push(handle);
    return handle;
  }

  #unwrap(result: DisposableResult<QuickJSHandle, QuickJSHandle>): QuickJSHandle {
    if (!result.error) return this.#track(result.value);
    const error = this.#track(result.error);
    if (this.#timedOut) throw new TransformationError(`transformation timed out after ${this.#limits.timeoutMs} ms`);
    throw this.#describe(error);
  }

  #describe(error: QuickJSHandle): TransformationError {
    // dump() reads name/message/stack in C; anything it has to run (getters, toJSON on a thrown
    // object) still runs under the deadline and memory limit.
    return describeThrown(this.#context.dump(error), { memoryBytes: this.#limits.memoryBytes });
  }
}
