import assert from "node:assert/strict";
import { createHmac, timingSafeEqual } from "node:crypto";
import { after, afterEach, before } from "node:test";

import type { Clock } from "../../src/domain/clock.ts";
import { api, startTestHerald, type TestHerald } from "../helpers/herald.ts";
import { type ReceivedRequest, type Receiver, startReceiver } from "../helpers/receiver.ts";

/**
 * Shared helpers for the compatibility-profile tests (not a test file itself). Endpoints with
 * Herald's extensions are created over plain HTTP: the svix SDK does not know those fields.
 */

export interface EndpointView {
  id: string;
  url: string;
  disabled: boolean;
  profile: string;
  effectiveOptions: Record<string, unknown>;
  [option: string]: unknown;
}

export interface MessageView {
  id: string;
  eventType: string;
  timestamp: string;
  payload: unknown;
  metadata: Record<string, string>;
  previous: Record<string, unknown> | null;
}

export interface AttemptView {
  id: string;
  msgId: string;
  endpointId: string;
  status: number;
  responseStatusCode: number;
  response: string;
  attemptNumber: number;
  timestamp: string;
  request: { method: string; url: string; headers: Record<string, string>; body: string | null };
}

export interface ValidationBody {
  detail: { loc: (string | number)[]; msg: string; type: string }[];
}

/** The Herald and the receiver a describe block shares; both are set once its `before` hook has run. */
export interface HeraldWithReceiver {
  h: TestHerald;
  receiver: Receiver;
}

/** Call inside a describe: starts a Herald (`clock`, random 0.5 = no jitter) and a receiver before its tests, closes both after, and clears the receiver's requests and replies (back to 200) after each test. */
export function useHeraldWithReceiver(clock: Clock): HeraldWithReceiver {
  const harness = {} as HeraldWithReceiver;
  before(async () => {
    harness.h = await startTestHerald({ clock, random: () => 0.5 });
    harness.receiver = await startReceiver();
  });
  after(async () => {
    await harness.h.close();
    await harness.receiver.close();
  });
  afterEach(() => {
    harness.receiver.requests.length = 0;
    harness.receiver.respond = () => ({ status: 200 });
  });
  return harness;
}

/** Raw API call as admin; asserts the status when `expect` is given. */
export async function call(h: TestHerald, method: string, path: string, body?: unknown, expect?: number) {
  const result = await api(h.url, h.adminToken, method, path, body);
  if (expect !== undefined) assert.equal(result.status, expect, `${method} ${path} → ${result.status}: ${result.text}`);
  return result;
}

export async function createApp(h: TestHerald, name = "Profiles"): Promise<string> {
  return (await h.svix.application.create({ name })).id;
}

export async function createEndpoint(h: TestHerald, appId: string, body: Record<string, unknown>): Promise<EndpointView> {
  return (await call(h, "POST", `/api/v1/app/${appId}/endpoint`, body, 201)).body as EndpointView;
}

export async function getEndpoint(h: TestHerald, appId: string, endpointId: string): Promise<EndpointView> {
  return (await call(h, "GET", `/api/v1/app/${appId}/endpoint/${endpointId}`, undefined, 200)).body as EndpointView;
}

export async function patchEndpoint(h: TestHerald, appId: string, endpointId: string, body: Record<string, unknown>): Promise<EndpointView> {
  return (await call(h, "PATCH", `/api/v1/app/${appId}/endpoint/${endpointId}`, body, 200)).body as EndpointView;
}

export async function secretOf(h: TestHerald, appId: string, endpointId: string): Promise<{ key: string; publicKey?: string }> {
  return (await call(h, "GET", `/api/v1/app/${appId}/endpoint/${endpointId}/secret`, undefined, 200)).body as { key: string; publicKey?: string };
}

/** Posts a message as raw JSON text (so the payload's exact bytes are the test's), returns it as the API shows it. */
export async function postMessage(h: TestHerald, appId: string, message: Record<string, unknown> | string): Promise<MessageView> {
  return (await call(h, "POST", `/api/v1/app/${appId}/msg`, message, 202)).body as MessageView;
}

/** Every attempt to an endpoint, oldest first (the API lists newest first). */
export async function endpointAttempts(h: TestHerald, appId: string, endpointId: string): Promise<AttemptView[]> {
  const result = await call(h, "GET", `/api/v1/app/${appId}/attempt/endpoint/${endpointId}?limit=250`, undefined, 200);
  return [...(result.body as { data: AttemptView[] }).data].reverse();
}

/** A message's attempts, oldest first, with the request body filled in from the payload. */
export async function messageAttempts(h: TestHerald, appId: string, msgId: string): Promise<AttemptView[]> {
  const result = await call(h, "GET", `/api/v1/app/${appId}/attempt/msg/${msgId}`, undefined, 200);
  return [...(result.body as { data: AttemptView[] }).data].reverse();
}

/** Asserts a 422 whose first error's loc starts with `loc`; returns the message for further checks. */
export async function expect422(h: TestHerald, method: string, path: string, body: unknown, loc: (string | number)[]): Promise<string> {
  const result = await call(h, method, path, body);
  assert.equal(result.status, 422, `expected 422 for ${JSON.stringify(body)}, got ${result.status}: ${result.text}`);
  const detail = (result.body as ValidationBody).detail;
  assert.ok(
    detail.some((item) => loc.every((part, index) => item.loc[index] === part)),
    `no error at ${JSON.stringify(loc)} in ${result.text}`,
  );
  return result.text;
}

/** One header of a received request as a single string ('' when absent). */
export function header(request: ReceivedRequest, name: string): string {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(", ") : (value ?? "");
}

/** base64(HMAC-SHA256(key = UTF-8 bytes of the secret string, message = the raw body bytes)): Dastra's and Frappe's scheme. */
export function bodyHmacBase64(secret: string, rawBody: Buffer | string): string {
  return createHmac("sha256", Buffer.from(secret, "utf8")).update(rawBody).digest("base64");
}

/** Constant-time comparison of a received signature with the expected one, as the products' samples do. */
export function signatureMatches(expected: string, received: string): boolean {
  const a = Buffer.from(expected, "utf8");
  const b = Buffer.from(received, "utf8");
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Header names that would reveal a Svix-style sender. */
export function webhookHeaderNames(request: ReceivedRequest): string[] {
  return Object.keys(request.headers).filter((name) => name.startsWith("webhook-") || name.startsWith("svix-"));
}
