import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import type { Browser, Page } from "playwright-core";

import { makeManualClock } from "../../src/domain/clock.ts";
import { assertAccessible, launchBrowser } from "../helpers/browser.ts";
import { api } from "../helpers/herald.ts";
import {
  ALLOWED_CONSOLE_ERRORS,
  createEndpoint,
  openPortal,
  portalLink,
  type PortalWorld,
  sendMessage,
  sessionToken,
  startPortalWorld,
  withScreenshotOnFailure,
} from "./support.ts";

/**
 * What a link grants and what it shows when it no longer works: a read-only link offers no
 * control that writes (and its token is refused by the API if one tries), a used link and an
 * expired link each get a page that says so and leads back to the SaaS, and logging out ends the
 * session.
 */

const RETURN_URL = "https://saas.example/settings/webhooks";

/** Buttons and links that change something; none may be offered on a read-only link. */
const WRITE_CONTROLS: { role: "button" | "link" | "switch"; name: string | RegExp }[] = [
  { role: "link", name: "Add endpoint" },
  { role: "link", name: "Edit" },
  { role: "button", name: "Disable" },
  { role: "button", name: "Enable" },
  { role: "button", name: "Delete" },
  { role: "button", name: "Reveal" },
  { role: "button", name: "Rotate" },
  { role: "button", name: "Clear queue" },
  { role: "button", name: "Recover failed messages" },
  { role: "button", name: "Replay missing messages" },
  { role: "button", name: "Resend" },
  { role: "button", name: "Send example" },
  { role: "button", name: "Add header" },
  { role: "button", name: "Save rate limit" },
  { role: "button", name: "Save delivery options" },
  { role: "button", name: "Save code" },
  { role: "button", name: "Save certificate" },
  { role: "button", name: "Remove certificate" },
  { role: "button", name: /^Remove header/ },
  { role: "button", name: "Simulate" },
  { role: "switch", name: "Enabled" },
];

/** A control shown disabled (the transformation switch before any code) is not offered. */
async function assertNoWriteControl(page: Page, screen: string): Promise<void> {
  const offered: string[] = [];
  for (const control of WRITE_CONTROLS) {
    for (const element of await page.getByRole(control.role, { name: control.name, exact: true }).all()) {
      if (await element.isEnabled()) offered.push(`${control.role} "${String(control.name)}"`);
    }
  }
  assert.deepEqual(offered, [], `${screen} offers write controls on a read-only link`);
}

/** Inputs in the page's main region that accept a value: an endpoint's screens have none on a read-only link. */
async function editableInputs(page: Page): Promise<string[]> {
  const found: string[] = [];
  for (const role of ["textbox", "combobox", "checkbox", "radio", "switch", "spinbutton"] as const) {
    for (const element of await page.getByRole("main").getByRole(role).all()) {
      if (await element.isEditable()) found.push(`${role} ${(await element.getAttribute("aria-label")) ?? (await element.getAttribute("id")) ?? ""}`);
    }
  }
  return found;
}

describe("portal links", () => {
  let browser: Browser;
  let world: PortalWorld;
  let endpointId: string;
  let msgId: string;

  before(async () => {
    world = await startPortalWorld();
    browser = await launchBrowser();
    endpointId = await createEndpoint(world);
    msgId = await sendMessage(world, "invoice.paid", { invoiceId: "inv_ro", amount: 12 });
  });
  after(async () => {
    await browser?.close();
    await world?.close();
  });

  test("a read-only link shows everything but offers no control that writes, and its token cannot write", async () => {
    const { h, appId } = world;
    const portal = await openPortal(browser, (await portalLink(h, appId, { readOnly: true })).url);
    const { page } = portal;
    await withScreenshotOnFailure(page, "read-only", async () => {
      await page.getByText("Read only").first().waitFor();
      await page.getByRole("link", { name: /Orders webhook/ }).waitFor();
      await assertNoWriteControl(page, "the endpoint list");
      for (const tab of ["", "/testing", "/advanced"]) {
        await page.goto(`${h.url}/portal/endpoints/${endpointId}${tab}`);
        await page.getByRole("region", { name: "Attempts" }).or(page.getByRole("region", { name: "Custom headers" })).first().waitFor();
        await assertNoWriteControl(page, `the endpoint's ${tab || "overview"} tab`);
        assert.deepEqual(await editableInputs(page), [], `the endpoint's ${tab || "overview"} tab has inputs on a read-only link`);
      }
      await page.goto(`${h.url}/portal/messages/${msgId}`);
      await page.getByRole("region", { name: "Payload" }).getByText('"inv_ro"').waitFor();
      await assertNoWriteControl(page, "the message detail");
      await assertAccessible(page, "the read-only message detail");

      // The token the page holds is refused by the server for writes, and allowed to read.
      const token = await sessionToken(page);
      const writes = [
        ["POST", `/api/v1/app/${appId}/endpoint`, { url: `${world.receiver.url}/sneaky` }],
        ["PATCH", `/api/v1/app/${appId}/endpoint/${endpointId}`, { disabled: true }],
        ["POST", `/api/v1/app/${appId}/msg`, { eventType: "invoice.paid", payload: {} }],
        ["POST", `/api/v1/app/${appId}/msg/${msgId}/endpoint/${endpointId}/resend`, undefined],
        ["GET", `/api/v1/app/${appId}/endpoint/${endpointId}/secret`, undefined],
      ] as const;
      for (const [method, path, body] of writes) {
        const response = await api(h.url, token, method, path, body);
        assert.equal(response.status, 403, `${method} ${path} with the read-only token: ${response.text}`);
      }
      assert.equal((await api(h.url, token, "GET", `/api/v1/app/${appId}/endpoint`)).status, 200);
      assert.equal((await h.svix.endpoint.get(appId, endpointId)).disabled, false);
    });
    portal.assertNoErrors(ALLOWED_CONSOLE_ERRORS);
    await portal.close();
  });

  test("a used link gets a page that says so, with the way back to the application", async () => {
    const { h, appId } = world;
    const link = await portalLink(h, appId, { returnUrl: RETURN_URL });
    const first = await openPortal(browser, link.url);
    await first.page.getByRole("heading", { name: "Endpoints", level: 1 }).waitFor();
    await first.close();

    const second = await openPortal(browser, link.url);
    const { page } = second;
    await withScreenshotOnFailure(page, "used-link", async () => {
      await page.getByRole("heading", { name: "This link has already been used", level: 1 }).waitFor();
      assert.equal(await page.getByRole("link", { name: "Back to the application" }).getAttribute("href"), RETURN_URL);
      assert.equal(await page.getByRole("navigation", { name: "Main" }).count(), 0, "no portal behind the page");
      assert.equal(new URL(page.url()).hash, "", "the used key is removed from the address bar too");
      await assertAccessible(page, "the used-link page");
    });
    // The exchange answered 401 link_used: the page asked for it and got the answer it shows.
    second.assertNoErrors([...ALLOWED_CONSOLE_ERRORS, /Failed to load resource: .* 401 .*\/api\/v1\/auth\/one-time-token\)$/]);
    await second.close();
  });

  test("a link that is not a link gets a page that says so", async () => {
    const portal = await openPortal(browser, `${world.h.url}/portal/#key=not-base64-json`);
    await portal.page.getByRole("heading", { name: "This link is not valid", level: 1 }).waitFor();
    const bare = await openPortal(browser, `${world.h.url}/portal/`);
    await bare.page.getByRole("heading", { name: "Open the link from your provider", level: 1 }).waitFor();
    await portal.close();
    await bare.close();
  });

  test("logging out ends the session: the page says so, and the token no longer works", async () => {
    const { h, appId } = world;
    const portal = await openPortal(browser, (await portalLink(h, appId)).url);
    const { page } = portal;
    await page.getByRole("heading", { name: "Endpoints", level: 1 }).waitFor();
    const token = await sessionToken(page);
    await page.getByRole("button", { name: "Log out" }).click();
    await page.getByRole("heading", { name: "You are logged out", level: 1 }).waitFor();
    assert.equal((await api(h.url, token, "GET", `/api/v1/app/${appId}/endpoint`)).status, 401);
    await page.reload();
    await page.getByRole("heading", { name: "Open the link from your provider", level: 1 }).waitFor();
    await portal.close();
  });
});

describe("an expired portal link (injected clock)", () => {
  let browser: Browser;
  let world: PortalWorld;
  const clock = makeManualClock();

  before(async () => {
    world = await startPortalWorld({ clock });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await world?.close();
  });

  test("a link opened after its expiry gets a page that says so, with the way back", async () => {
    const link = await portalLink(world.h, world.appId, { expiry: 3600, returnUrl: RETURN_URL });
    clock.advance(3601_000);
    const portal = await openPortal(browser, link.url);
    const { page } = portal;
    await withScreenshotOnFailure(page, "expired-link", async () => {
      await page.getByRole("heading", { name: "This link has expired", level: 1 }).waitFor();
      assert.equal(await page.getByRole("link", { name: "Back to the application" }).getAttribute("href"), RETURN_URL);
      await assertAccessible(page, "the expired-link page");
    });
    portal.assertNoErrors([...ALLOWED_CONSOLE_ERRORS, /Failed to load resource: .* 401 .*\/api\/v1\/auth\/one-time-token\)$/]);
    await portal.close();
  });
});
