import assert from "node:assert/strict";
import { before, describe, test } from "node:test";

import { assertError, raw, useHerald } from "./api-helpers.ts";

/**
 * What the operator configures for the portal: the settings it reads, the delivery options an
 * app token may set, and the origins that may call the API from a browser.
 */
describe("portal settings from configuration", () => {
  const herald = useHerald({
    env: {
      HERALD_PORTAL_DISPLAY_NAME: "Acme Webhooks",
      HERALD_PORTAL_PRIMARY_COLOR: "#3b5bdb",
      HERALD_PORTAL_EDITABLE_OPTIONS: "method,filter",
      HERALD_PORTAL_MTLS: "false",
      HERALD_CORS_ORIGINS: "https://app.example.com,https://*.example.org",
    },
  });
  let appToken: string;
  let endpointId: string;

  before(async () => {
    const h = herald();
    await h.svix.application.create({ name: "Settings", uid: "settings-app" });
    endpointId = (await h.svix.endpoint.create("settings-app", { url: "https://example.com/hook" })).id;
    appToken = (await h.svix.authentication.appPortalAccess("settings-app", {})).token;
  });

  test("environment/settings answers any valid token with the operator's branding and switches", async () => {
    const h = herald();
    const response = await raw(h, appToken)("GET", "/api/v1/environment/settings");
    assert.equal(response.status, 200);
    const settings = response.body as Record<string, unknown>;
    assert.equal(settings.displayName, "Acme Webhooks");
    assert.equal(settings.customColor, "#3b5bdb");
    assert.equal(settings.enableEndpointMtlsConfig, false);
    assert.deepEqual(settings.editableDeliveryOptions, ["method", "filter"]);
    assertError(await raw(h, "not-a-token")("GET", "/api/v1/environment/settings"), 401, "authentication_failed");
  });

  test("an app token may set only the editable options; the admin token any", async () => {
    const h = herald();
    const path = `/api/v1/app/settings-app/endpoint/${endpointId}`;
    assert.equal((await raw(h, appToken)("PATCH", path, { method: "PUT", filter: { eventType: "a.b" } })).status, 200);
    const refused = await raw(h, appToken)("PATCH", path, { timeoutMs: 1000, retrySchedule: [1] });
    assertError(refused, 403, "forbidden");
    assert.match((refused.body as { detail: string }).detail, /timeoutMs, retrySchedule/);
    assertError(await raw(h, appToken)("POST", "/api/v1/app/settings-app/endpoint", { url: "https://example.com/x", batch: { maxSize: 5, maxWaitMs: 0 } }), 403, "forbidden");
    assert.equal((await raw(h)("PATCH", path, { timeoutMs: 1000 })).status, 200);
    assert.equal((await h.svix.endpoint.get("settings-app", endpointId)).url, "https://example.com/hook");
  });

  test("CORS answers configured origins (wildcard subdomains too) and no others", async () => {
    const h = herald();
    const preflight = (origin: string) =>
      fetch(`${h.url}/api/v1/app/settings-app/endpoint`, {
        method: "OPTIONS",
        headers: { origin, "access-control-request-method": "PATCH", "access-control-request-headers": "authorization,content-type" },
      });
    const allowed = await preflight("https://app.example.com");
    assert.equal(allowed.status, 204);
    assert.equal(allowed.headers.get("access-control-allow-origin"), "https://app.example.com");
    assert.match(allowed.headers.get("access-control-allow-methods") ?? "", /PATCH/);
    assert.equal((await preflight("https://eu.portal.example.org")).headers.get("access-control-allow-origin"), "https://eu.portal.example.org");
    assert.equal((await preflight("https://example.org.evil.com")).headers.get("access-control-allow-origin"), null);
    assert.equal((await preflight("https://evil.com")).headers.get("access-control-allow-origin"), null);
  });
});

describe("the portal's files", () => {
  const herald = useHerald({ env: { HERALD_PORTAL_FRAME_ANCESTORS: "'self' https://app.example.com" } });

  test("/ leads to /portal/; every path under it is the page; its scripts load without a token; all under the portal's CSP", async () => {
    const h = herald();
    const root = await fetch(h.url + "/", { redirect: "manual" });
    assert.equal(root.status, 302);
    assert.equal(root.headers.get("location"), "/portal/");
    const page = await fetch(h.url + "/portal/endpoints/ep_123");
    assert.equal(page.status, 200, "portal/dist is built by npm install (prepare) or npm run build:portal");
    const csp = page.headers.get("content-security-policy") ?? "";
    assert.match(csp, /script-src 'self';/);
    assert.match(csp, /frame-ancestors 'self' https:\/\/app\.example\.com;/);
    const html = await page.text();
    const scripts = [...html.matchAll(/<script[^>]*src="([^"]+)"/g)].map((match) => match[1]);
    assert.ok(scripts.length > 0, "the page loads its script from a file");
    assert.doesNotMatch(html.replace(/<script[^>]*src="[^"]+"[^>]*><\/script>/g, ""), /<script/, "no inline script");
    for (const src of scripts) {
      const script = await fetch(h.url + src);
      assert.equal(script.status, 200, src);
      assert.match(script.headers.get("content-type") ?? "", /javascript/);
      assert.match(script.headers.get("cache-control") ?? "", /immutable/);
    }
    assert.equal((await fetch(h.url + "/portal/assets/index-0ld8u1ld.js")).status, 404, "an asset no build has is not the page");
  });
});
