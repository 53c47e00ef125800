import assert from "node:assert/strict";
import { before, describe, test } from "node:test";

import {
  DEFAULT_TRANSFORM_LIMITS,
  initTransformations,
  runTransformationAsync,
  TransformationError,
  type WebhookInput,
  type WebhookOutput,
} from "../../src/transform/sandbox.ts";
import { POOL_SIZE, sandboxStats, startSandboxHost } from "../../src/transform/sandbox-host.ts";

/** Isolation from the host, CPU/memory/stack limits, recovery, and disposal. */
const INPUT: WebhookInput = { method: "POST", url: "https://receiver.example.com/", payload: { n: 1 }, eventType: "test.event" };
const IDENTITY = "function handler(webhook) { return webhook; }";
/** For runs whose outcome is not about time: a loaded machine must not turn them into time-outs. */
const RELAXED = { ...DEFAULT_TRANSFORM_LIMITS, timeoutMs: 5_000 };
const DEFAULT = DEFAULT_TRANSFORM_LIMITS;

function run(code: string, input: WebhookInput = INPUT): Promise<WebhookOutput> {
  return runTransformationAsync(code, input, RELAXED);
}

/** Runs `expression` inside a handler and returns its value (through the payload). */
async function evaluateInside(expression: string): Promise<unknown> {
  return (await run(`function handler(webhook) { webhook.payload = (${expression}); return webhook; }`, INPUT)).payload;
}

async function assertFails(code: string, message: RegExp, limits = RELAXED): Promise<void> {
  await assert.rejects(
    runTransformationAsync(code, INPUT, limits),
    (error: unknown) => {
      assert.ok(error instanceof TransformationError, `expected a TransformationError, got ${String(error)}`);
      assert.match(error.message, message);
      return true;
    },
  );
}

before(async () => {
  await initTransformations();
});

describe("sandbox: no access to the host", () => {
  test("require, process, fetch, module, console, timers and Buffer are undefined", async () => {
    const names = ["require", "process", "fetch", "module", "exports", "console", "setTimeout", "setInterval", "queueMicrotask", "Buffer", "std", "os"];
    const types = await evaluateInside(`[${names.map((name) => `typeof ${name}`).join(", ")}]`);
    assert.deepEqual(types, names.map(() => "undefined"));
  });

  test("the sandbox's globalThis holds only ECMAScript built-ins", async () => {
    const globals = (await evaluateInside("Object.getOwnPropertyNames(globalThis)")) as string[];
    assert.ok(globals.includes("JSON") && globals.includes("Math") && globals.includes("Array"));
    for (const hostOnly of ["process", "require", "fetch", "global", "Buffer", "WebAssembly", "structuredClone", "URL", "TextEncoder"]) {
      assert.ok(!globals.includes(hostOnly), `${hostOnly} must not be visible`);
    }
  });

  test("globalThis inside is not the host's, in either direction", async () => {
    const host = globalThis as Record<string, unknown>;
    host.heraldHostSecret = "s3cret";
    try {
      assert.equal(await evaluateInside("typeof heraldHostSecret"), "undefined");
      assert.equal(await evaluateInside("(globalThis.leaked = 'from sandbox', Object.prototype.polluted = 1, 'set')"), "set");
      assert.equal(host.leaked, undefined);
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
    } finally {
      delete host.heraldHostSecret;
    }
  });

  test("the Function constructor and eval only reach the sandbox's own globals", async () => {
    assert.equal(await evaluateInside("Function('return typeof process')()"), "undefined");
    assert.equal(await evaluateInside("(0, eval)('typeof require')"), "undefined");
    assert.equal(await evaluateInside("(function () { return this === globalThis; })()"), true);
  });
});

describe("sandbox: no state shared between runs", () => {
  test("globals, prototypes and built-ins start fresh on every run", async () => {
    const code = [
      "var runs = (globalThis.runs || 0) + 1;",
      "globalThis.runs = runs;",
      "const polluted = Array.prototype.polluted === true;",
      "Array.prototype.polluted = true;",
      "const jsonReplaced = JSON.stringify.replaced === true;",
      "JSON.parse = () => ({ replaced: true });",
      "function handler(webhook) { webhook.payload = { runs, polluted, jsonReplaced }; return webhook; }",
    ].join("\n");
    for (let i = 0; i < 3; i++) {
      assert.deepEqual((await run(code, INPUT)).payload, { runs: 1, polluted: false, jsonReplaced: false });
    }
  });

  test("replacing JSON inside the sandbox does not change how Herald reads the input or the result", async () => {
    const code = 'JSON.parse = () => "hijacked"; JSON.stringify = () => "{}";\nfunction handler(webhook) { return webhook; }';
    assert.deepEqual((await run(code, INPUT)).payload, { n: 1 });
  });
});

describe("sandbox: limits", () => {
  test("an infinite loop times out with a readable message, and the next run works", async () => {
    await assertFails("function handler(webhook) { while (true) {} }", /^transformation timed out after 250 ms$/, DEFAULT);
    assert.deepEqual((await run(IDENTITY, INPUT)).payload, { n: 1 });
  });

  test("try/catch cannot swallow the time-out", async () => {
    await assertFails("function handler(webhook) { for (;;) { try { while (true) {} } catch (e) {} } }", /^transformation timed out after 250 ms$/, DEFAULT);
  });

  test("the time limit is configurable and covers top-level code", async () => {
    const limits = { timeoutMs: 25, memoryBytes: DEFAULT_TRANSFORM_LIMITS.memoryBytes };
    await assertFails("while (true) {}\nfunction handler(webhook) { return webhook; }", /^transformation timed out after 25 ms$/, limits);
  });

  test("catastrophic regular-expression backtracking is interrupted too", async () => {
    await assertFails(`function handler(webhook) { /(a+)+$/.test("${"a".repeat(40)}b"); return webhook; }`, /^transformation timed out after 250 ms$/, DEFAULT);
  });

  test("a memory bomb fails with an out-of-memory message, and the next run works", async () => {
    await assertFails(
      "function handler(webhook) { const a = []; while (true) a.push(new Array(100000).fill(1.5)); }",
      /^transformation ran out of memory \(limit 16 MiB\)/,
    );
    await assertFails('function handler(webhook) { webhook.payload = "x".repeat(2 ** 28); return webhook; }', /ran out of memory/);
    assert.deepEqual((await run(IDENTITY, INPUT)).payload, { n: 1 });
  });

  test("the memory limit is configurable", async () => {
    const code = 'function handler(webhook) { webhook.payload = "x".repeat(1.5 * 1024 * 1024); return webhook; }';
    assert.equal(((await run(code, INPUT)).payload as string).length, 1.5 * 1024 * 1024);
    await assertFails(code, /^transformation ran out of memory \(limit 1 MiB\)/, { timeoutMs: 5_000, memoryBytes: 1024 * 1024 });
  });

  test("unbounded recursion hits the stack limit", async () => {
    await assertFails("function handler(webhook) { return handler(webhook); }", /^transformation exceeded the maximum stack size/);
  });

  test("a 1 MiB payload fits in the default memory limit", async () => {
    const payload = { items: Array.from({ length: 11_000 }, (_, i) => ({ id: `item_${i}`, name: "x".repeat(60), n: i })) };
    assert.ok(JSON.stringify(payload).length > 1_000_000);
    const code = "function handler(webhook) { webhook.payload.count = webhook.payload.items.length; return webhook; }";
    assert.equal(((await run(code, { ...INPUT, payload })).payload as { count: number }).count, 11_000);
  });
});

describe("sandbox: the hard deadline (the worker is terminated)", () => {
  // QuickJS polls its interrupt handler only every ~10,000 branches, so a loop around a slow
  // built-in is not interrupted in time; the main thread stops waiting and terminates the worker.
  const SORT_LOOP = "function handler(webhook) { const a = new Array(100000).fill(0); for (;;) a.sort(); }";
  const MiB16 = DEFAULT_TRANSFORM_LIMITS.memoryBytes;

  test("a loop of heavy built-ins times out; the spare worker takes over and the next run works", async () => {
    await startSandboxHost(MiB16); // the active workers and the spare booted
    const before = sandboxStats(MiB16);
    const started = performance.now();
    await assertFails(SORT_LOOP, /^transformation timed out after 250 ms$/, DEFAULT);
    // Generous bound (no timing assertion intended): without the hard deadline this runs for minutes.
    assert.ok(performance.now() - started < 5_000);
    assert.equal(sandboxStats(MiB16).workersRetired, before.workersRetired + 1);
    assert.deepEqual((await run(IDENTITY, INPUT)).payload, { n: 1 });
  });

  test("more in a row than there are booted workers: each retires its worker, later ones wait for new ones to boot", async () => {
    await startSandboxHost(MiB16);
    const before = sandboxStats(MiB16);
    for (let i = 0; i < POOL_SIZE + 2; i++) await assertFails(SORT_LOOP, /^transformation timed out after 250 ms$/, DEFAULT);
    assert.equal(sandboxStats(MiB16).workersRetired, before.workersRetired + POOL_SIZE + 2);
    assert.deepEqual((await run(IDENTITY, INPUT)).payload, { n: 1 });
    await startSandboxHost(MiB16);
    assert.deepEqual((await run(IDENTITY, INPUT)).payload, { n: 1 });
  });
});

describe("sandbox: every run is disposed", () => {
  test("2,000 runs leave no QuickJS runtime behind and stay within the capped heap", async () => {
    const MiB16 = DEFAULT_TRANSFORM_LIMITS.memoryBytes;
    const codes = [
      IDENTITY,
      'function handler(webhook) { webhook.payload = { big: "y".repeat(100000) }; return webhook; }',
      'function handler(webhook) { throw new Error("boom"); }',
      'function handler(webhook) { webhook.method = "GET"; return webhook; }',
      "function handler(webhook) { return webhook.; }",
      "function handler(webhook) { return Promise.resolve(webhook); }",
      "function handler(webhook) { const o = {}; for (let i = 0; i < 1000; i++) o['k' + i] = [i, { i }]; webhook.payload = o; return webhook; }",
    ];
    const MEMORY_BOMB = "function handler(webhook) { const a = []; while (true) a.push(new Array(100000).fill(1)); }";
    const runAll = async (count: number): Promise<void> => {
      for (let i = 0; i < count; i++) {
        try {
          await run(i % 250 === 0 ? MEMORY_BOMB : codes[i % codes.length], INPUT);
        } catch (error) {
          if (!(error instanceof TransformationError)) throw error;
        }
      }
    };
    await runAll(100); // warm up
    const start = sandboxStats(MiB16);
    await runAll(2_000);
    const end = sandboxStats(MiB16);
    assert.equal(end.workersStarted, start.workersStarted, "no worker was replaced");
    assert.ok(start.active && end.active);
    assert.equal(end.active.runtimesCreated - start.active.runtimesCreated, 2_000);
    assert.equal(end.active.runtimesCreated, end.active.runtimesDisposed, "every QuickJS runtime was disposed");
    // The worker's WebAssembly memory is capped at 16 MiB + memoryBytes; a leak would fill it and
    // make later runs fail with "out of memory", which the identity run below would show.
    assert.ok(end.active.wasmMemoryBytes <= 32 * 1024 * 1024, `WebAssembly memory is ${end.active.wasmMemoryBytes} bytes`);
    assert.equal(Object.keys((await run(codes[6], INPUT)).payload as object).length, 1000);
    assert.deepEqual((await run(IDENTITY, INPUT)).payload, { n: 1 });
  });
});
