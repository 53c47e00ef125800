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

/** What a handler may do to a webhook, and how bad results are reported. */
const INPUT: WebhookInput = {
  method: "POST",
  url: "https://receiver.example.com/hooks",
  payload: { type: "invoice.paid", data: { id: "inv_1", amount: 4200, tags: { "us-compliant": "true" } } },
  eventType: "invoice.paid",
};

// Nothing here is about time: a long deadline keeps a loaded machine from turning runs into time-outs.
const RELAXED = { ...DEFAULT_TRANSFORM_LIMITS, timeoutMs: 5_000 };

function run(code: string, input: WebhookInput = INPUT): Promise<WebhookOutput> {
  return runTransformationAsync(code, input, RELAXED);
}

function handler(body: string): string {
  return `function handler(webhook) {\n${body}\n}`;
}

async function assertFails(code: string, message: RegExp, line?: number): Promise<void> {
  await assert.rejects(
    run(code, INPUT),
    (error: unknown) => {
      assert.ok(error instanceof TransformationError, `expected a TransformationError, got ${String(error)}`);
      assert.match(error.message, message);
      if (line !== undefined) assert.equal(error.line, line);
      return true;
    },
  );
}

before(async () => {
  await initTransformations();
});

describe("runTransformationAsync: what a handler may change", () => {
  test("the identity handler returns the webhook unchanged, with cancel false", async () => {
    assert.deepEqual(await run(handler("  return webhook;"), INPUT), {
      method: "POST",
      url: INPUT.url,
      payload: INPUT.payload,
      cancel: false,
    });
  });

  test("the handler sees method, url, payload, eventType, variables and cancel", async () => {
    const out = await run(
      handler("  webhook.payload = { seen: Object.keys(webhook).sort(), eventType: webhook.eventType, cancel: webhook.cancel };\n  return webhook;"),
      INPUT,
    );
    assert.deepEqual(out.payload, {
      seen: ["cancel", "eventType", "method", "payload", "url", "variables"],
      eventType: "invoice.paid",
      cancel: false,
    });
  });

  test("changes method to PUT, the url and the payload", async () => {
    const out = await run(
      handler(
        [
          '  webhook.method = "PUT";',
          '  webhook.url = webhook.url + "?id=" + webhook.payload.data.id;',
          "  webhook.payload = { invoice: webhook.payload.data.id, cents: webhook.payload.data.amount * 10 };",
          "  return webhook;",
        ].join("\n"),
      ),
      INPUT,
    );
    assert.deepEqual(out, {
      method: "PUT",
      url: "https://receiver.example.com/hooks?id=inv_1",
      payload: { invoice: "inv_1", cents: 42000 },
      cancel: false,
    });
  });

  test("a payload may become any JSON value", async () => {
    for (const [expression, expected] of [
      ['"text"', "text"],
      ["[1, 2, 3]", [1, 2, 3]],
      ["null", null],
      ["7", 7],
    ] as const) {
      const out = await run(handler(`  webhook.payload = ${expression};\n  return webhook;`), INPUT);
      assert.deepEqual(out.payload, expected);
    }
  });

  test("cancel: true is returned (Codat's company-tag example)", async () => {
    const code = handler(
      [
        "  if (webhook.payload.data.tags === undefined) return webhook;",
        '  if (webhook.payload.data.tags["us-compliant"] === "true") webhook.cancel = true;',
        "  return webhook;",
      ].join("\n"),
    );
    assert.equal((await run(code, INPUT)).cancel, true);
    assert.equal((await run(code, { ...INPUT, payload: { data: {} } })).cancel, false);
  });

  test("the handler may build a new object instead of mutating its argument", async () => {
    const out = await run(
      "const handler = (w) => ({ method: w.method, url: w.url, payload: { wrapped: w.payload }, cancel: false });",
      INPUT,
    );
    assert.deepEqual(out.payload, { wrapped: INPUT.payload });
  });

  test("the caller's input object is never modified", async () => {
    const input = structuredClone(INPUT);
    await run(handler('  webhook.payload.data.id = "changed";\n  webhook.method = "PUT";\n  return webhook;'), input);
    assert.deepEqual(input, INPUT);
  });
});

describe("runTransformationAsync: errors in user code", () => {
  test("a throw reports the error's message and line", async () => {
    await assertFails(handler('  const x = 1;\n  throw new Error("no customer id");'), /^transformation threw Error: no customer id \(line 3\)$/, 3);
  });

  test("a TypeError from a missing property reports its line", async () => {
    await assertFails(handler("  return webhook.payload.missing.field;"), /transformation threw TypeError: .*field.* \(line 2\)/, 2);
  });

  test("throwing a non-error value is reported too", async () => {
    await assertFails(handler('  throw "plain string";'), /^transformation threw "plain string"$/);
    await assertFails(handler("  throw { code: 42 };"), /^transformation threw \{"code":42\}$/);
  });

  test("a syntax error is reported with its line", async () => {
    await assertFails("function handler(webhook) {\n  return webhook.;\n}", /^transformation has a syntax error: .* \(line 2\)$/, 2);
  });

  test("code without a handler is refused", async () => {
    await assertFails("function transform(webhook) { return webhook; }", /must define a function named handler/);
    await assertFails("var handler = 42;", /must define a function named handler/);
  });

  test("an async handler is refused", async () => {
    await assertFails("async function handler(webhook) { return webhook; }", /handler returned a Promise; transformations must be synchronous/);
  });
});

describe("runTransformationAsync: invalid results name the field", () => {
  test("method GET", async () => {
    await assertFails(handler('  webhook.method = "GET";\n  return webhook;'), /^webhook\.method must be "POST" or "PUT", got "GET"$/);
  });

  test("method missing", async () => {
    await assertFails(handler("  delete webhook.method;\n  return webhook;"), /^webhook\.method must be "POST" or "PUT", got undefined$/);
  });

  test("url 5", async () => {
    await assertFails(handler("  webhook.url = 5;\n  return webhook;"), /^webhook\.url must be a string, got 5$/);
  });

  test("url that is not an http(s) URL", async () => {
    await assertFails(handler('  webhook.url = "not a url";\n  return webhook;'), /^webhook\.url must be an absolute http\(s\) URL/);
    await assertFails(handler('  webhook.url = "file:///etc/passwd";\n  return webhook;'), /^webhook\.url must be an absolute http\(s\) URL/);
  });

  test("payload removed or set to a function", async () => {
    await assertFails(handler("  webhook.payload = undefined;\n  return webhook;"), /^webhook\.payload must be a JSON value/);
    await assertFails(handler("  webhook.payload = () => 1;\n  return webhook;"), /^webhook\.payload must be a JSON value/);
  });

  test("payload that cannot be serialised (cycle, BigInt)", async () => {
    await assertFails(handler("  webhook.payload.self = webhook.payload;\n  return webhook;"), /not JSON-serialisable: .*circular/i);
    await assertFails(handler("  webhook.payload = 10n;\n  return webhook;"), /not JSON-serialisable/);
  });

  test("cancel that is not a boolean", async () => {
    await assertFails(handler('  webhook.cancel = "yes";\n  return webhook;'), /^webhook\.cancel must be true or false, got "yes"$/);
  });

  test("no return value", async () => {
    await assertFails(handler("  webhook.cancel = true;"), /^handler returned nothing; it must return the webhook object$/);
  });

  test("a return value that is not an object", async () => {
    await assertFails(handler("  return 5;"), /^handler must return the webhook object, got number$/);
    await assertFails(handler("  return [webhook];"), /^handler must return the webhook object, got an array$/);
    await assertFails(handler("  return null;"), /^handler must return the webhook object, got null$/);
    await assertFails(handler("  return () => webhook;"), /^handler must return the webhook object, got function$/);
  });
});
