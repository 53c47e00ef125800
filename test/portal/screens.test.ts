import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import type { Browser, Page } from "playwright-core";

import { en } from "../../portal/src/i18n/en.ts";
import { fr } from "../../portal/src/i18n/fr.ts";
import { assertAccessible, launchBrowser, type PageOptions } from "../helpers/browser.ts";
import { type Screen, SCREENS } from "./screen-list.ts";
import { type SeededData,seedRealisticData } from "./seed.ts";
import {
  ALLOWED_CONSOLE_ERRORS,
  assertNoHorizontalScroll,
  openPortal,
  portalLink,
  type PortalWorld,
  startPortalWorld,
  withScreenshotOnFailure,
} from "./support.ts";

/**
 * Every screen of the portal, with realistic data, in each way it is used: at 1,440 px, on a
 * 375 px phone (no sideways scroll), in dark mode, and in French (the strings French, dates and
 * numbers through Intl). axe-core must find no serious or critical violation on any of them.
 */

describe("every screen", () => {
  let browser: Browser;
  let world: PortalWorld;
  let seed: SeededData;

  before(async () => {
    world = await startPortalWorld();
    seed = await seedRealisticData(world);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await world?.close();
  });

  /** Opens a fresh link with `options`, then visits every screen, running `check` on each once it shows its data. */
  async function visitAll(label: string, options: PageOptions, check: (page: Page, screen: Screen) => Promise<void>): Promise<void> {
    const portal = await openPortal(browser, (await portalLink(world.h, world.appId)).url, options);
    const { page } = portal;
    for (const screen of SCREENS) {
      await withScreenshotOnFailure(page, `${label}-${screen.name.replaceAll(" ", "-")}`, async () => {
        await page.goto(`${world.h.url}/portal${screen.path(seed)}`);
        await screen.ready(page).waitFor();
        await check(page, screen);
      });
    }
    portal.assertNoErrors(ALLOWED_CONSOLE_ERRORS);
    await portal.close();
  }

  test("at 1,440 px: axe finds no serious or critical violation on any screen", async () => {
    await visitAll("desktop", { viewport: { width: 1440, height: 900 } }, async (page, screen) => {
      await assertAccessible(page, `${screen.name} at 1,440 px`);
    });
  });

  test("at 375 px: no screen scrolls sideways, and axe finds nothing serious", async () => {
    await visitAll("phone", { viewport: { width: 375, height: 812 } }, async (page, screen) => {
      await assertNoHorizontalScroll(page, screen.name);
      await assertAccessible(page, `${screen.name} at 375 px`);
    });
  });

  test("in dark mode (the system's): every screen is dark, and axe (contrast included) finds nothing serious", async () => {
    await visitAll("dark", { colorScheme: "dark" }, async (page, screen) => {
      const background = await backgroundLuminance(page);
      assert.ok(background < 0.2, `${screen.name}: the page background is light (relative luminance ${background.toFixed(2)}) in dark mode`);
      await assertAccessible(page, `${screen.name} in dark mode`);
    });
  });

  test("the theme switch turns a light page dark, and back", async () => {
    const portal = await openPortal(browser, (await portalLink(world.h, world.appId)).url, { colorScheme: "light" });
    const { page } = portal;
    await page.getByRole("link", { name: /Accounting sync/ }).waitFor();
    assert.ok((await backgroundLuminance(page)) > 0.5, "light by default with a light system");
    await page.getByRole("combobox", { name: "Theme" }).selectOption({ label: "Dark" });
    await waitForLuminance(page, (luminance) => luminance < 0.2);
    await page.getByRole("combobox", { name: "Theme" }).selectOption({ label: "Light" });
    await waitForLuminance(page, (luminance) => luminance > 0.5);
    await portal.close();
  });

  test("in French (the browser's language): the strings are French, dates and numbers formatted by Intl", async () => {
    const portal = await openPortal(browser, (await portalLink(world.h, world.appId)).url, { locale: "fr-FR" });
    const { page } = portal;
    await withScreenshotOnFailure(page, "french", async () => {
      // The page's strings are the French catalogue's, and those differ from the English ones.
      for (const key of ["endpoints.add", "nav.catalog", "nav.activity", "header.logout"] as const) assert.notEqual(fr[key], en[key], key);
      await page.getByRole("link", { name: fr["endpoints.add"] }).waitFor();
      const nav = page.getByRole("navigation", { name: fr["nav.label"] });
      for (const key of ["nav.endpoints", "nav.messages", "nav.catalog", "nav.activity"] as const) await nav.getByRole("link", { name: fr[key] }).waitFor();
      await page.getByRole("button", { name: fr["header.logout"] }).waitFor();
      assert.equal(await page.evaluate(() => (globalThis as unknown as { document: { documentElement: { lang: string } } }).document.documentElement.lang), "fr");

      // A message's creation time, as Intl formats it in French, is what the log shows.
      const message = await world.h.svix.message.get(world.appId, seed.messageIds.at(-1)!);
      const expected = await page.evaluate(
        (iso) => new Intl.DateTimeFormat("fr-FR", { dateStyle: "medium", timeStyle: "medium" }).format(new Date(iso)),
        message.timestamp.toISOString(),
      );
      await nav.getByRole("link", { name: fr["nav.messages"] }).click();
      await page.getByRole("link", { name: new RegExp(message.eventId ?? message.id) }).getByText(expected).waitFor();
      await assertAccessible(page, "the message log in French");

      // No English left on the screens with the most text.
      for (const path of [`/endpoints/${seed.healthyEndpointId}`, `/endpoints/${seed.healthyEndpointId}/advanced`, `/messages/${seed.failedMessageId}`]) {
        await page.goto(`${world.h.url}/portal${path}`);
        await page.getByRole("heading", { level: 2 }).first().waitFor();
        const english = [];
        const keys = ["secret.title", "stats.title", "headers.title", "options.title", "messages.destinations", "messages.payload", "attempts.resend", "secret.rotate"] as const;
        for (const phrase of keys.map((key) => en[key]).filter((phrase, index) => phrase !== fr[keys[index]])) {
          if ((await page.getByText(phrase, { exact: true }).count()) > 0) english.push(phrase);
        }
        assert.deepEqual(english, [], `${path} shows English in French`);
      }
    });
    portal.assertNoErrors(ALLOWED_CONSOLE_ERRORS);
    await portal.close();
  });

  test("the language switch turns an English page French", async () => {
    const portal = await openPortal(browser, (await portalLink(world.h, world.appId)).url, { locale: "en-US" });
    const { page } = portal;
    await page.getByRole("link", { name: "Add endpoint" }).waitFor();
    await page.getByRole("combobox", { name: "Language" }).selectOption({ label: "Français" });
    await page.getByRole("link", { name: fr["endpoints.add"] }).waitFor();
    await page.getByRole("combobox", { name: fr["header.language"] }).waitFor();
    await portal.close();
  });
});

/** Relative luminance (0 black – 1 white) of the page's background as painted. */
async function backgroundLuminance(page: Page): Promise<number> {
  return page.evaluate(() => {
    const { document, getComputedStyle } = globalThis as unknown as {
      document: { body: unknown; documentElement: unknown };
      getComputedStyle(element: unknown): { backgroundColor: string };
    };
    const painted = [document.body, document.documentElement]
      .map((element) => getComputedStyle(element).backgroundColor)
      .find((color) => !/rgba\(0, 0, 0, 0\)|transparent/.test(color)) ?? "rgb(255, 255, 255)";
    const [r, g, b] = (painted.match(/[\d.]+/g) ?? ["255", "255", "255"]).slice(0, 3).map((part) => {
      const channel = Number(part) / 255;
      return channel <= 0.03928 ? channel / 12.92 : ((channel + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  });
}

async function waitForLuminance(page: Page, wanted: (luminance: number) => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const luminance = await backgroundLuminance(page);
    if (wanted(luminance)) return;
    assert.ok(Date.now() < deadline, `the background's luminance stayed ${luminance.toFixed(2)}`);
    await page.waitForTimeout(50);
  }
}
