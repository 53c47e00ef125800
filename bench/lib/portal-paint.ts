import { gzipSync } from "node:zlib";

import { launchBrowser } from "../../test/helpers/browser.ts";
import { api, createApp, createEndpoint } from "./herald-api.ts";

/**
 * The portal as a consumer first sees it: from opening an app-portal-access link in headless
 * Chromium to the endpoint list painted (its first endpoint's URL visible), each time in a fresh
 * browser context (nothing cached, the one-time key exchanged anew), and the JavaScript the first
 * screen loaded, gzipped as a server would send it.
 */
export async function measurePortalPaint(heraldUrl: string, receiverUrl: string, rounds: number): Promise<{ paintMs: number[]; firstScreenJsGzipBytes: number }> {
  const appId = await createApp(heraldUrl, "bench portal");
  const firstUrl = `${receiverUrl}/portal/0`;
  for (let i = 0; i < 20; i++) await createEndpoint(heraldUrl, appId, `${receiverUrl}/portal/${i}`);
  const browser = await launchBrowser();
  const paintMs: number[] = [];
  let scripts: string[] = [];
  try {
    for (let round = 0; round < rounds; round++) {
      const access = await api(heraldUrl, "POST", `/api/v1/auth/app-portal-access/${appId}`, {});
      // The link names the configured public URL; the benchmark's Herald listens on its own port.
      const link = new URL((access.body as { url: string }).url);
      const url = `${heraldUrl}${link.pathname}${link.hash}`;
      const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      const page = await context.newPage();
      const startedAt = Date.now();
      await page.goto(url);
      await page.getByText(firstUrl, { exact: true }).first().waitFor({ state: "visible", timeout: 30_000 });
      paintMs.push(Date.now() - startedAt);
      scripts = await page.evaluate(() =>
        performance
          .getEntriesByType("resource")
          .map((entry) => entry.name)
          .filter((name) => name.endsWith(".js")),
      );
      await context.close();
    }
  } finally {
    await browser.close();
  }
  let firstScreenJsGzipBytes = 0;
  for (const script of scripts) {
    const response = await fetch(script);
    firstScreenJsGzipBytes += gzipSync(Buffer.from(await response.arrayBuffer())).length;
  }
  return { paintMs, firstScreenJsGzipBytes };
}
