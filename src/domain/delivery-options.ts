/**
 * Herald's delivery options: how a message becomes an HTTP request to one endpoint, beyond Svix.
 * An endpoint stores only what was set explicitly (`DeliveryOptions`); a profile supplies the rest
 * (`src/profiles/`), and the worker delivers with the merged `ResolvedDeliveryOptions`.
 */

export const PROFILE_NAMES = ["standard", "svix", "codat", "trackdechets", "dastra", "grist", "frappe"] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

export const HTTP_METHODS = ["POST", "PUT", "PATCH", "DELETE"] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** Which response statuses count as delivered: any 2xx (Svix), exactly 200 (Dastra), below 400 (Frappe). */
export const ACCEPT_STATUSES = ["2xx", "200", "<400"] as const;
export type AcceptStatus = (typeof ACCEPT_STATUSES)[number];

/**
 * When repeated failures disable an endpoint.
 * - `duration`: failing continuously (no success) for `hours` (Svix: 5 days).
 * - `consecutive`: `allowedFailures` failed requests in a row are tolerated, the next one disables
 *   (Dastra: 5, so the 6th disables). A success resets the count.
 * - `window`: failures count while each comes within `resetAfterSeconds` of the previous one; the
 *   failure after `allowedFailures` disables (Trackdéchets: 5 and 600 s). A quiet gap resets the
 *   count, a success does not.
 * - `never` (Grist, Frappe).
 */
export type DisablePolicy =
  | { type: "duration"; hours: number }
  | { type: "consecutive"; allowedFailures: number }
  | { type: "window"; allowedFailures: number; resetAfterSeconds: number }
  | { type: "never" };

/**
 * What the request body is.
 * - `preset: "payload"`: the payload bytes exactly as posted (default).
 * - `preset: "trackdechets"`: `[{"action":A,"id":payload.id}]`, A = payload.action or the event
 *   type's last dot-segment upper-cased.
 * - `preset: "dastra"`: Dastra's seven-key envelope around the payload.
 * - `template`: a Liquid template (`{{ payload.x }}`) that must render to JSON.
 * - `fields`: `{key: path}` picked from the template context, sent as JSON or form-urlencoded.
 */
export type BodyOption =
  | { preset: "payload" | "trackdechets" | "dastra" }
  | { template: string }
  | { fields: Record<string, string>; format: "json" | "form" };

/**
 * How requests are signed. Several may apply at once.
 * - `standard`: `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<b64 HMAC>` (Standard Webhooks).
 * - `svix`: the same under `svix-*` names.
 * - `ed25519`: an asymmetric `v1a,<b64 signature>` (Standard Webhooks), added to the `webhook-signature`
 *   header (sent with the `webhook-*` headers even without `standard`).
 * - `hmac-sha256`: HMAC-SHA256 of the exact body bytes, key = UTF-8 bytes of the secret string
 *   (`whsec_…` as GET …/secret shows it), in `header`, base64 or hex (Dastra, Frappe).
 */
export type SignatureScheme =
  | { scheme: "standard" }
  | { scheme: "svix" }
  | { scheme: "ed25519" }
  | { scheme: "hmac-sha256"; header: string; encoding: "base64" | "hex" };

/** Consecutive messages to one endpoint sent as one JSON array of their bodies. Implies FIFO. */
export interface BatchOption {
  maxSize: number;
  /** How long the first message of a batch waits for more to join it. */
  maxWaitMs: number;
}

export interface ResolvedDeliveryOptions {
  method: HttpMethod;
  timeoutMs: number;
  /** Delays in seconds before attempt 2, 3, …; with `retryForever` the last one repeats without end. */
  retrySchedule: number[];
  retryForever: boolean;
  acceptStatus: AcceptStatus;
  disablePolicy: DisablePolicy;
  body: BodyOption;
  signatures: SignatureScheme[];
  batch: BatchOption | null;
  /** `fifo`: one delivery in flight per endpoint, in message order; a failing head blocks the rest. */
  ordering: "fifo" | "none";
  /** A MongoDB-style query over {eventType, payload, channels, metadata, previous}; null = everything. */
  filter: Record<string, unknown> | null;
  /** Grist: an update (a message with `previous`) is delivered only if one of these fields changed. */
  watchFields: string[] | null;
  /** Grist: delivered only when `payload[readyField] === true`. */
  readyField: string | null;
}

/** What an endpoint sets explicitly; anything absent comes from its profile. */
export type DeliveryOptions = Partial<ResolvedDeliveryOptions>;

export const DELIVERY_OPTION_NAMES = [
  "method",
  "timeoutMs",
  "retrySchedule",
  "retryForever",
  "acceptStatus",
  "disablePolicy",
  "body",
  "signatures",
  "batch",
  "ordering",
  "filter",
  "watchFields",
  "readyField",
] as const satisfies readonly (keyof ResolvedDeliveryOptions)[];

export type DeliveryOptionName = (typeof DELIVERY_OPTION_NAMES)[number];
