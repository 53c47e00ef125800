import assert from "node:assert/strict";
import { before, describe, test } from "node:test";

import {
  checkTransformationAsync,
  DEFAULT_TRANSFORM_LIMITS,
  initTransformations,
  MAX_TRANSFORMATION_CODE_BYTES,
  runTransformationAsync,
} from "../../src/transform/sandbox.ts";

// Checks not about time get a long deadline, so a loaded machine cannot turn them into time-outs.
const RELAXED = { ...DEFAULT_TRANSFORM_LIMITS, timeoutMs: 5_000 };

/** Save-time checks (the API answers 422 with this message), and use without initialisation. */

test("both entry points start the workers themselves: no initTransformations() needed", async () => {
  const code = "function handler(webhook) { return webhook; }";
  const input = { method: "POST", url: "https://example.com/", payload: {}, eventType: "a" } as const;
  const [checked, ran] = await Promise.all([checkTransformationAsync(code, RELAXED), runTransformationAsync(code, input, RELAXED)]);
  assert.equal(checked, null);
  assert.deepEqual(ran, { method: "POST", url: "https://example.com/", payload: {}, cancel: false });
});

function check(code: string): ReturnType<typeof checkTransformationAsync> {
  return checkTransformationAsync(code, RELAXED);
}

describe("checkTransformationAsync", () => {
  before(async () => {
    await initTransformations();
    await initTransformations(); // idempotent
  });

  test("accepts code that defines handler (function, var or const)", async () => {
    assert.equal(await check("function handler(webhook) {\n  return webhook;\n}"), null);
    assert.equal(await check("var handler = function (webhook) { return webhook; };"), null);
    assert.equal(await check("const helper = (x) => x;\nconst handler = (webhook) => helper(webhook);"), null);
  });

  test("does not call handler", async () => {
    assert.equal(await check("function handler(webhook) { while (true) {} }"), null);
  });

  test("a syntax error returns the message and its line", async () => {
    assert.deepEqual(await check("// comment\nfunction handler(webhook) {\n  return {\n}}}\n"), {
      message: "transformation has a syntax error: unexpected token in expression: '}' (line 4)",
      line: 4,
    });
  });

  test("module syntax is refused: there is nothing to import", async () => {
    const result = await check('import fs from "fs";\nfunction handler(webhook) { return webhook; }');
    assert.ok(result);
    assert.match(result.message, /syntax error/);
    assert.equal(result.line, 1);
  });

  test("code without a handler is refused", async () => {
    assert.deepEqual(await check("function transform(webhook) { return webhook; }"), {
      message: "transformation must define a function named handler, e.g. function handler(webhook) { return webhook; }",
      line: null,
    });
    assert.match((await check(""))?.message ?? "", /must define a function named handler/);
  });

  test("top-level code runs under the same limits: a throw, an infinite loop", async () => {
    assert.deepEqual(await check('\nthrow new Error("top");\nfunction handler(w) { return w; }'), {
      message: "transformation threw Error: top (line 2)",
      line: 2,
    });
    assert.deepEqual(await checkTransformationAsync("while (true) {}\nfunction handler(w) { return w; }", { timeoutMs: 20, memoryBytes: 8 * 1024 * 1024 }), {
      message: "transformation timed out after 20 ms",
      line: null,
    });
  });

  test("code over 64 KiB is refused without being run", async () => {
    const code = `function handler(w) { return w; }\n//${"x".repeat(MAX_TRANSFORMATION_CODE_BYTES)}`;
    assert.match((await check(code))?.message ?? "", /the limit is 65536 bytes \(64 KiB\)/);
    // Counted in UTF-8 bytes: 22,000 three-byte characters are 66,000 bytes.
    assert.match((await check(`function handler(w) { return w; } // ${"€".repeat(22_000)}`))?.message ?? "", /64 KiB/);
  });

  test("invalid limits are a programming error", async () => {
    await assert.rejects(checkTransformationAsync("function handler(w) { return w; }", { timeoutMs: 0, memoryBytes: 16 * 1024 * 1024 }), {
      message: /timeoutMs must be a positive number/,
    });
    await assert.rejects(checkTransformationAsync("function handler(w) { return w; }", { timeoutMs: 100, memoryBytes: 1000 }), {
      message: /memoryBytes must be an integer of at least/,
    });
  });
});
