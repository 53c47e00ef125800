import assert from "node:assert/strict";
import { describe, test } from "node:test";

import type { Page } from "playwright-core";

import { ALLOWED_CONSOLE_ERRORS, openPortal, portalLink, usePortalSession, withScreenshotOnFailure } from "./support.ts";

/**
 * The portal by keyboard alone: the skip link tops the page, every control Tab reaches shows where
 * the focus is, an endpoint can be added without the mouse, and a dialog keeps the focus, closes on
 * Escape and gives the focus back.
 */

interface Focused {
  role: string | null;
  tag: string;
  name: string;
  inMain: boolean;
  inDialog: boolean;
  /** An outline or a box shadow is drawn around it. */
  visible: boolean;
}

async function focused(page: Page): Promise<Focused> {
  return page.evaluate(() => {
    const { document, getComputedStyle } = globalThis as unknown as {
      document: { activeElement: FocusedElement | null };
      getComputedStyle(element: unknown): { outlineStyle: string; outlineWidth: string; boxShadow: string };
    };
    interface FocusedElement {
      tagName: string;
      textContent: string | null;
      labels?: ArrayLike<{ textContent: string | null }>;
      getAttribute(name: string): string | null;
      closest(selector: string): unknown;
    }
    const element = document.activeElement;
    if (!element) return { role: null, tag: "", name: "", inMain: false, inDialog: false, visible: false };
    const style = getComputedStyle(element);
    return {
      role: element.getAttribute("role"),
      tag: element.tagName.toLowerCase(),
      // Enough of the accessible name for these controls: aria-label, a <label>, or the text.
      name: (element.getAttribute("aria-label") ?? element.labels?.[0]?.textContent ?? element.textContent ?? "").trim().slice(0, 60),
      inMain: element.closest("main") !== null,
      inDialog: element.closest("dialog, [role=dialog]") !== null,
      visible: (style.outlineStyle !== "none" && style.outlineWidth !== "0px") || style.boxShadow !== "none",
    };
  });
}

/** Presses Tab until the focused element's accessible name is `name` (at most `limit` times), checking each stop shows its focus. */
async function tabTo(page: Page, name: string | RegExp, limit = 40, key: "Tab" | "Shift+Tab" = "Tab"): Promise<Focused> {
  for (let presses = 0; presses < limit; presses++) {
    await page.keyboard.press(key);
    const now = await focused(page);
    if (now.tag === "body") continue; // past the first or last control: the browser's own stop
    assert.ok(now.visible, `the focus on <${now.tag}> "${now.name}" is not visible`);
    if (typeof name === "string" ? now.name === name : name.test(now.name)) return now;
  }
  assert.fail(`Tab never reached "${String(name)}" in ${limit} presses`);
}

describe("the portal by keyboard", () => {
  const session = usePortalSession();

  test("the skip link tops the page, the focus always shows, an endpoint is added and a dialog used without the mouse", async () => {
    const { h, appId, receiver } = session.world;
    const portal = await openPortal(session.browser, (await portalLink(h, appId)).url);
    const { page } = portal;
    await withScreenshotOnFailure(page, "keyboard", async () => {
      await page.getByRole("heading", { name: "Endpoints", level: 1 }).waitFor();
      // Opening the link lands the focus on the content (the redirect to /endpoints counts as a
      // navigation); going back up through the header, every stop shows its focus and the skip link is the topmost.
      await tabTo(page, "Skip to content", 12, "Shift+Tab");
      await page.keyboard.press("Shift+Tab");
      assert.notEqual((await focused(page)).name, "Skip to content", "nothing before the skip link");
      await tabTo(page, "Skip to content", 2);
      await page.keyboard.press("Enter");
      await page.keyboard.press("Tab");
      assert.ok((await focused(page)).inMain, "after the skip link, Tab goes on inside the main content");

      await tabTo(page, "Add endpoint");
      await page.keyboard.press("Enter");
      await page.getByRole("heading", { name: "Add endpoint", level: 1 }).waitFor();
      if ((await focused(page)).name !== "Endpoint URL") await tabTo(page, "Endpoint URL");
      const url = `${receiver.url}/by-keyboard`;
      await page.keyboard.type(url);
      await page.keyboard.press("Tab");
      await page.keyboard.type("Typed, never clicked");
      await tabTo(page, "Create endpoint");
      await page.keyboard.press("Enter");
      await page.getByRole("heading", { name: url, level: 1 }).waitFor();
      const endpoints = await h.svix.endpoint.list(appId);
      assert.deepEqual(endpoints.data.map((endpoint) => [endpoint.url, endpoint.description]), [[url, "Typed, never clicked"]]);

      // The delete dialog: the focus moves in, Escape closes it, the focus comes back, nothing is deleted.
      await page.getByRole("button", { name: "Delete" }).focus();
      await page.keyboard.press("Enter");
      await page.getByRole("dialog", { name: "Delete this endpoint?" }).waitFor();
      assert.ok((await focused(page)).inDialog, "the dialog takes the focus");
      for (let press = 0; press < 5; press++) {
        await page.keyboard.press("Tab");
        assert.ok((await focused(page)).inDialog, "Tab stays inside the dialog");
      }
      await page.keyboard.press("Escape");
      await page.getByRole("dialog").waitFor({ state: "hidden" });
      assert.equal((await focused(page)).name, "Delete", "the focus returns to the button that opened the dialog");
      assert.equal((await h.svix.endpoint.list(appId)).data.length, 1, "Escape deleted nothing");
    });
    portal.assertNoErrors(ALLOWED_CONSOLE_ERRORS);
    await portal.close();
  });
});
