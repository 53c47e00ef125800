import assert from "node:assert/strict";
import { before, describe, test } from "node:test";

import fc from "fast-check";

import { useHerald, useReceiver } from "./api-helpers.ts";

/**
 * Property-based fuzzing of the API's edge: every operation of the running Herald's OpenAPI
 * document, with path ids that are real, someone else's or junk, query strings of known and unknown
 * names with hostile values, bodies of any JSON (deep, huge numbers, NUL, unicode) or not JSON at
 * all, with the admin token and with an app token. Whatever comes: never a 5xx, every answer in
 * bounded time (the client's timeout fails the run), the process healthy after, and a refused
 * message leaves no message behind. FUZZ_RUNS sets the number of runs (default 3,000 per engine);
 * fast-check prints the seed and the shrunk input of a failure, and FUZZ_SEED replays it.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 3000);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const REQUEST_TIMEOUT_MS = 10_000;

interface Operation {
  method: string;
  path: string;
  query: string[];
}

const hostileString = fc.oneof(
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.constantFrom("", " ", "\u0000", "%00", "../../etc/passwd", "2026-12-31T23:59:60Z", "9".repeat(400), "-1", "1e309", "NaN", "true", "[]", "{}", "<img src=x onerror=alert(1)>", "a".repeat(300), "ep_", "msg_\u202e"),
);

function deepJson(depth: number): string {
  return "[".repeat(depth) + "1" + "]".repeat(depth);
}

const body = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 6 }).map((value) => JSON.stringify(value)) },
  { weight: 2, arbitrary: fc.dictionary(fc.constantFrom("name", "url", "eventType", "payload", "uid", "filterTypes", "channels", "description", "filter", "code", "since", "headers", "expiry", "capabilities"), fc.jsonValue({ maxDepth: 4 })).map((value) => JSON.stringify(value)) },
  { weight: 1, arbitrary: fc.integer({ min: 100, max: 6000 }).map(deepJson) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 200 }) },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

describe("fuzzing the API's edge", { timeout: 600_000 }, () => {
  const herald = useHerald();
  const receiver = useReceiver();
  const operations: Operation[] = [];
  const ids: Record<string, string> = {};
  let appToken = "";

  before(async () => {
    const h = herald();
    const app = await h.svix.application.create({ name: "Fuzz", uid: "fuzz-app" });
    await h.svix.eventType.create({ name: "fuzz.event", description: "fuzz", schemas: { "1": { type: "object", examples: [{ a: 1 }] } } });
    const endpoint = await h.svix.endpoint.create(app.id, { url: `${receiver().url}/fuzz` });
    const message = await h.svix.message.create(app.id, { eventType: "fuzz.event", payload: { a: 1 } });
    Object.assign(ids, { app_id: app.id, endpoint_id: endpoint.id, msg_id: message.id, event_type_name: "fuzz.event", name: "standard" });
    appToken = (await h.svix.authentication.appPortalAccess(app.id, {})).token;
    const document = (await (await fetch(`${h.url}/api/v1/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>>;
    };
    for (const [path, methods] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        // Deleting the application itself would end the run's fixture, not test anything more.
        if (method === "delete" && path === "/api/v1/app/{app_id}") continue;
        const query = (operation.parameters ?? []).filter((parameter) => parameter.in === "query").map((parameter) => parameter.name);
        operations.push({ method: method.toUpperCase(), path, query });
      }
    }
    assert.ok(operations.length > 50, `the OpenAPI document lists the API's operations (${operations.length})`);
  });

  async function messageCount(): Promise<number> {
    return (await herald().svix.message.list(ids.app_id, { limit: 250 })).data.length;
  }

  test("no input answers 5xx, hangs or leaves a refused message behind; Herald stays healthy", async () => {
    const h = herald();
    const request = fc.record({
      operation: fc.nat({ max: operations.length - 1 }),
      pathIds: fc.array(fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: hostileString }), { minLength: 4, maxLength: 4 }),
      query: fc.array(fc.tuple(fc.oneof(fc.nat(20), hostileString), hostileString), { maxLength: 4 }),
      body,
      asApp: fc.boolean(),
      contentType: fc.constantFrom("application/json", "application/json; charset=utf-8", "text/plain", "application/x-www-form-urlencoded"),
    });
    await fc.assert(
      fc.asyncProperty(request, async (input) => {
        const operation = operations[input.operation];
        let slot = 0;
        const path = operation.path.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(input.pathIds[slot++] ?? ids[name] ?? "x"));
        const search = new URLSearchParams(
          input.query.map(([key, value]): [string, string] => [typeof key === "number" ? (operation.query[key % Math.max(1, operation.query.length)] ?? "limit") : key, value]),
        );
        const before = operation.path.endsWith("/msg") && operation.method === "POST" ? await messageCount() : null;
        const response = await fetch(`${h.url}${path}${search.size ? `?${search}` : ""}`, {
          method: operation.method,
          headers: { authorization: `Bearer ${input.asApp ? appToken : h.adminToken}`, ...(input.body !== undefined ? { "content-type": input.contentType } : {}) },
          body: operation.method === "GET" || operation.method === "HEAD" ? undefined : input.body,
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        const text = await response.text();
        assert.ok(response.status < 500, `${operation.method} ${path}?${search} → ${response.status}: ${text.slice(0, 300)}`);
        if (before !== null && response.status >= 400) assert.equal(await messageCount(), before, `a refused message was stored: ${text.slice(0, 200)}`);
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    const health = await fetch(`${h.url}/api/v1/health`);
    assert.ok(health.ok, `health answers ${health.status}`);
    assert.equal((await h.svix.message.create(ids.app_id, { eventType: "fuzz.event", payload: { after: true } })).eventType, "fuzz.event");
  });
});
