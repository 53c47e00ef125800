import assert from "node:assert/strict";
import { after, before } from "node:test";

import { ApiException } from "svix";

import { api, startTestHerald, type TestHerald, type TestHeraldOptions } from "../helpers/herald.ts";
import { type Receiver, startReceiver } from "../helpers/receiver.ts";

/**
 * Small helpers shared by the API end-to-end tests. `useHerald` / `useReceiver` register
 * before/after hooks in the enclosing describe, so every server they start is closed.
 */

export function useHerald(options: TestHeraldOptions = {}): () => TestHerald {
  let herald: TestHerald | undefined;
  before(async () => {
    herald = await startTestHerald(options);
  });
  after(async () => {
    await herald?.close();
  });
  return () => {
    assert.ok(herald, "Herald not started");
    return herald;
  };
}

export function useReceiver(): () => Receiver {
  let receiver: Receiver | undefined;
  before(async () => {
    receiver = await startReceiver();
  });
  after(async () => {
    await receiver?.close();
  });
  return () => {
    assert.ok(receiver, "receiver not started");
    return receiver;
  };
}

export type RawResponse = Awaited<ReturnType<typeof api>>;

/** Raw HTTP with the admin token: `raw(h)("GET", "/api/v1/app")`. */
export function raw(h: TestHerald, token = h.adminToken) {
  return (method: string, pathname: string, body?: unknown, headers?: Record<string, string>): Promise<RawResponse> =>
    api(h.url, token, method, pathname, body, headers);
}

/** Awaits an SDK call that must fail; returns the HTTP status and the parsed error body. */
export async function sdkError(promise: Promise<unknown>): Promise<{ status: number; body: unknown }> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ApiException, `expected an ApiException, got ${String(error)}`);
    return { status: error.code, body: error.body };
  }
  assert.fail("expected the call to fail");
}

export interface ValidationItem {
  loc: (string | number)[];
  msg: string;
  type: string;
}

/** Asserts a Svix 422 body and returns its items; each has loc, msg and type. */
export function validationItems(body: unknown): ValidationItem[] {
  const detail = (body as { detail?: unknown }).detail;
  assert.ok(Array.isArray(detail) && detail.length > 0, `expected a 422 detail list, got ${JSON.stringify(body)}`);
  for (const item of detail as ValidationItem[]) {
    assert.ok(Array.isArray(item.loc), "loc is an array");
    assert.equal(typeof item.msg, "string");
    assert.equal(typeof item.type, "string");
  }
  return detail as ValidationItem[];
}

/** Asserts a 422 whose items include one located exactly at `loc`. */
export function assertValidation(response: { status: number; body: unknown }, loc: (string | number)[]): ValidationItem {
  assert.equal(response.status, 422, `expected 422, got ${response.status}: ${JSON.stringify(response.body)}`);
  const items = validationItems(response.body);
  const item = items.find((candidate) => JSON.stringify(candidate.loc) === JSON.stringify(loc));
  assert.ok(item, `no error at ${JSON.stringify(loc)} in ${JSON.stringify(items)}`);
  return item;
}

/** Asserts a `{code, detail}` error body with the given status and code. */
export function assertError(response: { status: number; body: unknown }, status: number, code: string): void {
  assert.equal(response.status, status, `expected ${status}, got ${response.status}: ${JSON.stringify(response.body)}`);
  const body = response.body as { code?: unknown; detail?: unknown };
  assert.equal(body.code, code);
  assert.equal(typeof body.detail, "string");
}

/** Every `v1,` signature in a webhook-signature header, without the prefix. */
export function v1Signatures(header: string | string[] | undefined): string[] {
  assert.equal(typeof header, "string", "webhook-signature header present");
  return (header as string)
    .split(" ")
    .filter((part) => part.startsWith("v1,"))
    .map((part) => part.slice(3));
}

/** The receiver's headers as a plain string map, as the verifiers want. */
export function headerMap(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const map: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (typeof value === "string") map[name] = value;
  return map;
}

/**
 * Retries `read` until `done` accepts its result (at most `timeoutMs`). For state written just
 * after a receiver saw a request (the attempt row), where there is no event to wait on.
 */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) assert.fail(`condition not met within ${timeoutMs} ms; last value ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
