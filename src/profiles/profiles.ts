import type { DeliveryOptions, ProfileName, ResolvedDeliveryOptions } from "../domain/delivery-options.ts";

/**
 * Compatibility profiles: named bundles of delivery defaults that make Herald's request, for the
 * receiver, the one the original product sends (PRODUCT.md "Compatibility profiles"; the facts are
 * in reference/seed-systems.md). An endpoint's explicit options override its profile's.
 *
 * `standard`, `svix` and `codat` take their timeout, retry schedule and disable duration from the
 * server configuration, so an operator's HERALD_* settings apply to them; the others are fixed
 * to what the product does.
 */

/** The server-wide defaults the Svix-like profiles follow. */
export interface ServerDeliveryDefaults {
  requestTimeoutMs: number;
  retryScheduleSeconds: readonly number[];
  disableAfterHours: number;
}

export interface Profile {
  name: ProfileName;
  description: string;
  /** What a receiver written for the product expects beyond the request itself (shown by GET /profiles). */
  notes: string[];
  defaults(server: ServerDeliveryDefaults): ResolvedDeliveryOptions;
}

/** Trackdéchets receivers authenticate with `Authorization: Bearer: <token>` (colon included), token 20–100 chars. */
export const TRACKDECHETS_AUTHORIZATION = /^Bearer: \S{20,100}$/;

/** No payload filter, watch or ready field: every profile delivers every message its endpoint subscribes to. */
const NO_SELECTION = { filter: null, watchFields: null, readyField: null } as const;

function svixLike(server: ServerDeliveryDefaults): ResolvedDeliveryOptions {
  return {
    ...NO_SELECTION,
    method: "POST",
    timeoutMs: server.requestTimeoutMs,
    retrySchedule: [...server.retryScheduleSeconds],
    retryForever: false,
    acceptStatus: "2xx",
    disablePolicy: { type: "duration", hours: server.disableAfterHours },
    body: { preset: "payload" },
    signatures: [{ scheme: "standard" }],
    batch: null,
    ordering: "none",
  };
}

const PROFILE_LIST: Profile[] = [
  {
    name: "standard",
    description: "Standard Webhooks: the payload as posted, signed with webhook-id, webhook-timestamp and webhook-signature.",
    notes: ["Verify with any Standard Webhooks library; the key is the base64 part of the whsec_ secret."],
    defaults: svixLike,
  },
  {
    name: "svix",
    description: "As standard, under Svix's header names (svix-id, svix-timestamp, svix-signature).",
    notes: ["Receivers using the svix libraries' Webhook.verify work unchanged."],
    defaults: (server) => ({ ...svixLike(server), signatures: [{ scheme: "svix" }] }),
  },
  {
    name: "codat",
    description: "Codat (Svix-powered): Standard Webhooks headers with the webhook- prefix; channels carry company tags.",
    notes: ["Company tags are endpoint channels (key:value, any match)."],
    defaults: svixLike,
  },
  {
    name: "trackdechets",
    description: 'Trackdéchets: POST [{"action":A,"id":I}] with the user\'s Authorization header, 5 s timeout, disabled on the 6th failure without a 10-minute gap.',
    notes: [
      'Set header Authorization to "Bearer: <token>" (colon included, token of 20 to 100 characters); it is required.',
      "A = payload.action, else the event type's last dot-segment upper-cased (bsd.created → CREATED); I = payload.id.",
      "Retried twice, 1 s apart (3 attempts), as Trackdéchets' job queue does.",
    ],
    defaults: () => ({
      ...NO_SELECTION,
      method: "POST",
      timeoutMs: 5_000,
      retrySchedule: [1, 1],
      retryForever: false,
      acceptStatus: "2xx",
      disablePolicy: { type: "window", allowedFailures: 5, resetAfterSeconds: 600 },
      body: { preset: "trackdechets" },
      signatures: [],
      batch: null,
      ordering: "none",
    }),
  },
  {
    name: "dastra",
    description: "Dastra: a seven-key JSON envelope signed in Dastra-Signature, 10 s timeout, only 200 succeeds, disabled on the 6th consecutive failure.",
    notes: [
      "Dastra-Signature = base64(HMAC-SHA256(key = the secret string as GET …/secret returns it, UTF-8; message = the raw body)).",
      "userId comes from the message's metadata.userId; eventName is the event type's description.",
      "No retries, as Dastra (set retrySchedule to add some).",
    ],
    defaults: () => ({
      ...NO_SELECTION,
      method: "POST",
      timeoutMs: 10_000,
      retrySchedule: [],
      retryForever: false,
      acceptStatus: "200",
      disablePolicy: { type: "consecutive", allowedFailures: 5 },
      body: { preset: "dastra" },
      signatures: [{ scheme: "hmac-sha256", header: "Dastra-Signature", encoding: "base64" }],
      batch: null,
      ordering: "none",
    }),
  },
  {
    name: "grist",
    description: "Grist: a JSON array of payloads, up to 100 consecutive messages per request, in order; a failing batch blocks the queue and is retried until it succeeds or the queue is cleared.",
    notes: [
      "An optional Authorization header is sent verbatim; nothing is signed.",
      "Retries wait 1, 2, 4 … 64 s, then 64 s forever; the endpoint is never disabled. POST …/cancel-msgs clears the queue.",
      "watchFields and readyField select which updates are sent (messages carry the row's previous state in `previous`).",
    ],
    defaults: () => ({
      ...NO_SELECTION,
      method: "POST",
      timeoutMs: 30_000,
      retrySchedule: [1, 2, 4, 8, 16, 32, 64],
      retryForever: true,
      acceptStatus: "2xx",
      disablePolicy: { type: "never" },
      body: { preset: "payload" },
      signatures: [],
      batch: { maxSize: 100, maxWaitMs: 0 },
      ordering: "fifo",
    }),
  },
  {
    name: "frappe",
    description: "Frappe / Dokos: the payload, a Liquid/Jinja template or a form field map, signed in X-Frappe-Webhook-Signature, 5 s timeout, any status below 400 succeeds, never disabled.",
    notes: [
      "X-Frappe-Webhook-Signature = base64(HMAC-SHA256(key = the secret string as GET …/secret returns it, UTF-8; message = the raw body)).",
      "method may be POST, PUT or DELETE; body.template renders JSON, body.fields with format form sends form-urlencoded.",
      "Three attempts 1 s then 4 s apart, as Frappe's classic in-job retries.",
    ],
    defaults: () => ({
      ...NO_SELECTION,
      method: "POST",
      timeoutMs: 5_000,
      retrySchedule: [1, 4],
      retryForever: false,
      acceptStatus: "<400",
      disablePolicy: { type: "never" },
      body: { preset: "payload" },
      signatures: [{ scheme: "hmac-sha256", header: "X-Frappe-Webhook-Signature", encoding: "base64" }],
      batch: null,
      ordering: "none",
    }),
  },
];

export const PROFILES: ReadonlyMap<ProfileName, Profile> = new Map(PROFILE_LIST.map((profile) => [profile.name, profile]));

/** The options a delivery runs with: the profile's defaults, overridden by what the endpoint sets. */
export function resolveDeliveryOptions(
  profileName: ProfileName,
  explicit: DeliveryOptions,
  server: ServerDeliveryDefaults,
): ResolvedDeliveryOptions {
  const resolved: ResolvedDeliveryOptions = { ...PROFILES.get(profileName)!.defaults(server) };
  for (const [name, value] of Object.entries(explicit)) {
    if (value !== undefined) (resolved as unknown as Record<string, unknown>)[name] = value;
  }
  return resolved;
}

const resolvedByEndpoint = new WeakMap<object, { server: ServerDeliveryDefaults; options: ResolvedDeliveryOptions }>();

/**
 * An endpoint's resolved options, worked out once per endpoint object read from the store: the
 * worker needs them at fan-out (twice) and again to send. Callers must treat the result as
 * read-only (copy it to change it).
 */
export function endpointDeliveryOptions(
  endpoint: { profile: ProfileName; options: DeliveryOptions },
  server: ServerDeliveryDefaults,
): ResolvedDeliveryOptions {
  const cached = resolvedByEndpoint.get(endpoint);
  if (cached && cached.server === server) return cached.options;
  const options = isEmpty(endpoint.options)
    ? profileDefaults(endpoint.profile, server)
    : resolveDeliveryOptions(endpoint.profile, endpoint.options, server);
  resolvedByEndpoint.set(endpoint, { server, options });
  return options;
}

const defaultsByServer = new WeakMap<ServerDeliveryDefaults, Map<ProfileName, ResolvedDeliveryOptions>>();

/** A profile's defaults, one shared object per profile and server settings (most endpoints set no options). */
function profileDefaults(profile: ProfileName, server: ServerDeliveryDefaults): ResolvedDeliveryOptions {
  let byProfile = defaultsByServer.get(server);
  if (!byProfile) defaultsByServer.set(server, (byProfile = new Map()));
  let options = byProfile.get(profile);
  if (!options) byProfile.set(profile, (options = resolveDeliveryOptions(profile, {}, server)));
  return options;
}

function isEmpty(options: DeliveryOptions): boolean {
  for (const value of Object.values(options)) if (value !== undefined) return false;
  return true;
}

/** Whether the endpoint's deliveries go through a FIFO lane (one in flight, in message order). */
export function isOrdered(options: ResolvedDeliveryOptions): boolean {
  return options.ordering === "fifo" || options.batch !== null;
}
