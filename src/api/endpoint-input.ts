import { generateEndpointSecret, normalizeEndpointSecret } from "../crypto/endpoint-secret.ts";
import { checkCustomHeader } from "../domain/endpoint-headers.ts";
import { newId } from "../domain/ids.ts";
import type { Endpoint, StringMap } from "../domain/types.ts";
import { checkEndpointUrl } from "../net/address-policy.ts";
import type { ApiContext } from "./context.ts";
import type { EndpointDelivery } from "./delivery-options-input.ts";
import { FieldError } from "./errors.ts";

/**
 * Checks on endpoint fields that a JSON schema cannot express: the URL against the address
 * policy, event types that must exist, secrets, headers. Each failure is a 422 naming the field.
 */

export function checkUrl(context: ApiContext, url: string, loc: string[] = ["body", "url"]): string {
  const result = checkEndpointUrl(url, context.addressPolicy);
  if (!result.ok) throw new FieldError(loc, result.reason);
  return url;
}

const isWildcard = (name: string) => name === "*" || name.endsWith(".*");

/** Resolves `eventTypes` or its legacy alias `filterTypes`; each plain name must be a known event type. */
export async function checkEventTypes(
  context: ApiContext,
  body: { eventTypes?: string[] | null; filterTypes?: string[] | null },
): Promise<string[] | null | undefined> {
  const field = body.eventTypes !== undefined ? "eventTypes" : "filterTypes";
  const names = body.eventTypes !== undefined ? body.eventTypes : body.filterTypes;
  if (names === undefined || names === null) return names;
  if (names.length === 0) return null;
  if (new Set(names).size !== names.length) throw new FieldError(["body", field], "event types must be unique");
  const missing: string[] = [];
  for (const name of names) {
    if (!isWildcard(name) && !(await context.store.getEventType(name))) missing.push(name);
  }
  if (missing.length > 0) {
    throw new FieldError(["body", field], `The following event types don't exist: ${missing.join(", ")}`);
  }
  return names;
}

export function checkSecret(secret: string | null | undefined, loc: string[] = ["body", "secret"]): string {
  if (secret === undefined || secret === null) return generateEndpointSecret();
  const result = normalizeEndpointSecret(secret);
  if ("error" in result) throw new FieldError(loc, result.error);
  return result.secret;
}

export function checkHeaders(headers: Record<string, string | null>, loc: string[] = ["body", "headers"]): void {
  for (const [name, value] of Object.entries(headers)) {
    const problem = checkCustomHeader(name, value ?? "");
    if (problem) throw new FieldError([...loc, name], problem);
  }
}

/** PATCH semantics for headers: merge, where `null` removes a header. Names compare case-insensitively. */
export function mergeHeaders(current: StringMap, patch: Record<string, string | null>): StringMap {
  const merged: StringMap = {};
  for (const [name, value] of Object.entries(current)) merged[name] = value;
  for (const [name, value] of Object.entries(patch)) {
    for (const existing of Object.keys(merged)) if (existing.toLowerCase() === name.toLowerCase()) delete merged[existing];
    if (value !== null) merged[name] = value;
  }
  return merged;
}

export interface NewEndpointFields {
  url: string;
  uid: string | null;
  description?: string;
  eventTypes: string[] | null;
  channels?: string[] | null;
  secret: string;
  headers?: StringMap | null;
  throttleRate?: number | null;
  disabled?: boolean;
  metadata?: StringMap;
  delivery?: EndpointDelivery;
}

/** The failure counters of an endpoint that has not failed (new, or re-enabled). */
export const HEALTHY = Object.freeze({ firstFailureAt: null, consecutiveFailures: 0, windowFailures: 0, lastFailureAt: null });

/** A new endpoint from already-checked fields. */
export function newEndpoint(appId: string, fields: NewEndpointFields, now: number): Endpoint {
  return {
    id: newId("endpoint", now),
    appId,
    uid: fields.uid,
    url: fields.url,
    description: fields.description ?? "",
    eventTypes: fields.eventTypes,
    channels: fields.channels ?? null,
    keys: [{ key: fields.secret, expiresAt: null }],
    headers: fields.headers ?? {},
    throttleRate: fields.throttleRate ?? null,
    disabled: fields.disabled ?? false,
    ...HEALTHY,
    transformation: { code: null, enabled: false, variables: null, updatedAt: null },
    mtlsIdentity: null,
    throttledSince: null,
    profile: fields.delivery?.profile ?? "standard",
    options: fields.delivery?.options ?? {},
    metadata: fields.metadata ?? {},
    version: 1,
    createdAt: now,
    updatedAt: now,
  };
}
