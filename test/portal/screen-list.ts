import type { Locator, Page } from "playwright-core";

import type { SeededData } from "./seed.ts";

/** Every screen of the portal with the seeded data (seed.ts), for the screens' tests and `npm run screenshots`. */

export interface Screen {
  /** For file names: endpoint-list, message-detail, … */
  slug: string;
  name: string;
  path: (seed: SeededData) => string;
  /** What shows once the screen has its data. */
  ready: (page: Page) => Locator;
}

export const SCREENS: Screen[] = [
  { slug: "endpoint-list", name: "endpoint list", path: () => "/endpoints", ready: (page) => page.getByRole("link", { name: /Accounting sync/ }) },
  { slug: "add-endpoint", name: "add endpoint", path: () => "/endpoints/new", ready: (page) => page.getByRole("checkbox", { name: /^invoice\.paid / }).or(page.getByRole("radio").first()) },
  { slug: "endpoint-overview", name: "endpoint overview", path: (seed) => `/endpoints/${seed.failingEndpointId}`, ready: (page) => page.getByRole("region", { name: "Attempts" }).getByText(/Attempt 1 ·/).first() },
  { slug: "endpoint-testing", name: "endpoint testing", path: (seed) => `/endpoints/${seed.healthyEndpointId}/testing`, ready: (page) => page.getByRole("group", { name: "Example payload" }) },
  { slug: "endpoint-advanced", name: "endpoint advanced", path: (seed) => `/endpoints/${seed.healthyEndpointId}/advanced`, ready: (page) => page.getByRole("region", { name: "Custom headers" }).getByText("X-Team", { exact: false }) },
  { slug: "edit-endpoint", name: "edit endpoint", path: (seed) => `/endpoints/${seed.healthyEndpointId}/edit`, ready: (page) => page.getByRole("checkbox", { name: /^invoice\.paid / }) },
  { slug: "message-log", name: "message log", path: () => "/messages", ready: (page) => page.getByRole("link", { name: /customer\.updated/ }).first() },
  { slug: "message-detail", name: "message detail", path: (seed) => `/messages/${seed.failedMessageId}`, ready: (page) => page.getByRole("region", { name: "Endpoints and attempts" }).getByText(/Attempt 1 ·/).first() },
  { slug: "event-catalog", name: "event catalog", path: () => "/event-types", ready: (page) => page.getByRole("article", { name: "invoice.paid" }) },
  { slug: "activity", name: "activity", path: () => "/activity", ready: (page) => page.getByRole("region", { name: "By endpoint" }).or(page.getByRole("heading", { name: "By endpoint" })).first() },
];
