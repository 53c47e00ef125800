import assert from "node:assert/strict";
import { once } from "node:events";
import { connect } from "node:net";
import { before, describe, test } from "node:test";

import { MAX_JSON_DEPTH } from "../../src/domain/json-limits.ts";
import { assertValidation, raw, useHerald } from "./api-helpers.ts";

function nested(depth: number): unknown {
  let value: unknown = "leaf";
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? { a: value } : [value];
  return value;
}

describe("a client that promises more body than it sends", () => {
  const herald = useHerald({ env: { HERALD_API_REQUEST_TIMEOUT_MS: "1000" } });

  test("is answered 408 and its connection closed once the request timeout passes", { timeout: 30_000 }, async () => {
    const h = herald();
    const { port } = new URL(h.url);
    const socket = connect(Number(port), "127.0.0.1");
    await once(socket, "connect");
    socket.write(`POST /api/v1/app HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${h.adminToken}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"name"`);
    let answer = "";
    socket.on("data", (chunk: Buffer) => (answer += chunk.toString()));
    await once(socket, "close");
    assert.match(answer, /^HTTP\/1\.1 408/);
  });
});

/** Input an attacker or a careless client sends: refused with a 4xx naming the field, nothing stored. */
describe("hostile input at the API's edge", () => {
  const herald = useHerald();
  let appId: string;

  before(async () => {
    const h = herald();
    appId = (await h.svix.application.create({ name: "Edge", uid: "edge-app" })).id;
    await h.svix.eventType.create({ name: "edge.test", description: "edge" });
  });

  async function messageCount(): Promise<number> {
    return (await herald().svix.message.list(appId, { limit: 250 })).data.length;
  }

  test("JSON nested deeper than the limit is a 422, also with an idempotency key, and no message is stored", async () => {
    const h = herald();
    for (const field of ["payload", "previous"]) {
      for (let attempt = 0; attempt < 2; attempt++) {
        // Written as text: JSON.stringify itself cannot nest this deep.
        const body = `{"eventType":"edge.test","payload":{},"${field}":{"deep":${"[".repeat(5000)}1${"]".repeat(5000)}}}`;
        const response = await raw(h)("POST", `/api/v1/app/${appId}/msg`, body, { "idempotency-key": `deep-${field}` });
        assert.match(JSON.stringify(assertValidation(response, ["body"])), new RegExp(`at most ${MAX_JSON_DEPTH} levels`));
      }
    }
    const schema = { description: "deep", schemas: { "1": nested(MAX_JSON_DEPTH + 1) }, name: "edge.deep" };
    assertValidation(await raw(h)("POST", "/api/v1/event-type", schema), ["body"]);
    assert.equal(await messageCount(), 0);
    // At the limit it is accepted.
    const atLimit = await raw(h)("POST", `/api/v1/app/${appId}/msg`, { eventType: "edge.test", payload: { a: nested(MAX_JSON_DEPTH - 2) } });
    assert.equal(atLimit.status, 202, atLimit.text);
    assert.equal(await messageCount(), 1);
  });

  test("NUL in a name, description, code, path or query is a 422 naming it; in a payload it is kept", async () => {
    const h = herald();
    assertValidation(await raw(h)("POST", "/api/v1/app", { name: "a\u0000b" }), ["body", "name"]);
    assertValidation(await raw(h)("POST", "/api/v1/event-type", { name: "edge.nul", description: "x\u0000" }), ["body", "description"]);
    assertValidation(await raw(h)("POST", `/api/v1/app/${appId}/endpoint`, { url: "https://example.com/a", description: "\u0000" }), ["body", "description"]);
    assertValidation(await raw(h)("GET", `/api/v1/app/${appId}/msg?channel=%00`), ["query", "channel"]);
    assert.equal((await raw(h)("GET", `/api/v1/app/edge%00app`)).status, 422);
    const kept = await raw(h)("POST", `/api/v1/app/${appId}/msg`, { eventType: "edge.test", payload: { text: "a\u0000b" } });
    assert.equal(kept.status, 202, kept.text);
    const stored = await h.svix.message.get(appId, (kept.body as { id: string }).id);
    assert.equal((stored.payload as { text: string }).text, "a\u0000b");
  });

  test("a leap second is a valid date-time wherever dates are read", async () => {
    const h = herald();
    const response = await raw(h)("GET", `/api/v1/app/${appId}/msg?after=2026-12-31T23:59:60Z`);
    assert.equal(response.status, 200, response.text);
    const older = await raw(h)("GET", `/api/v1/app/${appId}/msg?before=2016-12-31T23:59:60Z`);
    assert.deepEqual((older.body as { data: unknown[] }).data, []);
  });

  test("a URL the parser would forgive (no host after the slashes) is refused", async () => {
    const h = herald();
    for (const url of ["http:///nohost", "https:example.com", "http:\\\\example.com"]) {
      assertValidation(await raw(h)("POST", `/api/v1/app/${appId}/endpoint`, { url }), ["body", "url"]);
    }
  });

  test("every API answer says: not to be cached, sniffed or framed", async () => {
    const h = herald();
    for (const [method, path] of [["GET", `/api/v1/app/${appId}`], ["POST", `/api/v1/auth/app-portal-access/${appId}`], ["GET", "/api/v1/nope"]]) {
      const response = await fetch(h.url + path, { method, headers: { authorization: `Bearer ${h.adminToken}`, "content-type": "application/json" }, body: method === "POST" ? "{}" : undefined });
      assert.equal(response.headers.get("cache-control"), "no-store", path);
      assert.equal(response.headers.get("x-content-type-options"), "nosniff", path);
      assert.match(response.headers.get("content-security-policy") ?? "", /frame-ancestors 'none'/, path);
    }
  });
});

describe("API rate limits per caller", () => {
  const herald = useHerald({ env: { HERALD_API_RATE_LIMIT: "5", HERALD_API_ADMIN_RATE_LIMIT: "0" } });

  test("an application's app tokens share a budget; past it 429 with Retry-After; other tenants and the admin token are unaffected", async () => {
    const h = herald();
    const [noisy, quiet] = await Promise.all(["noisy", "quiet"].map((uid) => h.svix.application.create({ name: uid, uid })));
    const tokens = await Promise.all([noisy, noisy, quiet].map(async (app) => (await h.svix.authentication.appPortalAccess(app.id, {})).token));
    // Two tokens of one application, many requests at once: more than its budget in any second.
    const answers = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const response = await fetch(`${h.url}/api/v1/app/${noisy.id}`, { headers: { authorization: `Bearer ${tokens[i % 2]}` } });
        return { status: response.status, retryAfter: response.headers.get("retry-after"), body: (await response.json()) as { code?: string } };
      }),
    );
    const limited = answers.filter((answer) => answer.status === 429);
    assert.ok(limited.length >= 40 - 2 * 5, `at most two windows' worth pass: ${answers.map((answer) => answer.status).join(" ")}`);
    for (const answer of limited) {
      assert.equal(answer.body.code, "rate_limited");
      assert.match(answer.retryAfter ?? "", /^\d+$/);
    }
    assert.equal((await raw(h, tokens[2])("GET", `/api/v1/app/${quiet.id}`)).status, 200, "another tenant has its own budget");
    const admin = await Promise.all(Array.from({ length: 40 }, () => raw(h)("GET", `/api/v1/app/${noisy.id}`)));
    assert.deepEqual(new Set(admin.map((answer) => answer.status)), new Set([200]), "the admin token is not limited by default");
  });
});
