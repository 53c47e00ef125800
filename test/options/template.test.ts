import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { BodyRenderError, renderBody } from "../../src/delivery/request-body.ts";
import { compileTemplate, TEMPLATE_MAX_SOURCE_CHARS, TemplateError } from "../../src/delivery/template.ts";
import { templateContext } from "../../src/delivery/template-context.ts";
import { makeEndpoint, makeMessage } from "./fixtures.ts";

const payload = JSON.stringify({
  name: 'Zoé "Z"',
  paid: true,
  total: 12.5,
  items: [
    { sku: "A-1", qty: 2 },
    { sku: "B-2", qty: 1 },
  ],
});
const message = makeMessage({ eventType: "invoice.paid", payload, metadata: { userId: "u1" }, previous: { paid: false } });
const endpoint = makeEndpoint();
const context = templateContext(message, endpoint, "Invoice paid");

function render(source: string, ctx: object = context): string {
  return compileTemplate(source).render(ctx);
}

function assertTemplateError(fn: () => unknown, pattern: RegExp): TemplateError {
  let caught: unknown;
  assert.throws(fn, (error: unknown) => {
    caught = error;
    return error instanceof TemplateError && pattern.test(error.message);
  });
  return caught as TemplateError;
}

describe("template context", () => {
  test("exposes message, payload, event type, endpoint, metadata and previous", () => {
    assert.deepEqual(context, {
      message: {
        id: "msg_2NnSbD4QZ8lK0",
        eventId: "evt_42",
        eventType: "invoice.paid",
        timestamp: "2023-04-12T09:30:00.000Z",
        channels: ["org-1"],
        metadata: { userId: "u1" },
      },
      payload: JSON.parse(payload),
      eventType: "invoice.paid",
      eventTypeDescription: "Invoice paid",
      endpoint: { id: "ep_2NnSbJ0x", uid: "crm", url: "https://receiver.example/hooks", metadata: { team: "ops" } },
      metadata: { userId: "u1" },
      previous: { paid: false },
    });
  });
});

describe("templates", () => {
  test("json and tojson emit JSON; output is trimmed", () => {
    const out = render('\n  {"p": {{ payload | tojson }}, "name": {{ payload.name | json }}, "id": {{ message.id | json }}, "missing": {{ payload.nope | tojson }}}\n');
    assert.equal(out, `{"p": ${payload}, "name": "Zoé \\"Z\\"", "id": "msg_2NnSbD4QZ8lK0", "missing": null}`);
  });

  test("loops and conditions (Jinja-like subset)", () => {
    const source = `{
  "skus": [{% for item in payload.items %}{{ item.sku | json }}{% unless forloop.last %},{% endunless %}{% endfor %}],
  "status": {% if payload.paid %}"paid"{% else %}"open"{% endif %},
  "wasPaid": {{ previous.paid | json }},
  "event": {{ eventTypeDescription | json }},
  "team": {{ endpoint.metadata.team | json }}
}`;
    assert.deepEqual(JSON.parse(render(source)), { skus: ["A-1", "B-2"], status: "paid", wasPaid: false, event: "Invoice paid", team: "ops" });
  });

  test("output that is not JSON is refused with an excerpt", () => {
    const error = assertTemplateError(() => render('{"name": {{ payload.name }}}'), /^template output is not valid JSON: /);
    assert.match(error.message, /output starts "\{\\"name\\": Zoé/);
  });

  test("a parse error reports its line and column", () => {
    const error = assertTemplateError(() => compileTemplate('{\n  "a": {% if payload.paid %}1\n}'), /not closed/);
    assert.equal(error.line, 2);
    assert.equal(typeof error.column, "number");
    assert.match(error.message, /line:2/);
  });

  test("unknown filters and tags are refused at compile time; no file access", () => {
    assertTemplateError(() => compileTemplate("{{ payload | shell }}"), /undefined filter: shell/);
    assertTemplateError(() => compileTemplate("{% include 'secrets.json' %}"), /tag "include" not found/);
    assertTemplateError(() => compileTemplate("{% render '/etc/passwd' %}"), /tag "render" not found/);
    assertTemplateError(() => compileTemplate("{% layout 'x' %}"), /tag "layout" not found/);
  });

  test("templates longer than 64 KiB are refused", () => {
    assertTemplateError(() => compileTemplate(`"${"x".repeat(TEMPLATE_MAX_SOURCE_CHARS)}"`), /longer than/);
  });

  test("a heavy loop hits the render limit", () => {
    const source = "[{% for i in (1..5000) %}{% for j in (1..5000) %}{{ j }}{% endfor %}{% endfor %}]";
    const started = Date.now();
    assertTemplateError(() => render(source), /render limit exceeded/);
    assert.ok(Date.now() - started < 5_000);
  });

  test("a huge range hits the memory limit", () => {
    assertTemplateError(() => render("[{% for i in (1..100000000) %}{% endfor %}]"), /memory alloc limit exceeded/);
  });

  test("no access to constructor, prototype or methods", () => {
    const out = render(
      '{"c": {{ payload.constructor | json }}, "p": {{ payload.__proto__ | json }}, "t": {{ payload.toString | json }}, "n": {{ payload.name.constructor.name | json }}}',
    );
    assert.deepEqual(JSON.parse(out), { c: null, p: null, t: null, n: null });
  });

  test("compiled templates are cached by source", () => {
    assert.equal(compileTemplate('{"a": 1}'), compileTemplate('{"a": 1}'));
  });

  test("renderBody wraps template errors in BodyRenderError", () => {
    const body = renderBody({ template: '{"total": {{ payload.total }}}' }, message, endpoint, null);
    assert.deepEqual(body, { body: '{"total": 12.5}', contentType: "application/json" });
    assert.throws(
      () => renderBody({ template: "{{ payload.name }}" }, message, endpoint, null),
      (error: unknown) => error instanceof BodyRenderError && error.cause instanceof TemplateError && /not valid JSON/.test(error.message),
    );
  });
});
