import type {
  Application,
  Attempt,
  BackgroundTask,
  Destination,
  Endpoint,
  EventType,
  Message,
} from "../domain/types.ts";
import { MESSAGE_STATUS_TEXT } from "../domain/types.ts";
import { resolveDeliveryOptions, type ServerDeliveryDefaults } from "../profiles/profiles.ts";
import { explicitOptionsOut } from "./delivery-options-input.ts";

/** Domain objects → Svix wire shapes. Legacy aliases are emitted beside the current names. */

const iso = (ms: number) => new Date(ms).toISOString();

export function applicationOut(app: Application) {
  return {
    id: app.id,
    uid: app.uid,
    name: app.name,
    throttleRate: app.throttleRate,
    rateLimit: app.throttleRate,
    metadata: app.metadata,
    createdAt: iso(app.createdAt),
    updatedAt: iso(app.updatedAt),
  };
}

export function eventTypeOut(eventType: EventType, withSchemas = true) {
  return {
    name: eventType.name,
    description: eventType.description,
    archived: eventType.archived,
    deprecated: eventType.deprecated,
    featureFlag: eventType.featureFlag,
    schemas: withSchemas ? eventType.schemas : null,
    createdAt: iso(eventType.createdAt),
    updatedAt: iso(eventType.updatedAt),
  };
}

/** The Svix fields of an endpoint (operational-webhook endpoints have only these). */
export function endpointBaseOut(endpoint: Endpoint) {
  return {
    id: endpoint.id,
    uid: endpoint.uid,
    url: endpoint.url,
    description: endpoint.description,
    disabled: endpoint.disabled,
    eventTypes: endpoint.eventTypes,
    filterTypes: endpoint.eventTypes,
    channels: endpoint.channels,
    throttleRate: endpoint.throttleRate,
    rateLimit: endpoint.throttleRate,
    version: endpoint.version,
    metadata: endpoint.metadata,
    createdAt: iso(endpoint.createdAt),
    updatedAt: iso(endpoint.updatedAt),
  };
}

/** An application endpoint: the Svix fields plus Herald's delivery options, own and effective. */
export function endpointOut(endpoint: Endpoint, server: ServerDeliveryDefaults) {
  return {
    ...endpointBaseOut(endpoint),
    profile: endpoint.profile,
    ...explicitOptionsOut(endpoint.options),
    effectiveOptions: resolveDeliveryOptions(endpoint.profile, endpoint.options, server),
  };
}

/** Svix answers `{}` when content is not wanted and `{"expired": true}` once it is gone. */
export function payloadOut(message: Message, withContent: boolean): Record<string, unknown> {
  if (!withContent) return {};
  if (message.payload === null) return { expired: true };
  return JSON.parse(message.payload) as Record<string, unknown>;
}

export function messageOut(message: Message, withContent: boolean) {
  return {
    id: message.id,
    eventId: message.eventId,
    eventType: message.eventType,
    payload: payloadOut(message, withContent),
    channels: message.channels,
    timestamp: iso(message.createdAt),
    metadata: message.metadata,
    previous: message.previous,
  };
}

/**
 * `payload` fills in the request body when the attempt sent the message payload itself (stored
 * once, on the message); lists that span messages leave it null.
 */
export function attemptOut(attempt: Attempt, withContent = true, payload: string | null = null) {
  return {
    id: attempt.id,
    msgId: attempt.msgId,
    endpointId: attempt.endpointId,
    url: attempt.url,
    response: withContent ? attempt.response : "",
    responseStatusCode: attempt.responseStatusCode,
    responseDurationMs: attempt.responseDurationMs,
    status: attempt.status,
    statusText: MESSAGE_STATUS_TEXT[attempt.status],
    triggerType: attempt.triggerType,
    timestamp: iso(attempt.createdAt),
    attemptNumber: attempt.attemptNumber,
    request: { ...attempt.request, body: withContent ? (attempt.request.body ?? payload) : null },
  };
}

export function messageEndpointOut(destination: Destination, endpoint: Endpoint) {
  return {
    ...endpointBaseOut(endpoint),
    status: destination.status,
    statusText: MESSAGE_STATUS_TEXT[destination.status],
    nextAttempt: destination.nextAttemptAt === null ? null : iso(destination.nextAttemptAt),
    attemptCount: destination.attemptCount,
  };
}

export function endpointMessageOut(destination: Destination, message: Message, withContent: boolean) {
  return {
    ...messageOut(message, withContent),
    status: destination.status,
    statusText: MESSAGE_STATUS_TEXT[destination.status],
    nextAttempt: destination.nextAttemptAt === null ? null : iso(destination.nextAttemptAt),
  };
}

/**
 * Hosted Svix's BackgroundTaskType has no value for replay-missing: it reports it as
 * `endpoint.replay`. Herald keeps the precise kind internally (the worker needs it).
 */
export function backgroundTaskOut(task: BackgroundTask) {
  const type = task.kind === "endpoint.replay-missing" ? "endpoint.replay" : task.kind;
  return { id: task.id, status: task.status, task: type, data: task.data, updatedAt: iso(task.updatedAt) };
}
