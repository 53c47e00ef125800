import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";

/**
 * Real headless Chromium for the portal's browser tests: Debian's `chromium` package (CI's
 * `.ci/run` installs it) driven through `playwright-core`, which brings no browser of its own.
 * Every launch gets a fresh profile (Playwright makes a temporary user-data directory for each
 * `launch`), and every page its own context, so no storage, permission or cookie carries over.
 * Host names other than loopback never resolve: a page that reaches for a CDN fails visibly.
 */

export const CHROMIUM_PATH = "/usr/bin/chromium";

const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  // Only loopback traffic: every other name fails to resolve instead of reaching the network.
  "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
];

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const AXE_PATH = path.join(repoRoot, "node_modules/axe-core/axe.min.js");

export async function launchBrowser(): Promise<Browser> {
  assert.ok(
    existsSync(CHROMIUM_PATH),
    `${CHROMIUM_PATH} is missing: install Debian's chromium package (apt-get install chromium; .ci/run does it)`,
  );
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}

export interface PageOptions {
  /** Defaults to 1280 × 800. */
  viewport?: { width: number; height: number };
  colorScheme?: "light" | "dark";
  /** A BCP 47 tag: navigator.language and Accept-Language. Defaults to en-US. */
  locale?: string;
  /** Browser permissions granted to the page, e.g. clipboard-read, clipboard-write. */
  permissions?: string[];
}

/** A page in its own context, recording every console error and uncaught page error. */
export interface TestPage {
  page: Page;
  context: BrowserContext;
  /** Console errors and uncaught exceptions, in order, as readable lines. */
  errors: string[];
  /** Fails with the recorded errors, if any (those matching `allowed` aside). */
  assertNoErrors(allowed?: RegExp[]): void;
  close(): Promise<void>;
}

export async function newPage(browser: Browser, options: PageOptions = {}): Promise<TestPage> {
  const context = await browser.newContext({
    viewport: options.viewport ?? { width: 1280, height: 800 },
    colorScheme: options.colorScheme ?? "light",
    locale: options.locale ?? "en-US",
    permissions: options.permissions ?? [],
  });
  // Long enough for a loaded machine; short enough that a missing control fails the test soon.
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(`console.error: ${message.text()} (${message.location().url})`);
  });
  page.on("pageerror", (error) => errors.push(`page error: ${error.message}`));
  return {
    page,
    context,
    errors,
    assertNoErrors(allowed = []) {
      const unexpected = errors.filter((line) => !allowed.some((pattern) => pattern.test(line)));
      if (unexpected.length > 0) assert.fail(`the page logged ${unexpected.length} errors:\n${unexpected.join("\n")}`);
    },
    close: () => context.close(),
  };
}

export interface AxeViolation {
  id: string;
  impact: string;
  help: string;
  helpUrl: string;
  nodes: { target: string; summary: string }[];
}

/**
 * Runs axe-core on the page as it is now and returns its serious and critical violations. axe is
 * evaluated as a script through the DevTools protocol (`page.evaluate(source)`), which the page's
 * Content-Security-Policy does not govern; an inline <script> tag would be blocked by it.
 */
export async function runAxe(page: Page): Promise<AxeViolation[]> {
  // These callbacks run in the page; the project's tsconfig has no DOM types, so its globals are cast.
  const injected = await page.evaluate(() => typeof (globalThis as { axe?: unknown }).axe === "object");
  if (!injected) await page.evaluate(readFileSync(AXE_PATH, "utf8"));
  return page.evaluate(async () => {
    interface AxeResult {
      id: string;
      impact?: string | null;
      help: string;
      helpUrl: string;
      nodes: { target: unknown[]; failureSummary?: string }[];
    }
    const { axe, document } = globalThis as unknown as {
      axe: { run(context: unknown, options: unknown): Promise<{ violations: AxeResult[] }> };
      document: unknown;
    };
    const results = await axe.run(document, { resultTypes: ["violations"] });
    return results.violations
      .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
      .map((violation) => ({
        id: violation.id,
        impact: violation.impact ?? "",
        help: violation.help,
        helpUrl: violation.helpUrl,
        nodes: violation.nodes.map((node) => ({ target: node.target.map(String).join(" "), summary: node.failureSummary ?? "" })),
      }));
  });
}

/** One violation per paragraph: rule, impact, what it asks, and each offending element. */
export function formatViolations(violations: AxeViolation[]): string {
  return violations
    .map((violation) => [
      `${violation.impact} ${violation.id}: ${violation.help} (${violation.helpUrl})`,
      ...violation.nodes.map((node) => `  at ${node.target}\n    ${node.summary.replaceAll("\n", "\n    ")}`),
    ].join("\n"))
    .join("\n\n");
}

/** Fails when axe finds a serious or critical violation on the page; `screen` names it in the message. */
export async function assertAccessible(page: Page, screen: string): Promise<void> {
  const violations = await runAxe(page);
  assert.equal(violations.length, 0, `axe on ${screen}:\n${formatViolations(violations)}`);
}
