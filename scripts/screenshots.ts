/**
 * `npm run screenshots`: a PNG of every portal screen, at 1,440 px, on a 375 px phone, in dark
 * mode and in French, into docs/screenshots/ (or --out <dir>). It starts a throwaway Herald with
 * realistic data (test/portal/seed.ts: event types with schemas and examples, three endpoints, two
 * dozen messages, attempts that succeeded and failed), opens a portal link in Debian's Chromium and
 * visits each screen. The portal must be built (`npm run build:portal`).
 *
 *   node --import tsx scripts/screenshots.ts [--out <dir>] [--full-page]
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";

import type { Page } from "playwright-core";

import { launchBrowser, type PageOptions } from "../test/helpers/browser.ts";
import { SCREENS } from "../test/portal/screen-list.ts";
import { seedRealisticData } from "../test/portal/seed.ts";
import { openPortal, portalLink, startPortalWorld } from "../test/portal/support.ts";

const { values } = parseArgs({
  options: { out: { type: "string", default: path.join("docs", "screenshots") }, "full-page": { type: "boolean", default: false } },
});
const outDir = path.resolve(values.out!);
const fullPage = values["full-page"]!;

interface Mode {
  slug: string;
  options: PageOptions;
  /** The screens' ready-locators name English controls: other languages wait for the page to settle instead. */
  english: boolean;
}

const MODES: Mode[] = [
  { slug: "desktop", options: { viewport: { width: 1440, height: 900 }, colorScheme: "light", locale: "en-GB" }, english: true },
  { slug: "phone", options: { viewport: { width: 375, height: 812 }, colorScheme: "light", locale: "en-GB" }, english: true },
  { slug: "dark", options: { viewport: { width: 1440, height: 900 }, colorScheme: "dark", locale: "en-GB" }, english: true },
  { slug: "french", options: { viewport: { width: 1440, height: 900 }, colorScheme: "light", locale: "fr-FR" }, english: false },
];

/** No loading notice left and the network quiet for a moment (the portal polls, so quiet need not last). */
async function settle(page: Page): Promise<void> {
  await page.getByRole("heading", { level: 1 }).first().waitFor();
  await page.getByRole("status").filter({ hasText: /^(Loading…|Chargement…)$/ }).waitFor({ state: "detached" }).catch(() => undefined);
  await page.waitForLoadState("networkidle", { timeout: 3000 }).catch(() => undefined);
  await page.waitForTimeout(300);
}

mkdirSync(outDir, { recursive: true });
const world = await startPortalWorld();
const browser = await launchBrowser();
const written: string[] = [];
try {
  const seed = await seedRealisticData(world);
  for (const mode of MODES) {
    const portal = await openPortal(browser, (await portalLink(world.h, world.appId)).url, mode.options);
    for (const screen of SCREENS) {
      await portal.page.goto(`${world.h.url}/portal${screen.path(seed)}`);
      if (mode.english) {
        await screen.ready(portal.page).waitFor().catch((error: Error) => {
          console.warn(`${screen.slug}-${mode.slug}: the screen did not show its data (${error.message.split("\n")[0]}); taken as it is`);
        });
      }
      await settle(portal.page);
      const file = path.join(outDir, `${screen.slug}-${mode.slug}.png`);
      await portal.page.screenshot({ path: file, fullPage });
      written.push(file);
    }
    await portal.close();
  }
  // The page a used link gets.
  const link = await portalLink(world.h, world.appId, { returnUrl: "https://saas.example/settings" });
  await (await openPortal(browser, link.url)).close();
  const used = await openPortal(browser, link.url, MODES[0].options);
  await settle(used.page);
  const file = path.join(outDir, "link-used-desktop.png");
  await used.page.screenshot({ path: file });
  written.push(file);
  await used.close();
} finally {
  await browser.close();
  await world.close();
}
console.log(`${written.length} screenshots in ${path.relative(process.cwd(), outDir) || "."}`);
