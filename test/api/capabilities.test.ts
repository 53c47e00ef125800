import assert from "node:assert/strict";
import { before, describe, test } from "node:test";

import { makeManualClock } from "../../src/domain/clock.ts";
import { api, type TestHerald } from "../helpers/herald.ts";
import { assertError, raw, useHerald, useReceiver } from "./api-helpers.ts";

/**
 * App-portal tokens as Svix's AppPortalAccessIn mints them, enforced by the server: each capability
 * set against every kind of route a portal calls (403 {code:"forbidden"} naming the missing
 * capability, or the route working), the single-use link and its expiry, logout and expire-all,
 * feature flags, and the CORS preflight a browser client sends.
 */

type Capability = "ViewBase" | "ViewEndpointSecret" | "ManageEndpointSecret" | "ManageTransformations" | "CreateAttempts" | "ManageEndpoint";

interface AccessOut {
  url: string;
  token: string;
}

/** What a portal link's fragment carries: `#key=<base64url of {"appId","oneTimeToken"}>`. */
function linkKey(url: string): { appId: string; oneTimeToken: string } {
  const fragment = new URL(url).hash;
  const match = /^#key=([A-Za-z0-9_-]+)$/.exec(fragment);
  assert.ok(match, `the link's fragment is #key=<base64url>: ${fragment}`);
  return JSON.parse(Buffer.from(match[1], "base64url").toString("utf8")) as { appId: string; oneTimeToken: string };
}

async function portalAccess(h: TestHerald, appId: string, body: Record<string, unknown> = {}): Promise<AccessOut> {
  const response = await raw(h)("POST", `/api/v1/auth/app-portal-access/${appId}`, body);
  assert.equal(response.status, 200, response.text);
  return response.body as AccessOut;
}

function exchange(h: TestHerald, oneTimeToken: string) {
  return fetch(`${h.url}/api/v1/auth/one-time-token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ oneTimeToken }),
  }).then(async (response) => ({ status: response.status, body: (await response.json()) as Record<string, unknown> }));
}

/** One kind of call a portal makes, with what it needs beyond ViewBase (null: ViewBase alone). */
interface Probe {
  name: string;
  needs: Capability | null;
  /** Builds the request, making whatever it consumes first (with the admin token) so probes stay independent. */
  request(fixture: Fixture): Promise<{ method: string; path: string; body?: unknown }>;
  /** Statuses that mean the call got past the capability check and worked. */
  ok?: number[];
}

interface Fixture {
  h: TestHerald;
  appId: string;
  endpointId: string;
  msgId: string;
  receiverUrl: string;
  /** A fresh endpoint of the application, for probes that change or delete one. */
  newEndpoint(): Promise<string>;
}

const since = () => new Date(Date.now() - 3_600_000).toISOString();

const PROBES: Probe[] = [
  // Reads: ViewBase, which every token has.
  { name: "get the application", needs: null, request: async (f) => ({ method: "GET", path: `/api/v1/app/${f.appId}` }) },
  { name: "list endpoints", needs: null, request: async (f) => ({ method: "GET", path: `/api/v1/app/${f.appId}/endpoint` }) },
  { name: "get an endpoint", needs: null, request: async (f) => ({ method: "GET", path: `/api/v1/app/${f.appId}/endpoint/${f.endpointId}` }) },
  { name: "get headers", needs: null, request: async (f) => ({ method: "GET", path: `/api/v1/app/${f.appId}/endpoint/${f.endpointId}/headers` }) },
  { name: "get endpoint stats", needs: null, request: async (f) => ({ method: "GET", path: `/api/v1/app/${f.appId}/endpoint/${f.endpointId}/stats` }) },
  { name: "get the queue status", needs: null, request: async (f) => ({ method: "GET", path: `/api/v1/app/${f.appId}/endpoint/${f.endpointId}/status` }) },
  { name: "get the rate-limit status", needs: null, request: async (f) => ({ method: "GET", path: `/api/v1/app/${f.appId}/endpoint/${f.endpointId}/rate-limit-status` }) },
  { name: "get the transformation", needs: null, request: async (f) => ({ method: "GET", path: `/api/v1/app/${f.appId}/endpoint/${f.endpointId}/transformation` }) },
  { name: "list messages", needs: null, request: async (f) => ({ method: "GET", path: `/api/v1/app/${f.appId}/msg?with_content=true` }) },
  { name: "get a message", needs: null, request: async (f) => ({ method: "GET", path: `/api/v1/app/${f.appId}/msg/${f.msgId}` }) },
  { name: "list a message's attempts", needs: null, request: async (f) => ({ method: "GET", path: `/api/v1/app/${f.appId}/attempt/msg/${f.msgId}` }) },
  { name: "list an endpoint's attempts", needs: null, request: async (f) => ({ method: "GET", path: `/api/v1/app/${f.appId}/attempt/endpoint/${f.endpointId}` }) },
  { name: "list a message's destinations", needs: null, request: async (f) => ({ method: "GET", path: `/api/v1/app/${f.appId}/msg/${f.msgId}/endpoint` }) },
  { name: "list event types", needs: null, request: async () => ({ method: "GET", path: "/api/v1/event-type" }) },
  { name: "read the environment settings", needs: null, request: async () => ({ method: "GET", path: "/api/v1/environment/settings" }) },
  { name: "whoami", needs: null, request: async () => ({ method: "GET", path: "/api/v1/auth/whoami" }) },
  {
    name: "read attempt stats",
    needs: null,
    request: async (f) => {
      const window = `startDate=${new Date(Date.now() - 3_600_000).toISOString()}&endDate=${new Date().toISOString()}&period=FiveMinutes`;
      return { method: "GET", path: `/api/v1/stats/app/${f.appId}/attempt?${window}&endpointId=${f.endpointId}` };
    },
  },
  // The secret.
  { name: "get the secret", needs: "ViewEndpointSecret", request: async (f) => ({ method: "GET", path: `/api/v1/app/${f.appId}/endpoint/${f.endpointId}/secret` }) },
  {
    name: "rotate the secret",
    needs: "ManageEndpointSecret",
    request: async (f) => ({ method: "POST", path: `/api/v1/app/${f.appId}/endpoint/${await f.newEndpoint()}/secret/rotate`, body: {} }),
  },
  // Transformations.
  {
    name: "patch the transformation",
    needs: "ManageTransformations",
    request: async (f) => ({ method: "PATCH", path: `/api/v1/app/${f.appId}/endpoint/${await f.newEndpoint()}/transformation`, body: { enabled: false } }),
  },
  {
    name: "simulate the transformation",
    needs: "ManageTransformations",
    request: async (f) => ({
      method: "POST",
      path: `/api/v1/app/${f.appId}/endpoint/${f.endpointId}/transformation/simulate`,
      body: { code: "function handler(webhook) { return webhook; }", eventType: "cap.visible", payload: { a: 1 } },
    }),
  },
  // Attempts.
  {
    name: "send an example",
    needs: "CreateAttempts",
    request: async (f) => ({ method: "POST", path: `/api/v1/app/${f.appId}/endpoint/${f.endpointId}/send-example`, body: { eventType: "cap.visible" } }),
  },
  {
    name: "replay missing",
    needs: "CreateAttempts",
    request: async (f) => ({ method: "POST", path: `/api/v1/app/${f.appId}/endpoint/${f.endpointId}/replay-missing`, body: { since: since() } }),
  },
  {
    name: "recover failed messages",
    needs: "CreateAttempts",
    request: async (f) => ({ method: "POST", path: `/api/v1/app/${f.appId}/endpoint/${f.endpointId}/recover`, body: { since: since() } }),
  },
  {
    name: "bulk replay",
    needs: "CreateAttempts",
    request: async (f) => ({ method: "POST", path: `/api/v1/app/${f.appId}/endpoint/${f.endpointId}/bulk-replay`, body: { since: since() } }),
  },
  {
    name: "resend a message",
    needs: "CreateAttempts",
    request: async (f) => ({ method: "POST", path: `/api/v1/app/${f.appId}/msg/${f.msgId}/endpoint/${f.endpointId}/resend` }),
  },
  {
    name: "post a message",
    needs: "CreateAttempts",
    request: async (f) => ({ method: "POST", path: `/api/v1/app/${f.appId}/msg`, body: { eventType: "cap.visible", payload: { probe: true } } }),
  },
  // Endpoint management.
  {
    name: "create an endpoint",
    needs: "ManageEndpoint",
    request: async (f) => ({ method: "POST", path: `/api/v1/app/${f.appId}/endpoint`, body: { url: `${f.receiverUrl}/created` } }),
  },
  {
    name: "update an endpoint",
    needs: "ManageEndpoint",
    request: async (f) => ({ method: "PUT", path: `/api/v1/app/${f.appId}/endpoint/${await f.newEndpoint()}`, body: { url: `${f.receiverUrl}/updated` } }),
  },
  {
    name: "patch an endpoint",
    needs: "ManageEndpoint",
    request: async (f) => ({ method: "PATCH", path: `/api/v1/app/${f.appId}/endpoint/${await f.newEndpoint()}`, body: { disabled: true } }),
  },
  {
    name: "delete an endpoint",
    needs: "ManageEndpoint",
    request: async (f) => ({ method: "DELETE", path: `/api/v1/app/${f.appId}/endpoint/${await f.newEndpoint()}` }),
  },
  {
    name: "put headers",
    needs: "ManageEndpoint",
    request: async (f) => ({ method: "PUT", path: `/api/v1/app/${f.appId}/endpoint/${await f.newEndpoint()}/headers`, body: { headers: { "x-probe": "1" } } }),
  },
  {
    name: "patch headers",
    needs: "ManageEndpoint",
    request: async (f) => ({ method: "PATCH", path: `/api/v1/app/${f.appId}/endpoint/${await f.newEndpoint()}/headers`, body: { headers: { "x-probe": "2" } } }),
  },
  {
    // Past the capability check, a key-less identity is refused on its own merits (422 on body.identity).
    name: "put an mTLS identity",
    needs: "ManageEndpoint",
    ok: [422],
    request: async (f) => ({ method: "PUT", path: `/api/v1/app/${f.appId}/endpoint/${await f.newEndpoint()}/mtls`, body: { identity: "not a PEM identity" } }),
  },
  {
    name: "delete the mTLS identity",
    needs: "ManageEndpoint",
    request: async (f) => ({ method: "DELETE", path: `/api/v1/app/${f.appId}/endpoint/${await f.newEndpoint()}/mtls` }),
  },
  {
    name: "clear the queue",
    needs: "ManageEndpoint",
    request: async (f) => ({
      method: "POST",
      path: `/api/v1/app/${f.appId}/endpoint/${await f.newEndpoint()}/cancel-msgs`,
      body: { createdBefore: new Date(Date.now() + 60_000).toISOString() },
    }),
  },
];

/** The capability sets tried, as asked for in AppPortalAccessIn, and what each grants per the contract. */
const SETS: { name: string; access: Record<string, unknown>; grants: Capability[]; unsure?: Capability[] }[] = [
  { name: "ViewBase only", access: { capabilities: ["ViewBase"] }, grants: ["ViewBase"] },
  { name: "readOnly: true", access: { readOnly: true }, grants: ["ViewBase"] },
  { name: "ViewEndpointSecret", access: { capabilities: ["ViewEndpointSecret"] }, grants: ["ViewBase", "ViewEndpointSecret"] },
  // Whether rotating a secret lets one see it the contract leaves open: either answer passes.
  { name: "ManageEndpointSecret", access: { capabilities: ["ManageEndpointSecret"] }, grants: ["ViewBase", "ManageEndpointSecret"], unsure: ["ViewEndpointSecret"] },
  { name: "ManageTransformations", access: { capabilities: ["ManageTransformations"] }, grants: ["ViewBase", "ManageTransformations"] },
  { name: "CreateAttempts", access: { capabilities: ["CreateAttempts"] }, grants: ["ViewBase", "CreateAttempts"] },
  {
    name: "ManageEndpoint",
    access: { capabilities: ["ManageEndpoint"] },
    grants: ["ViewBase", "ManageEndpoint", "ViewEndpointSecret", "ManageEndpointSecret"],
  },
  {
    name: "none asked for (all)",
    access: {},
    grants: ["ViewBase", "ViewEndpointSecret", "ManageEndpointSecret", "ManageTransformations", "CreateAttempts", "ManageEndpoint"],
  },
];

async function seedApp(h: TestHerald, receiverUrl: string) {
  const app = await h.svix.application.create({ name: "Capabilities" });
  const endpoint = await h.svix.endpoint.create(app.id, { url: `${receiverUrl}/main` });
  const message = await h.svix.message.create(app.id, { eventType: "cap.visible", payload: { seeded: true } });
  return { appId: app.id, endpointId: endpoint.id, msgId: message.id };
}

async function createEventTypes(h: TestHerald): Promise<void> {
  await h.svix.eventType.create({
    name: "cap.visible",
    description: "seen by every token",
    schemas: { "1": { type: "object", examples: [{ example: true }] } },
  });
  const flagged = await raw(h)("POST", "/api/v1/event-type", { name: "cap.beta", description: "behind a flag", featureFlag: "beta" });
  assert.equal(flagged.status, 201, flagged.text);
}

describe("app-portal capabilities are enforced by the server", () => {
  // Every capability set against every route in bursts of one application's tokens: the
  // per-application rate limit (100/s) would answer some of them 429.
  const herald = useHerald({ env: { HERALD_API_RATE_LIMIT: "0" } });
  const receiver = useReceiver();
  let fixture: Fixture;

  before(async () => {
    const h = herald();
    await createEventTypes(h);
    const seeded = await seedApp(h, receiver().url);
    fixture = {
      h,
      ...seeded,
      receiverUrl: receiver().url,
      newEndpoint: async () => (await h.svix.endpoint.create(seeded.appId, { url: `${receiver().url}/scratch` })).id,
    };
  });

  for (const set of SETS) {
    test(`${set.name}: each route works or answers 403 forbidden naming the missing capability`, async () => {
      const h = herald();
      const token = (await portalAccess(h, fixture.appId, set.access)).token;
      const whoami = await api(h.url, token, "GET", "/api/v1/auth/whoami");
      assert.equal(whoami.status, 200, whoami.text);
      const granted = (whoami.body as { capabilities: string[] }).capabilities;
      assert.ok(granted.includes("ViewBase"), `ViewBase is always granted: ${granted.join(", ")}`);
      const failures: string[] = [];
      for (const probe of PROBES) {
        const request = await probe.request(fixture);
        const response = await api(h.url, token, request.method, request.path, request.body);
        const call = `${probe.name} (${request.method} ${request.path}) answered ${response.status} ${response.text.slice(0, 200)}`;
        if (probe.needs && set.unsure?.includes(probe.needs)) continue;
        const allowed = probe.needs === null || set.grants.includes(probe.needs);
        if (allowed) {
          const ok = response.status >= 200 && response.status < 300 ? true : (probe.ok ?? []).includes(response.status);
          if (!ok) failures.push(`expected to work: ${call}`);
        } else {
          const body = response.body as { code?: string; detail?: string } | null;
          if (response.status !== 403 || body?.code !== "forbidden" || !body.detail?.includes(probe.needs!)) {
            failures.push(`expected 403 forbidden naming ${probe.needs}: ${call}`);
          }
        }
      }
      assert.deepEqual(failures, [], failures.join("\n"));
    });
  }

  test("readOnly and ViewBase tokens change nothing: the endpoint, its secret and the message log are as they were", async () => {
    const h = herald();
    const before = await h.svix.endpoint.get(fixture.appId, fixture.endpointId);
    const secret = await h.svix.endpoint.getSecret(fixture.appId, fixture.endpointId);
    const token = (await portalAccess(h, fixture.appId, { readOnly: true })).token;
    const asReader = raw(h, token);
    assertError(await asReader("PATCH", `/api/v1/app/${fixture.appId}/endpoint/${fixture.endpointId}`, { description: "changed" }), 403, "forbidden");
    assertError(await asReader("POST", `/api/v1/app/${fixture.appId}/endpoint/${fixture.endpointId}/secret/rotate`, {}), 403, "forbidden");
    assertError(await asReader("GET", `/api/v1/app/${fixture.appId}/endpoint/${fixture.endpointId}/secret`), 403, "forbidden");
    const messagesBefore = (await h.svix.message.list(fixture.appId, { limit: 250 })).data.length;
    assertError(await asReader("POST", `/api/v1/app/${fixture.appId}/msg`, { eventType: "cap.visible", payload: {} }), 403, "forbidden");
    assert.equal((await h.svix.endpoint.get(fixture.appId, fixture.endpointId)).description, before.description);
    assert.equal((await h.svix.endpoint.getSecret(fixture.appId, fixture.endpointId)).key, secret.key);
    assert.equal((await h.svix.message.list(fixture.appId, { limit: 250 })).data.length, messagesBefore);
  });

  test("a capability that does not exist is refused with a 422", async () => {
    const response = await raw(herald())("POST", `/api/v1/auth/app-portal-access/${fixture.appId}`, { capabilities: ["ManageEverything"] });
    assert.equal(response.status, 422, response.text);
  });

  test("whoami reports the token's application, capabilities, feature flags, session and expiry", async () => {
    const h = herald();
    const token = (await portalAccess(h, fixture.appId, { capabilities: ["CreateAttempts"], featureFlags: ["beta"], sessionId: "session-1", expiry: 3600 })).token;
    const whoami = await api(h.url, token, "GET", "/api/v1/auth/whoami");
    assert.equal(whoami.status, 200, whoami.text);
    const body = whoami.body as { appId: string; capabilities: string[]; featureFlags: string[]; sessionId: string; expiresAt: string };
    assert.equal(body.appId, fixture.appId);
    assert.deepEqual([...body.capabilities].sort(), ["CreateAttempts", "ViewBase"]);
    assert.deepEqual(body.featureFlags, ["beta"]);
    assert.equal(body.sessionId, "session-1");
    const lifetimeS = (Date.parse(body.expiresAt) - Date.now()) / 1000;
    assert.ok(lifetimeS > 3500 && lifetimeS <= 3601, `expires in about an hour, not ${lifetimeS} s`);
  });

  test("expiry is bounded as Svix's: under an hour or over seven days is a 422", async () => {
    const h = herald();
    for (const expiry of [3599, 604_801]) {
      const response = await raw(h)("POST", `/api/v1/auth/app-portal-access/${fixture.appId}`, { expiry });
      assert.equal(response.status, 422, `expiry ${expiry}: ${response.text}`);
    }
    await portalAccess(h, fixture.appId, { expiry: 3600 });
    await portalAccess(h, fixture.appId, { expiry: 604_800 });
  });

  test("feature flags: an event type behind a flag is hidden from tokens without it, shown to those with it", async () => {
    const h = herald();
    const plain = (await portalAccess(h, fixture.appId)).token;
    const flagged = (await portalAccess(h, fixture.appId, { featureFlags: ["beta"] })).token;
    const names = async (token: string) =>
      ((await api(h.url, token, "GET", "/api/v1/event-type?limit=250")).body as { data: { name: string }[] }).data.map((eventType) => eventType.name);
    assert.deepEqual(await names(plain), ["cap.visible"]);
    assert.deepEqual((await names(flagged)).sort(), ["cap.beta", "cap.visible"]);
    assert.deepEqual((await names(h.adminToken)).sort(), ["cap.beta", "cap.visible"], "the admin sees every event type");
    assertError(await api(h.url, plain, "GET", "/api/v1/event-type/cap.beta"), 404, "not_found");
    assert.equal((await api(h.url, flagged, "GET", "/api/v1/event-type/cap.beta")).status, 200);
  });

  test("the link's single-use key is exchanged once for a working token; a second exchange is 401 link_used", async () => {
    const h = herald();
    const access = await portalAccess(h, fixture.appId, { capabilities: ["ViewEndpointSecret"], sessionId: "s-link", returnUrl: "https://saas.example/settings" });
    assert.equal(new URL(access.url).pathname, "/portal/");
    const key = linkKey(access.url);
    assert.equal(key.appId, fixture.appId);
    assert.ok(!access.url.includes(access.token), "the session token is not in the link");

    const first = await exchange(h, key.oneTimeToken);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.body.appId, fixture.appId);
    assert.deepEqual([...(first.body.capabilities as string[])].sort(), ["ViewBase", "ViewEndpointSecret"]);
    assert.deepEqual(first.body.featureFlags, []);
    assert.equal(first.body.sessionId, "s-link");
    assert.ok(Date.parse(first.body.expiresAt as string) > Date.now());
    const token = first.body.token as string;
    assert.equal((await api(h.url, token, "GET", `/api/v1/app/${fixture.appId}/endpoint/${fixture.endpointId}/secret`)).status, 200);
    assertError(await api(h.url, token, "POST", `/api/v1/app/${fixture.appId}/endpoint`, { url: `${receiver().url}/x` }), 403, "forbidden");

    const second = await exchange(h, key.oneTimeToken);
    assertError(second, 401, "link_used");
    assert.equal(second.body.returnUrl, "https://saas.example/settings");
    assertError(await exchange(h, "hotk_no-such-key"), 401, "authentication_failed");
    // The token handed out directly works without any exchange.
    assert.equal((await api(h.url, access.token, "GET", `/api/v1/app/${fixture.appId}/endpoint`)).status, 200);
  });

  test("two exchanges of one key at once: exactly one gets the token", async () => {
    const h = herald();
    const key = linkKey((await portalAccess(h, fixture.appId)).url);
    const results = await Promise.all([exchange(h, key.oneTimeToken), exchange(h, key.oneTimeToken), exchange(h, key.oneTimeToken)]);
    assert.deepEqual(results.map((result) => result.status).sort(), [200, 401, 401]);
  });

  test("logout revokes the calling token at once, and only it", async () => {
    const h = herald();
    const first = (await portalAccess(h, fixture.appId)).token;
    const second = (await portalAccess(h, fixture.appId)).token;
    const list = `/api/v1/app/${fixture.appId}/endpoint`;
    assert.equal((await api(h.url, first, "GET", list)).status, 200);
    assert.equal((await api(h.url, first, "POST", "/api/v1/auth/logout")).status, 204);
    assertError(await api(h.url, first, "GET", list), 401, "authentication_failed");
    assert.equal((await api(h.url, second, "GET", list)).status, 200, "another token of the same application still works");
  });

  test("CORS: a preflight is answered with the allow headers, and answers carry the allowed origin", async () => {
    const h = herald();
    const origin = "http://127.0.0.1:5173";
    const preflight = await fetch(`${h.url}/api/v1/app/${fixture.appId}/endpoint`, {
      method: "OPTIONS",
      headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization,content-type" },
    });
    await preflight.arrayBuffer(); // read whole, so no answer holds its connection when Herald closes
    assert.ok(preflight.status === 204 || preflight.status === 200, `preflight answered ${preflight.status}`);
    const allowOrigin = preflight.headers.get("access-control-allow-origin");
    assert.ok(allowOrigin === "*" || allowOrigin === origin, `allow-origin ${allowOrigin}`);
    assert.match(preflight.headers.get("access-control-allow-methods") ?? "", /POST/);
    const allowHeaders = (preflight.headers.get("access-control-allow-headers") ?? "").toLowerCase();
    assert.ok(allowHeaders === "*" || (allowHeaders.includes("authorization") && allowHeaders.includes("content-type")), `allow-headers ${allowHeaders}`);

    const token = (await portalAccess(h, fixture.appId)).token;
    const answer = await fetch(`${h.url}/api/v1/app/${fixture.appId}/endpoint`, { headers: { origin, authorization: `Bearer ${token}` } });
    await answer.arrayBuffer();
    assert.equal(answer.status, 200);
    const answerOrigin = answer.headers.get("access-control-allow-origin");
    assert.ok(answerOrigin === "*" || answerOrigin === origin, `allow-origin ${answerOrigin}`);
  });
});

describe("app-portal links and tokens over time (injected clock)", () => {
  const clock = makeManualClock(Date.parse("2026-12-07T10:00:00.500Z"));
  const herald = useHerald({ clock });
  let appId: string;

  before(async () => {
    const h = herald();
    appId = (await h.svix.application.create({ name: "Clocked" })).id;
  });

  test("a link not used within its expiry is 401 link_expired (with the return URL), and its token stops working", async () => {
    const h = herald();
    const access = await portalAccess(h, appId, { expiry: 3600, returnUrl: "https://saas.example/back" });
    const key = linkKey(access.url);
    const list = `/api/v1/app/${appId}/endpoint`;
    clock.advance(3599_000);
    assert.equal((await api(h.url, access.token, "GET", list)).status, 200, "still valid before expiry");
    clock.advance(2_000);
    const expired = await exchange(h, key.oneTimeToken);
    assertError(expired, 401, "link_expired");
    assert.equal(expired.body.returnUrl, "https://saas.example/back");
    assertError(await api(h.url, access.token, "GET", list), 401, "authentication_failed");
  });

  test("expire-all revokes every token of the application, not another application's, nor tokens minted after it", async () => {
    const h = herald();
    const otherAppId = (await h.svix.application.create({ name: "Untouched" })).id;
    const mine = [(await portalAccess(h, appId)).token, (await portalAccess(h, appId, { sessionId: "s1" })).token];
    const exchanged = (await exchange(h, linkKey((await portalAccess(h, appId)).url).oneTimeToken)).body.token as string;
    const theirs = (await portalAccess(h, otherAppId)).token;
    clock.advance(1);
    const expired = await raw(h)("POST", `/api/v1/auth/app/${appId}/expire-all`, {});
    assert.equal(expired.status, 204, expired.text);
    for (const token of [...mine, exchanged]) assertError(await api(h.url, token, "GET", `/api/v1/app/${appId}/endpoint`), 401, "authentication_failed");
    assert.equal((await api(h.url, theirs, "GET", `/api/v1/app/${otherAppId}/endpoint`)).status, 200);
    // A link handed out right after (the same second) works: what a SaaS does after logging everyone out.
    clock.advance(1);
    const fresh = (await portalAccess(h, appId)).token;
    assert.equal((await api(h.url, fresh, "GET", `/api/v1/app/${appId}/endpoint`)).status, 200, "a token minted after expire-all works");
    // An app token may not expire-all.
    assertError(await api(h.url, fresh, "POST", `/api/v1/auth/app/${appId}/expire-all`, {}), 403, "forbidden");
  });

  test("expire-all with sessionIds revokes those sessions' tokens only", async () => {
    const h = herald();
    const s1 = (await portalAccess(h, appId, { sessionId: "session-a" })).token;
    const s2 = (await portalAccess(h, appId, { sessionId: "session-b" })).token;
    const none = (await portalAccess(h, appId)).token;
    clock.advance(1);
    assert.equal((await raw(h)("POST", `/api/v1/auth/app/${appId}/expire-all`, { sessionIds: ["session-a"] })).status, 204);
    const list = `/api/v1/app/${appId}/endpoint`;
    assertError(await api(h.url, s1, "GET", list), 401, "authentication_failed");
    assert.equal((await api(h.url, s2, "GET", list)).status, 200);
    assert.equal((await api(h.url, none, "GET", list)).status, 200);
  });

  test("expire-all with an expiry lets the tokens work until then", async () => {
    const h = herald();
    const token = (await portalAccess(h, appId)).token;
    clock.advance(1);
    assert.equal((await raw(h)("POST", `/api/v1/auth/app/${appId}/expire-all`, { expiry: 60 })).status, 204);
    const list = `/api/v1/app/${appId}/endpoint`;
    clock.advance(59_000);
    assert.equal((await api(h.url, token, "GET", list)).status, 200, "works within the expiry");
    clock.advance(2_000);
    assertError(await api(h.url, token, "GET", list), 401, "authentication_failed");
  });
});

describe("CORS origins from HERALD_CORS_ORIGINS", () => {
  const herald = useHerald({ env: { HERALD_CORS_ORIGINS: "http://127.0.0.1:5173" } });

  test("a configured origin is allowed, another is not", async () => {
    const h = herald();
    const preflight = async (origin: string) => {
      const response = await fetch(`${h.url}/api/v1/app`, {
        method: "OPTIONS",
        headers: { origin, "access-control-request-method": "GET", "access-control-request-headers": "authorization" },
      });
      await response.arrayBuffer();
      return response;
    };
    const allowed = await preflight("http://127.0.0.1:5173");
    assert.equal(allowed.headers.get("access-control-allow-origin"), "http://127.0.0.1:5173");
    const refused = await preflight("http://127.0.0.1:9999");
    assert.notEqual(refused.headers.get("access-control-allow-origin"), "http://127.0.0.1:9999");
    assert.notEqual(refused.headers.get("access-control-allow-origin"), "*");
  });
});
