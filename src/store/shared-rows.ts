import { randomUUID } from "node:crypto";

import type { SecretBox } from "../crypto/secret-box.ts";
import type { DeliveryOptions, ProfileName } from "../domain/delivery-options.ts";
import type {
  Application,
  Attempt,
  BackgroundTask,
  BackgroundTaskKind,
  BackgroundTaskStatus,
  Destination,
  Endpoint,
  EndpointKey,
  EventType,
  Message,
  MessageStatus,
  StringMap,
  TriggerType,
} from "../domain/types.ts";
import { TRIGGER } from "../domain/types.ts";
import type { EndpointHealth, Job, JobKind, Lease, TokenRevocation } from "./store.ts";

/**
 * Row shapes of Herald's tables (snake_case, as stored) and the ONE place that converts between
 * rows and domain objects, for every engine. The SQLite and PostgreSQL schemas have the same
 * tables and columns; the only difference a row sees is how booleans are stored (SQLite INTEGER
 * 0/1, PostgreSQL `boolean`), so the rows that hold booleans take it as a type parameter and their
 * mappers a `BooleanColumn`. Each engine binds that once in its own `*-rows.ts`.
 *
 * Times are epoch milliseconds as numbers on both engines (PostgreSQL BIGINT is parsed to a
 * number by the store's connection pool); JSON values are text on both.
 */

/** How an engine stores a boolean column. */
export interface BooleanColumn<Stored> {
  read(value: Stored): boolean;
  write(value: boolean): Stored;
}

/** SQLite has no boolean type: INTEGER 0/1. */
export const INTEGER_BOOLEAN: BooleanColumn<number> = Object.freeze({
  read: (value: number) => value !== 0,
  write: (value: boolean) => (value ? 1 : 0),
});

/** Engines with a real boolean type. */
export const NATIVE_BOOLEAN: BooleanColumn<boolean> = Object.freeze({
  read: (value: boolean) => value,
  write: (value: boolean) => value,
});

export interface DbApplication {
  id: string;
  uid: string | null;
  name: string;
  throttle_rate: number | null;
  metadata: string;
  created_at: number;
  updated_at: number;
  deleted_at: number | null;
}

export interface DbEventType<Bool> {
  name: string;
  description: string;
  schemas: string | null;
  archived: Bool;
  deprecated: Bool;
  feature_flag: string | null;
  /** JSON array of seconds, or NULL. */
  retry_schedule: string | null;
  created_at: number;
  updated_at: number;
}

export interface DbEndpoint<Bool> {
  id: string;
  app_id: string;
  uid: string | null;
  url: string;
  description: string;
  event_types: string | null;
  channels: string | null;
  keys_sealed: string;
  headers_sealed: string;
  throttle_rate: number | null;
  disabled: Bool;
  first_failure_at: number | null;
  consecutive_failures: number;
  window_failures: number;
  last_failure_at: number | null;
  profile: string;
  /** JSON object: the delivery options set explicitly. */
  options: string;
  transformation_code: string | null;
  transformation_enabled: Bool;
  /** JSON object of strings, or NULL. */
  transformation_variables: string | null;
  transformation_updated_at: number | null;
  /** SecretBox-sealed PEM key and certificate; NULL = no mTLS identity. */
  mtls_sealed: string | null;
  /** The rate limiter's next free slot (see reserveDeliverySlot); kept by the store alone. */
  rate_next_at: number | null;
  throttled_since: number | null;
  metadata: string;
  version: number;
  created_at: number;
  updated_at: number;
  deleted_at: number | null;
}

export interface DbMessage {
  id: string;
  app_id: string;
  event_id: string | null;
  event_type: string;
  payload: string | null;
  channels: string | null;
  /** JSON object of strings; NULL stands for {} (most messages have none). */
  metadata: string | null;
  /** JSON object or NULL. */
  previous: string | null;
  created_at: number;
  expires_at: number;
}

export interface DbDestination {
  msg_id: string;
  endpoint_id: string;
  app_id: string;
  status: number;
  next_attempt_at: number | null;
  attempt_count: number;
  updated_at: number;
}

/** A destination joined with its message: message columns as is, destination columns prefixed `d_`. */
export interface DbDestinationWithMessage extends DbMessage {
  d_endpoint_id: string;
  d_status: number;
  d_next_attempt_at: number | null;
  d_attempt_count: number;
  d_updated_at: number;
}

export interface DbAttempt {
  id: string;
  app_id: string;
  msg_id: string;
  endpoint_id: string;
  url: string;
  status: number;
  response_status_code: number;
  response: string;
  response_duration_ms: number;
  trigger_type: number;
  attempt_number: number;
  request_method: string;
  request_url: string;
  request_headers: string;
  request_body: string | null;
  batch_size: number;
  created_at: number;
}

export interface DbJob {
  id: number;
  kind: string;
  app_id: string;
  msg_id: string | null;
  endpoint_id: string | null;
  /** The FIFO lane (the endpoint id) of a delivery to an ordered endpoint; NULL otherwise. */
  lane: string | null;
  task_id: string | null;
  attempt: number;
  trigger_type: number;
  run_at: number;
  lease_token: string | null;
  /** A delivery slot reserved under the endpoint's rate limit (postponeJob); NULL otherwise. */
  rate_slot_at: number | null;
}

/**
 * A job row to insert: the id comes from the database (AUTOINCREMENT, BIGSERIAL), and a new job has
 * no rate slot reserved yet (rate_slot_at is NULL).
 */
export type DbNewJob = Omit<DbJob, "id" | "rate_slot_at">;

/** A job as the queue hands it out, from the row just inserted with `id`. */
export function insertedJob(row: DbNewJob, id: number): Job {
  return rowToJob({ ...row, id, rate_slot_at: null });
}

/**
 * A fresh lease token: the worker id (to see who holds a job when debugging) plus a random UUID
 * (what makes it unique per claim).
 */
export function newLeaseToken(workerId: string): string {
  return `${workerId}:${randomUUID()}`;
}

/** A message's fan-out job, queued already claimed under `lease` (createMessage with a lease). */
export function leasedFanOutJobOf(message: Message, lease: Lease): DbNewJob {
  return { ...firstJobOf(message), run_at: lease.now + lease.leaseMs, lease_token: newLeaseToken(lease.workerId) };
}

/**
 * The first job of a newly stored message, due at its creation time: its fan-out, or (send-example)
 * one scheduled delivery straight to `endpointId`.
 */
export function firstJobOf(message: Message, endpointId: string | null = null): DbNewJob {
  return {
    kind: endpointId === null ? "fanout" : "deliver",
    app_id: message.appId,
    msg_id: message.id,
    endpoint_id: endpointId,
    lane: null,
    task_id: null,
    attempt: 1,
    trigger_type: TRIGGER.scheduled,
    run_at: message.createdAt,
    lease_token: null,
  };
}

export interface DbBackgroundTask {
  id: string;
  app_id: string;
  kind: string;
  status: string;
  data: string;
  created_at: number;
  updated_at: number;
}

export interface DbIdempotencyKey {
  key: string;
  state: "in_progress" | "done";
  lock_expires_at: number | null;
  response_status_code: number | null;
  response_body: string | null;
  expires_at: number | null;
}

// --- JSON ------------------------------------------------------------------------------------

function jsonOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}

function parseOrNull<T>(text: string | null): T | null {
  return text === null ? null : (JSON.parse(text) as T);
}

// --- applications ----------------------------------------------------------------------------

export function applicationToRow(app: Application): DbApplication {
  return {
    id: app.id,
    uid: app.uid,
    name: app.name,
    throttle_rate: app.throttleRate,
    metadata: JSON.stringify(app.metadata),
    created_at: app.createdAt,
    updated_at: app.updatedAt,
    deleted_at: null,
  };
}

export function rowToApplication(row: DbApplication): Application {
  return {
    id: row.id,
    uid: row.uid,
    name: row.name,
    throttleRate: row.throttle_rate,
    metadata: JSON.parse(row.metadata) as StringMap,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

// --- event types -----------------------------------------------------------------------------

export function eventTypeToRow<Bool>(eventType: EventType, booleans: BooleanColumn<Bool>): DbEventType<Bool> {
  return {
    name: eventType.name,
    description: eventType.description,
    schemas: jsonOrNull(eventType.schemas),
    archived: booleans.write(eventType.archived),
    deprecated: booleans.write(eventType.deprecated),
    feature_flag: eventType.featureFlag,
    retry_schedule: jsonOrNull(eventType.retrySchedule),
    created_at: eventType.createdAt,
    updated_at: eventType.updatedAt,
  };
}

export function rowToEventType<Bool>(row: DbEventType<Bool>, booleans: BooleanColumn<Bool>): EventType {
  return {
    name: row.name,
    description: row.description,
    schemas: parseOrNull<Record<string, unknown>>(row.schemas),
    archived: booleans.read(row.archived),
    deprecated: booleans.read(row.deprecated),
    featureFlag: row.feature_flag,
    retrySchedule: parseOrNull<number[]>(row.retry_schedule),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

// --- endpoints (keys, headers and the mTLS identity are sealed at rest) --------------------------

export function endpointToRow<Bool>(endpoint: Endpoint, box: SecretBox, booleans: BooleanColumn<Bool>): DbEndpoint<Bool> {
  return {
    id: endpoint.id,
    app_id: endpoint.appId,
    uid: endpoint.uid,
    url: endpoint.url,
    description: endpoint.description,
    event_types: jsonOrNull(endpoint.eventTypes),
    channels: jsonOrNull(endpoint.channels),
    keys_sealed: box.seal(JSON.stringify(endpoint.keys)),
    headers_sealed: box.seal(JSON.stringify(endpoint.headers)),
    throttle_rate: endpoint.throttleRate,
    disabled: booleans.write(endpoint.disabled),
    first_failure_at: endpoint.firstFailureAt,
    consecutive_failures: endpoint.consecutiveFailures,
    window_failures: endpoint.windowFailures,
    last_failure_at: endpoint.lastFailureAt,
    profile: endpoint.profile,
    options: JSON.stringify(endpoint.options),
    transformation_code: endpoint.transformation.code,
    transformation_enabled: booleans.write(endpoint.transformation.enabled),
    transformation_variables: endpoint.transformation.variables === null ? null : box.seal(JSON.stringify(endpoint.transformation.variables)),
    transformation_updated_at: endpoint.transformation.updatedAt,
    mtls_sealed: endpoint.mtlsIdentity === null ? null : box.seal(endpoint.mtlsIdentity),
    // Never written from the domain object: reserveDeliverySlot owns it.
    rate_next_at: null,
    throttled_since: endpoint.throttledSince,
    metadata: JSON.stringify(endpoint.metadata),
    version: endpoint.version,
    created_at: endpoint.createdAt,
    updated_at: endpoint.updatedAt,
    deleted_at: null,
  };
}

export function rowToEndpoint<Bool>(row: DbEndpoint<Bool>, box: SecretBox, booleans: BooleanColumn<Bool>): Endpoint {
  return {
    id: row.id,
    appId: row.app_id,
    uid: row.uid,
    url: row.url,
    description: row.description,
    eventTypes: parseOrNull<string[]>(row.event_types),
    channels: parseOrNull<string[]>(row.channels),
    keys: JSON.parse(box.open(row.keys_sealed)) as EndpointKey[],
    headers: JSON.parse(box.open(row.headers_sealed)) as StringMap,
    throttleRate: row.throttle_rate,
    disabled: booleans.read(row.disabled),
    firstFailureAt: row.first_failure_at,
    consecutiveFailures: row.consecutive_failures,
    windowFailures: row.window_failures,
    lastFailureAt: row.last_failure_at,
    profile: row.profile as ProfileName,
    options: JSON.parse(row.options) as DeliveryOptions,
    transformation: {
      code: row.transformation_code,
      enabled: booleans.read(row.transformation_enabled),
      variables: openVariables(row.transformation_variables, box),
      updatedAt: row.transformation_updated_at,
    },
    mtlsIdentity: row.mtls_sealed === null ? null : box.open(row.mtls_sealed),
    throttledSince: row.throttled_since,
    metadata: JSON.parse(row.metadata) as StringMap,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

// --- messages and destinations ---------------------------------------------------------------

export function messageToRow(message: Message): DbMessage {
  return {
    id: message.id,
    app_id: message.appId,
    event_id: message.eventId,
    event_type: message.eventType,
    payload: message.payload,
    channels: jsonOrNull(message.channels),
    metadata: Object.keys(message.metadata).length === 0 ? null : JSON.stringify(message.metadata),
    previous: jsonOrNull(message.previous),
    created_at: message.createdAt,
    expires_at: message.expiresAt,
  };
}

export function rowToMessage(row: DbMessage): Message {
  return {
    id: row.id,
    appId: row.app_id,
    eventId: row.event_id,
    eventType: row.event_type,
    payload: row.payload,
    channels: parseOrNull<string[]>(row.channels),
    metadata: parseOrNull<StringMap>(row.metadata) ?? {},
    previous: parseOrNull<Record<string, unknown>>(row.previous),
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}

export function rowToDestination(row: DbDestination): Destination {
  return {
    msgId: row.msg_id,
    endpointId: row.endpoint_id,
    appId: row.app_id,
    status: row.status as MessageStatus,
    nextAttemptAt: row.next_attempt_at,
    attemptCount: row.attempt_count,
    updatedAt: row.updated_at,
  };
}

export function rowToDestinationWithMessage(row: DbDestinationWithMessage): { destination: Destination; message: Message } {
  return {
    destination: rowToDestination({
      msg_id: row.id,
      endpoint_id: row.d_endpoint_id,
      app_id: row.app_id,
      status: row.d_status,
      next_attempt_at: row.d_next_attempt_at,
      attempt_count: row.d_attempt_count,
      updated_at: row.d_updated_at,
    }),
    message: rowToMessage(row),
  };
}

// --- attempts --------------------------------------------------------------------------------

export function attemptToRow(attempt: Attempt): DbAttempt {
  return {
    id: attempt.id,
    app_id: attempt.appId,
    msg_id: attempt.msgId,
    endpoint_id: attempt.endpointId,
    url: attempt.url,
    status: attempt.status,
    response_status_code: attempt.responseStatusCode,
    response: attempt.response,
    response_duration_ms: attempt.responseDurationMs,
    trigger_type: attempt.triggerType,
    attempt_number: attempt.attemptNumber,
    request_method: attempt.request.method,
    request_url: attempt.request.url,
    request_headers: JSON.stringify(attempt.request.headers),
    request_body: attempt.request.body,
    batch_size: attempt.batchSize,
    created_at: attempt.createdAt,
  };
}

export function rowToAttempt(row: DbAttempt): Attempt {
  return {
    id: row.id,
    appId: row.app_id,
    msgId: row.msg_id,
    endpointId: row.endpoint_id,
    url: row.url,
    status: row.status as MessageStatus,
    responseStatusCode: row.response_status_code,
    response: row.response,
    responseDurationMs: row.response_duration_ms,
    triggerType: row.trigger_type as TriggerType,
    attemptNumber: row.attempt_number,
    batchSize: row.batch_size,
    request: {
      method: row.request_method,
      url: row.request_url,
      headers: JSON.parse(row.request_headers) as StringMap,
      body: row.request_body,
    },
    createdAt: row.created_at,
  };
}

// --- queue -----------------------------------------------------------------------------------

/** An endpoint's failure counters, as completeDelivery reads them back after its update. */
export interface DbEndpointHealth {
  first_failure_at: number | null;
  consecutive_failures: number;
  window_failures: number;
}

/** A missing row (the endpoint was never stored) reads as a healthy endpoint. */
export function rowToEndpointHealth(row: DbEndpointHealth | null | undefined): EndpointHealth {
  return {
    firstFailureAt: row?.first_failure_at ?? null,
    consecutiveFailures: row?.consecutive_failures ?? 0,
    windowFailures: row?.window_failures ?? 0,
  };
}

export function rowToJob(row: DbJob): Job {
  return {
    id: row.id,
    kind: row.kind as JobKind,
    appId: row.app_id,
    msgId: row.msg_id,
    endpointId: row.endpoint_id,
    lane: row.lane,
    taskId: row.task_id,
    attempt: row.attempt,
    trigger: row.trigger_type as TriggerType,
    runAt: row.run_at,
    // Jobs only leave the store claimed, so the token is set; "" would never match a lease.
    leaseToken: row.lease_token ?? "",
    rateSlotAt: row.rate_slot_at,
  };
}

// --- background tasks ------------------------------------------------------------------------

export function backgroundTaskToRow(task: BackgroundTask, appId: string): DbBackgroundTask {
  return {
    id: task.id,
    app_id: appId,
    kind: task.kind,
    status: task.status,
    data: JSON.stringify(task.data),
    created_at: task.createdAt,
    updated_at: task.updatedAt,
  };
}

export function rowToBackgroundTask(row: DbBackgroundTask): BackgroundTask {
  return {
    id: row.id,
    kind: row.kind as BackgroundTaskKind,
    status: row.status as BackgroundTaskStatus,
    data: JSON.parse(row.data) as Record<string, unknown>,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** A used or expired key stays this long, so a second try can be told what happened to it. */
export const KEEP_EXPIRED_KEYS_MS = 24 * 60 * 60 * 1000;

export interface DbTokenRevocation {
  app_id: string;
  session_id: string | null;
  token_id: string | null;
  issued_before: number;
  effective_at: number;
  prune_after: number;
}

export function tokenRevocationFromRow(row: DbTokenRevocation): TokenRevocation {
  return {
    appId: row.app_id,
    sessionId: row.session_id,
    tokenId: row.token_id,
    issuedBefore: Number(row.issued_before),
    effectiveAt: Number(row.effective_at),
    pruneAfter: Number(row.prune_after),
  };
}

/**
 * Transformation variables hold receivers' credentials, so they are sealed like keys and headers;
 * rows written before they were are plain JSON objects.
 */
function openVariables(stored: string | null, box: SecretBox): StringMap | null {
  if (stored === null) return null;
  return JSON.parse(stored.startsWith("{") ? stored : box.open(stored)) as StringMap;
}
