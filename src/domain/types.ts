import type { DeliveryOptions, ProfileName } from "./delivery-options.ts";

/**
 * Herald's domain objects, camelCase, with times as epoch milliseconds. Each store maps its rows to
 * these in exactly one place; the API maps these to Svix's wire shapes in `src/api/serializers.ts`.
 */

export type StringMap = Record<string, string>;

export interface Application {
  id: string;
  uid: string | null;
  name: string;
  throttleRate: number | null;
  metadata: StringMap;
  createdAt: number;
  updatedAt: number;
}

export interface EventType {
  name: string;
  description: string;
  schemas: Record<string, unknown> | null;
  archived: boolean;
  deprecated: boolean;
  featureFlag: string | null;
  /** Retry delays in seconds for messages of this type (hosted Svix `retry-schedule`); null when not set. */
  retrySchedule: number[] | null;
  createdAt: number;
  updatedAt: number;
}

/**
 * An endpoint's transformation (hosted Svix): JavaScript defining `handler(webhook)`, run in a
 * sandbox before each delivery when enabled. New endpoints have none:
 * `{ code: null, enabled: false, variables: null, updatedAt: null }`.
 */
export interface EndpointTransformation {
  code: string | null;
  enabled: boolean;
  variables: StringMap | null;
  /** When code or enabled last changed; null if never set. */
  updatedAt: number | null;
}

/** One signing key of an endpoint. Only the newest has `expiresAt: null`; rotated-out keys sign until they expire. */
export interface EndpointKey {
  key: string;
  expiresAt: number | null;
}

export interface Endpoint {
  id: string;
  appId: string;
  uid: string | null;
  url: string;
  description: string;
  eventTypes: string[] | null;
  channels: string[] | null;
  /** Newest first. Decrypted by the store; encrypted at rest. */
  keys: EndpointKey[];
  /** Custom request headers. Decrypted by the store; encrypted at rest. */
  headers: StringMap;
  throttleRate: number | null;
  disabled: boolean;
  /** Start of the current run of failed attempts; null after any success. Drives the `duration` disable policy. */
  firstFailureAt: number | null;
  /** Failed requests since the last success. Drives the `consecutive` disable policy. */
  consecutiveFailures: number;
  /** Failures since the last quiet gap (see DisablePolicy `window`), and when the latest was. */
  windowFailures: number;
  lastFailureAt: number | null;
  /** Named bundle of delivery defaults; `options` holds what the endpoint sets explicitly on top. */
  profile: ProfileName;
  options: DeliveryOptions;
  transformation: EndpointTransformation;
  /**
   * The mTLS client identity presented on delivery: PEM private key and X.509 certificate, or null.
   * Decrypted by the store; encrypted at rest.
   */
  mtlsIdentity: string | null;
  /**
   * When the endpoint's rate limit started holding deliveries back, as of its latest slot
   * reservation (see reserveDeliverySlot in src/store/store.ts); null when not throttled. Kept by
   * the store: updateEndpoint does not write it.
   */
  throttledSince: number | null;
  metadata: StringMap;
  version: number;
  createdAt: number;
  updatedAt: number;
}

export interface Message {
  id: string;
  appId: string;
  eventId: string | null;
  eventType: string;
  /** The payload as JSON text, byte for byte what is delivered; null once expunged or expired. */
  payload: string | null;
  channels: string[] | null;
  /** Herald extension: free string map, usable by filters, templates and the Dastra body. */
  metadata: StringMap;
  /** Herald extension: the object's state before this event (Grist watch/ready semantics). */
  previous: Record<string, unknown> | null;
  createdAt: number;
  expiresAt: number;
}

/** Svix `MessageStatus`: used for attempts and for a message's state at one endpoint. */
export const MESSAGE_STATUS = Object.freeze({ success: 0, pending: 1, fail: 2, sending: 3, canceled: 4 } as const);
export type MessageStatus = (typeof MESSAGE_STATUS)[keyof typeof MESSAGE_STATUS];
export const MESSAGE_STATUS_TEXT: Record<MessageStatus, "success" | "pending" | "fail" | "sending" | "canceled"> = {
  0: "success",
  1: "pending",
  2: "fail",
  3: "sending",
  4: "canceled",
};

/** Svix `MessageAttemptTriggerType`. Manual attempts (resend, recover) are single-shot. */
export const TRIGGER = Object.freeze({ scheduled: 0, manual: 1 } as const);
export type TriggerType = (typeof TRIGGER)[keyof typeof TRIGGER];

/** What happened to one message at one endpoint, as Svix's "message destination". */
export interface Destination {
  msgId: string;
  endpointId: string;
  appId: string;
  status: MessageStatus;
  nextAttemptAt: number | null;
  attemptCount: number;
  updatedAt: number;
}

export interface AttemptRequest {
  method: string;
  url: string;
  /** Headers as sent, with sensitive values replaced by a redaction marker. */
  headers: StringMap;
  /**
   * Body as sent, or null when it is the message payload itself (not stored twice). In a batch,
   * this message's element of the array.
   */
  body: string | null;
}

export interface Attempt {
  id: string;
  appId: string;
  msgId: string;
  endpointId: string;
  url: string;
  status: MessageStatus;
  /** 0 when no HTTP response was received (timeout, DNS, connection or blocked address). */
  responseStatusCode: number;
  /** Response body truncated to RESPONSE_BODY_LIMIT, or the error text when there was no response. */
  response: string;
  responseDurationMs: number;
  triggerType: TriggerType;
  attemptNumber: number;
  /** How many messages the request carried: 1, or the size of the batch this attempt was part of. */
  batchSize: number;
  request: AttemptRequest;
  createdAt: number;
}

export type BackgroundTaskKind = "endpoint.recover" | "endpoint.replay" | "endpoint.replay-missing" | "endpoint.bulk-replay";
export type BackgroundTaskStatus = "running" | "finished" | "failed";

export interface BackgroundTask {
  id: string;
  kind: BackgroundTaskKind;
  status: BackgroundTaskStatus;
  data: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
}

/** Cursor paging over id-ordered lists, as Svix: `iterator` is the last id seen, `-id` pages backwards. */
export interface PageRequest {
  limit: number;
  iterator: string | null;
  order: "ascending" | "descending";
}

export interface Page<T> {
  items: T[];
  iterator: string | null;
  prevIterator: string | null;
  done: boolean;
}
