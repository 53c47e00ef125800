import assert from "node:assert/strict";
import { createServer } from "node:net";

import { Webhook as StandardWebhook } from "standardwebhooks";
import { type EndpointIn, Webhook as SvixWebhook } from "svix";

import { api, type TestHerald } from "../helpers/herald.ts";
import type { ReceivedRequest, Receiver } from "../helpers/receiver.ts";

/** Shared helpers for the delivery-engine tests (not a test file itself). */

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** Request headers as a flat string map, the shape both verifiers take. */
export function headersOf(request: ReceivedRequest): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return headers;
}

/**
 * Verifies a delivered request with both the `svix` SDK and the `standardwebhooks` library and
 * returns the parsed payload. Throws if either refuses it.
 */
export function verifyWithBoth(secret: string, request: ReceivedRequest): unknown {
  const headers = headersOf(request);
  const bySvix = new SvixWebhook(secret).verify(request.body, headers);
  const byStandard = new StandardWebhook(secret).verify(request.body, headers);
  assert.deepEqual(byStandard, bySvix);
  return bySvix;
}

/** The `webhook-id`s a receiver got, in arrival order. */
export function webhookIds(receiver: Receiver): string[] {
  return receiver.requests.map((request) => String(request.headers["webhook-id"]));
}

/** Parsed JSON bodies a receiver got, in arrival order. */
export function bodies<T = unknown>(receiver: Receiver): T[] {
  return receiver.requests.map((request) => JSON.parse(request.body) as T);
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitUntil<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A loopback port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  assert.ok(address && typeof address === "object");
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return address.port;
}

/** Creates an application and one endpoint on it. */
export async function appWithEndpoint(h: TestHerald, endpoint: EndpointIn, name = "Acme") {
  const app = await h.svix.application.create({ name });
  const ep = await h.svix.endpoint.create(app.id, endpoint);
  return { appId: app.id, endpointId: ep.id };
}

/**
 * Attempts of one message, oldest first (the API lists newest first), raw so `attemptNumber` shows.
 * Attempt ids order by time to the millisecond only: attempts made at the same clock time may come
 * in any order.
 */
export interface RawAttempt {
  id: string;
  endpointId: string;
  status: number;
  responseStatusCode: number;
  response: string;
  triggerType: number;
  attemptNumber: number;
  timestamp: string;
}

export async function attemptsOf(h: TestHerald, appId: string, msgId: string, endpointId?: string): Promise<RawAttempt[]> {
  const query = endpointId ? `?endpoint_id=${endpointId}` : "";
  const result = await api(h.url, h.adminToken, "GET", `/api/v1/app/${appId}/attempt/msg/${msgId}${query}`);
  assert.equal(result.status, 200, result.text);
  return [...(result.body as { data: RawAttempt[] }).data].reverse();
}

/** The application's endpoint as the API shows it. */
export async function isDisabled(h: TestHerald, appId: string, endpointId: string): Promise<boolean> {
  return (await h.svix.endpoint.get(appId, endpointId)).disabled === true;
}
