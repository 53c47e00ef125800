import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import type { Page } from "playwright-core";

import {
  ALLOWED_CONSOLE_ERRORS,
  openPortal,
  PORTAL_INDEX,
  portalLink,
  type PortalWorld,
  sendMessage,
  startPortalWorld, usePortalSession,
  withScreenshotOnFailure,
} from "./support.ts";

/**
 * The portal shows what other people wrote (payloads, response bodies, descriptions, header
 * values) as text, never as HTML, and runs under a strict Content-Security-Policy with nothing
 * from another origin. The XSS check does not lean on the CSP: it also looks for the injected
 * elements in the DOM, which the CSP would not stop from being created.
 */

const IMG = '<img src=x onerror="window.__xss=1">';
const SCRIPT = "<script>window.__xss=2</script>";
const RESPONSE_HTML = '<html><body><h1>Thanks</h1><script>window.__xss=3</script><img src=x onerror="window.__xss=4"></body></html>';

interface Injected {
  xss: unknown;
  injectedImages: number;
  scripts: string[];
}

async function injected(page: Page): Promise<Injected> {
  return page.evaluate(() => {
    const { document, __xss } = globalThis as unknown as {
      __xss?: unknown;
      document: { querySelectorAll(selector: string): ArrayLike<{ getAttribute(name: string): string | null }> };
    };
    return {
      xss: __xss,
      injectedImages: document.querySelectorAll('img[src="x"]').length,
      scripts: Array.from(document.querySelectorAll("script")).map((script) => script.getAttribute("src") ?? "inline"),
    };
  });
}

describe("the portal is safe with hostile content", () => {
  const session = usePortalSession();

  test("payloads, response bodies, descriptions and header values holding HTML are shown as text and run nothing", async () => {
    const { h, appId, receiver } = session.world;
    receiver.respond = () => ({ status: 200, headers: { "content-type": "text/html" }, body: RESPONSE_HTML });
    const endpoint = await h.svix.endpoint.create(appId, { url: `${receiver.url}/xss`, description: `Shop ${IMG}` });
    await h.svix.endpoint.updateHeaders(appId, endpoint.id, { headers: { "X-Note": IMG } });
    const msgId = await sendMessage(session.world, "invoice.paid", { invoiceId: "inv_xss", note: IMG, html: SCRIPT });

    const portal = await openPortal(session.browser, (await portalLink(h, appId)).url);
    const { page } = portal;
    await withScreenshotOnFailure(page, "xss", async () => {
      await page.getByText(`Shop ${IMG}`).first().waitFor();

      await page.goto(`${h.url}/portal/messages/${msgId}`);
      const detail = page.getByRole("region", { name: "invoice.paid" });
      const payload = detail.getByRole("group", { name: "Payload" });
      // Shown as the JSON it is: the string's quotes escaped.
      await payload.getByText(JSON.stringify(IMG), { exact: false }).waitFor();
      assert.ok((await payload.textContent())?.includes(JSON.stringify(SCRIPT)), "the script tag is shown as text");
      await detail.getByText(/Attempt 1 ·/).click();
      const response = detail.getByRole("group", { name: "Response body" });
      await response.waitFor();
      assert.equal((await response.textContent())?.trim(), RESPONSE_HTML, "the HTML response body is shown as it came");

      await page.goto(`${h.url}/portal/endpoints/${endpoint.id}/advanced`);
      await page.getByRole("region", { name: "Custom headers" }).waitFor();

      await page.goto(`${h.url}/portal/endpoints/${endpoint.id}`);
      await page.getByRole("region", { name: "Attempts" }).getByText(/Attempt 1 ·/).click();
      await page.getByRole("region", { name: "Attempts" }).getByRole("group", { name: "Response body" }).getByText("window.__xss=3", { exact: false }).waitFor();

      const state = await injected(page);
      assert.equal(state.xss, undefined, "no injected code ran");
      assert.equal(state.injectedImages, 0, "no injected element was created");
      assert.ok(state.scripts.every((src) => src !== "inline"), `only the portal's own script files: ${state.scripts.join(", ")}`);
    });
    // A CSP violation would be logged as an error: none may be.
    portal.assertNoErrors(ALLOWED_CONSOLE_ERRORS);
    await portal.close();
  });

  test("every request the portal makes stays on Herald's origin", async () => {
    const { h, appId } = session.world;
    const portal = await openPortal(session.browser, (await portalLink(h, appId)).url);
    const origins = new Set<string>();
    portal.page.on("request", (request) => origins.add(new URL(request.url()).origin));
    for (const screen of ["/endpoints", "/messages", "/event-types", "/activity"]) {
      await portal.page.goto(`${h.url}/portal${screen}`);
      await portal.page.getByRole("heading", { level: 1 }).first().waitFor();
    }
    assert.deepEqual([...origins], [h.url]);
    await portal.close();
  });
});

describe("/portal/ is served with a strict Content-Security-Policy", () => {
  let world: PortalWorld;

  before(async () => {
    world = await startPortalWorld();
  });
  after(async () => {
    await world?.close();
  });

  test("the page, its client-side routes and its assets carry it; the page has no inline script", async () => {
    const asset = readdirSync(path.join(path.dirname(PORTAL_INDEX), "assets")).find((name) => name.endsWith(".js"));
    assert.ok(asset, "the build has a script asset");
    for (const pathname of ["/portal/", "/portal/endpoints/ep_unknown/advanced", `/portal/assets/${asset}`]) {
      const response = await fetch(`${world.h.url}${pathname}`);
      // Read whole, so no half-read answer holds a connection open when Herald closes.
      const body = await response.text();
      assert.equal(response.status, 200, pathname);
      const csp = response.headers.get("content-security-policy") ?? "";
      const directives = new Map(csp.split(";").map((part) => part.trim().split(/\s+/)).map(([name, ...values]) => [name, values]));
      assert.deepEqual(directives.get("script-src"), ["'self'"], `${pathname}: script-src 'self' only (${csp})`);
      assert.deepEqual(directives.get("default-src"), ["'self'"], pathname);
      assert.deepEqual(directives.get("connect-src"), ["'self'"], pathname);
      assert.deepEqual(directives.get("object-src"), ["'none'"], pathname);
      assert.deepEqual(directives.get("base-uri"), ["'none'"], pathname);
      assert.ok(directives.has("frame-ancestors"), `${pathname}: frame-ancestors is set`);
      assert.equal(response.headers.get("x-content-type-options"), "nosniff", pathname);
      if (pathname.startsWith("/portal/assets/")) assert.match(response.headers.get("content-type") ?? "", /javascript/);
      else {
        const html = body;
        const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
        assert.ok(scripts.length > 0, "the page loads a script");
        for (const [, attributes, body] of scripts) {
          assert.match(attributes, /\bsrc="\/portal\/assets\//, "every script is a file of the build");
          assert.equal(body.trim(), "", "no inline script");
        }
        assert.doesNotMatch(html, /https?:\/\/(?!127\.0\.0\.1)/, "nothing from another origin");
      }
    }
  });

  test("HERALD_PORTAL_FRAME_ANCESTORS sets who may frame it", async () => {
    const framed = await startPortalWorld({ env: { HERALD_PORTAL_FRAME_ANCESTORS: "https://saas.example" } });
    try {
      const response = await fetch(`${framed.h.url}/portal/`);
      await response.text();
      const csp = response.headers.get("content-security-policy") ?? "";
      assert.match(csp, /frame-ancestors https:\/\/saas\.example(;|$)/);
    } finally {
      await framed.close();
    }
  });
});
