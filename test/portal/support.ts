import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before } from "node:test";
import { fileURLToPath } from "node:url";

import type { Browser, Page } from "playwright-core";

import { launchBrowser, newPage, type PageOptions, type TestPage } from "../helpers/browser.ts";
import { api, startTestHerald, type TestHerald, type TestHeraldOptions } from "../helpers/herald.ts";
import { type Receiver, startReceiver } from "../helpers/receiver.ts";

/**
 * Shared set-up of the portal's browser tests (not a test file itself): a real Herald serving the
 * built portal, a real receiver, an application with event types (schemas and examples), and portal
 * links minted through app-portal-access exactly as a SaaS would.
 */

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const PORTAL_INDEX = path.join(repoRoot, "portal/dist/index.html");

/** The browser tests need the built portal; without it they fail (never skip) and say how to build it. */
export function assertPortalBuilt(): void {
  assert.ok(
    existsSync(PORTAL_INDEX),
    `The portal is not built: ${PORTAL_INDEX} is missing. Run \`npm run build:portal\` ` +
      "(`npm ci` and `npm install` run it through the `prepare` script).",
  );
}

/**
 * Console errors the portal is not to blame for. Chromium logs every answer >= 400 to a fetch as
 * "Failed to load resource"; this is one the portal asks for knowingly: an endpoint's mTLS
 * identity, which is 404 until one is set.
 */
export const ALLOWED_CONSOLE_ERRORS = [
  /Failed to load resource: .* 404 .*\/endpoint\/ep_[A-Za-z0-9]+\/mtls\)$/,
];

export const EVENT_TYPES = [
  {
    name: "invoice.paid",
    description: "An invoice was paid in full",
    schemas: {
      "1": {
        type: "object",
        properties: { invoiceId: { type: "string" }, amount: { type: "number" }, currency: { type: "string" } },
        required: ["invoiceId", "amount"],
        examples: [{ invoiceId: "inv_1001", amount: 129.5, currency: "EUR" }],
      },
    },
  },
  {
    name: "invoice.created",
    description: "An invoice was drafted",
    schemas: { "1": { type: "object", examples: [{ invoiceId: "inv_1002", amount: 80, currency: "EUR" }] } },
  },
  {
    name: "customer.updated",
    description: "A customer's details changed",
    schemas: { "1": { type: "object", examples: [{ customerId: "cus_42", email: "ada@example.test" }] } },
  },
];

export interface PortalWorld {
  h: TestHerald;
  receiver: Receiver;
  appId: string;
  close(): Promise<void>;
}

/** A Herald with the event catalogue and one application (no endpoints), plus a receiver. */
export async function startPortalWorld(options: TestHeraldOptions = {}): Promise<PortalWorld> {
  assertPortalBuilt();
  const h = await startTestHerald(options);
  const receiver = await startReceiver();
  for (const eventType of EVENT_TYPES) await h.svix.eventType.create(eventType);
  const app = await h.svix.application.create({ name: "Acme Invoicing", uid: "acme" });
  return {
    h,
    receiver,
    appId: app.id,
    async close() {
      await receiver.close();
      await h.close();
    },
  };
}

export interface PortalLink {
  url: string;
  token: string;
}

/**
 * A portal link from app-portal-access (the admin token), with `access` as its AppPortalAccessIn.
 * The link's origin is the test Herald's own: with HERALD_PORT=0 its configured public URL names
 * port 0, and a SaaS would configure HERALD_PUBLIC_URL.
 */
export async function portalLink(h: TestHerald, appId: string, access: Record<string, unknown> = {}): Promise<PortalLink> {
  const response = await api(h.url, h.adminToken, "POST", `/api/v1/auth/app-portal-access/${appId}`, access);
  assert.equal(response.status, 200, response.text);
  const { url, token } = response.body as PortalLink;
  const link = new URL(url);
  return { url: `${h.url}${link.pathname}${link.search}${link.hash}`, token };
}

/** Opens a link in a fresh page and waits until the portal has exchanged its key and shown a screen (or a signed-out page). */
export async function openPortal(browser: Browser, url: string, options: PageOptions = {}): Promise<TestPage> {
  const testPage = await newPage(browser, options);
  await testPage.page.goto(url);
  // The loading page has no heading; every screen after it (a list, or a signed-out page) has one.
  await testPage.page.getByRole("heading", { level: 1 }).first().waitFor();
  return testPage;
}

/** Horizontal scroll would mean something does not fit: the page must be no wider than the window. */
export async function assertNoHorizontalScroll(page: Page, screen: string): Promise<void> {
  const { scrollWidth, innerWidth } = await page.evaluate(() => {
    const { document, innerWidth } = globalThis as unknown as { document: { scrollingElement: { scrollWidth: number } }; innerWidth: number };
    return { scrollWidth: document.scrollingElement.scrollWidth, innerWidth };
  });
  assert.ok(scrollWidth <= innerWidth, `${screen} scrolls sideways at ${innerWidth} px: the page is ${scrollWidth} px wide`);
}

/** An endpoint of the application that delivers to the receiver (made with the admin token). */
export async function createEndpoint(world: PortalWorld, pathname = "/hooks", extra: Record<string, unknown> = {}): Promise<string> {
  const endpoint = await world.h.svix.endpoint.create(world.appId, { url: `${world.receiver.url}${pathname}`, description: "Orders webhook", ...extra });
  return endpoint.id;
}

/** Posts a message with the admin token and waits until its attempt is recorded. */
export async function sendMessage(world: PortalWorld, eventType: string, payload: Record<string, unknown>): Promise<string> {
  const message = await world.h.svix.message.create(world.appId, { eventType, payload });
  const deadline = Date.now() + 10_000;
  for (;;) {
    const attempts = await world.h.svix.messageAttempt.listByMsg(world.appId, message.id);
    if (attempts.data.length > 0) return message.id;
    assert.ok(Date.now() < deadline, `no attempt recorded for ${message.id}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export interface StaticSite {
  url: string;
  close(): Promise<void>;
}

/** Serves a directory on a loopback port (another origin than Herald's). */
export async function serveDirectory(root: string): Promise<StaticSite> {
  const types: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css" };
  const server: Server = createServer((request, response) => {
    const pathname = decodeURIComponent(new URL(request.url ?? "/", "http://127.0.0.1").pathname);
    const file = path.join(root, pathname === "/" ? "index.html" : pathname);
    if (!file.startsWith(root) || !existsSync(file)) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { "content-type": types[path.extname(file)] ?? "application/octet-stream" }).end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Builds, with Vite's JS API, a page that renders svix-react's `<AppPortal url={…} fullSize />` with
 * the portal URL taken from its `?portal=` query (and `darkMode` from `?dark=1`, `primaryColor`
 * from `?color=`): what a SaaS embedding Herald's portal ships. React,
 * react-dom and svix-react come from the repository's node_modules. Returns the built directory.
 */
export async function buildEmbeddingPage(): Promise<{ dir: string; remove(): void }> {
  const { build } = await import("vite");
  const dir = mkdtempSync(path.join(os.tmpdir(), "herald-embed-"));
  const source = path.join(dir, "src");
  const { mkdirSync, writeFileSync } = await import("node:fs");
  mkdirSync(source);
  writeFileSync(
    path.join(source, "index.html"),
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>SaaS settings</title></head>' +
      '<body><main><h1>Webhooks</h1><div id="root"></div></main><script type="module" src="./main.js"></script></body></html>',
  );
  writeFileSync(
    path.join(source, "main.js"),
    [
      'import { createElement } from "react";',
      'import { createRoot } from "react-dom/client";',
      'import { AppPortal } from "svix-react";',
      'import "svix-react/style.css";',
      "const query = new URLSearchParams(location.search);",
      'const options = { url: query.get("portal"), fullSize: true };',
      'if (query.get("dark")) options.darkMode = true;',
      'if (query.get("color")) options.primaryColor = query.get("color");',
      'createRoot(document.getElementById("root")).render(createElement(AppPortal, options));',
    ].join("\n"),
  );
  const modules = path.join(repoRoot, "node_modules");
  await build({
    root: source,
    configFile: false,
    logLevel: "silent",
    base: "./",
    resolve: {
      alias: [
        { find: /^react$/, replacement: path.join(modules, "react/index.js") },
        { find: /^react-dom\/client$/, replacement: path.join(modules, "react-dom/client.js") },
        { find: /^svix-react\/style\.css$/, replacement: path.join(modules, "svix-react/dist/style.css") },
        { find: /^svix-react$/, replacement: path.join(modules, "svix-react/dist/svix-react.es.js") },
      ],
    },
    build: { outDir: path.join(dir, "dist"), emptyOutDir: true, minify: false },
  });
  return { dir: path.join(dir, "dist"), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Runs `steps`; if they fail, saves a full-page screenshot of `page` and names it in the error, so a
 * failure in CI shows what the page looked like.
 */
export async function withScreenshotOnFailure(page: Page, name: string, steps: () => Promise<void>): Promise<void> {
  try {
    await steps();
  } catch (error) {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), "herald-portal-failure-")), `${name}.png`);
    await page.screenshot({ path: file, fullPage: true }).catch(() => undefined);
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n(screenshot of the page: ${file})`, { cause: error });
  }
}

/** The session the portal keeps in sessionStorage (the one-time-token exchange's answer). */
export async function sessionToken(page: Page): Promise<string> {
  const stored = await page.evaluate(() =>
    (globalThis as unknown as { sessionStorage: { getItem(key: string): string | null } }).sessionStorage.getItem("herald.portal.session"),
  );
  assert.ok(stored, "the portal keeps its session in sessionStorage under herald.portal.session");
  const token = (JSON.parse(stored) as { token?: unknown }).token;
  assert.equal(typeof token, "string");
  return token as string;
}

/**
 * A portal world and a browser for the tests of the enclosing describe, started before them and
 * closed after: `const session = usePortalSession()`, then `session.world`, `session.browser`.
 */
export function usePortalSession(): { world: PortalWorld; browser: Browser } {
  const session = {} as { world: PortalWorld; browser: Browser };
  before(async () => {
    session.world = await startPortalWorld();
    session.browser = await launchBrowser();
  });
  after(async () => {
    await session.browser?.close();
    await session.world?.close();
  });
  return session;
}
