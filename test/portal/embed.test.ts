import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import type { Browser, Frame, Page } from "playwright-core";

import { launchBrowser, newPage } from "../helpers/browser.ts";
import {
  ALLOWED_CONSOLE_ERRORS,
  buildEmbeddingPage,
  createEndpoint,
  portalLink,
  type PortalWorld,
  sendMessage,
  serveDirectory,
  startPortalWorld,
  type StaticSite,
  withScreenshotOnFailure,
} from "./support.ts";

/**
 * Embedding as a SaaS does it: a page on another origin (another loopback port) renders
 * svix-react's `<AppPortal url={link} fullSize />`, built at test time with Vite from the
 * installed svix-react and React. The portal signs in inside the iframe and posts its height;
 * svix-react sizes the iframe to it, and again when the portal's content grows.
 */

/** Runs in the page (passed whole to evaluate): an element's computed background colour, the body's by default. */
function backgroundOf(element?: unknown): string {
  const page = globalThis as unknown as { document: { body: unknown }; getComputedStyle(element: unknown): { backgroundColor: string } };
  return page.getComputedStyle(element ?? page.document.body).backgroundColor;
}

function rgb(color: string): number[] {
  return (color.match(/\d+/g) ?? []).slice(0, 3).map(Number);
}

describe("svix-react's <AppPortal fullSize> embeds the portal", () => {
  let browser: Browser;
  let world: PortalWorld;
  let site: StaticSite;
  let removeBuild: () => void;
  let endpointId: string;

  before(async () => {
    world = await startPortalWorld();
    const built = await buildEmbeddingPage();
    removeBuild = built.remove;
    site = await serveDirectory(built.dir);
    browser = await launchBrowser();
    endpointId = await createEndpoint(world);
    for (let index = 0; index < 6; index++) await sendMessage(world, "invoice.paid", { invoiceId: `inv_embed_${index}`, amount: index });
  });
  after(async () => {
    await browser?.close();
    await site?.close();
    removeBuild?.();
    await world?.close();
  });

  /** The iframe's height as svix-react set it (its inline style), in px; null until it set one. */
  async function iframeHeight(page: Page): Promise<number | null> {
    const height = await page.locator("iframe").evaluate((element) => (element as unknown as { style: { height: string } }).style.height);
    return height.endsWith("px") ? Number(height.slice(0, -2)) : null;
  }

  /** The height of the portal's document inside the iframe, as the portal measures it. */
  async function contentHeight(frame: Frame): Promise<number> {
    return frame.evaluate(() =>
      Math.ceil((globalThis as unknown as { document: { documentElement: { getBoundingClientRect(): { height: number } } } }).document.documentElement.getBoundingClientRect().height),
    );
  }

  async function settledHeights(page: Page, frame: Frame): Promise<{ iframe: number; content: number }> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const iframe = await iframeHeight(page);
      const content = await contentHeight(frame);
      if (iframe !== null && iframe === content) return { iframe, content };
      assert.ok(Date.now() < deadline, `the iframe (${iframe} px) never took the portal's height (${content} px)`);
      await page.waitForTimeout(50);
    }
  }

  test("the portal signs in inside the iframe, and the iframe takes the height it posts, growing with it", async () => {
    assert.notEqual(new URL(site.url).origin, new URL(world.h.url).origin, "the embedding page is another origin");
    const link = await portalLink(world.h, world.appId);
    const embedding = await newPage(browser, { viewport: { width: 1280, height: 800 } });
    const { page } = embedding;
    await withScreenshotOnFailure(page, "embed", async () => {
      await page.goto(`${site.url}/?portal=${encodeURIComponent(link.url)}`);
      await page.getByRole("heading", { name: "Webhooks", level: 1 }).waitFor();
      const portal = page.frameLocator("iframe");
      await portal.getByRole("heading", { name: "Endpoints", level: 1 }).waitFor();
      const frame = page.frames().find((candidate) => candidate.url().startsWith(`${world.h.url}/portal/`));
      assert.ok(frame, "the iframe shows Herald's portal");

      const list = await settledHeights(page, frame);
      assert.ok(list.iframe > 150, `the iframe grew past its default height: ${list.iframe} px`);

      // A taller screen: the endpoint with its cards and attempts. The iframe follows.
      await portal.getByRole("link", { name: /Orders webhook/ }).click();
      await portal.getByRole("region", { name: "Attempts" }).getByText(/Attempt 1 ·/).first().waitFor();
      const detail = await settledHeights(page, frame);
      assert.ok(detail.iframe > list.iframe, `the iframe grew with the endpoint's page: ${list.iframe} -> ${detail.iframe} px`);
      assert.ok(frame.url().includes(`/portal/endpoints/${endpointId}`));
    });
    embedding.assertNoErrors(ALLOWED_CONSOLE_ERRORS);
    await embedding.close();
  });

  test("svix-react's darkMode and primaryColor reach the portal through the URL", async () => {
    const embedding = await newPage(browser, { colorScheme: "light" });
    const { page } = embedding;
    await withScreenshotOnFailure(page, "embed-options", async () => {
      const link = await portalLink(world.h, world.appId);
      await page.goto(`${site.url}/?dark=1&color=${encodeURIComponent("#0b7a3e")}&portal=${encodeURIComponent(link.url)}`);
      const portal = page.frameLocator("iframe");
      const add = portal.getByRole("link", { name: "Add endpoint" });
      await add.waitFor();
      const frame = page.frames().find((candidate) => candidate.url().startsWith(`${world.h.url}/portal/`));
      assert.ok(frame, "the iframe shows Herald's portal");
      const [r, g, b] = rgb(await frame.evaluate(backgroundOf));
      assert.ok(r + g + b < 150, `dark in a light browser because svix-react asked for it: rgb(${r}, ${g}, ${b})`);
      // The default primary is blue; the SaaS's green shows (adjusted for contrast at most).
      const [red, green, blue] = rgb(await add.evaluate(backgroundOf));
      assert.ok(green > red && green > blue, `the primary colour is the SaaS's green: rgb(${red}, ${green}, ${blue})`);
    });
    embedding.assertNoErrors(ALLOWED_CONSOLE_ERRORS);
    await embedding.close();
  });
});
