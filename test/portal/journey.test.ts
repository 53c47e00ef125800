import assert from "node:assert/strict";
import { describe, test } from "node:test";

import type { Page } from "playwright-core";

import { assertAccessible } from "../helpers/browser.ts";
import { api } from "../helpers/herald.ts";
import { ALLOWED_CONSOLE_ERRORS, openPortal, portalLink, usePortalSession, withScreenshotOnFailure } from "./support.ts";

/**
 * A consumer's whole journey through the portal, in real Chromium against a real Herald and a
 * real receiver, with the link a SaaS hands out: add an endpoint (its URL checked as typed and by
 * the server) subscribed to one event type and with a payload filter, reveal and copy its secret,
 * send an example and read its attempt, read the message log, resend, disable and enable, rotate
 * the secret, clear the queue, recover. Every step is checked in the page and, where it changed
 * something, through the API; axe checks each screen.
 */

describe("a consumer's whole journey", () => {
  const session = usePortalSession();

  /** Waits until the admin API sees what `check` wants (the UI said it was done; the server agrees). */
  async function serverEventually<T>(what: string, read: () => Promise<T>, check: (value: T) => boolean): Promise<T> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const value = await read();
      if (check(value)) return value;
      assert.ok(Date.now() < deadline, `${what}: last seen ${JSON.stringify(value)}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  async function openEndpointTab(page: Page, name: "Overview" | "Testing" | "Advanced"): Promise<void> {
    await page.getByRole("navigation", { name: "Endpoint sections" }).getByRole("link", { name }).click();
  }

  test("open the link, add an endpoint, use every control on it, and find its messages", async () => {
    const { h, receiver, appId } = session.world;
    receiver.respond = () => ({ status: 200, headers: { "content-type": "application/json" }, body: '{"journey":"received"}' });
    const link = await portalLink(h, appId);
    const portal = await openPortal(session.browser, link.url, { permissions: ["clipboard-read", "clipboard-write"] });
    const { page } = portal;
    const apiCalls = new Set<string>();
    page.on("request", (request) => {
      const url = new URL(request.url());
      if (url.pathname.startsWith("/api/")) apiCalls.add(`${request.method()} ${url.pathname}`);
    });
    await withScreenshotOnFailure(page, "journey", async () => {

    // Signed in: the endpoint list, and the one-time key is gone from the address bar.
    await page.getByRole("heading", { name: "Endpoints", level: 1 }).waitFor();
    assert.equal(new URL(page.url()).hash, "", "the key is removed from the address bar");
    await page.getByText("No endpoints yet").waitFor();
    await assertAccessible(page, "the empty endpoint list");

    // Add an endpoint subscribed to invoice.paid only.
    await page.getByRole("link", { name: "Add endpoint" }).click();
    await page.getByRole("heading", { name: "Add endpoint", level: 1 }).waitFor();
    await page.getByLabel("Endpoint URL").fill("not a url");
    await page.getByText("This is not a valid URL").waitFor();
    // The server's own check (a cloud metadata address): its 422 message shows beside the field.
    const urlField = page.getByLabel("Endpoint URL");
    await urlField.fill("http://169.254.169.254/latest");
    await page.getByRole("button", { name: "Create endpoint" }).click();
    await page.getByText(/cloud metadata address/).waitFor();
    assert.equal(await urlField.getAttribute("aria-invalid"), "true");
    const describedBy = ((await urlField.getAttribute("aria-describedby")) ?? "").split(" ").filter(Boolean);
    const descriptions = await Promise.all(describedBy.map((id) => page.locator(`[id="${id}"]`).textContent()));
    assert.ok(descriptions.some((text) => text?.includes("cloud metadata address")), `the field is described by the server's message: ${JSON.stringify(descriptions)}`);
    assert.equal((await h.svix.endpoint.list(appId)).data.length, 0, "nothing was created");
    const url = `${receiver.url}/journey`;
    await urlField.fill(url);
    await page.getByLabel("Description").fill("Journey endpoint");
    await page.getByRole("radio", { name: "Only the events I choose" }).check();
    await page.getByRole("checkbox", { name: /^invoice\.paid / }).check();
    await assertAccessible(page, "the add-endpoint form");
    await page.getByRole("button", { name: "Create endpoint" }).click();
    await page.getByRole("heading", { name: url, level: 1 }).waitFor();
    const endpointId = new URL(page.url()).pathname.split("/")[3];
    const created = await h.svix.endpoint.get(appId, endpointId);
    assert.equal(created.url, url);
    assert.equal(created.description, "Journey endpoint");
    assert.deepEqual(created.filterTypes, ["invoice.paid"]);
    await assertAccessible(page, "the endpoint's overview");

    // A payload filter, on the Advanced tab.
    await openEndpointTab(page, "Advanced");
    await page.getByLabel("Payload filter").fill('{"payload.amount": {"$gt": 100}}');
    await page.getByRole("button", { name: "Save delivery options" }).click();
    await serverEventually(
      "the payload filter is saved",
      async () => (await api(h.url, h.adminToken, "GET", `/api/v1/app/${appId}/endpoint/${endpointId}`)).body as { filter?: unknown },
      (endpoint) => JSON.stringify(endpoint.filter) === '{"payload.amount":{"$gt":100}}',
    );
    await assertAccessible(page, "the endpoint's advanced tab");

    // Reveal and copy the signing secret.
    await openEndpointTab(page, "Overview");
    const secret = (await h.svix.endpoint.getSecret(appId, endpointId)).key;
    const secretCard = page.getByRole("region", { name: "Signing secret" });
    await secretCard.getByRole("button", { name: "Reveal" }).waitFor();
    assert.equal(await secretCard.getByText(secret).count(), 0, "the secret is hidden until revealed");
    await secretCard.getByRole("button", { name: "Reveal" }).click();
    await secretCard.getByText(secret).waitFor();
    await secretCard.getByRole("button", { name: "Copy secret" }).click();
    await secretCard.getByText("Copied", { exact: true }).waitFor();
    assert.equal(await page.evaluate(() => (globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }).navigator.clipboard.readText()), secret);

    // Send an example: the attempt appears, with the request as sent and the response.
    await openEndpointTab(page, "Testing");
    await page.getByRole("combobox", { name: "Event type" }).selectOption("invoice.paid");
    await page.getByRole("button", { name: "Send example" }).click();
    await page.getByText("Example sent as message").waitFor();
    const [delivered] = await receiver.waitFor(1);
    assert.equal(JSON.parse(delivered.body).invoiceId, "inv_1001", "the schema's example was sent");
    const attempts = page.getByRole("region", { name: "Attempts" });
    await attempts.getByText(/Attempt 1 ·/).click();
    await attempts.getByRole("cell", { name: delivered.headers["webhook-signature"] as string }).waitFor();
    await attempts.getByRole("group", { name: "Response body" }).getByText('"received"').waitFor();
    await assertAccessible(page, "the endpoint's testing tab with an attempt open");

    // The message log shows it; its detail has the payload and the attempt; resend sends it again.
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Messages" }).click();
    await page.getByRole("heading", { name: "Messages", level: 1 }).waitFor();
    await assertAccessible(page, "the message log");
    await page.getByRole("link", { name: /invoice\.paid/ }).first().click();
    const detail = page.getByRole("region", { name: "invoice.paid" });
    await detail.getByRole("group", { name: "Payload" }).getByText('"inv_1001"').waitFor();
    await detail.getByText(/Attempt 1 ·/).click();
    await detail.getByRole("group", { name: "Request body" }).getByText('"inv_1001"').waitFor();
    await detail.getByRole("group", { name: "Response body" }).getByText('"received"').waitFor();
    await assertAccessible(page, "the message detail");
    await detail.getByRole("button", { name: "Resend" }).first().click();
    await detail.getByText("Resent: the new attempt appears shortly.").waitFor();
    await receiver.waitFor(2);
    await detail.getByText(/Attempt \d+ · .* · manual/).waitFor(); // the resend's attempt, without a reload

    // Disable and enable.
    await page.goto(`${h.url}/portal/endpoints/${endpointId}`);
    await page.getByRole("button", { name: "Disable" }).click();
    await page.getByRole("button", { name: "Enable" }).waitFor();
    await serverEventually("disabled", () => h.svix.endpoint.get(appId, endpointId), (endpoint) => endpoint.disabled === true);
    await page.getByRole("button", { name: "Enable" }).click();
    await page.getByRole("button", { name: "Disable" }).waitFor();
    await serverEventually("enabled", () => h.svix.endpoint.get(appId, endpointId), (endpoint) => endpoint.disabled === false);

    // Rotate the secret: a confirmation that states the grace period, then a new secret.
    await page.getByRole("button", { name: "Rotate" }).click();
    const rotateDialog = page.getByRole("dialog", { name: "Rotate the signing secret?" });
    await rotateDialog.getByText(/24 hours/).waitFor();
    await assertAccessible(page, "the rotate-secret dialog");
    await rotateDialog.getByRole("button", { name: "Rotate secret" }).click();
    await page.getByText(/Secret rotated/).waitFor();
    await serverEventually("the secret changed", async () => (await h.svix.endpoint.getSecret(appId, endpointId)).key, (key) => key !== secret);

    // Clear the queue: a message the receiver refuses waits for its retry; clearing cancels it.
    receiver.respond = () => ({ status: 503, body: "busy" });
    await h.svix.message.create(appId, { eventType: "invoice.paid", payload: { invoiceId: "inv_queued", amount: 900 } });
    await receiver.waitFor(3);
    const queue = page.getByRole("region", { name: "Queue" });
    await queue.getByText("Retrying").waitFor();
    await queue.getByRole("button", { name: "Clear queue" }).click();
    const clearDialog = page.getByRole("dialog", { name: "Clear the queue?" });
    await clearDialog.getByRole("button", { name: "Clear queue" }).click();
    await queue.getByText("Queue cleared.").waitFor();
    await serverEventually(
      "nothing waits for the endpoint",
      async () => (await api(h.url, h.adminToken, "GET", `/api/v1/app/${appId}/endpoint/${endpointId}/status`)).body as { numWaiting?: number; status?: string },
      (status) => status.numWaiting === 0 && status.status === "idle",
    );

    // Recover: a message that failed for good while the consumer was away (no retries left) is sent again.
    const noRetries = await api(h.url, h.adminToken, "PATCH", `/api/v1/app/${appId}/endpoint/${endpointId}`, { retrySchedule: [] });
    assert.equal(noRetries.status, 200, noRetries.text);
    receiver.respond = () => ({ status: 500, body: "down" });
    const failed = await h.svix.message.create(appId, { eventType: "invoice.paid", payload: { invoiceId: "inv_failed", amount: 500 } });
    await serverEventually(
      "the message failed for good",
      async () => (await h.svix.messageAttempt.listAttemptedDestinations(appId, failed.id)).data.map((destination) => destination.statusText),
      (statuses) => statuses.length === 1 && statuses[0] === "fail",
    );
    const before = receiver.requests.length;
    receiver.respond = () => ({ status: 200, body: "back" });
    await page.getByRole("button", { name: "Recover failed messages" }).click();
    await page.getByText(/Recovery started/).waitFor();
    await receiver.waitFor(before + 1);
    assert.equal(JSON.parse(receiver.requests[before].body).invoiceId, "inv_failed");
    });
    // Every route the portal called is in the OpenAPI document, so the cross-tenant test (which
    // walks the document) covers it.
    const document = (await (await fetch(`${h.url}/api/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const templates = Object.entries(document.paths).flatMap(([template, item]) =>
      Object.keys(item).map((method) => ({ method: method.toUpperCase(), pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, "[^/]+")}$`) })),
    );
    const undocumented = [...apiCalls].filter((call) => {
      const [method, pathname] = call.split(" ");
      return method !== "OPTIONS" && !templates.some((template) => template.method === method && template.pattern.test(pathname));
    });
    assert.deepEqual(undocumented, [], "calls the portal made to routes missing from /api/v1/openapi.json");
    assert.ok(apiCalls.size > 15, `the portal made ${apiCalls.size} kinds of API call`);

    // The one 422 the test asked for (the metadata address) aside.
    portal.assertNoErrors([...ALLOWED_CONSOLE_ERRORS, /Failed to load resource: .* 422 .*\/api\/v1\/app\/app_[A-Za-z0-9]+\/endpoint\)$/]);
    await portal.close();
  });
});
