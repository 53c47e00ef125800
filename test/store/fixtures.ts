import { randomBytes } from "node:crypto";

import type { IdKind } from "../../src/domain/ids.ts";
import { ID_PREFIXES } from "../../src/domain/ids.ts";
import type { Application, Attempt, Endpoint, EventType, Message, MessageStatus, Page, PageRequest } from "../../src/domain/types.ts";
import { MESSAGE_STATUS, TRIGGER } from "../../src/domain/types.ts";
import type { FanOutTarget, Store } from "../../src/store/store.ts";
import { makePostgresTestStore } from "../helpers/postgres-store.ts";
import { makeTestStore } from "../helpers/sqlite-store.ts";

/**
 * The stores the contract suite runs against; every test file loops over them, so each
 * implementation must pass the same tests.
 */
export interface StoreFactory {
  name: string;
  make(): Promise<{ store: Store; cleanup(): Promise<void> }>;
}

export const STORES: StoreFactory[] = [
  { name: "sqlite", make: makeTestStore },
  { name: "postgres", make: makePostgresTestStore },
];

/** A fixed, realistic epoch (2023-11-14) so time-derived ids are deterministic in their time part. */
export const T0 = 1_700_000_000_000;

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
let lastFixtureId = { ms: -1, value: 0n };

/**
 * An id whose time part is exactly `ms`, made like `newId` (6 bytes of milliseconds, 14 random
 * bytes, base62). `newId` keeps one process's ids strictly increasing, so after a test has made ids
 * at a later time, ids it makes "at T0" would carry that later time and break time-range
 * assertions; fixtures need ids at the time they ask for. Ids made for the same millisecond in a
 * row still increase, as newId's do.
 */
export function fixtureId(kind: IdKind, ms: number): string {
  let value = (BigInt(ms) << 112n) | BigInt("0x" + randomBytes(14).toString("hex"));
  if (ms === lastFixtureId.ms && value <= lastFixtureId.value) value = lastFixtureId.value + 1n;
  lastFixtureId = { ms, value };
  let text = "";
  for (let rest = value; rest > 0n; rest /= 62n) text = BASE62[Number(rest % 62n)] + text;
  return ID_PREFIXES[kind] + text.padStart(27, "0");
}

export function makeApp(overrides: Partial<Application> = {}): Application {
  const createdAt = overrides.createdAt ?? T0;
  return {
    id: fixtureId("application", createdAt),
    uid: null,
    name: "Test app",
    throttleRate: null,
    metadata: {},
    createdAt,
    updatedAt: createdAt,
    ...overrides,
  };
}

export function makeEndpoint(appId: string, overrides: Partial<Endpoint> = {}): Endpoint {
  const createdAt = overrides.createdAt ?? T0;
  return {
    id: fixtureId("endpoint", createdAt),
    appId,
    uid: null,
    url: "https://example.com/webhook",
    description: "",
    eventTypes: null,
    channels: null,
    keys: [{ key: "whsec_" + Buffer.from("k".repeat(24)).toString("base64"), expiresAt: null }],
    headers: {},
    throttleRate: null,
    disabled: false,
    firstFailureAt: null,
    consecutiveFailures: 0,
    windowFailures: 0,
    lastFailureAt: null,
    profile: "standard",
    options: {},
    transformation: { code: null, enabled: false, variables: null, updatedAt: null },
    mtlsIdentity: null,
    throttledSince: null,
    metadata: {},
    version: 1,
    createdAt,
    updatedAt: createdAt,
    ...overrides,
  };
}

export function makeEventType(name: string, overrides: Partial<EventType> = {}): EventType {
  return {
    name,
    description: `The ${name} event`,
    schemas: null,
    archived: false,
    deprecated: false,
    featureFlag: null,
    retrySchedule: null,
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}

export function makeMessage(appId: string, overrides: Partial<Message> = {}): Message {
  const createdAt = overrides.createdAt ?? T0;
  return {
    id: fixtureId("message", createdAt),
    appId,
    eventId: null,
    eventType: "user.created",
    payload: JSON.stringify({ hello: "world" }),
    channels: null,
    metadata: {},
    previous: null,
    createdAt,
    expiresAt: createdAt + 30 * 24 * 3600 * 1000,
    ...overrides,
  };
}

export function makeAttempt(
  message: Message,
  endpointId: string,
  overrides: Partial<Attempt> & { status?: MessageStatus } = {},
): Attempt {
  const createdAt = overrides.createdAt ?? message.createdAt + 1000;
  return {
    id: fixtureId("attempt", createdAt),
    appId: message.appId,
    msgId: message.id,
    endpointId,
    url: "https://example.com/webhook",
    status: MESSAGE_STATUS.success,
    responseStatusCode: 200,
    response: "ok",
    responseDurationMs: 12,
    triggerType: TRIGGER.scheduled,
    attemptNumber: 1,
    batchSize: 1,
    request: { method: "POST", url: "https://example.com/webhook", headers: { "content-type": "application/json" }, body: null },
    createdAt,
    ...overrides,
  };
}

/** An mTLS identity as Codat's portal takes it: PEM private key, blank line, certificate. Not a real key. */
export const MTLS_IDENTITY =
  "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC-private-key-marker\n-----END PRIVATE KEY-----\n\n" +
  "-----BEGIN CERTIFICATE-----\nMIIDazCCAlOgAwIBAgIU-certificate-marker\n-----END CERTIFICATE-----\n";

/** A fan-out target; by default unordered and without delay, so its job comes back claimed. */
export function target(endpointId: string, overrides: Partial<FanOutTarget> = {}): FanOutTarget {
  return { endpointId, ordered: false, delayMs: 0, ...overrides };
}

/** Any positive window: what a worker passes when the endpoint's disable policy is not `window`. */
export const NO_WINDOW_MS = 1;

export function pageReq(limit: number, iterator: string | null = null, order: PageRequest["order"] = "ascending"): PageRequest {
  return { limit, iterator, order };
}

/**
 * Walks a list to its end following `iterator`, then back to its start following `prevIterator`,
 * returning every page seen, so tests can check both directions and the `done` flags.
 */
export async function walkPages<T>(
  list: (page: PageRequest) => Promise<Page<T>>,
  limit: number,
  order: PageRequest["order"] = "ascending",
): Promise<{ forward: Page<T>[]; backward: Page<T>[] }> {
  const forward: Page<T>[] = [];
  let page = await list(pageReq(limit, null, order));
  forward.push(page);
  while (!page.done) {
    page = await list(pageReq(limit, page.iterator, order));
    forward.push(page);
    if (forward.length > 1000) throw new Error("pagination does not terminate");
  }
  const backward: Page<T>[] = [];
  let prev = page.prevIterator;
  for (;;) {
    if (prev === null) break;
    const before = await list(pageReq(limit, prev, order));
    backward.push(before);
    if (before.done) break;
    prev = before.prevIterator;
    if (backward.length > 1000) throw new Error("backward pagination does not terminate");
  }
  return { forward, backward };
}
